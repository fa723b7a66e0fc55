"""CSV dossier list: data only, for spreadsheets and scripts.

Choices, so that a double click opens it correctly in Excel:

- UTF-8 with a byte-order mark (Excel otherwise reads ANSI and garbles accents), CRLF line ends
  (RFC 4180), fields quoted only when needed.
- French (default): ``;`` separator (``,`` is the French decimal mark, and French Excel splits on
  ``;``), decimal comma ``1234,56`` and dates ``21/11/2026``.
- English: ``,`` separator, decimal point ``1234.56`` and ISO dates ``2026-11-21``.
- Amounts are plain numbers (no grouping, no currency sign) so they stay numbers when imported;
  an unknown amount is an empty field. Statuses are the translated labels, as in the other formats.
- Text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage
  return: CSV injection) is prefixed with an apostrophe.

No branding here: a CSV has no room for it; use the XLSX for a branded list.
"""

from __future__ import annotations

import csv as _csv
import io
from decimal import Decimal

from shared.exports._dossiers import headers
from shared.exports.formatting import format_date, format_number, lang_of
from shared.exports.models import Branding, DossierList

_BOM = "\ufeff"
_FORMULA_STARTS = frozenset("=+-@\t\r")


def _text(value: str | None) -> str:
    if value and value[0] in _FORMULA_STARTS:
        return "'" + value
    return value or ""


def _number(value: Decimal | None, lang: str) -> str:
    return "" if value is None else format_number(value, lang)


def dossier_list_csv(dossiers: DossierList, branding: Branding | None = None, lang: str = "fr") -> bytes:
    """Every row of ``dossiers`` as CSV (see the module docstring for the dialect)."""
    lang = lang_of(lang)
    buffer = io.StringIO()
    buffer.write(_BOM)
    writer = _csv.writer(buffer, delimiter=";" if lang == "fr" else ",", lineterminator="\r\n")
    writer.writerow(headers(lang))
    for d in dossiers.rows:
        writer.writerow(
            (
                _text(d.reference),
                _text(d.company),
                _text(d.product),
                d.status_label,
                _text(d.expert),
                "" if d.priority is None else d.priority,
                _number(d.estimated, lang),
                _number(d.audited, lang),
                _number(d.obtained, lang),
                format_date(d.created_on, lang),
                format_date(d.updated_on, lang),
            )
        )
    return buffer.getvalue().encode("utf-8")
