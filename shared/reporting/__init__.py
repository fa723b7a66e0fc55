"""COREP regulatory reporting: templates, validation rules, XLSX workbooks, xBRL-CSV report packages."""
