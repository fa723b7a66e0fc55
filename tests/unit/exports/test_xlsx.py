"""XLSX documents re-opened with openpyxl: figures, formats, frozen filtered headers, branding."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from shared.exports.models import Branding, Comparison, DossierFilters, DossierList, SimulationReport
from shared.exports.xlsx import comparison_xlsx, dossier_list_xlsx, simulation_report_xlsx

FR_MONEY = '#,##0.00\\ "€"'
EN_MONEY = '"€"#,##0.00'


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def find(sheet: Any, value: object) -> Any:
    """The first cell holding ``value``."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell
    raise AssertionError(f"{value!r} not found in {sheet.title}")


def header_row(sheet: Any) -> int:
    return int(sheet.freeze_panes[1:]) - 1


def test_simulation_report(report: SimulationReport, branding: Branding) -> None:
    book = load(simulation_report_xlsx(report, branding))
    assert book.sheetnames == ["Synthèse", "Réponses"]
    sheet = book["Synthèse"]
    head = header_row(sheet)
    assert [c.value for c in sheet[head]] == [
        "Produit",
        "Éligible",
        "Montant estimé",
        "Motif",
        "Calcul",
        "Avantages",
    ]
    ticpe = find(sheet, "TICPE")
    amount = sheet.cell(ticpe.row, 3)
    assert amount.data_type == "n" and amount.value == 12000 and amount.number_format == FR_MONEY
    assert sheet.cell(ticpe.row, 2).value == "Oui"
    msa = find(sheet, "MSA")
    assert sheet.cell(msa.row, 2).value == "Non" and sheet.cell(msa.row, 3).value is None
    assert sheet.cell(msa.row, 4).value == "Secteur non agricole"
    chrono = find(sheet, "Chronotachygraphes digitaux")
    assert sheet.cell(chrono.row, 6).value == "Gain de temps sur les heures de conduite\nContrôles routiers sereins"
    total = find(sheet, "Total des gains estimés")
    assert sheet.cell(total.row, 3).value == pytest.approx(13234.56)
    assert sheet.cell(total.row, 3).number_format == FR_MONEY
    date_cell = sheet.cell(find(sheet, "Date de la simulation").row, 2)
    assert date_cell.value == datetime(2026, 11, 21) and date_cell.number_format == "dd/mm/yyyy"
    assert find(sheet, "FR-2025.1").row < head
    assert any("estimations" in str(c.value) and "FR-2025.1" in str(c.value) for c in sheet["A"])
    answers = book["Réponses"]
    assert sheet.auto_filter.ref == f"A{head}:F{head + 4}"
    assert answers.cell(find(answers, "Nombre de salariés").row, 2).value == "1 à 5"


def test_every_sheet_has_a_frozen_filtered_header_and_sized_columns(
    report: SimulationReport, comparison: Comparison, dossiers: Callable[..., DossierList], branding: Branding
) -> None:
    books = [
        simulation_report_xlsx(report, branding),
        comparison_xlsx(comparison, branding),
        dossier_list_xlsx(dossiers(), branding),
    ]
    for data in books:
        for sheet in load(data).worksheets:
            head = header_row(sheet)
            assert sheet.freeze_panes == f"A{head + 1}"
            assert sheet.auto_filter.ref.startswith(f"A{head}:")
            assert all(c.value for c in sheet[head]), sheet.title
            assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[head])
            assert sheet.print_title_rows == f"${head}:${head}"


def test_branding_on_every_sheet(report: SimulationReport, branding: Branding) -> None:
    data = simulation_report_xlsx(report, branding)
    book = load(data)
    for sheet in book.worksheets:
        head = header_row(sheet)
        assert find(sheet, "Conseil Durand & Associés").font.color.rgb == "FF1F4E79"
        assert sheet.cell(head, 1).fill.fgColor.rgb == "FF1F4E79"
        assert sheet.cell(head, 1).font.color.rgb == "FFFFFFFF"
        assert find(sheet, branding.legal_footer).row > head
        assert "Page &P / &N" in sheet.oddFooter.right.text
        assert "Conseil Durand && Associés" in sheet.oddFooter.left.text
        assert "Conseil Durand && Associés" in sheet.oddHeader.left.text
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "xl/media/logo.png" in names and "xl/drawings/drawing1.xml" in names
    properties = book.properties
    assert properties.creator == "Conseil Durand & Associés" and properties.title == "Rapport de simulation"
    assert properties.created == properties.modified == datetime(2026, 11, 21)


def test_light_brand_colour_gets_dark_header_text(report: SimulationReport) -> None:
    sheet = load(simulation_report_xlsx(report, Branding("Org", "#FFE699"))).worksheets[0]
    assert sheet.cell(header_row(sheet), 1).font.color.rgb == "FF000000"


def test_jpeg_logo(report: SimulationReport, logo: bytes) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(logo)).convert("RGB").save(buffer, "JPEG")
    data = simulation_report_xlsx(report, Branding("Org", logo=buffer.getvalue()))
    assert "xl/media/logo.jpeg" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    load(data)


def test_english_report(report: SimulationReport, branding: Branding) -> None:
    book = load(simulation_report_xlsx(report, branding, "en"))
    assert book.sheetnames == ["Summary", "Answers"]
    sheet = book["Summary"]
    ticpe = find(sheet, "TICPE")
    assert sheet.cell(ticpe.row, 2).value == "Yes"
    assert sheet.cell(ticpe.row, 3).number_format == EN_MONEY
    assert sheet.cell(find(sheet, "Simulation date").row, 2).number_format == "yyyy-mm-dd"
    assert any("estimates" in str(c.value) for c in sheet["A"])


def test_comparison(comparison: Comparison, branding: Branding) -> None:
    book = load(comparison_xlsx(comparison, branding))
    sheet = book["Produits"]
    urssaf = find(sheet, "URSSAF")
    values = [sheet.cell(urssaf.row, c).value for c in range(1, 7)]
    assert values == ["URSSAF", "Oui", 10500, "Oui", 45500, 35000]
    assert sheet.cell(urssaf.row, 6).number_format.startswith('+#,##0.00\\ "€";-')
    ticpe = find(sheet, "TICPE")
    assert [sheet.cell(ticpe.row, c).value for c in (4, 5, 6)] == ["Non", None, -12000]
    total = find(sheet, "Total")
    assert [sheet.cell(total.row, c).value for c in (3, 5, 6)] == [22500, 45500, 23000]
    answers = book["Réponses"]
    changed = find(answers, "Nombre de salariés")
    assert [answers.cell(changed.row, c).value for c in (2, 3, 4)] == ["1 à 5", "6 à 20", "Oui"]
    dropped = find(answers, "Litres de carburant par mois")
    assert [answers.cell(dropped.row, c).value for c in (2, 3, 4)] == ["5 000", None, "Oui"]


def test_dossier_list(dossiers: Callable[..., DossierList], make_dossier: Any, branding: Branding) -> None:
    rows = [
        make_dossier(),
        make_dossier(
            reference="D-2",
            status="closed",
            status_label="Clôturé",
            expert=None,
            audited=None,
            obtained=Decimal("900.10"),
        ),
    ]
    sheet = load(dossier_list_xlsx(dossiers(rows=rows), branding)).active
    head = header_row(sheet)
    assert [c.value for c in sheet[head]][:6] == ["Référence", "Entreprise", "Produit", "Statut", "Expert", "Priorité"]
    first = [c.value for c in sheet[head + 1]]
    assert first == [
        "D-000001",
        "Boulangerie Élodie & Fils",
        "TICPE",
        "Audit en cours",
        "Jean Dupont",
        1,
        1234.56,
        1000,
        None,
        datetime(2026, 1, 15),
        datetime(2026, 11, 21),
    ]
    assert [sheet.cell(head + 1, c).number_format for c in (7, 10)] == [FR_MONEY, "dd/mm/yyyy"]
    second = [c.value for c in sheet[head + 2]]
    assert second[3:5] == ["Clôturé", None] and second[7:9] == [None, 900.1]
    assert sheet.auto_filter.ref == f"A{head}:K{head + 2}"
    total = find(sheet, "Total")
    assert [sheet.cell(total.row, c).value for c in (7, 8, 9)] == [pytest.approx(2469.12), 1000, 900.1]
    assert sheet.cell(find(sheet, "Nombre de dossiers").row, 2).value == 2
    assert sheet.cell(find(sheet, "Filtres").row, 2).value == "Statut : Audit en cours"


def test_empty_dossier_list(dossiers: Callable[..., DossierList], branding: Branding) -> None:
    sheet = load(dossier_list_xlsx(dossiers(count=0), branding)).active
    head = header_row(sheet)
    assert sheet.auto_filter.ref == f"A{head}:K{head}"
    assert sheet.cell(find(sheet, "Nombre de dossiers").row, 2).value == 0


def test_text_is_escaped_and_control_characters_dropped(
    dossiers: Callable[..., DossierList], make_dossier: Any, branding: Branding
) -> None:
    rows = [make_dossier(company="<A & B> \"quoted\" 'x'\x0b\x01", reference='=HYPERLINK("x")')]
    sheet = load(dossier_list_xlsx(dossiers(rows=rows), branding)).active
    cell = find(sheet, "<A & B> \"quoted\" 'x'")
    assert cell.data_type == "s"
    assert sheet.cell(cell.row, 1).data_type == "s"  # an inline string, never a formula


def test_dossier_list_accepts_any_date_and_english(
    dossiers: Callable[..., DossierList], make_dossier: Any, branding: Branding
) -> None:
    rows = [make_dossier(created_on=date(1970, 1, 1), status_label="Audit in progress")]
    shown = DossierFilters(status="Audit in progress")
    sheet = load(dossier_list_xlsx(dossiers(rows=rows, filters=shown), branding, "en")).active
    head = header_row(sheet)
    values = [c.value for c in sheet[head + 1]]
    assert values[3] == "Audit in progress" and values[9] == datetime(1970, 1, 1)
    assert sheet.cell(head + 1, 7).number_format == EN_MONEY
    assert sheet.cell(find(sheet, "Filters").row, 2).value == "Status: Audit in progress"
