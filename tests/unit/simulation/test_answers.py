"""Answers are validated and normalized: each error has a stable rule code; loose forms are accepted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.platform.errors import Unprocessable
from shared.simulation.engine import AnswerError, evaluate, normalize_answer, normalize_answers
from shared.simulation.models import RuleSet

TRUCKS = "Camions de plus de 7,5 tonnes"


def _error(rule_set: RuleSet, code: str, value: object) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        normalize_answer(rule_set, code, value)
    return caught.value


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("GENERAL_001", "  transport ET logistique ", "Transport et Logistique"),
        ("GENERAL_001", "Services  à la\u00a0Personne", "Services à la Personne"),
        ("GENERAL_004", "OUI", "Oui"),
        ("GENERAL_004", True, "Oui"),
        ("GENERAL_004", False, "Non"),
        ("RECOUVR_001", "oui, MONTANT modéré (10 000€ - 50 000€)", "Oui, montant modéré (10 000€ - 50 000€)"),
        ("GENERAL_002", " plus de 5 000 000€", "Plus de 5 000 000€"),
        ("GENERAL_003", "1 À 5", "1 à 5"),
    ],
)
def test_options_match_case_insensitively_and_come_back_canonical(
    rule_set: RuleSet, code: str, value: object, expected: str
) -> None:
    assert normalize_answer(rule_set, code, value) == expected


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("GENERAL_002", 250000, Decimal("250000")),
        ("GENERAL_002", "250000", Decimal("250000")),
        ("GENERAL_002", " 250000.50 ", Decimal("250000.50")),
        ("GENERAL_002", Decimal("250000.5"), Decimal("250000.5")),
        ("GENERAL_002", 3456.78, Decimal("3456.78")),  # a float from JSON goes through str(), not binary
        ("FONCIER_001", 0.1, Decimal("0.1")),
        ("GENERAL_003", 25, Decimal("25")),
        ("GENERAL_003", "25", Decimal("25")),
        ("GENERAL_003", 25.0, Decimal("25")),
        ("DFS_001", Decimal("5.00"), Decimal("5")),
        ("TICPE_002", "0", Decimal("0")),
        ("TICPE_002", 1_000_000, Decimal("1000000")),
    ],
)
def test_numbers_come_as_int_decimal_float_or_numeric_string(
    rule_set: RuleSet, code: str, value: object, expected: Decimal
) -> None:
    normalized = normalize_answer(rule_set, code, value)
    assert isinstance(normalized, Decimal) and normalized == expected


def test_zero_is_never_negative(rule_set: RuleSet) -> None:
    zero = normalize_answer(rule_set, "FONCIER_001", Decimal("-0.00"))
    assert isinstance(zero, Decimal) and zero == 0 and not zero.is_signed()


def test_error_messages_stay_short_whatever_the_value(rule_set: RuleSet) -> None:
    assert len(_error(rule_set, "TICPE_002", Decimal("9E+999999")).message) < 120
    assert len(_error(rule_set, "GENERAL_001", "x" * 10_000).message) < 400


def test_several_choices_are_deduplicated_in_option_order(rule_set: RuleSet) -> None:
    chosen = ["véhicules légers", TRUCKS, "VÉHICULES LÉGERS", "Engins de chantier"]
    assert normalize_answer(rule_set, "TICPE_003", chosen) == (TRUCKS, "Engins de chantier", "Véhicules légers")
    assert normalize_answer(rule_set, "TICPE_003", []) == ()


def test_normalizing_twice_changes_nothing(rule_set: RuleSet) -> None:
    answers = {"GENERAL_001": " btp et construction", "GENERAL_003": "7", "TICPE_003": ["Tracteurs agricoles"]}
    once = normalize_answers(rule_set, answers)
    assert normalize_answers(rule_set, once) == once
    assert once == {
        "GENERAL_001": "BTP et Construction",
        "GENERAL_003": Decimal(7),
        "TICPE_003": ("Tracteurs agricoles",),
    }


def test_none_means_unanswered(rule_set: RuleSet) -> None:
    assert normalize_answers(rule_set, {"GENERAL_001": None, "GENERAL_004": "Oui"}) == {"GENERAL_004": "Oui"}


@pytest.mark.parametrize(
    ("code", "value", "rule"),
    [
        ("GENERAL_999", "Oui", "unknown_question"),
        ("general_001", "Autre secteur", "unknown_question"),
        ("GENERAL_003", True, "wrong_type"),  # bool is not a number
        ("FONCIER_001", False, "wrong_type"),
        ("FONCIER_001", [100], "wrong_type"),
        ("FONCIER_001", "cent euros", "wrong_type"),
        ("FONCIER_001", "1e3", "wrong_type"),
        ("FONCIER_001", float("nan"), "wrong_type"),
        ("FONCIER_001", Decimal("Infinity"), "wrong_type"),
        ("DFS_001", 2.5, "wrong_type"),
        ("DFS_001", "2.5", "wrong_type"),
        ("GENERAL_003", 3.5, "wrong_type"),
        ("GENERAL_001", 3, "wrong_type"),
        ("GENERAL_004", None, "wrong_type"),
        ("TICPE_003", TRUCKS, "wrong_type"),
        ("TICPE_003", [TRUCKS, 3], "wrong_type"),
        ("GENERAL_003", -1, "out_of_bounds"),
        ("GENERAL_003", 100_001, "out_of_bounds"),
        ("GENERAL_002", "1000000000.01", "out_of_bounds"),
        ("FONCIER_001", Decimal("-0.01"), "out_of_bounds"),
        ("DFS_001", 1001, "out_of_bounds"),
        ("TICPE_002", 1e16, "out_of_bounds"),
        ("TICPE_002", Decimal("1E+999999999"), "out_of_bounds"),
        ("FONCIER_001", Decimal("1E-21"), "wrong_type"),  # more than 20 decimal places: no real amount
        ("FONCIER_001", 5e-324, "wrong_type"),
        ("GENERAL_001", "Transport", "not_in_choices"),
        ("GENERAL_004", "Peut-être", "not_in_choices"),
        ("GENERAL_003", "entre 1 et 5", "not_in_choices"),
        ("TICPE_003", ["Vélos"], "not_in_choices"),
    ],
)
def test_invalid_answers_name_the_field_and_the_rule(rule_set: RuleSet, code: str, value: object, rule: str) -> None:
    error = _error(rule_set, code, value)
    assert (error.field, error.rule) == (code, rule)
    assert error.message and "\n" not in error.message
    assert isinstance(error, Unprocessable) and error.errors == [
        {"field": code, "rule": rule, "message": error.message}
    ]


def test_messages_say_what_is_wrong(rule_set: RuleSet) -> None:
    assert _error(rule_set, "GENERAL_003", 200_000).message == "must be between 0 and 100000, got 200000"
    assert _error(rule_set, "GENERAL_003", True).message == "expected a tranche or a whole number, got True"
    assert _error(rule_set, "GENERAL_999", 1).message == "no question GENERAL_999 in rule set FR-2025.1"
    assert _error(rule_set, "GENERAL_004", "Peut-être").message == "'Peut-être' is not one of: Oui, Non"


def test_evaluate_validates_every_answer_even_hidden_ones(rule_set: RuleSet) -> None:
    with pytest.raises(AnswerError) as caught:
        evaluate(rule_set, {"GENERAL_004": "Non", "FONCIER_001": -5})
    assert (caught.value.field, caught.value.rule) == ("FONCIER_001", "out_of_bounds")
    with pytest.raises(AnswerError) as unknown:
        evaluate(rule_set, {"GENERAL_004": "Non", "NOPE": 1})
    assert (unknown.value.field, unknown.value.rule) == ("NOPE", "unknown_question")
