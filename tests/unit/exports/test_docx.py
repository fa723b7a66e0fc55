"""DOCX documents re-opened with python-docx: tables, header/footer branding, page-number fields."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import docx
import pytest

from shared.exports.docx import dossier_summary_docx, simulation_report_docx
from shared.exports.models import Branding, DossierSummary, SimulationReport

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def load(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def assert_branded(document: Any, data: bytes, branding: Branding, title: str) -> None:
    header = document.sections[0].header
    assert [p.text.strip() for p in header.paragraphs] == [branding.organization_name, title]
    name_run = next(r for r in header.paragraphs[0].runs if r.text == branding.organization_name)
    assert str(name_run.font.color.rgb) == branding.hex and name_run.bold
    footer = document.sections[0].footer
    assert footer.paragraphs[0].text == branding.legal_footer
    instructions = [t.text.strip() for t in footer._element.iter(f"{W}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert footer.paragraphs[-1].text.startswith("Page ")
    assert any(part.partname.startswith("/word/media/") for part in header.part.package.iter_parts())
    fills = {e.get(f"{W}fill") for e in document.element.body.iter(f"{W}shd")}
    assert branding.hex in fills  # table headers in the brand colour
    properties = document.core_properties
    assert properties.title == title and properties.author == branding.organization_name
    assert properties.created.replace(tzinfo=None) == datetime(2026, 11, 21)
    assert properties.modified.replace(tzinfo=None) == datetime(2026, 11, 21)
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        assert info.date_time == (2026, 11, 21, 0, 0, 0)


def test_simulation_report(report: SimulationReport, branding: Branding) -> None:
    data = simulation_report_docx(report, branding)
    document = load(data)
    assert_branded(document, data, branding, "Rapport de simulation")
    identity, products, answers = document.tables
    assert rows(identity) == [
        ["Référence", "SIM-2026-0042"],
        ["Entreprise", "Transports Martin SARL"],
        ["SIREN", "123456789"],
        ["Date de la simulation", "21/11/2026"],
        ["Version des règles", "FR-2025.1"],
    ]
    assert rows(products) == [
        ["Produit", "Éligible", "Montant estimé", "Détail"],
        ["TICPE", "Oui", "12\u202f000,00\u00a0€", "5 000 L/mois × 12 × 0,20 €"],
        ["URSSAF", "Oui", "1\u202f234,56\u00a0€", "3 salariés × 35 000 € × 10 %"],
        ["MSA", "Non", "", "Secteur non agricole"],
        [
            "Chronotachygraphes digitaux",
            "Oui",
            "",
            "• Gain de temps sur les heures de conduite\n• Contrôles routiers sereins",
        ],
        ["Total des gains estimés", "", "13\u202f234,56\u00a0€", ""],
    ]
    header_row = products.rows[0]._tr
    assert header_row.find(f"{W}trPr/{W}tblHeader") is not None  # repeated on each page
    assert rows(answers)[2] == ["Nombre de salariés", "1 à 5"]
    assert any("estimations" in p.text and "FR-2025.1" in p.text for p in document.paragraphs)


def test_simulation_report_in_english(report: SimulationReport, branding: Branding) -> None:
    data = simulation_report_docx(report, branding, "en")
    document = load(data)
    assert_branded(document, data, branding, "Simulation report")
    assert rows(document.tables[1])[1] == ["TICPE", "Yes", "€12,000.00", "5 000 L/mois × 12 × 0,20 €"]
    assert rows(document.tables[0])[3] == ["Simulation date", "2026-11-21"]
    assert document.core_properties.language == "en-GB"


def test_dossier_summary(summary: DossierSummary, branding: Branding) -> None:
    data = dossier_summary_docx(summary, branding)
    document = load(data)
    assert_branded(document, data, branding, "Fiche dossier")
    identity, amounts, documents, timeline = document.tables
    assert ["Statut", "Audit en cours"] in rows(identity)
    assert ["Étape", "Audit technique (4/6)"] in rows(identity)
    assert rows(amounts) == [
        ["Montant estimé", "Montant audité", "Montant obtenu", "Montant remboursé"],
        ["12\u202f000,00\u00a0€", "11\u202f500,50\u00a0€", "—", "—"],
    ]
    assert rows(documents)[1:] == [
        ["Kbis de moins de 3 mois", "Validé"],
        ["Cartes grises", "Refusé"],
        ["Factures de carburant", "Manquant"],
    ]
    assert rows(timeline)[:2] == [["Date", "Acteur", "Événement"], ["01/11/2026 09:30", "Système", "Événement n°0"]]


def test_large_timeline_table(long_summary: Callable[[int], DossierSummary], branding: Branding) -> None:
    document = load(dossier_summary_docx(long_summary(500), branding, "en"))
    timeline = rows(document.tables[-1])
    assert len(timeline) == 501
    assert timeline[500] == ["2026-01-01 16:19", "Jean Dupont", "Événement n°499"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_empty_sections(summary: DossierSummary, branding: Branding, lang: str) -> None:
    import dataclasses

    document = load(dossier_summary_docx(dataclasses.replace(summary, documents=(), timeline=()), branding, lang))
    assert len(document.tables) == 2
    texts = [p.text for p in document.paragraphs]
    assert texts.count("Aucun élément" if lang == "fr" else "Nothing yet") == 2


def test_text_is_escaped(summary: DossierSummary, branding: Branding) -> None:
    import dataclasses

    tricky = dataclasses.replace(summary, company_name='<A & B> "Q"\x0c', step="Étape\n2")
    identity = rows(load(dossier_summary_docx(tricky, branding)).tables[0])
    assert ["Entreprise", '<A & B> "Q"'] in identity
    assert ["Étape", "Étape\n2"] in identity


def test_without_logo(report: SimulationReport) -> None:
    document = load(simulation_report_docx(report, Branding("Solo", legal_footer="")))
    assert document.sections[0].header.paragraphs[0].text == "Solo"
    assert not document.inline_shapes


def test_dossier_summary_shows_obtained_and_refunded_amounts(summary: DossierSummary, branding: Branding) -> None:
    paid = dataclasses.replace(summary, obtained=Decimal("11000.00"), refunded=Decimal("10950.00"))
    amounts = load(dossier_summary_docx(paid, branding, "en")).tables[1]
    assert rows(amounts) == [
        ["Estimated amount", "Audited amount", "Amount obtained", "Amount refunded"],
        ["€12,000.00", "€11,500.50", "€11,000.00", "€10,950.00"],
    ]
