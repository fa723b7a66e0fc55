"""Import: mapping, conversion, row errors from the CLI's validator, anomalies (V17), hostile files."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from shared.prudential.importing import (
    ImportLimits,
    ImportRefused,
    anomalies,
    error_report_xlsx,
    map_columns,
    normalize_header,
    parse_import,
    quantile,
)
from shared.prudential.models import validate_exposure


def xlsx(rows: list[list[Any]], merge: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_headers_match_case_accent_space_insensitively_with_synonyms() -> None:
    assert normalize_header("  Encours Brut (€) ") == "encoursbrut"
    columns, unmapped = map_columns(["Identifiant", "CLASSE", "Encours", "Échelon", "Dévise", "Commentaire"])
    assert columns == {0: "id", 1: "class", 2: "amount", 3: "cqs", 4: "currency"}
    assert unmapped == ["Commentaire"]
    saved, _ = map_columns(["Ma colonne", "Encours"], {"ma colonne": "id"})
    assert saved == {0: "id", 1: "amount"}
    with pytest.raises(ImportRefused) as caught:
        map_columns(["encours", "EAD"])
    assert caught.value.code == "duplicate_column"


def test_a_csv_is_mapped_converted_and_validated_with_row_errors() -> None:
    data = (
        "Référence;Classe;Encours;Notation;Garantie;Guarantor class;Guarantor CQS\n"
        "A1;Corporate;1 234,56;3;;;\n"
        "A2;corporate;-5;9;;;\n"
        "A3;retail;abc;;;;\n"
        "A1;institution;100;2;;;\n"
        "A5;corporate;1000;;400;central_government;7\n"
    ).encode()
    parsed = parse_import(data, "csv")
    assert parsed.total_rows == 5
    assert parsed.documents[0] == {"id": "A1", "class": "corporate", "amount": "1234.56", "cqs": 3}
    assert [(e.row, e.column, e.value, e.rule) for e in parsed.errors] == [
        (3, "Encours", "-5", "minimum"),
        (3, "Notation", 9, "integer_range"),
        (4, "Encours", "abc", "decimal"),
        (5, "Référence", "A1", "unique"),
        (6, "Guarantor CQS", 7, "integer_range"),
    ]
    assert parsed.errors[1].message == "must be an integer 1..6"
    preview = parsed.preview()
    assert len(preview["rows"]) == 5 and preview["mapping"]["Encours"] == "amount"


def test_preview_shows_the_first_50_rows_but_every_error() -> None:
    lines = ["id,class,amount"] + [f"e{i},corporate,{'x' if i % 30 == 0 else 100}" for i in range(120)]
    parsed = parse_import("\n".join(lines).encode(), "csv")
    preview = parsed.preview()
    assert len(preview["rows"]) == 50 and len(preview["errors"]) == 4


def test_an_xlsx_is_read_with_numbers_as_numbers() -> None:
    parsed = parse_import(xlsx([["id", "class", "amount", "defaulted"], ["x", "corporate", 1500.25, "oui"],
                                [7, "retail", 10, None]]), "xlsx")  # fmt: skip
    assert parsed.errors == []
    assert parsed.documents == [
        {"id": "x", "class": "corporate", "amount": "1500.25", "defaulted": True},
        {"id": "7", "class": "retail", "amount": "10"},
    ]
    assert parsed.exposures[0].amount == Decimal("1500.25")


# --- anomalies (V17) ----------------------------------------------------------------------------

V17 = [100, 101, 99, 102, 98, 100, 103, 97, 100, 101, 99, 100, 102, 98, 100, 101, 99, 100, 100, 400]
V17_SMALL = [100, 102, 98, 101, 99, 100, 103, 97, 100, 500]


def _portfolio(values: list[int], cls: str = "corporate") -> tuple[list[dict[str, Any]], list[Any]]:
    documents = [{"id": f"e{i}", "class": cls, "amount": str(v)} for i, v in enumerate(values)]
    return documents, [validate_exposure(d)[0] for d in documents]


def test_v17_zscore_and_tukey_flag_the_outlier() -> None:
    ordered = sorted(Decimal(v) for v in V17)
    assert (quantile(ordered, Decimal("0.25")), quantile(ordered, Decimal("0.75"))) == (99, 101)
    found = anomalies(*_portfolio(V17))
    assert [(a.id, a.rule) for a in found] == [("e19", "tukey"), ("e19", "zscore")]
    z = next(a for a in found if a.rule == "zscore")
    assert "z-score 4.2475" in z.message and "n = 20" in z.message
    assert "96 / 104" in next(a for a in found if a.rule == "tukey").message


def test_v17_small_sample_uses_only_tukey() -> None:
    ordered = sorted(Decimal(v) for v in V17_SMALL)
    assert (quantile(ordered, Decimal("0.25")), quantile(ordered, Decimal("0.75"))) == (
        Decimal("99.25"),
        Decimal("101.75"),
    )
    found = anomalies(*_portfolio(V17_SMALL))
    assert [(a.id, a.rule) for a in found] == [("e9", "tukey")]
    assert "95.5 / 105.5" in found[0].message


def test_retail_above_one_million_and_etv_above_150_percent_warn() -> None:
    documents = [
        {"id": "r", "class": "retail", "amount": "1000000.01"},
        {"id": "ok", "class": "retail", "amount": "1000000"},
        {"id": "h", "class": "real_estate", "amount": "151", "property_type": "residential", "property_value": "100",
         "counterparty": "retail"},
        {"id": "h2", "class": "real_estate", "amount": "150", "property_type": "residential", "property_value": "100",
         "counterparty": "retail"},
    ]  # fmt: skip
    found = anomalies(documents, [validate_exposure(d)[0] for d in documents])
    assert [(a.id, a.rule) for a in found] == [("r", "retail_above_1m"), ("h", "etv_above_150")]


# --- hostile files ------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"])
def test_formula_injection_is_refused(cell: str) -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_import(f"id,class,amount\nx,corporate,{cell}\n".encode(), "csv")
    assert caught.value.code == "formula" and "cell C2" in caught.value.message


def test_a_negative_number_is_not_an_injection_but_a_row_error() -> None:
    parsed = parse_import(b"id,class,amount\nx,corporate,-12.5\n", "csv")
    assert [(e.column, e.rule) for e in parsed.errors] == [("amount", "minimum")]


def test_xlsx_formulas_are_refused() -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_import(xlsx([["id", "class", "amount"], ["x", "corporate", "=1+1"]]), "xlsx")
    assert caught.value.code == "formula"


def test_a_csv_that_is_not_utf8_is_refused_naming_the_encoding() -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_import("id;classe;encours\né1;corporate;10\n".encode("cp1252"), "csv")
    assert caught.value.code == "encoding" and "not UTF-8" in caught.value.message and "0xe9" in caught.value.message


def test_too_many_rows_are_refused() -> None:
    lines = ["id,class,amount"] + [f"e{i},corporate,1" for i in range(11)]
    with pytest.raises(ImportRefused) as caught:
        parse_import("\n".join(lines).encode(), "csv", limits=ImportLimits(max_rows=10))
    assert caught.value.code == "too_many_rows"
    with pytest.raises(ImportRefused) as caught:
        parse_import(xlsx([["id", "class", "amount"]] + [[f"e{i}", "corporate", 1] for i in range(11)]), "xlsx",
                     limits=ImportLimits(max_rows=10))  # fmt: skip
    assert caught.value.code == "too_many_rows"


def test_a_million_row_sheet_is_refused_before_reading_it() -> None:
    # A declared dimension of 1 000 001 rows: refused from the sheet header, without streaming the rows.
    data = xlsx([["id", "class", "amount"], ["a", "corporate", 1]])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:C1000001"/>')
            target.writestr(item, content)
    with pytest.raises(ImportRefused) as caught:
        parse_import(buffer.getvalue(), "xlsx")
    assert caught.value.code == "too_many_rows" and "1000000 rows" in caught.value.message


def test_a_zip_bomb_is_refused_from_the_zip_directory() -> None:
    data = xlsx([["id", "class", "amount"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/media/padding.bin", b"\0" * (50 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(ImportRefused) as caught:
        parse_import(buffer.getvalue(), "xlsx")
    assert caught.value.code == "zip_bomb"


def test_not_an_xlsx_and_merged_headers_are_refused() -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_import(b"id,class\n", "xlsx")
    assert caught.value.code == "not_xlsx"
    with pytest.raises(ImportRefused) as caught:
        parse_import(xlsx([["id", None, "amount"], ["x", "corporate", 1]], merge="A1:B1"), "xlsx")
    assert caught.value.code == "merged_header" and "A1:B1" in caught.value.message


def test_the_error_report_is_an_xlsx_with_text_never_formulas() -> None:
    parsed = parse_import(b"id,class,amount\nx,corporate,abc\ny,retail,12\n", "csv")
    report = error_report_xlsx(parsed.errors, parsed.warnings)
    workbook = load_workbook(io.BytesIO(report))
    assert workbook.sheetnames == ["Erreurs", "Avertissements"]
    rows = list(workbook["Erreurs"].iter_rows(values_only=True))
    problem = 'must be a decimal number (a JSON number or a string like "1234.56")'
    assert rows == [("Ligne", "Colonne", "Valeur", "Règle", "Message"), (2, "amount", "abc", "decimal", problem)]
    from shared.prudential.importing import RowError

    hostile = error_report_xlsx([RowError(2, "id", "=1+1", "decimal", "x")], [], "en")
    sheet = load_workbook(io.BytesIO(hostile))["Errors"]
    assert sheet.cell(2, 3).value == "'=1+1" and sheet.cell(2, 3).data_type == "s"
