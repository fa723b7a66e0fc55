"""Import (shared.prudential.portfolios.imports, the one owner): mapping, conversion, row errors from
the CLI's validator, anomalies (V17), exact numbers, and hostile files that are refused clearly."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from shared.platform.errors import Unprocessable
from shared.prudential.portfolios import imports


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


def rewrite(data: bytes, change: Any, extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook with its first sheet's XML passed through ``change`` and ``extra`` parts added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(item, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def refused(data: bytes, name: str, lang: str = "en") -> Unprocessable:
    with pytest.raises(Unprocessable) as caught:
        imports.parse(data, name, lang=lang)
    return caught.value


def test_headers_match_case_accent_space_insensitively_with_synonyms() -> None:
    assert imports.normalise("  Échelon de  Qualité ") == "echelon_de_qualite"
    chosen, unmapped = imports.map_columns(["Identifiant", "CLASSE", "Encours", "Échelon", "Dévise", "Commentaire"])
    assert chosen == {"Identifiant": "id", "CLASSE": "class", "Encours": "amount", "Échelon": "cqs",
                      "Dévise": "currency"}  # fmt: skip
    assert unmapped == ["Commentaire"]
    saved, _ = imports.map_columns(["Ma colonne", "Classe", "Expo"], {"ma colonne": "id"}, {"Expo": "amount"})
    assert saved == {"Ma colonne": "id", "Classe": "class", "Expo": "amount"}
    with pytest.raises(Unprocessable) as caught:
        imports.map_columns(["id", "class", "encours", "montant"])
    assert caught.value.errors[0]["rule"] == "duplicate"


def test_a_csv_is_mapped_converted_and_validated_with_row_errors_in_french_by_default() -> None:
    data = (
        "Référence;Classe;Encours;Notation\n"
        "A1;corporate;1 234,56;3\n"
        "A2;corporate;-5;9\n"
        "A3;retail;abc;\n"
        "A1;institution;100;2\n"
    ).encode()
    parsed = imports.parse(data, "expo.csv")
    assert parsed.exposures[0] == {"id": "A1", "class": "corporate", "amount": "1234.56", "cqs": 3}
    assert [(e["row"], e["column"], e["value"], e["rule"]) for e in parsed.errors] == [
        (3, "Encours", "-5", "minimum"),
        (3, "Notation", "9", "integer_range"),
        (4, "Encours", "abc", "decimal"),
        (5, "Référence", "A1", "unique"),
    ]
    by_rule = {e["rule"]: e["message"] for e in parsed.errors}
    assert by_rule["integer_range"] == "doit être un entier de 1 à 6"
    assert by_rule["decimal"].startswith("doit être un nombre décimal")
    assert by_rule["unique"] == "identifiant en double (déjà ligne 2)"
    english = imports.parse(data, "expo.csv", lang="en")
    assert {e["rule"]: e["message"] for e in english.errors}["integer_range"] == "must be an integer 1..6"


def test_a_negative_amount_is_a_row_error_not_a_formula() -> None:
    parsed = imports.parse(b"id,class,amount\nx,corporate,-12.5\n", "n.csv")
    assert [(e["column"], e["rule"]) for e in parsed.errors] == [("amount", "minimum")]
    assert parsed.errors[0]["message"] == "doit être positif ou nul"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"])
def test_formula_injection_is_a_row_error_and_nothing_is_kept(cell: str) -> None:
    parsed = imports.parse(f"id,class,amount\nx,corporate,{cell}\n".encode(), "f.csv")
    assert [(e["row"], e["column"], e["rule"]) for e in parsed.errors] == [(2, "amount", "formula")]
    assert parsed.exposures == []


def test_xlsx_numbers_are_the_decimals_typed_without_binary_artefacts() -> None:
    base = xlsx([["id", "class", "amount", "scra"], ["x", "corporate", 1234.56, 0.3], ["y", "retail", 10, 1e-05]])

    def artefacts(sheet: bytes) -> bytes:
        # Excel may write a double with 17 significant digits: what was typed is 1234.56 and 0.3.
        return sheet.replace(b"<v>1234.56</v>", b"<v>1234.5599999999999</v>").replace(
            b"<v>0.3</v>", b"<v>0.30000000000000004</v>"
        )

    parsed = imports.parse(rewrite(base, artefacts), "n.xlsx")
    assert parsed.errors == []
    assert parsed.exposures[0]["amount"] == Decimal("1234.56") and str(parsed.exposures[0]["amount"]) == "1234.56"
    assert str(parsed.exposures[0]["scra"]) == "0.3"
    assert str(parsed.exposures[1]["scra"]) == "0.00001"
    assert imports.exact_number("123456789012345") == Decimal("123456789012345")  # 15 digits: as written
    assert imports.exact_number("0.1000000000000000055511151231257827") == Decimal("0.1")
    assert imports.exact_number("1E+3") == Decimal("1000") and "E" not in str(imports.exact_number("1E+3"))
    assert imports.exact_number("abc") == "abc"


def test_preview_holds_the_first_50_rows_but_every_error() -> None:
    lines = ["id,class,amount"] + [f"e{i},corporate,{'x' if i % 30 == 0 else 100}" for i in range(120)]
    parsed = imports.parse("\n".join(lines).encode(), "p.csv")
    assert len(parsed.preview) == 50 and len(parsed.errors) == 4


# --- anomalies (V17) --------------------------------------------------------------------------------

V17 = [100, 101, 99, 102, 98, 100, 103, 97, 100, 101, 99, 100, 102, 98, 100, 101, 99, 100, 100, 400]
V17_SMALL = [100, 102, 98, 101, 99, 100, 103, 97, 100, 500]


def _warnings(values: list[int], lang: str = "fr") -> list[dict[str, Any]]:
    exposures = [{"id": f"e{i}", "class": "corporate", "amount": str(v)} for i, v in enumerate(values)]
    return imports.anomalies(exposures, rows=list(range(2, len(values) + 2)), lang=lang)


def test_v17_zscore_and_tukey_flag_the_outlier_in_french_or_english() -> None:
    ordered = sorted(Decimal(v) for v in V17)
    assert imports._quantile(ordered, Decimal("0.25")) == 99 and imports._quantile(ordered, Decimal("0.75")) == 101
    found = _warnings(V17)
    assert [(w["row"], w["rule"]) for w in found] == [(21, "tukey"), (21, "z_score")]
    assert "score z 4,25" in found[1]["message"] and "n = 20" in found[1]["message"]
    assert "[96 ; 104]" in found[0]["message"] and "barrières de Tukey" in found[0]["message"]
    english = _warnings(V17, "en")
    assert "z-score 4.25" in english[1]["message"] and "[96, 104]" in english[0]["message"]


def test_v17_small_sample_uses_only_tukey() -> None:
    found = _warnings(V17_SMALL)
    assert [(w["row"], w["rule"]) for w in found] == [(11, "tukey")]
    assert "[95,5 ; 105,5]" in found[0]["message"]


def test_retail_above_one_million_and_etv_above_150_percent_warn() -> None:
    exposures = [
        {"id": "r", "class": "retail", "amount": "1000000.01"},
        {"id": "ok", "class": "retail", "amount": "1000000"},
        {"id": "h", "class": "real_estate", "amount": "151", "property_value": "100"},
        {"id": "h2", "class": "real_estate", "amount": "150", "property_value": "100"},
    ]
    found = imports.anomalies(exposures, rows=[2, 3, 4, 5])
    assert [(w["row"], w["rule"]) for w in found] == [(2, "retail_over_1m"), (4, "etv_over_150")]
    assert "supérieure à 1 000 000 EUR" in found[0]["message"]


# --- hostile files ----------------------------------------------------------------------------------


def test_a_csv_that_is_not_utf8_is_refused_naming_the_byte_and_line() -> None:
    error = refused("id;classe;encours\né1;corporate;10\n".encode("cp1252"), "l.csv")
    assert error.code == "encoding"
    message = error.errors[0]["message"]
    assert "not UTF-8" in message and "0xe9" in message and "line 2" in message and "Windows-1252" in message
    utf16 = refused("id;class;amount\n".encode("utf-16"), "w.csv")
    assert utf16.code == "encoding" and "UTF-16" in utf16.errors[0]["message"]


def test_merged_header_cells_are_refused_naming_them() -> None:
    error = refused(xlsx([["id", None, "amount"], ["x", "corporate", 1]], merge="A1:B1"), "m.xlsx")
    assert error.code == "header" and error.errors[0]["rule"] == "merged_header"
    assert "A1:B1" in error.errors[0]["message"]
    vertical = refused(xlsx([["id", "class", "amount"], [None, "corporate", 1]], merge="A1:A2"), "v.xlsx")
    assert "A1:A2" in vertical.errors[0]["message"]
    body_only = imports.parse(xlsx([["id", "class", "amount"], ["x", "corporate", 1], [None, None, 2]],
                                   merge="A2:A3"), "b.xlsx")  # fmt: skip
    assert [e["rule"] for e in body_only.errors] == ["required", "required"]


def test_a_zip_bomb_part_is_refused_from_the_zip_directory_naming_it() -> None:
    bomb = rewrite(xlsx([["id", "class", "amount"]]), lambda s: s, {"xl/media/padding.bin": b"\0" * (8 << 20)})
    assert len(bomb) < 1 << 20
    error = refused(bomb, "bomb.xlsx")
    assert error.code == "zip_bomb" and "xl/media/padding.bin" in error.errors[0]["message"]
    # a small part may compress well: below 1 MiB unpacked the ratio is not held against it
    small = rewrite(xlsx([["id", "class", "amount"], ["x", "corporate", 1]]), lambda s: s,
                    {"xl/media/zeros.bin": b"\0" * 500_000})  # fmt: skip
    assert imports.parse(small, "small.xlsx").errors == []


def test_a_part_larger_than_the_absolute_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_PART_BYTES", 100_000)
    data = rewrite(xlsx([["id", "class", "amount"]]), lambda s: s, {"xl/media/noise.bin": bytes(range(256)) * 800})
    error = refused(data, "big.xlsx")
    assert error.code == "zip_bomb" and "xl/media/noise.bin" in error.errors[0]["message"]


def test_a_million_row_sheet_is_refused_before_reading_it() -> None:
    data = rewrite(
        xlsx([["id", "class", "amount"], ["a", "corporate", 1]]),
        lambda s: s.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:C1000001"/>'),
    )
    error = refused(data, "huge.xlsx")
    assert error.code == "too_many_rows" and "1000000 rows" in error.errors[0]["message"]


def test_not_a_workbook_is_refused() -> None:
    assert refused(b"PK\x03\x04 not really", "x.xlsx").code == "format"
    assert refused(b"id,class\n", "x.xlsx").code == "format"


def test_codes_flags_and_guarantor_columns_are_read_as_a_bank_writes_them() -> None:
    data = (
        "Référence;Classe;Encours;Grade SCRA;Type élément;Garantie;Guarantor class;Guarantor CQS;Devise;Défaut\n"
        "i1;Institution;100;b;;;;;eur;non\n"
        "o1;Other Items;5;;Items in collection;;;;EUR;\n"
        "c1;CORPORATE;1000;;;400;Central Government;1;EUR;\n"
    ).encode()
    parsed = imports.parse(data, "bank.csv")
    assert parsed.errors == [] and parsed.unmapped == []
    assert parsed.exposures == [
        {"id": "i1", "class": "institution", "amount": "100", "scra_grade": "B", "currency": "EUR", "defaulted": False},
        {"id": "o1", "class": "other_items", "amount": "5", "item_type": "items_in_collection", "currency": "EUR"},
        {"id": "c1", "class": "corporate", "amount": "1000", "currency": "EUR",
         "guarantee": {"amount": "400", "guarantor": {"class": "central_government", "cqs": 1}}},
    ]  # fmt: skip


def test_refusals_are_in_french_by_default() -> None:
    latin = "id;classe;encours\né1;corporate;10\n".encode("cp1252")
    error = refused(latin, "l.csv", lang="fr")
    assert error.code == "encoding"
    assert error.errors[0]["message"] == (
        "le fichier n'est pas un texte UTF-8 : l'octet 0xe9 de la ligne 2 est illisible (encodage Windows-1252 ou "
        "Latin-1 ?) ; enregistrez-le au format « CSV UTF-8 » ou XLSX"
    )
    assert error.detail.startswith("Le fichier ne peut pas être importé : le fichier n'est pas")
    merged = refused(xlsx([["id", None, "amount"], ["x", "corporate", 1]], merge="A1:B1"), "m.xlsx", lang="fr")
    assert merged.errors[0]["message"].startswith("cellules d'en-tête fusionnées A1:B1 : annulez la fusion")
    bomb = rewrite(xlsx([["id", "class", "amount"]]), lambda s: s, {"xl/media/padding.bin": b"\0" * (8 << 20)})
    assert "bombe de décompression" in refused(bomb, "b.xlsx", lang="fr").errors[0]["message"]
    mapping = refused(b"id,encours,montant\n", "m.csv", lang="fr")
    assert mapping.detail == "Correspondance des colonnes invalide"
    assert [e["message"] for e in mapping.errors] == [
        "les colonnes 'encours', 'montant' correspondent toutes à 'amount'",
        "aucune colonne ne correspond à 'class'",
    ]
