"""The public examples of SIMULATION.md (rule set FR-2025.1), one test each."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from shared.simulation.models import ProductResult, SimulationResult

Product = Callable[..., ProductResult]
Simulate = Callable[..., SimulationResult]

TRUCKS = "Camions de plus de 7,5 tonnes"
TRANSPORT = "Transport et Logistique"
AGRICULTURE = "Agriculture et Agroalimentaire"


def _ticpe(product: Product, types: list[str], litres: object) -> ProductResult:
    return product("ticpe", TICPE_001="Oui", TICPE_003=types, TICPE_002=litres)


# --- TICPE -----------------------------------------------------------------------------------


def test_ticpe_trucks_5000_litres_a_month_give_12000(product: Product) -> None:
    assert _ticpe(product, [TRUCKS], 5000).amount == Decimal("12000.00")


def test_ticpe_trucks_1250_litres_a_month_give_3000(product: Product) -> None:
    assert _ticpe(product, [TRUCKS], 1250).amount == Decimal("3000.00")


def test_ticpe_light_vehicles_only_are_not_eligible(product: Product) -> None:
    result = _ticpe(product, ["Véhicules légers"], 5000)
    assert (result.eligible, result.amount, result.priority) == (False, None, None)
    assert result.reason == "Aucun véhicule éligible (poids lourds > 7,5 t, engins de chantier ou tracteurs agricoles)"


# --- URSSAF ----------------------------------------------------------------------------------


def test_urssaf_1_to_5_employees_give_10500(product: Product) -> None:
    assert product("urssaf", GENERAL_003="1 à 5").amount == Decimal("10500.00")


def test_urssaf_21_to_50_employees_give_122500(product: Product) -> None:
    assert product("urssaf", GENERAL_003="21 à 50").amount == Decimal("122500.00")


def test_urssaf_exactly_25_employees_give_87500(product: Product) -> None:
    assert product("urssaf", GENERAL_003=25).amount == Decimal("87500.00")


def test_urssaf_no_employee_is_not_eligible(product: Product) -> None:
    result = product("urssaf", GENERAL_003="Aucun")
    assert (result.eligible, result.amount, result.reason) == (False, None, "Aucun salarié déclaré")


# --- DFS ---------------------------------------------------------------------------------------


def test_dfs_transport_with_5_drivers_gives_9000(product: Product) -> None:
    assert product("dfs", GENERAL_001=TRANSPORT, DFS_001=5).amount == Decimal("9000.00")


def test_dfs_drivers_outside_transport_are_not_asked_and_not_eligible(product: Product) -> None:
    result = product("dfs", GENERAL_001="Commerce et Distribution", DFS_001=3)
    assert (result.eligible, result.amount) == (False, None)
    assert result.reason == "Réservé au secteur Transport et Logistique"
    assert result.explanation.ignored == ("DFS_001",)


# --- Foncier ---------------------------------------------------------------------------------


def test_foncier_owner_with_3456_78_tax_gets_691_36(product: Product) -> None:
    assert product("foncier", GENERAL_004="Oui", FONCIER_001=Decimal("3456.78")).amount == Decimal("691.36")


def test_foncier_tenant_is_not_eligible_and_the_tax_sent_anyway_is_ignored(product: Product) -> None:
    result = product("foncier", GENERAL_004="Non", FONCIER_001=10000)
    assert (result.eligible, result.amount) == (False, None)
    assert result.explanation.ignored == ("FONCIER_001",)
    assert result.explanation.inputs == {"GENERAL_004": "Non", "FONCIER_001": None}


# --- MSA ---------------------------------------------------------------------------------------


def test_msa_agriculture_1m_to_5m_revenue_gives_195000(product: Product) -> None:
    assert product("msa", GENERAL_001=AGRICULTURE, GENERAL_002="1 000 000€ - 5 000 000€").amount == Decimal("195000.00")


def test_msa_agriculture_exact_250000_revenue_gives_16250(product: Product) -> None:
    assert product("msa", GENERAL_001=AGRICULTURE, GENERAL_002=250000).amount == Decimal("16250.00")


# --- Énergie -----------------------------------------------------------------------------------


def test_electricity_2200_a_month_gives_5280(product: Product) -> None:
    assert product("energie_elec", ENERGIE_ELEC_FACTURES="Oui", ENERGIE_ELEC_MONTANT=2200).amount == Decimal("5280.00")


def test_gas_1500_a_month_gives_3600(product: Product) -> None:
    assert product("energie_gaz", ENERGIE_GAZ_FACTURES="Oui", ENERGIE_GAZ_MONTANT=1500).amount == Decimal("3600.00")


def test_electricity_and_gas_are_two_products(simulate: Simulate) -> None:
    result = simulate(
        ENERGIE_ELEC_FACTURES="Oui", ENERGIE_ELEC_MONTANT=2200, ENERGIE_GAZ_FACTURES="Oui", ENERGIE_GAZ_MONTANT=1500
    )
    eligible = {code: p.amount for code, p in result.products.items() if p.eligible}
    assert eligible == {"energie_elec": Decimal("5280.00"), "energie_gaz": Decimal("3600.00")}
    assert result.total == Decimal("8880.00")


# --- Recouvrement ----------------------------------------------------------------------------


def test_recouvrement_moderate_unpaid_invoices_give_30000(product: Product) -> None:
    assert product("recouvrement", RECOUVR_001="Oui, montant modéré (10 000€ - 50 000€)").amount == Decimal("30000.00")


# --- a full transport profile (reference §3.7, with FR-2025.1's rates) -----------------------


def test_full_transport_profile(simulate: Simulate) -> None:
    result = simulate(
        GENERAL_001=TRANSPORT,
        GENERAL_002="500 000€ - 1 000 000€",
        GENERAL_003="21 à 50",
        GENERAL_004="Oui",
        FONCIER_001=10000,
        RECOUVR_001="Non",
        ENERGIE_ELEC_FACTURES="Oui",
        ENERGIE_ELEC_MONTANT=2000,
        ENERGIE_GAZ_FACTURES="Non",
        TICPE_001="Oui",
        TICPE_003=[TRUCKS],
        TICPE_002=5000,
        DFS_001=10,
    )
    amounts = {code: p.amount for code, p in result.products.items() if p.eligible}
    assert amounts == {
        "ticpe": Decimal("12000.00"),
        "urssaf": Decimal("122500.00"),
        "dfs": Decimal("18000.00"),
        "foncier": Decimal("2000.00"),
        "energie_elec": Decimal("4800.00"),
        "chronotachygraphes": None,
        "logiciel_solid": None,
    }
    assert result.total == Decimal("159300.00")
    assert not result.products["msa"].eligible and not result.products["recouvrement"].eligible
