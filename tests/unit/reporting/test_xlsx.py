"""The COREP workbook: one sheet per table and exposure class, EBA codes in the margins, numbers as
numbers, the organization's name, the draft marking, the validation sheet, the same bytes each time."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import openpyxl

from shared.exports.models import Branding
from shared.reporting.templates import Report
from shared.reporting.validation import evaluate
from shared.reporting.xlsx import workbook

BRAND = Branding("Banque Exemple", "#123456", "Banque Exemple SA, 1 rue de la Paix, Paris")


def _book(report: Report, approved: bool, lang: str = "fr", comments: dict[str, str] | None = None) -> bytes:
    return workbook(report, evaluate(report), BRAND, approved, lang, comments)


def test_sheets_codes_numbers_and_draft_marking(rich: dict[str, Report]) -> None:
    data = _book(rich["corep_of"], approved=False)
    book = openpyxl.load_workbook(io.BytesIO(data))
    members = sorted({c.sheet.split(":")[1] for c in rich["corep_of"].cells.values() if c.sheet})
    assert book.sheetnames == [
        "C 00.01",
        "C 01.00",
        "C 02.00.a",
        "C 03.00",
        *[f"C 07.00.a {m}" for m in members],
        "Contrôles",
    ]
    sheet = book["C 01.00"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Banque Exemple"
    assert ("Statut", "BROUILLON — calcul non approuvé, ne pas remettre") in [r[:2] for r in rows]
    header = next(i for i, r in enumerate(rows) if r[0] == "Ligne")
    assert rows[header][2].startswith("c0010")
    by_code = {r[0]: r for r in rows[header + 1 :]}
    assert by_code["0020"][1] == "COMMON EQUITY TIER 1 CAPITAL"
    cet1 = rich["corep_of"].value("C_01.00", "r0020", "c0010")
    assert isinstance(by_code["0020"][2], float) and Decimal(str(by_code["0020"][2])) == cet1
    nature = {r[0]: r[2] for r in book["C 00.01"].iter_rows(values_only=True) if r and r[0] in ("0010", "0020")}
    assert nature == {"0010": "IFRS", "0020": "Consolidated"}
    c07 = list(book["C 07.00.a qx2036"].iter_rows(values_only=True))
    assert any("Exposures to corporates" in str(r[0]) for r in c07[:3])
    assert book.sheetnames[-1] == "Contrôles"


def test_approved_english_with_comments_and_same_bytes(rich: dict[str, Report]) -> None:
    first = _book(rich["corep_lr"], approved=True, lang="en", comments={"ft_c4700_w01": "explained"})
    again = _book(rich["corep_lr"], approved=True, lang="en", comments={"ft_c4700_w01": "explained"})
    assert hashlib.sha256(first).digest() == hashlib.sha256(again).digest()
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["C 00.01", "C 47.00", "Validation"]
    meta = [r[:2] for r in book["C 47.00"].iter_rows(values_only=True)]
    assert ("Status", "Approved") in meta
    validation = list(book["Validation"].iter_rows(values_only=True))
    line = next(r for r in validation if r[0] == "ft_c4700_w01")
    assert (line[1], line[2], line[5]) == ("WARNING", "passed", "explained")
    assert any("EBA reporting framework 4.2" in str(r[0]) for r in validation if r[0])
    assert _book(rich["corep_lr"], approved=False, lang="en") != first
