"""Results: rounding, priorities, totals, explanations, the JSON contract, determinism, what-if."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any

import pytest

from shared.simulation.engine import compare, comparison_to_json, evaluate, result_to_json
from shared.simulation.models import ProductResult, RuleSet, SimulationResult

Product = Callable[..., ProductResult]
Simulate = Callable[..., SimulationResult]

TRANSPORT = {
    "GENERAL_001": "Transport et Logistique",
    "GENERAL_002": "Plus de 5 000 000€",
    "GENERAL_003": "Plus de 50",
    "GENERAL_004": "Oui",
    "FONCIER_001": "12000",
    "RECOUVR_001": "Oui, montant faible (< 10 000€)",
    "ENERGIE_ELEC_FACTURES": "Oui",
    "ENERGIE_ELEC_MONTANT": 833,
    "ENERGIE_GAZ_FACTURES": "Non",
    "TICPE_001": "Oui",
    "TICPE_003": ["Camions de plus de 7,5 tonnes", "Engins de chantier"],
    "TICPE_002": 8000,
    "DFS_001": 3,
}


def _foncier(product: Product, tax: str) -> ProductResult:
    return product("foncier", GENERAL_004="Oui", FONCIER_001=tax)


@pytest.mark.parametrize(
    ("tax", "amount", "priority"),
    [
        ("50000", "10000.00", 1),
        ("49999.95", "9999.99", 2),
        ("25000", "5000.00", 2),
        ("24999.95", "4999.99", 3),
        ("0.05", "0.01", 3),
    ],
)
def test_priority_follows_the_amount_thresholds(product: Product, tax: str, amount: str, priority: int) -> None:
    result = _foncier(product, tax)
    assert (result.amount, result.priority) == (Decimal(amount), priority)


def test_qualitative_products_have_priority_3_benefits_and_no_amount(product: Product) -> None:
    solid = product("logiciel_solid", GENERAL_001="Transport et Logistique")
    assert (solid.eligible, solid.amount, solid.priority, solid.kind) == (True, None, 3, "qualitative")
    assert len(solid.benefits) == 6 and all(isinstance(b, str) and b for b in solid.benefits)
    chrono = product("chronotachygraphes", TICPE_001="Oui", TICPE_003=["Camions de plus de 7,5 tonnes"])
    assert chrono.eligible and any("contrôles routiers" in b for b in chrono.benefits)


def test_amounts_round_half_up_to_the_cent_once_at_the_end(product: Product) -> None:
    assert _foncier(product, "0.025").amount == Decimal("0.01")  # 0.005: half-up, not half-even
    trace = _foncier(product, "3456.78").explanation.formula
    assert trace is not None and (trace.raw, trace.amount) == (Decimal("691.356"), Decimal("691.36"))


def test_an_amount_that_rounds_to_zero_is_not_eligible(product: Product) -> None:
    result = _foncier(product, "0.02")
    assert (result.eligible, result.amount, result.priority, result.reason) == (False, None, None, "Gain estimé nul")


def test_total_is_the_sum_of_the_rounded_eligible_amounts(simulate: Simulate) -> None:
    result = simulate(
        GENERAL_004="Oui", FONCIER_001="0.025", ENERGIE_ELEC_FACTURES="Oui", ENERGIE_ELEC_MONTANT="0.0021"
    )
    assert [p.amount for p in result.products.values() if p.eligible] == [Decimal("0.01"), Decimal("0.01")]
    assert result.total == Decimal("0.02")  # not round(0.005 + 0.00504)


def test_only_active_products_in_catalogue_order(simulate: Simulate) -> None:
    assert list(simulate().products) == [
        "ticpe", "urssaf", "dfs", "foncier", "msa", "energie_elec", "energie_gaz", "recouvrement",
        "chronotachygraphes", "logiciel_solid",
    ]  # fmt: skip


def test_nothing_answered_means_nothing_eligible(simulate: Simulate) -> None:
    result = simulate()
    assert result.total == Decimal("0.00") and not any(p.eligible for p in result.products.values())
    assert result.products["urssaf"].reason == "Question sans réponse : Nombre de salariés"


def test_the_explanation_shows_inputs_tranche_rates_and_words(product: Product) -> None:
    explanation = product("urssaf", GENERAL_003="1 à 5").explanation
    assert explanation.rule_set == "FR-2025.1"
    assert explanation.inputs == {"GENERAL_003": "1 à 5"}
    trace = explanation.formula
    assert trace is not None
    assert (trace.type, trace.variable, trace.tranche, trace.base) == ("product", "GENERAL_003", "1 à 5", Decimal(3))
    assert trace.factors == (Decimal("35000"), Decimal("0.10"))
    assert trace.text == (
        "Nombre de salariés : 3 (tranche « 1 à 5 ») × 35 000 (€ de salaire brut annuel moyen) "
        "× 0,10 (taux d'optimisation de 10 %) = 10 500,00 €"
    )
    msa = product("msa", GENERAL_001="Agriculture et Agroalimentaire", GENERAL_002=250000).explanation.formula
    assert msa is not None and (msa.type, msa.rate, msa.tranche) == ("percentage", Decimal("6.5"), None)
    assert msa.text == "Chiffre d'affaires annuel : 250 000 × 6,5 % = 16 250,00 €"


def test_the_json_contract(simulate: Simulate) -> None:
    wire = result_to_json(simulate(TRANSPORT))
    assert set(wire) == {"rule_set", "products", "total"} and wire["rule_set"] == "FR-2025.1"
    ticpe = wire["products"]["ticpe"]
    assert set(ticpe) == {"eligible", "amount", "priority", "reason", "benefits", "explanation"}
    assert (ticpe["eligible"], ticpe["amount"], ticpe["priority"], ticpe["reason"]) == (True, "19200.00", 1, None)
    assert ticpe["explanation"]["inputs"] == {
        "TICPE_001": "Oui",
        "TICPE_003": ["Camions de plus de 7,5 tonnes", "Engins de chantier"],
        "TICPE_002": "8000",
    }
    assert ticpe["explanation"]["formula"]["factors"] == ["12", "0.20"]
    assert ticpe["explanation"]["formula"]["amount"] == "19200.00"
    msa = wire["products"]["msa"]
    assert (msa["eligible"], msa["amount"], msa["priority"], msa["benefits"]) == (False, None, None, [])
    assert msa["explanation"]["formula"] is None
    assert wire["products"]["chronotachygraphes"]["explanation"]["formula"]["type"] == "qualitative"
    amounts = [Decimal(p["amount"]) for p in wire["products"].values() if p["amount"] is not None]
    assert wire["total"] == f"{sum(amounts):.2f}" == "296499.20"
    assert json.loads(json.dumps(wire)) == wire  # plain JSON types only


def test_amount_strings_always_have_two_decimals(simulate: Simulate) -> None:
    wire = result_to_json(simulate(ENERGIE_ELEC_FACTURES="Oui", ENERGIE_ELEC_MONTANT=Decimal("1E+3")))
    assert wire["products"]["energie_elec"]["amount"] == "2400.00" and wire["total"] == "2400.00"
    assert result_to_json(simulate())["total"] == "0.00"


def test_evaluation_is_deterministic(rule_set: RuleSet) -> None:
    first = result_to_json(evaluate(rule_set, TRANSPORT))
    reordered = dict(reversed(list(TRANSPORT.items())))
    assert result_to_json(evaluate(rule_set, reordered)) == first
    assert json.dumps(result_to_json(evaluate(rule_set, TRANSPORT))) == json.dumps(first)


def test_the_callers_decimal_context_changes_nothing(rule_set: RuleSet) -> None:
    expected = result_to_json(evaluate(rule_set, TRANSPORT))
    with localcontext() as context:
        context.prec, context.rounding = 3, ROUND_DOWN
        assert result_to_json(evaluate(rule_set, TRANSPORT)) == expected
        comparison = comparison_to_json(compare(rule_set, {}, TRANSPORT))
    assert comparison == comparison_to_json(compare(rule_set, {}, TRANSPORT))


def test_a_rule_set_from_the_database_evaluates_like_the_bundled_one(rule_set: RuleSet) -> None:
    copy = RuleSet.model_validate(rule_set.model_dump(mode="json"))
    assert result_to_json(evaluate(copy, TRANSPORT)) == result_to_json(evaluate(rule_set, TRANSPORT))


# --- what-if ----------------------------------------------------------------------------------


def test_compare_gives_old_new_and_deltas(rule_set: RuleSet) -> None:
    old: dict[str, Any] = {"GENERAL_003": "1 à 5", "GENERAL_004": "Oui", "FONCIER_001": 1000, "RECOUVR_001": "Non"}
    new = {**old, "GENERAL_003": 25, "FONCIER_001": 500, "RECOUVR_001": "Oui, montant faible (< 10 000€)"}
    comparison = compare(rule_set, old, new)
    urssaf, foncier, recouvrement = (comparison.products[c] for c in ("urssaf", "foncier", "recouvrement"))
    assert (urssaf.old_amount, urssaf.new_amount, urssaf.delta, urssaf.change) == (
        Decimal("10500.00"), Decimal("87500.00"), Decimal("77000.00"), "increased"
    )  # fmt: skip
    assert (foncier.delta, foncier.change) == (Decimal("-100.00"), "decreased")
    assert (recouvrement.old_eligible, recouvrement.new_eligible, recouvrement.change) == (
        False,
        True,
        "newly_eligible",
    )
    assert comparison.products["dfs"].change == "unchanged" and comparison.products["dfs"].delta == 0
    assert (comparison.old_total, comparison.new_total, comparison.total_delta) == (
        Decimal("10700.00"), Decimal("92600.00"), Decimal("81900.00")
    )  # fmt: skip


def test_compare_reports_products_no_longer_eligible(rule_set: RuleSet) -> None:
    comparison = compare(rule_set, {"GENERAL_003": 2}, {"GENERAL_003": "Aucun"})
    urssaf = comparison.products["urssaf"]
    assert (urssaf.old_amount, urssaf.new_amount, urssaf.delta, urssaf.change) == (
        Decimal("7000.00"), None, Decimal("-7000.00"), "no_longer_eligible"
    )  # fmt: skip
    wire = comparison_to_json(comparison)
    assert wire["products"]["urssaf"] == {
        "old_eligible": True, "new_eligible": False, "old_amount": "7000.00", "new_amount": None,
        "delta": "-7000.00", "change": "no_longer_eligible",
    }  # fmt: skip
    assert (wire["old_total"], wire["new_total"], wire["total_delta"]) == ("7000.00", "0.00", "-7000.00")
