"""Import of exposures from XLSX and CSV: hostile-file checks, column mapping, conversion, validation
with the CLI's own validator, anomaly warnings, and the error report. Pure: bytes in, data out.

* Refused files (:class:`ImportRefused`, nothing is imported): not UTF-8 CSV, not an XLSX zip, a zip
  whose members would inflate beyond the limits (checked from the zip directory before openpyxl opens
  it), more rows than ``ImportLimits.max_rows``, merged header cells, formulas or text starting with
  ``=``, ``+``, ``-``, ``@`` (formula injection; plain negative numbers are numbers, not text).
* Column mapping: headers are matched case-, accent-, space- and punctuation-insensitively to the
  exposure fields and their synonyms (``encours`` → ``amount``); a saved mapping (header → field)
  takes precedence. Nested fields are flat columns: ``guarantee_amount``, ``guarantor_class``,
  ``guarantor_cqs``…, ``collateral_amount``, ``collateral_currency``.
* Every row is converted then checked by :func:`shared.prudential.models.validate_exposure`; each
  problem is a :class:`RowError` (sheet row number, column header, value, rule, message).
* Anomalies (warnings, never blocking) per class × currency: z-score with the sample standard deviation
  (ddof 1) only when n ≥ 12, |z| > 3; Tukey fences 1.5 × IQR with type-7 quantiles; retail above
  EUR 1 000 000; real-estate exposure-to-value above 150 %.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, NamedTuple

from shared.prudential.models import EXPOSURE_FIELDS, Exposure, InputError, validate_exposure
from shared.prudential.numbers import EXACT

__all__ = [
    "Anomaly",
    "ImportLimits",
    "ImportRefused",
    "ParsedImport",
    "RowError",
    "anomalies",
    "error_report_xlsx",
    "map_columns",
    "normalize_header",
    "parse_import",
    "quantile",
]

PREVIEW_ROWS = 50
_DECIMAL_FIELDS = frozenset(
    {"amount", "scra", "off_balance", "sme_total_owed", "property_value", "prior_liens", "cet1_ratio",
     "leverage_ratio", "issuer_risk_weight", "guarantee_amount", "collateral_amount"}
)  # fmt: skip
_INTEGER_FIELDS = frozenset({"cqs", "sovereign_cqs", "ccf_bucket", "guarantor_cqs", "guarantor_sovereign_cqs"})
_BOOLEAN_FIELDS = frozenset(
    {"defaulted", "domestic_currency", "short_term", "currency_mismatch", "ipre", "eligible", "residential_relief",
     "higher_risk", "sme_supporting_factor", "guarantor_domestic_currency", "guarantor_short_term"}
)  # fmt: skip
_CODE_FIELDS = frozenset(
    {"class", "treat_as", "specialised_lending", "retail_type", "property_type", "counterparty", "item_type",
     "guarantor_class", "guarantor_specialised_lending"}
)  # fmt: skip
_GUARANTOR = ("class", "cqs", "domestic_currency", "scra_grade", "short_term", "cet1_ratio", "leverage_ratio",
              "sovereign_cqs", "specialised_lending")  # fmt: skip
IMPORT_FIELDS: tuple[str, ...] = tuple(
    sorted(
        (set(EXPOSURE_FIELDS) - {"guarantee", "collateral"})
        | {"guarantee_amount", "collateral_amount", "collateral_currency"}
        | {f"guarantor_{name}" for name in _GUARANTOR}
    )
)
_DECIMAL_FIELDS = _DECIMAL_FIELDS | {"guarantor_cet1_ratio", "guarantor_leverage_ratio"}
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("identifiant", "reference", "ref", "contrat", "numero", "loan id", "exposure id", "id exposition"),
    "class": ("classe", "exposure class", "classe d'exposition", "categorie", "asset class", "type exposition"),
    "amount": ("encours", "exposure", "ead", "montant", "outstanding", "balance", "encours brut", "gross amount",
               "exposition", "solde"),
    "scra": ("provisions", "provision", "specific credit risk adjustments", "depreciation", "ajustements"),
    "currency": ("devise", "ccy", "monnaie"),
    "off_balance": ("hors bilan", "off balance sheet", "engagement hors bilan", "nominal hors bilan", "undrawn"),
    "ccf_bucket": ("ccf", "categorie ccf", "bucket ccf", "ccf category"),
    "defaulted": ("defaut", "default", "in default", "en defaut"),
    "cqs": ("notation", "echelon", "credit quality step", "rating step", "echelon de qualite"),
    "property_value": ("valeur du bien", "valeur bien", "valeur immobiliere", "collateral value", "valeur"),
    "property_type": ("type de bien", "type bien"),
    "counterparty": ("contrepartie", "type contrepartie"),
    "scra_grade": ("grade scra", "grade", "scra grade"),
    "retail_type": ("type retail", "type de retail", "retail type"),
    "higher_risk": ("risque eleve", "higher risk", "capital risque"),
    "item_type": ("type element", "type d'element", "item type", "type actif"),
    "sme_total_owed": ("encours total pme", "total owed", "total du pme"),
    "sme_supporting_factor": ("pme", "sme", "facteur pme", "sme factor"),
    "guarantee_amount": ("garantie", "montant garanti", "guaranteed amount"),
    "collateral_amount": ("collateral", "especes nanties", "cash collateral", "depot de garantie"),
}  # fmt: skip
_INJECTION = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TEXT = re.compile(r"^[+-]?\d[\d \u00a0\u202f]*([.,]\d+)?$")
_TRUE = frozenset({"true", "vrai", "oui", "yes", "y", "o", "1", "x"})
_FALSE = frozenset({"false", "faux", "non", "no", "n", "0"})


class ImportRefused(ValueError):
    """The whole file is refused; ``code`` is stable (encoding, not_xlsx, too_large, zip_bomb,
    too_many_rows, merged_header, formula, no_header, duplicate_column), ``message`` says why in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 200_000
    max_bytes: int = 64 * 1024 * 1024
    max_uncompressed: int = 512 * 1024 * 1024
    max_ratio: int = 200
    max_columns: int = 200


class RowError(NamedTuple):
    row: int
    column: str
    value: Any
    rule: str
    message: str


class Anomaly(NamedTuple):
    row: int
    id: str
    column: str
    value: str
    rule: str
    segment: str
    message: str


@dataclass
class ParsedImport:
    """What a file holds: the mapping used, every row as an exposure document, every row error and
    warning. ``exposures`` is complete only when ``errors`` is empty (commit all or nothing)."""

    mapping: dict[str, str]
    unmapped: list[str]
    total_rows: int
    documents: list[dict[str, Any]] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[Anomaly] = field(default_factory=list)

    def preview(self, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
        """The first rows, every error and warning, as JSON-ready data."""
        return {
            "mapping": self.mapping,
            "unmapped": self.unmapped,
            "total_rows": self.total_rows,
            "rows": self.documents[:rows],
            "errors": [e._asdict() for e in self.errors],
            "warnings": [w._asdict() for w in self.warnings],
        }


# --- headers and mapping ------------------------------------------------------------------------


def normalize_header(text: str) -> str:
    """``"  Encours brut (€)"`` → ``"encoursbrut"``: accents, case, spaces and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in plain.casefold() if c.isalnum())


_LOOKUP: dict[str, str] = {}
for _field in IMPORT_FIELDS:
    _LOOKUP[normalize_header(_field)] = _field
for _field, _words in _SYNONYMS.items():
    for _word in _words:
        _LOOKUP.setdefault(normalize_header(_word), _field)


def map_columns(headers: list[str], saved: Mapping[str, str] | None = None) -> tuple[dict[int, str], list[str]]:
    """Column index → field, and the headers left unmapped. ``saved`` (header → field, as stored per
    organization and template) wins over synonyms; two columns for one field are refused."""
    chosen: dict[int, str] = {}
    unmapped: list[str] = []
    saved_lookup = {normalize_header(k): v for k, v in (saved or {}).items()}
    used: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = normalize_header(header)
        target = saved_lookup.get(key) or _LOOKUP.get(key)
        if target is None or target not in IMPORT_FIELDS:
            if header.strip():
                unmapped.append(header)
            continue
        if target in used:
            raise ImportRefused("duplicate_column", f"columns {used[target]!r} and {header!r} both map to {target}")
        used[target] = header
        chosen[index] = target
    return chosen, unmapped


# --- readers ------------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _check_cell(value: Any, row: int, column: int) -> None:
    if isinstance(value, str) and value[:1] in _INJECTION and not _NUMBER_TEXT.match(value.strip()):
        raise ImportRefused(
            "formula",
            f"cell {_column_letter(column)}{row}: text starting with {value[:1]!r} is refused (formula injection); "
            "enter plain values",
        )


def _csv_rows(data: bytes, limits: ImportLimits) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            "encoding",
            f"the CSV file is not UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start} is invalid); "
            "save it as « CSV UTF-8 »",
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _check_zip(data: bytes, limits: ImportLimits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile:
        raise ImportRefused("not_xlsx", "the file is not an XLSX workbook (not a zip archive)") from None
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_ratio and member.file_size > 1024 * 1024:
            raise ImportRefused("zip_bomb", f"member {member.filename} inflates {ratio:.0f}× (zip bomb?); refused")
    if total > limits.max_uncompressed:
        raise ImportRefused(
            "zip_bomb", f"the workbook would inflate to {total} bytes (limit {limits.max_uncompressed})"
        )
    if "xl/workbook.xml" not in archive.namelist():
        raise ImportRefused("not_xlsx", "the file is not an XLSX workbook (no xl/workbook.xml)")
    return archive


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')


def _scan_sheet(archive: zipfile.ZipFile, member: str, limits: ImportLimits) -> None:
    """Merged cells touching the header row, and the declared size, read from the raw sheet XML."""
    with archive.open(member) as stream:
        head = stream.read(4096)
        dimension = _DIMENSION.search(head)
        if dimension and dimension.group(1) and int(dimension.group(1)) - 1 > limits.max_rows:
            raise ImportRefused(
                "too_many_rows", f"the sheet has {int(dimension.group(1)) - 1} rows (limit {limits.max_rows})"
            )
        tail = b""
        chunk = head
        while chunk:
            window = tail + chunk
            for match in _MERGE.finditer(window):
                first, last = int(match.group(2)), int(match.group(4) or match.group(2))
                if first <= 1 <= last:
                    ref = match.group(0).split(b'"')[1].decode()
                    raise ImportRefused("merged_header", f"merged header cells {ref}: give each column its own header")
            tail = window[-200:]
            chunk = stream.read(1 << 20)


def _first_sheet(archive: zipfile.ZipFile) -> str:
    names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not names:
        raise ImportRefused("not_xlsx", "the workbook has no worksheet")
    return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else names[0]


def _xlsx_rows(data: bytes, limits: ImportLimits) -> Iterator[list[Any]]:
    archive = _check_zip(data, limits)
    _scan_sheet(archive, _first_sheet(archive), limits)
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _rows(data: bytes, kind: str, limits: ImportLimits) -> Iterator[list[Any]]:
    if len(data) > limits.max_bytes:
        raise ImportRefused("too_large", f"the file has {len(data)} bytes (limit {limits.max_bytes})")
    if kind == "csv":
        return _csv_rows(data, limits)
    if kind == "xlsx":
        return _xlsx_rows(data, limits)
    raise ImportRefused("format", f"unknown format {kind!r}: xlsx or csv")


# --- conversion ---------------------------------------------------------------------------------


def _convert(name: str, value: Any) -> Any:
    """A cell as the JSON value the validator reads (bad values pass through for it to report)."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if name in _DECIMAL_FIELDS:
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and _NUMBER_TEXT.match(value):
            text = value.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").lstrip("+")
            return text.replace(",", ".")
        return value
    if name in _INTEGER_FIELDS:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return value
    if name in _BOOLEAN_FIELDS:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            key = normalize_header(value)
            return True if key in _TRUE else False if key in _FALSE else value
        return value
    if name in _CODE_FIELDS and isinstance(value, str):
        return "_".join(unicodedata.normalize("NFKD", value).casefold().split())
    if name == "scra_grade" or name == "guarantor_scra_grade":
        return value.upper() if isinstance(value, str) else value
    if name in ("currency", "collateral_currency") and isinstance(value, str):
        return value.upper()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and name == "id":
        return str(value)
    return value


def _document(mapped: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    guarantor: dict[str, Any] = {}
    guarantee: dict[str, Any] = {}
    collateral: dict[str, Any] = {}
    for name, raw in mapped:
        value = _convert(name, raw)
        if value is None:
            continue
        if name.startswith("guarantor_"):
            guarantor[name.removeprefix("guarantor_")] = value
        elif name == "guarantee_amount":
            guarantee["amount"] = value
        elif name.startswith("collateral_"):
            collateral[name.removeprefix("collateral_")] = value
        else:
            doc[name] = value
    if guarantee or guarantor:
        doc["guarantee"] = {**guarantee, **({"guarantor": guarantor} if guarantor else {})}
    if collateral:
        doc["collateral"] = collateral
    return doc


def _column_of(path: str) -> str:
    """Validator path → import field: ``guarantee.guarantor.cqs`` → ``guarantor_cqs``."""
    if path.startswith("guarantee.guarantor."):
        return "guarantor_" + path.removeprefix("guarantee.guarantor.")
    if path.startswith("guarantee."):
        return "guarantee_" + path.removeprefix("guarantee.")
    if path.startswith("collateral."):
        return "collateral_" + path.removeprefix("collateral.")
    return path


def parse_import(
    data: bytes, kind: str, saved_mapping: Mapping[str, str] | None = None, limits: ImportLimits | None = None
) -> ParsedImport:
    """Read, map, convert and validate a whole file (``ImportRefused`` for a hostile or unreadable one)."""
    limits = limits or ImportLimits()
    rows = _rows(data, kind, limits)
    header_row = next(rows, None)
    if header_row is None or not any(h not in (None, "") for h in header_row):
        raise ImportRefused("no_header", "the first row must hold the column headers")
    if len(header_row) > limits.max_columns:
        raise ImportRefused("too_large", f"{len(header_row)} columns (limit {limits.max_columns})")
    headers = ["" if h is None else str(h) for h in header_row]
    for index, header in enumerate(headers):
        _check_cell(header, 1, index)
    columns, unmapped = map_columns(headers, saved_mapping)
    titles = {field_: headers[index] for index, field_ in columns.items()}
    parsed = ParsedImport({headers[i]: f for i, f in columns.items()}, unmapped, 0)
    seen: dict[str, int] = {}
    items = sorted(columns.items())
    for number, row in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in row):
            continue
        if number - 1 > limits.max_rows:
            raise ImportRefused("too_many_rows", f"more than {limits.max_rows} rows")
        for index, value in enumerate(row):
            _check_cell(value, number, index)
        parsed.total_rows += 1
        document = _document((name, row[index] if index < len(row) else None) for index, name in items)
        parsed.documents.append(document)
        exposure, errors = validate_exposure(document)
        for error in errors:
            column = _column_of(error.path)
            parsed.errors.append(RowError(number, titles.get(column, column), _cell(error, document), error.rule,
                                          error.problem))  # fmt: skip
        if exposure is not None:
            if exposure.id in seen:
                parsed.errors.append(
                    RowError(number, titles.get("id", "id"), exposure.id, "unique",
                             f"duplicate id (first on row {seen[exposure.id]})")
                )  # fmt: skip
            else:
                seen[exposure.id] = number
            parsed.exposures.append(exposure)
    parsed.warnings = anomalies(parsed.documents, parsed.exposures, titles) if not parsed.errors else []
    return parsed


def _cell(error: InputError, document: Mapping[str, Any]) -> Any:
    value = error.value
    return value if value is None or isinstance(value, str | int | bool) else str(value)


# --- anomalies ----------------------------------------------------------------------------------


def quantile(ordered: list[Decimal], p: Decimal) -> Decimal:
    """Type-7 quantile (linear interpolation at position (n − 1)·p of the sorted data), exact."""
    position = (len(ordered) - 1) * p
    low = int(position)
    fraction = position - low
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * fraction


def _segment_flags(values: list[Decimal]) -> tuple[dict[int, str], dict[int, str]]:
    """Index → message of the z-score flags (n ≥ 12) and of the Tukey flags."""
    z_flags: dict[int, str] = {}
    tukey: dict[int, str] = {}
    n = len(values)
    with localcontext(EXACT) as ctx:
        if n >= 12:
            mean = sum(values, Decimal(0)) / n
            variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / (n - 1)
            std = variance.sqrt(ctx)
            if std:
                for i, v in enumerate(values):
                    z = (v - mean) / std
                    if abs(z) > 3:
                        z_flags[i] = f"z-score {z.quantize(Decimal('0.0001'))} (sample std, ddof 1, n = {n}) beyond ±3"
        if n >= 4:
            ordered = sorted(values)
            q1, q3 = quantile(ordered, Decimal("0.25")), quantile(ordered, Decimal("0.75"))
            iqr = q3 - q1
            low, high = q1 - Decimal("1.5") * iqr, q3 + Decimal("1.5") * iqr
            for i, v in enumerate(values):
                if v < low or v > high:
                    tukey[i] = f"outside Tukey fences {low.normalize():f} / {high.normalize():f} (1.5 × IQR, type 7)"
    return z_flags, tukey


def anomalies(
    documents: list[dict[str, Any]], exposures: list[Exposure], titles: Mapping[str, str] | None = None
) -> list[Anomaly]:
    """Warnings over valid exposures (``documents`` and ``exposures`` aligned, sheet rows from 2)."""
    titles = titles or {}
    amount_column = titles.get("amount", "amount")
    segments: dict[tuple[str, str], list[int]] = {}
    out: list[Anomaly] = []
    threshold, etv_limit = Decimal(1_000_000), Decimal("1.5")
    for index, e in enumerate(exposures):
        segments.setdefault((e.cls, e.currency), []).append(index)
        row = index + 2
        if e.cls == "retail" and e.currency == "EUR" and e.amount > threshold:
            out.append(Anomaly(row, e.id, amount_column, format(e.amount, "f"), "retail_above_1m",
                               f"retail × {e.currency}",
                               "retail exposure above EUR 1 000 000 (regulatory retail limit, Art. 123)"))  # fmt: skip
        if e.cls == "real_estate" and e.property_value and e.amount > etv_limit * e.property_value:
            with localcontext(EXACT):
                etv = (e.amount / e.property_value * 100).quantize(Decimal("0.01"))
            out.append(Anomaly(row, e.id, amount_column, format(e.amount, "f"), "etv_above_150",
                               f"real_estate × {e.currency}", f"exposure-to-value {etv} % above 150 %"))  # fmt: skip
    for (cls, currency), members in sorted(segments.items()):
        values = [exposures[i].amount for i in members]
        z_flags, tukey = _segment_flags(values)
        for flags, rule in ((z_flags, "zscore"), (tukey, "tukey")):
            for position, message in sorted(flags.items()):
                e = exposures[members[position]]
                out.append(Anomaly(members[position] + 2, e.id, amount_column, format(e.amount, "f"), rule,
                                   f"{cls} × {currency}", message))  # fmt: skip
    out.sort(key=lambda a: (a.row, a.rule))
    return out


# --- error report -------------------------------------------------------------------------------

_REPORT = {
    "fr": ("Erreurs", "Avertissements", ("Ligne", "Colonne", "Valeur", "Règle", "Message"),
           ("Ligne", "Identifiant", "Colonne", "Valeur", "Règle", "Segment", "Message")),
    "en": ("Errors", "Warnings", ("Row", "Column", "Value", "Rule", "Message"),
           ("Row", "Id", "Column", "Value", "Rule", "Segment", "Message")),
}  # fmt: skip


def error_report_xlsx(errors: list[RowError], warnings: list[Anomaly], lang: str = "fr") -> bytes:
    """The row errors and warnings as an XLSX workbook (text cells are written as text, never formulas)."""
    from openpyxl import Workbook

    error_title, warning_title, error_head, warning_head = _REPORT.get(lang, _REPORT["fr"])
    workbook = Workbook(write_only=True)
    for title, head, rows in ((error_title, error_head, errors), (warning_title, warning_head, warnings)):
        sheet = workbook.create_sheet(title)
        sheet.append(list(head))
        for item in rows:
            sheet.append([_safe(v) for v in item])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe(value: Any) -> Any:
    """A value for a report cell: text that would start a formula is quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in _INJECTION:
        return "'" + value
    if value is None or isinstance(value, int | str):
        return value
    try:
        return str(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
