"""Exposures imported from an XLSX or CSV file: read safely, columns mapped to exposure fields, every
row checked by the engine's own exposure validator, anomalies flagged as warnings.

Pure: bytes in, a :class:`Parsed` out (no database, no HTTP). What a hostile file gets:

* over ``MAX_FILE_BYTES`` → 413; an XLSX whose parts would inflate past ``MAX_UNPACKED_BYTES`` or
  ``MAX_RATIO`` times their packed size (a zip bomb) → 422 ``zip_bomb`` before anything is inflated;
* more than ``MAX_ROWS`` data rows → 422 ``too_many_rows`` (a declared 1 000 000-row sheet is refused
  from its dimension, without reading it);
* a CSV that is not UTF-8 → 422 ``encoding``; an empty or merged header cell → 422 ``header``;
* a cell holding a formula (XLSX) or text starting like one (``=``, ``+``, ``@``, a tab…) → a row
  error ``formula``: its text is never evaluated, stored or echoed as a formula.

Headers match exposure fields case-, accent- and space-insensitively, through synonyms
(``Encours`` → ``amount``), a saved mapping of the template, then the request's explicit mapping.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from shared.platform.errors import PayloadTooLarge, Unprocessable, field_error
from shared.prudential.models import EXPOSURE_FIELDS, Shapes, validate_exposure
from shared.prudential.texts import pick
from shared.prudential.texts import problem as _problem

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_RATIO = 150
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
PREVIEW_ROWS = 50

_GUARANTOR_FIELDS = ("class", "cqs", "domestic_currency", "scra_grade", "short_term", "cet1_ratio", "leverage_ratio",
                     "sovereign_cqs", "specialised_lending")  # fmt: skip
_NESTED = ("guarantee.amount", *(f"guarantee.guarantor.{name}" for name in _GUARANTOR_FIELDS), "collateral.amount",
           "collateral.currency")  # fmt: skip
TARGETS: tuple[str, ...] = tuple(f for f in EXPOSURE_FIELDS if f not in ("guarantee", "collateral")) + _NESTED
_FLAGS = frozenset({"short_term", "defaulted", "domestic_currency", "currency_mismatch", "ipre", "eligible",
                    "guarantee.guarantor.domestic_currency", "guarantee.guarantor.short_term",
                    "higher_risk", "residential_relief", "sme_supporting_factor"})  # fmt: skip
_INTEGERS = frozenset(
    {"cqs", "sovereign_cqs", "ccf_bucket", "guarantee.guarantor.cqs", "guarantee.guarantor.sovereign_cqs"}
)
_CODES = frozenset(
    {
        "class",
        "treat_as",
        "specialised_lending",
        "retail_type",
        "property_type",
        "counterparty",
        "item_type",
        "guarantee.guarantor.class",
        "guarantee.guarantor.specialised_lending",
    }
)
_UPPER = frozenset({"scra_grade", "guarantee.guarantor.scra_grade", "currency", "collateral.currency"})
_TRUE = frozenset({"true", "vrai", "oui", "yes", "o", "y", "1", "x"})
_FALSE = frozenset({"false", "faux", "non", "no", "n", "0"})
_SYNONYMS = {
    "id": "id", "identifiant": "id", "reference": "id", "ref": "id", "exposure_id": "id", "numero": "id",
    "class": "class", "classe": "class", "categorie": "class", "exposure_class": "class", "segment": "class",
    "amount": "amount", "encours": "amount", "montant": "amount", "exposition": "amount", "solde": "amount",
    "encours_brut": "amount", "balance": "amount", "outstanding": "amount",
    "scra": "scra", "provision": "scra", "provisions": "scra", "depreciation": "scra", "ajustement": "scra",
    "currency": "currency", "devise": "currency", "monnaie": "currency", "ccy": "currency",
    "off_balance": "off_balance", "hors_bilan": "off_balance", "engagement_hors_bilan": "off_balance",
    "ccf_bucket": "ccf_bucket", "ccf": "ccf_bucket", "categorie_ccf": "ccf_bucket",
    "cqs": "cqs", "echelon": "cqs", "echelon_de_qualite": "cqs", "notation": "cqs", "rating": "cqs",
    "defaulted": "defaulted", "defaut": "defaulted", "en_defaut": "defaulted", "default": "defaulted",
    "property_value": "property_value", "valeur_du_bien": "property_value", "valeur_bien": "property_value",
    "property_type": "property_type", "type_de_bien": "property_type",
    "counterparty": "counterparty", "contrepartie": "counterparty",
    "garantie": "guarantee.amount", "montant_garanti": "guarantee.amount", "guarantee_amount": "guarantee.amount",
    "garant": "guarantee.guarantor.class", "guarantor_class": "guarantee.guarantor.class",
    "guarantor_cqs": "guarantee.guarantor.cqs", "echelon_garant": "guarantee.guarantor.cqs",
    "collateral_amount": "collateral.amount", "collateral": "collateral.amount", "especes": "collateral.amount",
    "collateral_currency": "collateral.currency",
    "pme": "sme_supporting_factor", "sme": "sme_supporting_factor",
    "sme_total_owed": "sme_total_owed", "encours_total_pme": "sme_total_owed",
}  # fmt: skip
_FORMULA_START = ("=", "+", "@", "\t", "\r")
_NUMBER_TEXT = re.compile(r"^-?\d+(?:\.\d+)?$")
_FORMULA_TEXT = "a formula or text starting like one is not accepted"


def normalise(header: str) -> str:
    """``"Échelon de qualité "`` → ``"echelon_de_qualite"``: lowercase, no accents, one ``_`` per gap."""
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return "_".join(re.findall(r"[a-z0-9]+", text))


# More headers banks use (French and English), each normalised like any header.
_MORE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("loan id", "exposure id", "id exposition", "contrat"),
    "class": ("classe d'exposition", "asset class", "type exposition"),
    "amount": ("ead", "gross amount", "exposure"),
    "scra": ("specific credit risk adjustments", "ajustements"),
    "off_balance": ("off balance sheet", "nominal hors bilan", "undrawn"),
    "ccf_bucket": ("bucket ccf", "ccf category"),
    "defaulted": ("in default",),
    "cqs": ("credit quality step", "rating step"),
    "property_value": ("valeur immobiliere", "collateral value"),
    "counterparty": ("type contrepartie",),
    "scra_grade": ("grade scra", "grade"),
    "retail_type": ("type retail", "type de retail"),
    "higher_risk": ("risque eleve", "capital risque"),
    "item_type": ("type element", "type d'element", "type actif"),
    "sme_total_owed": ("total owed", "total du pme"),
    "sme_supporting_factor": ("facteur pme", "sme factor"),
    "treat_as": ("traite comme", "traitement"),
    "domestic_currency": ("monnaie nationale", "devise domestique"),
    "currency_mismatch": ("asymetrie de devises", "decalage de devises"),
    "short_term": ("court terme",),
    "specialised_lending": ("financement specialise",),
    "residential_relief": ("allegement residentiel",),
    "prior_liens": ("suretes de rang superieur", "privileges anterieurs"),
    "eligible": ("eligible",),
    "guarantee.amount": ("guaranteed amount",),
    "guarantee.guarantor.class": ("classe du garant", "type de garant"),
    "collateral.amount": ("especes nanties", "cash collateral", "depot de garantie"),
    "collateral.currency": ("devise du collateral", "devise des especes"),
}  # fmt: skip
for _target, _words in _MORE_SYNONYMS.items():
    for _word in _words:
        _SYNONYMS.setdefault(normalise(_word), _target)
for _name in _GUARANTOR_FIELDS:
    _SYNONYMS.setdefault(f"guarantor_{_name}", f"guarantee.guarantor.{_name}")


@dataclass(frozen=True)
class Table:
    """The header row and the data rows of the file's first sheet (values as read, rows numbered as
    the file numbers them: the header is row 1)."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]


@dataclass
class Parsed:
    file_name: str
    headers: list[str]
    mapping: dict[str, str]  # source header → target field
    unmapped: list[str]
    exposures: list[dict[str, Any]]
    rows: list[int] = field(default_factory=list)  # the file row of each valid exposure
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def preview(self) -> list[dict[str, Any]]:
        return self.exposures[:PREVIEW_ROWS]


def _refuse(code: str, message: str, *, rule: str | None = None) -> Unprocessable:
    return Unprocessable(
        f"The file cannot be imported: {message}", code=code, errors=[field_error("file", rule or code, message)]
    )


# --- reading ----------------------------------------------------------------------------------------


def read_table(data: bytes, file_name: str) -> Table:
    """The first sheet of an XLSX file or a CSV (``;`` or ``,`` separated, UTF-8) as a :class:`Table`."""
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"The file exceeds {MAX_FILE_BYTES} bytes")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if file_name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise _refuse("format", "the file is not a valid XLSX workbook")
    return _read_csv(data)


def _check_zip(data: bytes) -> zipfile.ZipFile:
    """The archive, once every part has been checked from the zip directory, before any is inflated:
    each part at most ``MAX_PART_BYTES`` unpacked and (above 1 MiB) at most ``MAX_RATIO`` times its
    packed size, all parts together at most ``MAX_UNPACKED_BYTES``. ``zipfile`` never inflates a part
    past the size its directory entry declares, so the declared sizes bound what is read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _refuse("format", "the file is not a valid XLSX workbook") from exc
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MAX_PART_BYTES or (part.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise _refuse(
                "zip_bomb",
                f"the workbook part {part.filename} would inflate from {part.compress_size} to {part.file_size} "
                f"bytes ({ratio:.0f}×; limits {MAX_RATIO}× and {MAX_PART_BYTES} bytes per part): a zip bomb?",
            )
    if total > MAX_UNPACKED_BYTES:
        raise _refuse(
            "zip_bomb", f"the workbook would inflate to {total} bytes (limit {MAX_UNPACKED_BYTES}): a zip bomb?"
        )
    return archive


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _parser() -> Any:
    """An expat parser that refuses any DOCTYPE (no entity of any kind: OOXML parts never declare one)."""
    from xml.parsers import expat

    def no_doctype(*_args: object) -> None:
        raise _refuse("format", "the workbook declares a DOCTYPE (entities are not accepted)")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


def _elements(archive: zipfile.ZipFile, part: str) -> list[tuple[str, dict[str, str]]]:
    """(local name, attributes) of every element of a small part, in document order."""
    from xml.parsers import expat

    found: list[tuple[str, dict[str, str]]] = []
    parser = _parser()
    parser.StartElementHandler = lambda name, attrs: found.append((name.rsplit(":", 1)[-1], attrs))
    try:
        parser.Parse(archive.read(part), True)
    except (KeyError, expat.ExpatError) as exc:
        raise _refuse("format", "the file is not a valid XLSX workbook") from exc
    return found


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The part of the workbook's first sheet (``xl/worksheets/sheet1.xml`` usually), from the workbook
    and its relationships, as Excel orders them."""
    sheets = [attrs for name, attrs in _elements(archive, "xl/workbook.xml") if name == "sheet"]
    if not sheets:
        raise _refuse("format", "the workbook has no sheet")
    rel_id = next((v for k, v in sheets[0].items() if k.endswith(":id") or k == "r:id"), None)
    for name, attrs in _elements(archive, "xl/_rels/workbook.xml.rels"):
        if name == "Relationship" and attrs.get("Id") == rel_id:
            target = attrs.get("Target", "").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    raise _refuse("format", "the workbook's first sheet is missing")


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The shared strings table: each item's text runs joined (phonetic runs left out)."""

    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    state = {"text": 0, "phonetic": 0}
    parts: list[str] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            parts.clear()
        elif local == "rPh":
            state["phonetic"] += 1
        elif local == "t" and not state["phonetic"]:
            state["text"] = 1

    def end(name: str) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            strings.append("".join(parts))
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "t":
            state["text"] = 0

    def chars(text: str) -> None:
        if state["text"]:
            parts.append(text)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    with archive.open("xl/sharedStrings.xml") as handle:
        parser.ParseFile(handle)
    return strings


def _xlsx_rows(
    archive: zipfile.ZipFile, path: str, strings: list[str], merges: list[str]
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) of every row of a sheet part, streamed with expat: numbers as ``Decimal``,
    booleans, text (shared or inline); a cell holding a formula yields its formula text as ``=…``.
    The ranges of merged cells (``A1:B1``, after the rows in the part) are appended to ``merges``."""

    rows: list[tuple[int, list[Any]]] = []
    current: dict[int, Any] = {}
    cell: dict[str, Any] = {}
    position = [0]  # the current row number
    state = {"in": ""}
    buffer: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "row":
            position[0] = int(attrs.get("r", position[0] + 1))
            current.clear()
        elif local == "c":
            ref = _CELL_REF.match(attrs.get("r", ""))
            column = _column_index(ref.group(1)) if ref else len(current)
            cell.clear()
            cell.update(column=column, type=attrs.get("t", "n"), value=None, formula=None)
        elif local in ("v", "f", "t"):
            state["in"] = local
            buffer.clear()
        elif local == "mergeCell":
            merges.append(attrs.get("ref", ""))

    def end(name: str) -> None:
        local = name.rsplit(":", 1)[-1]
        if local in ("v", "f", "t") and state["in"] == local:
            text = "".join(buffer)
            if local == "f":
                cell["formula"] = "=" + text
            elif local == "t":
                cell["value"] = (cell["value"] or "") + text
            else:
                cell["value"] = text
            state["in"] = ""
        elif local == "c":
            current[cell["column"]] = _xlsx_value(cell, strings)
        elif local == "row":
            width = max(current) + 1 if current else 0
            rows.append((position[0], [current.get(i) for i in range(width)]))

    def chars(text: str) -> None:
        if state["in"]:
            buffer.append(text)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    with archive.open(path) as handle:
        while chunk := handle.read(1 << 16):
            parser.Parse(chunk, False)
            yield from rows
            rows.clear()
        parser.Parse(b"", True)
    yield from rows


def _xlsx_value(cell: Mapping[str, Any], strings: list[str]) -> Any:
    if cell["formula"] is not None:
        return cell["formula"]
    value, kind = cell["value"], cell["type"]
    if value is None or value == "":
        return None
    if kind == "s":
        index = int(value)
        return strings[index] if 0 <= index < len(strings) else None
    if kind in ("inlineStr", "str"):
        return value
    if kind == "b":
        return value == "1"
    if kind == "e":
        return f"#ERROR {value}"
    return exact_number(value)


def exact_number(text: str) -> Decimal | str:
    """A numeric cell's text as the decimal the user typed and Excel shows. Excel keeps a number as a
    binary double and shows (and computes with) 15 significant digits, but may write the double with
    17 (``1234.5599999999999`` for 1234.56, ``0.30000000000000004`` for a computed 0.3). Beyond 15
    significant digits the text is rounded to 15 (half-even, as Excel) and trailing zeros dropped;
    a value with 15 significant digits or fewer is taken exactly as written. Never via ``float``."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    digits = number.as_tuple().digits
    if len(digits) > 15 and len("".join(map(str, digits)).strip("0")) > 15:
        with localcontext() as ctx:
            ctx.prec = 15
            number = (+number).normalize()
        return Decimal(format(number, "f"))
    return Decimal(format(number, "f")) if "e" in text or "E" in text else number


def _read_xlsx(data: bytes) -> Table:
    """The first sheet, streamed (openpyxl would need several times as long for 100 000 rows)."""
    from xml.parsers import expat

    archive = _check_zip(data)
    path = _first_sheet_path(archive)
    if path not in archive.namelist():
        raise _refuse("format", "the workbook's first sheet is missing")
    with archive.open(path) as handle:
        declared = _DIMENSION.search(handle.read(4096))
    if declared and declared.group(1) and int(declared.group(1)) - 1 > MAX_ROWS:
        rows = int(declared.group(1)) - 1
        raise _refuse("too_many_rows", f"the sheet has {rows} rows; at most {MAX_ROWS} are imported")
    merges: list[str] = []
    try:
        strings = _shared_strings(archive)
        stream = _xlsx_rows(archive, path, strings, merges)
        first = next(stream, None)
        if first is None or first[0] != 1:
            raise _refuse("header", "the first row must hold the column headers")
        raw = list(first[1])
        while raw and (raw[-1] is None or not str(raw[-1]).strip()):
            raw.pop()
        width = max(len(raw), 1)
        body: list[tuple[int, list[Any]]] = []
        for number, values in stream:
            cells = values[:width]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                continue
            if len(body) >= MAX_ROWS:
                raise _refuse("too_many_rows", f"the sheet has more than {MAX_ROWS} rows")
            body.append((number, cells + [None] * (width - len(cells))))
    except expat.ExpatError as exc:
        raise _refuse("format", "the workbook's sheet is not well-formed XML") from exc
    merged = [ref for ref in merges if _touches_header(ref)]
    if merged:
        raise _refuse(
            "header",
            f"merged header cells {', '.join(merged)}: unmerge them and give each column its own header",
            rule="merged_header",
        )
    headers = _headers(raw)
    return Table(headers, [(n, cells[: len(headers)]) for n, cells in body])


def _touches_header(ref: str) -> bool:
    """Whether a merged range (``A1:B1``, ``A1:A2``) covers a cell of row 1."""
    found = re.fullmatch(r"[A-Z]+(\d+)(?::[A-Z]+(\d+))?", ref)
    if found is None:
        return False
    first = int(found.group(1))
    return first <= 1 <= int(found.group(2) or first)


def _read_csv(data: bytes) -> Table:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse("encoding", "the file is UTF-16 text, not UTF-8: save it as « CSV UTF-8 » or as XLSX")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        guess = " (it looks like Windows-1252 / Latin-1)" if 0x80 <= byte <= 0xFF else ""
        raise _refuse(
            "encoding",
            f"the file is not UTF-8 text: byte 0x{byte:02x} on line {line} cannot be read{guess}; "
            "save it as « CSV UTF-8 » or as XLSX",
        ) from exc
    if "\x00" in text:
        raise _refuse("encoding", "the file holds NUL characters: it is not a CSV text file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = _headers(next(reader, []))
        body: list[tuple[int, list[Any]]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(body) >= MAX_ROWS:
                raise _refuse("too_many_rows", f"the file has more than {MAX_ROWS} rows")
            cells: list[Any] = [v if v.strip() else None for v in values[: len(headers)]]
            body.append((reader.line_num, cells + [None] * (len(headers) - len(cells))))
    except csv.Error as exc:
        raise _refuse("format", f"the CSV cannot be read: {exc}") from exc
    return Table(headers, body)


def _headers(raw: Sequence[Any]) -> list[str]:
    cells = list(raw)
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    if not cells:
        raise _refuse("header", "the first row must hold the column headers")
    if len(cells) > MAX_COLUMNS:
        raise _refuse("header", f"at most {MAX_COLUMNS} columns")
    headers = []
    for index, cell in enumerate(cells, start=1):
        text = "" if cell is None else str(cell).strip()
        if not text:
            raise _refuse("header", f"header cell {index} is empty (merged header cells are not supported)")
        if text.startswith(_FORMULA_START):
            raise _refuse("header", f"header cell {index} holds a formula")
        headers.append(text)
    seen = [normalise(h) for h in headers]
    if len(set(seen)) != len(seen):
        raise _refuse("header", "two columns have the same header")
    return headers


# --- mapping ----------------------------------------------------------------------------------------


def map_columns(
    headers: Sequence[str], saved: Mapping[str, str] | None = None, explicit: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Each header's target field (synonyms, then the saved mapping, then the explicit one; keys compared
    normalised) and the headers left unmapped. 422 naming the mapping when a target is unknown, two
    columns map to one field, or ``id``/``class`` have no column."""
    chosen: dict[str, str] = {}
    overrides = {normalise(k): v for k, v in {**(saved or {}), **(explicit or {})}.items()}
    problems = [
        field_error(f"mapping.{k}", "unknown_field", f"{v!r} is not an exposure field")
        for k, v in overrides.items()
        if v not in TARGETS
    ]
    if problems:
        raise Unprocessable("Invalid column mapping", errors=problems)
    for header in headers:
        key = normalise(header)
        target = overrides.get(key) or _SYNONYMS.get(key) or (key if key in TARGETS else None)
        if target is not None:
            chosen[header] = target
    by_target: dict[str, list[str]] = {}
    for header, target in chosen.items():
        by_target.setdefault(target, []).append(header)
    problems = [
        field_error("mapping", "duplicate", f"columns {', '.join(repr(h) for h in hs)} all map to {t!r}")
        for t, hs in by_target.items()
        if len(hs) > 1
    ]
    problems += [
        field_error("mapping", "required", f"no column maps to {t!r}") for t in ("id", "class") if t not in by_target
    ]
    if problems:
        raise Unprocessable("Invalid column mapping", errors=problems)
    return chosen, [h for h in headers if h not in chosen]


# --- rows -------------------------------------------------------------------------------------------


def _cell(target: str, value: Any) -> Any:
    """A cell's value as the validator expects it: exact decimals, integers, flags, trimmed text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal) and value == value.to_integral_value() and target in _INTEGERS:
        return int(value)
    if isinstance(value, int | Decimal):
        return value if target not in _FLAGS else value == 1
    text = str(value).strip()
    if target in _CODES:
        return "_".join(unicodedata.normalize("NFKD", text).casefold().split())
    if target in _UPPER:
        return text.upper()
    if target in _FLAGS and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if target in _INTEGERS and text.isdigit():
        return int(text)
    compact = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if "," in compact and "." not in compact:
        compact = compact.replace(",", ".")
    if _NUMBER_TEXT.match(compact):
        return compact
    return text


def _in_language(exc: Unprocessable, lang: str) -> Unprocessable:
    """A refusal of the whole file with its messages in ``lang`` (codes and fields unchanged)."""
    errors = [{**error, "message": _problem(error["message"], lang)} for error in exc.errors]
    detail = exc.detail
    if errors and exc.detail.startswith("The file cannot be imported: "):
        lead = pick(lang, "Le fichier ne peut pas être importé : ", "The file cannot be imported: ")
        detail = lead + errors[0]["message"]
    elif lang != "en" and exc.detail == "Invalid column mapping":
        detail = "Correspondance des colonnes invalide"
    return Unprocessable(detail, code=exc.code, errors=errors, **exc.extra)


def _looks_like_formula(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.lstrip(" ")
    return text.startswith(_FORMULA_START) or (text.startswith("-") and not _NUMBER_TEXT.match(text.replace(",", ".")))


def _put(exposure: dict[str, Any], target: str, value: Any) -> None:
    node = exposure
    *parents, last = target.split(".")
    for name in parents:
        node = node.setdefault(name, {})
    node[last] = value


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def parse(
    data: bytes,
    file_name: str,
    *,
    saved: Mapping[str, str] | None = None,
    explicit: Mapping[str, str] | None = None,
    lang: str = "fr",
) -> Parsed:
    """Read, map and check every row; errors and warnings name the file's row and column, their
    ``message`` in ``lang`` (French by default; ``rule`` is the stable code)."""
    try:
        table = read_table(data, file_name)
        mapping, unmapped = map_columns(table.headers, saved, explicit)
    except Unprocessable as exc:
        raise _in_language(exc, lang) from None
    column_of = {target: header for header, target in mapping.items()}
    indexes = [(table.headers.index(h), h, t) for h, t in mapping.items()]
    parsed = Parsed(file_name, table.headers, mapping, unmapped, [])
    shapes: Shapes = {}  # rows alike are checked field by field only for their ids and amounts
    for number, values in table.rows:
        exposure: dict[str, Any] = {}
        formulas: set[str] = set()
        for index, header, target in indexes:
            raw = values[index]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if _looks_like_formula(raw):
                formulas.add(target)
                parsed.errors.append({"row": number, "column": header, "value": _shown(raw), "rule": "formula",
                                      "message": _problem(_FORMULA_TEXT, lang)})  # fmt: skip
                continue
            _put(exposure, target, _cell(target, raw))
        _, problems = validate_exposure(exposure, f"[{number}]", shapes)
        for problem in problems:
            where = problem.path.split("].", 1)[1] if "]." in problem.path else problem.path
            target = where.split(".")[0] if where.split(".")[0] not in ("guarantee", "collateral") else where
            target = re.sub(r"\[\d+\]", "", target)
            if target in formulas:  # already reported: the formula is the problem
                continue
            parsed.errors.append({"row": number, "column": column_of.get(target, where), "value": _shown(problem.value),
                                  "rule": problem.rule, "message": _problem(problem.problem, lang)})  # fmt: skip
        if not problems and not formulas:
            parsed.exposures.append(exposure)
            parsed.rows.append(number)
    first_row: dict[str, int] = {}
    for number, exposure in zip(parsed.rows, parsed.exposures, strict=True):
        key = str(exposure["id"])
        if key in first_row:
            message = _problem(f"duplicate id (already on row {first_row[key]})", lang)
            parsed.errors.append({"row": number, "column": column_of["id"], "value": _shown(key), "rule": "unique",
                                  "message": message})  # fmt: skip
        first_row.setdefault(key, number)
    parsed.errors.sort(key=lambda e: (e["row"], str(e["column"])))
    parsed.warnings = anomalies(parsed.exposures, rows=parsed.rows, lang=lang)
    return parsed


# --- anomalies --------------------------------------------------------------------------------------


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _fr(number: str) -> str:
    return number.replace(".", ",")


def _quantile(ordered: Sequence[Decimal], q: Decimal) -> Decimal:
    """Type-7 quantile (linear interpolation between order statistics, as R's default)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_RETAIL_TEXT = (
    "exposition sur la clientèle de détail supérieure à 1 000 000 EUR (plafond de la clientèle de détail, Art. 123)",
    "retail exposure above EUR 1 000 000 (retail limit, Art. 123)",
)
_ETV_TEXT = ("exposition supérieure à 150 % de la valeur du bien", "exposure above 150 % of the property value")


def _warning(number: int, rule: str, message: str) -> dict[str, Any]:
    return {"row": number, "column": "amount", "rule": rule, "message": message}


def _z_text(segment: str, z: Decimal, n: int, lang: str) -> str:
    shown = f"{z:.2f}"
    return pick(
        lang,
        f"{segment} : score z {_fr(shown)} (|z| > 3, écart type d'échantillon, n = {n})",
        f"{segment}: z-score {shown} (|z| > 3, sample standard deviation, n = {n})",
    )


def _tukey_text(segment: str, low: Decimal, high: Decimal, lang: str) -> str:
    return pick(
        lang,
        f"{segment} : hors des barrières de Tukey [{_fr(_plain(low))} ; {_fr(_plain(high))}] (1,5 × IQR)",
        f"{segment}: outside Tukey's fences [{_plain(low)}, {_plain(high)}] (1.5 × IQR)",
    )


def anomalies(exposures: Sequence[Mapping[str, Any]], *, rows: Sequence[int], lang: str = "fr") -> list[dict[str, Any]]:
    """Warnings that never block an import: amounts far from their class × currency segment (z-score
    with the sample standard deviation when the segment has at least 12 exposures, |z| > 3; outside
    Tukey's fences 1.5 × IQR with type-7 quartiles), retail above EUR 1 m, loan-to-value above 150 %.
    Messages in ``lang`` (French by default)."""
    warnings: list[dict[str, Any]] = []
    segments: dict[tuple[str, str], list[tuple[int, Decimal]]] = {}
    with localcontext() as ctx:
        ctx.prec = 40
        for number, exposure in zip(rows, exposures, strict=False):
            try:
                amount = Decimal(str(exposure.get("amount", "0")))
            except InvalidOperation:
                continue
            cls, currency = str(exposure.get("class")), str(exposure.get("currency", "EUR"))
            segments.setdefault((cls, currency), []).append((number, amount))
            if cls == "retail" and amount > 1_000_000:
                warnings.append(_warning(number, "retail_over_1m", pick(lang, *_RETAIL_TEXT)))
            value = exposure.get("property_value")
            worth = Decimal(str(value)) if cls == "real_estate" and value is not None else Decimal(0)
            if worth > 0 and amount > Decimal("1.5") * worth:
                warnings.append(_warning(number, "etv_over_150", pick(lang, *_ETV_TEXT)))
        for (cls, currency), members in segments.items():
            segment = f"{cls}/{currency}"
            amounts = [a for _, a in members]
            n = len(amounts)
            if n >= 12:
                mean = sum(amounts, Decimal(0)) / n
                variance = sum(((a - mean) ** 2 for a in amounts), Decimal(0)) / (n - 1)
                deviation = variance.sqrt()
                if deviation > 0:
                    for number, amount in members:
                        z = (amount - mean) / deviation
                        if abs(z) > 3:
                            warnings.append(_warning(number, "z_score", _z_text(segment, z, n, lang)))
            if n >= 4:
                ordered = sorted(amounts)
                q1, q3 = _quantile(ordered, Decimal("0.25")), _quantile(ordered, Decimal("0.75"))
                spread = q3 - q1
                low, high = q1 - Decimal("1.5") * spread, q3 + Decimal("1.5") * spread
                for number, amount in members:
                    if amount < low or amount > high:
                        warnings.append(_warning(number, "tukey", _tukey_text(segment, low, high, lang)))
    warnings.sort(key=lambda w: (w["row"], w["rule"]))
    return warnings
