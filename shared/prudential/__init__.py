"""Prudential simulator (CRR3 standardised approach): rule set as data, validator, pure Decimal engine,
scenarios and what-if, import parsing. Nothing in this package does I/O except reading its bundled
rule-set files and the import parser reading the bytes it is given."""
