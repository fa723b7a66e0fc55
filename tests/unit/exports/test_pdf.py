"""PDF documents read back with pypdf: figures, French spacing, branding and page numbers on every page."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pypdf
import pytest

from shared.exports.models import Branding, Comparison, DossierList, DossierSummary, SimulationReport
from shared.exports.pdf import comparison_pdf, dossier_list_pdf, dossier_summary_pdf, simulation_report_pdf

BRAND_RG = f"{31 / 255:.4f} {78 / 255:.4f} {121 / 255:.4f} rg".encode()  # the brand colour as a PDF fill


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def assert_branded(data: bytes, branding: Branding, title: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    total = len(reader.pages)
    page: Any
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert branding.organization_name in text and title in text
        assert branding.legal_footer in text
        assert f"Page {number} / {total}" in text
        assert BRAND_RG in page.get_contents().get_data()
        assert "/I1" in page["/Resources"]["/XObject"]  # the logo
    resources: Any = reader.pages[0]["/Resources"]
    fonts = {str(f.get_object()["/BaseFont"]) for f in resources["/Font"].values()}
    assert all("DejaVuSans" in font for font in fonts)
    metadata: Any = reader.metadata
    assert metadata["/CreationDate"] == "D:20261121000000Z"
    assert metadata["/Author"] == branding.organization_name


def test_simulation_report(report: SimulationReport, branding: Branding) -> None:
    data = simulation_report_pdf(report, branding)
    assert_branded(data, branding, "Rapport de simulation")
    text = "\n".join(pages(data))
    assert "12\u202f000,00\u00a0€" in text and "1\u202f234,56\u00a0€" in text
    assert "Total des gains estimés 13\u202f234,56\u00a0€" in text
    assert "21/11/2026" in text and "FR-2025.1" in text and "SIM-2026-0042" in text
    assert "TICPE Oui 12\u202f000,00\u00a0€ 5 000 L/mois × 12 × 0,20 €" in text
    assert "MSA Non Secteur non agricole" in text
    assert "• Gain de temps sur les heures de conduite" in text
    assert "Les montants indiqués sont des estimations" in text
    assert "Nombre de salariés 1 à 5" in text


def test_simulation_report_in_english(report: SimulationReport, branding: Branding) -> None:
    data = simulation_report_pdf(report, branding, "en")
    assert_branded(data, branding, "Simulation report")
    text = "\n".join(pages(data))
    assert "TICPE Yes €12,000.00" in text and "Total estimated gains €13,234.56" in text
    assert "2026-11-21" in text and "The amounts shown are estimates" in text


def test_comparison(comparison: Comparison, branding: Branding) -> None:
    data = comparison_pdf(comparison, branding)
    assert_branded(data, branding, "Comparaison de simulations")
    text = "\n".join(pages(data))
    assert "URSSAF Oui 10\u202f500,00\u00a0€ Oui 45\u202f500,00\u00a0€ +35\u202f000,00\u00a0€" in text
    assert "TICPE Oui 12\u202f000,00\u00a0€ Non -12\u202f000,00\u00a0€" in text
    assert "Total 22\u202f500,00\u00a0€ 45\u202f500,00\u00a0€ +23\u202f000,00\u00a0€" in text
    assert "Nombre de salariés 1 à 5 6 à 20 Oui" in text


def test_dossier_list_repeats_header_and_branding_on_every_page(
    dossiers: Callable[..., DossierList], branding: Branding
) -> None:
    data = dossier_list_pdf(dossiers(count=150), branding)
    assert_branded(data, branding, "Liste des dossiers")
    texts = pages(data)
    assert len(texts) >= 3
    for text in texts:
        assert "Référence Entreprise Produit Statut Expert Priorité" in text
    joined = "\n".join(texts)
    assert all(f"D-{i:06d} Société {i} SARL TICPE Audit en cours" in joined for i in range(150))
    assert "D-000007 Société 7 SARL TICPE Audit en cours Jean Dupont 1 7,50\u00a0€ 1\u202f000,00\u00a0€" in joined
    assert "15/01/2026 21/11/2026" in joined
    assert "Statut : Audit en cours" in texts[0]
    estimated = "11\u202f250,00\u00a0€"  # 0.5 + 1.5 + … + 149.5
    assert f"Total 150 dossiers {estimated} 150\u202f000,00\u00a0€ 0,00\u00a0€" in texts[-1]


def test_long_cells_are_truncated_in_lists(
    dossiers: Callable[..., DossierList], make_dossier: Any, branding: Branding
) -> None:
    rows = [make_dossier(company="Entreprise au nom extrêmement long " * 4)]
    text = pages(dossier_list_pdf(dossiers(rows=rows), branding))[0]
    assert "Entreprise au nom" in text and "…" in text and ("extrêmement long " * 4) not in text


def test_dossier_summary(summary: DossierSummary, branding: Branding) -> None:
    data = dossier_summary_pdf(summary, branding)
    assert_branded(data, branding, "Fiche dossier")
    text = "\n".join(pages(data))
    for expected in (
        "D-000042",
        "Statut Audit en cours",
        "Étape Audit technique (4/6)",
        "Expert Jean Dupont",
        "12\u202f000,00\u00a0€ 11\u202f500,50\u00a0€ — —",
        "Montant remboursé",
        "Kbis de moins de 3 mois Validé",
        "Cartes grises Refusé",
        "Factures de carburant Manquant",
        "01/11/2026 09:30 Système Événement n°0",
        "01/11/2026 10:30 Jean Dupont Événement n°1",
    ):
        assert expected in text, expected


def test_long_timeline_spans_pages_with_every_event(
    long_summary: Callable[[int], DossierSummary], branding: Branding
) -> None:
    data = dossier_summary_pdf(long_summary(300), branding, "en")
    texts = pages(data)
    assert len(texts) > 3
    joined = "\n".join(texts)
    assert all(f"Événement n°{i}\n" in joined + "\n" for i in range(300))
    assert all("Date Actor Event" in text for text in texts[1:])
    assert "2026-01-01 08:00 Jean Dupont" in joined


def test_wrapped_cells_keep_every_word(summary: DossierSummary, branding: Branding) -> None:
    import dataclasses

    from shared.exports.models import TimelineEvent

    long_event = " ".join(f"mot{i}" for i in range(120)) + " " + "x" * 150
    event = TimelineEvent(summary.timeline[0].at, "Expert", long_event)
    text = "\n".join(pages(dossier_summary_pdf(dataclasses.replace(summary, timeline=(event,)), branding)))
    words = text.replace("\n", " ").split()
    assert all(f"mot{i}" in words for i in range(120))
    assert "x" * 150 in text.replace("\n", "")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_empty_sections_say_so(summary: DossierSummary, branding: Branding, lang: str) -> None:
    import dataclasses

    empty = dataclasses.replace(summary, documents=(), timeline=(), expert=None)
    text = pages(dossier_summary_pdf(empty, branding, lang))[0]
    assert ("Aucun élément" if lang == "fr" else "Nothing yet") in text
    assert ("Non attribué" if lang == "fr" else "Not assigned") in text


def test_no_logo_and_no_footer(report: SimulationReport) -> None:
    data = simulation_report_pdf(report, Branding("Solo"))
    page: Any = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert "Solo" in page.extract_text() and "Page 1 / 1" in page.extract_text()
    assert "/XObject" not in page["/Resources"]


def test_characters_the_font_cannot_draw_are_dropped(
    summary: DossierSummary, branding: Branding, caplog: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    odd = dataclasses.replace(summary, company_name="Tab\there 🚀 rocket\x07 bell\u200b", step="Œuvre № 5 — «ok»")
    text = pages(dossier_summary_pdf(odd, branding))[0]
    assert "Tab here  rocket  bell" in text and "Œuvre № 5 — «ok»" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]  # no missing-glyph warning
