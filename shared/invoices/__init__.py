"""Invoices: the commission waterfall, Factur-X invoices and credit notes, payments, exports."""
