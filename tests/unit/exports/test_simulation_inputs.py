"""From the engine's results to the report's words: answers, formulas with figures, reasons, both languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.exports.formatting import format_decimal
from shared.exports.simulation_inputs import comparison, reason_text, simulation_report
from shared.simulation.engine import AnswerError, evaluate
from shared.simulation.models import load_rule_set
from tests.support.simulate import EXPECTED_AMOUNTS, TRANSPORT

RULES = load_rule_set("FR-2025.1")
DAY = date(2026, 11, 21)
NNBSP, NBSP = "\u202f", "\u00a0"


class Built:
    def __init__(self, answers: dict[str, object], lang: str = "fr") -> None:
        self.report = simulation_report(RULES, answers, company="Transports Martin", siren="732829320", day=DAY,
                                        lang=lang)  # fmt: skip
        self.products = {p.code: p for p in self.report.products}
        self.answers = {a.question: a.answer for a in self.report.answers}


def test_amounts_and_total_are_the_engine_s() -> None:
    built = Built(TRANSPORT)
    amounts = {code: f"{p.amount:.2f}" for code, p in built.products.items() if p.amount is not None}
    assert amounts == EXPECTED_AMOUNTS
    assert built.report.total == Decimal("179471.36")
    assert built.report.rule_set_version == "FR-2025.1" and built.report.simulated_on == DAY


def test_formulas_show_the_figures_in_french() -> None:
    products = Built(TRANSPORT).products
    assert products["ticpe"].formula == (
        f"Litres de carburant par mois : 5{NNBSP}000 × 12 (mois par an) × 0,20 (€ remboursés par litre)"
        f" = 12{NNBSP}000,00{NBSP}€"
    )
    assert products["urssaf"].formula.startswith("Nombre de salariés : 35 (tranche « 21 à 50 ») × 35")
    assert (
        products["foncier"].formula
        == f"Montant annuel de la taxe foncière (€) : 3{NNBSP}456,78 × 20{NBSP}% = 691,36{NBSP}€"
    )
    assert products["chronotachygraphes"].formula == "" and products["chronotachygraphes"].benefits
    assert (
        products["msa"].reason == "Réservé au secteur Agriculture et Agroalimentaire" and not products["msa"].eligible
    )


def test_answers_are_formatted_and_hidden_ones_flagged() -> None:
    answers = Built({**TRANSPORT, "ENERGIE_GAZ_MONTANT": 1500}).answers
    assert answers["Montant annuel de la taxe foncière (€)"] == f"3{NNBSP}456,78{NBSP}€"
    assert answers["Litres de carburant par mois"] == f"5{NNBSP}000{NBSP}L/mois"
    assert answers["Types de véhicules"] == "Camions de plus de 7,5 tonnes"
    assert answers["Montant mensuel de gaz (€)"].endswith("(réponse non prise en compte : question non affichée)")
    assert next(iter(answers)) == "Secteur d'activité"  # questionnaire order


def test_english_uses_the_rule_set_s_english() -> None:
    built = Built({**TRANSPORT, "TICPE_003": ["Véhicules légers", "Camions de 3,5 à 7,5 tonnes"]}, "en")
    products, answers = built.products, built.answers
    assert products["ticpe"].name == "TICPE (fuel excise duty refund)" and not products["ticpe"].eligible
    assert products["ticpe"].reason.startswith("No eligible vehicle")
    assert products["urssaf"].formula.endswith("= €122,500.00") and "tranche “21 à 50”" in products["urssaf"].formula
    assert products["foncier"].formula == "Annual property tax (€): 3,456.78 × 20% = €691.36"
    assert answers["Do you own your business premises?"] == "Yes"
    assert answers["Vehicle types"] == "Camions de 3,5 à 7,5 tonnes; Véhicules légers"  # option order
    assert answers["Number of drivers"] == f"5{NBSP}drivers"


def test_every_reason_the_engine_gives_has_an_english_version() -> None:
    cases = [{}, TRANSPORT, {"GENERAL_001": "Commerce et Distribution", "GENERAL_003": "Aucun", "TICPE_001": "Oui",
                             "TICPE_003": ["Véhicules légers"], "TICPE_002": 0, "RECOUVR_001": "Non"}]  # fmt: skip
    for answers in cases:
        for product in evaluate(RULES, answers).products.values():
            if product.reason:
                english = reason_text(RULES, product.reason, "en")
                assert english != product.reason, product.reason
                assert reason_text(RULES, product.reason, "fr") == product.reason


def test_invalid_answers_are_refused() -> None:
    with pytest.raises(AnswerError):
        Built({"GENERAL_003": -1})


def test_comparison_has_both_answer_sets_and_every_product() -> None:
    built = comparison(RULES, TRANSPORT, {**TRANSPORT, "GENERAL_003": "6 à 20"}, company="X", siren=None, day=DAY)
    urssaf = next(p for p in built.products if p.code == "urssaf")
    assert (urssaf.old_amount, urssaf.new_amount, urssaf.delta) == (Decimal("122500.00"), Decimal("45500.00"),
                                                                  Decimal("-77000.00"))  # fmt: skip
    assert built.delta_total == Decimal("-77000.00")
    changed = {c.question: c for c in built.answer_changes() if c.changed}
    assert list(changed) == ["Nombre de salariés"] and changed["Nombre de salariés"].new == "6 à 20"


def test_format_decimal_keeps_the_given_decimals() -> None:
    assert format_decimal(Decimal("5000")) == f"5{NNBSP}000"
    assert format_decimal(Decimal("0.20")) == "0,20" and format_decimal(Decimal("0.20"), "en") == "0.20"
    assert format_decimal(Decimal("-1234567.5"), "en") == "-1,234,567.5"
    assert format_decimal(Decimal("1E+3")) == f"1{NNBSP}000" and format_decimal(7) == "7"
