"""Fixtures of the export tests: a branded organization and one of each document's data, with factories."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.exports.models import (
    Answer,
    Branding,
    Comparison,
    DocumentItem,
    DossierFilters,
    DossierList,
    DossierRow,
    DossierSummary,
    ProductComparison,
    ProductResult,
    SimulationReport,
    TimelineEvent,
)

DAY = date(2026, 11, 21)
BRAND = "#1F4E79"
FOOTER = "Conseil Durand & Associés SAS au capital de 10 000 € — RCS Lyon 123 456 789 — 69002 Lyon"


def image(kind: str, size: tuple[int, int] = (120, 40)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def logo() -> bytes:
    return image("PNG")


@pytest.fixture
def branding(logo: bytes) -> Branding:
    return Branding("Conseil Durand & Associés", BRAND, FOOTER, logo)


@pytest.fixture
def report() -> SimulationReport:
    return SimulationReport(
        company_name="Transports Martin SARL",
        siren="123456789",
        simulated_on=DAY,
        rule_set_version="FR-2025.1",
        answers=(
            Answer("Secteur d'activité", "Transport et Logistique"),
            Answer("Nombre de salariés", "1 à 5"),
            Answer("Litres de carburant par mois", "5 000"),
        ),
        products=(
            ProductResult("ticpe", "TICPE", True, "", Decimal("12000.00"), "5 000 L/mois × 12 × 0,20 €"),
            ProductResult("urssaf", "URSSAF", True, "", Decimal("1234.56"), "3 salariés × 35 000 € × 10 %"),
            ProductResult("msa", "MSA", False, "Secteur non agricole"),
            ProductResult(
                "chronotachygraphes",
                "Chronotachygraphes digitaux",
                True,
                benefits=("Gain de temps sur les heures de conduite", "Contrôles routiers sereins"),
            ),
        ),
        total=Decimal("13234.56"),
        reference="SIM-2026-0042",
    )


@pytest.fixture
def comparison(report: SimulationReport) -> Comparison:
    return Comparison(
        company_name=report.company_name,
        siren=report.siren,
        compared_on=DAY,
        rule_set_version="FR-2025.1",
        old_answers=report.answers,
        new_answers=(Answer("Secteur d'activité", "Transport et Logistique"), Answer("Nombre de salariés", "6 à 20")),
        products=(
            ProductComparison("urssaf", "URSSAF", True, True, Decimal("10500.00"), Decimal("45500.00")),
            ProductComparison("ticpe", "TICPE", True, False, Decimal("12000.00"), None),
            ProductComparison("msa", "MSA", False, False),
        ),
        old_total=Decimal("22500.00"),
        new_total=Decimal("45500.00"),
    )


MakeDossier = Callable[..., DossierRow]


@pytest.fixture
def make_dossier() -> MakeDossier:
    """`make_dossier(status="paid")`: one dossier row with overridable defaults."""

    def make(**over: Any) -> DossierRow:
        defaults: dict[str, Any] = {
            "reference": "D-000001",
            "company": "Boulangerie Élodie & Fils",
            "product": "TICPE",
            "status": "audit_in_progress",
            "status_label": "Audit en cours",
            "expert": "Jean Dupont",
            "estimated": Decimal("1234.56"),
            "audited": Decimal("1000.00"),
            "obtained": None,
            "created_on": date(2026, 1, 15),
            "updated_on": DAY,
            "priority": 1,
        }
        return DossierRow(**{**defaults, **over})

    return make


def dossier_rows(count: int, make: MakeDossier) -> Iterator[DossierRow]:
    for i in range(count):
        yield make(reference=f"D-{i:06d}", company=f"Société {i} SARL", estimated=Decimal(i) + Decimal("0.5"))


@pytest.fixture
def dossiers(make_dossier: MakeDossier) -> Callable[..., DossierList]:
    """`dossiers(count=3)` or `dossiers(rows=[...])`: a list export, rows as a one-shot generator."""

    def build(count: int = 3, rows: list[DossierRow] | None = None, **over: Any) -> DossierList:
        source = iter(rows) if rows is not None else dossier_rows(count, make_dossier)
        fields = {"generated_on": DAY, "filters": DossierFilters(status="Audit en cours"), **over}
        return DossierList(rows=source, **fields)

    return build


@pytest.fixture
def summary() -> DossierSummary:
    start = datetime(2026, 11, 1, 9, 30)
    return DossierSummary(
        reference="D-000042",
        company_name="Transports Martin SARL",
        siren="123456789",
        product="TICPE",
        status="audit_in_progress",
        status_label="Audit en cours",
        step="Audit technique (4/6)",
        expert="Jean Dupont",
        estimated=Decimal("12000.00"),
        audited=Decimal("11500.50"),
        obtained=None,
        documents=(
            DocumentItem("Kbis de moins de 3 mois", "validated"),
            DocumentItem("Cartes grises", "rejected"),
            DocumentItem("Factures de carburant", "missing"),
        ),
        timeline=tuple(
            TimelineEvent(start + timedelta(hours=i), "Jean Dupont" if i % 2 else "Système", f"Événement n°{i}")
            for i in range(5)
        ),
        as_of=DAY,
    )


@pytest.fixture
def long_summary(summary: DossierSummary) -> Callable[[int], DossierSummary]:
    """`long_summary(500)`: the summary with that many timeline events."""

    def build(count: int) -> DossierSummary:
        events = tuple(
            TimelineEvent(datetime(2026, 1, 1, 8) + timedelta(minutes=i), "Jean Dupont", f"Événement n°{i}")
            for i in range(count)
        )
        return dataclasses.replace(summary, timeline=events)

    return build
