"""Eligibility rules are really evaluated: every operator, nested all/any, absent answers, reasons."""

from __future__ import annotations

from typing import Any

import pytest

from shared.simulation.engine import evaluate
from shared.simulation.models import ProductResult, RuleSet

QUESTIONS: list[dict[str, Any]] = [
    {"code": "SIZE", "order": 1, "label": "Taille", "label_en": "Size", "type": "tranche_or_integer",
     "options": ["Petite", "Grande"], "tranche_values": {"Petite": "5", "Grande": "50"}, "min": "0", "max": "1000",
     "required": True, "condition": None},
    {"code": "COLOUR", "order": 2, "label": "Couleur", "label_en": "Colour", "type": "choice",
     "options": ["Rouge", "Vert"], "required": True, "condition": None},
    {"code": "TOOLS", "order": 3, "label": "Outils", "label_en": "Tools", "type": "multi_choice",
     "options": ["Marteau", "Scie"], "required": False, "condition": None},
    {"code": "LEVEL", "order": 4, "label": "Niveau", "label_en": "Level", "type": "choice",
     "options": ["Bas", "Haut"], "tranche_values": {"Bas": "1", "Haut": "9"}, "required": False, "condition": None},
]  # fmt: skip


def _rule_set(eligibility: dict[str, Any] | None) -> RuleSet:
    """One financial product worth SIZE × 1 €, eligible under the given rule."""
    product = {
        "code": "p", "order": 1, "name": "P", "name_en": "P", "category": None, "category_en": None,
        "kind": "financial", "active": True, "sectors": [], "benefits": [], "eligibility": eligibility,
        "formula": {"type": "product", "variable": "SIZE", "factors": [{"value": "1", "label": "€", "label_en": "€"}],
                    "description": "taille × 1", "description_en": "size × 1"},
    }  # fmt: skip
    return RuleSet.model_validate(
        {"version": "XX-2025.1", "effective_from": "2025-01-01", "questions": QUESTIONS, "products": [product]}
    )


def _result(eligibility: dict[str, Any] | None, **answers: Any) -> ProductResult:
    return evaluate(_rule_set(eligibility), answers).products["p"]


def _holds(eligibility: dict[str, Any], **answers: Any) -> bool:
    return _result(eligibility, SIZE=answers.pop("SIZE", 10), **answers).eligible


def _simple(question: str, operator: str, value: str, reason: str | None = None) -> dict[str, Any]:
    rule = {"question": question, "operator": operator, "value": value}
    return rule | ({"reason": reason} if reason else {})


@pytest.mark.parametrize(
    ("operator", "value", "size", "expected"),
    [
        ("equals", "10", 10, True), ("equals", "10", 11, False),
        ("not_equals", "10", 11, True), ("not_equals", "10", 10, False),
        ("gt", "10", 11, True), ("gt", "10", 10, False),
        ("gte", "10", 10, True), ("gte", "10", 9, False),
        ("lt", "10", 9, True), ("lt", "10", 10, False),
        ("lte", "10", 10, True), ("lte", "10", 11, False),
        ("gt", "9", "Grande", True), ("lt", "9", "Grande", False), ("equals", "5", "Petite", True),
    ],
)  # fmt: skip
def test_numeric_operators_compare_the_number_or_the_tranche_value(
    operator: str, value: str, size: object, expected: bool
) -> None:
    assert _holds(_simple("SIZE", operator, value), SIZE=size) is expected


@pytest.mark.parametrize(
    ("operator", "colour", "expected"),
    [
        ("equals", "Rouge", True),
        ("equals", "Vert", False),
        ("not_equals", "Vert", True),
        ("not_equals", "Rouge", False),
    ],
)
def test_label_operators_compare_the_canonical_option(operator: str, colour: str, expected: bool) -> None:
    assert _holds(_simple("COLOUR", operator, "Rouge"), COLOUR=colour) is expected
    assert _holds(_simple("COLOUR", operator, "Rouge"), COLOUR=f"  {colour.upper()} ") is expected


def test_a_choice_with_tranche_values_compares_labels_and_numbers() -> None:
    assert _holds(_simple("LEVEL", "not_equals", "Bas"), LEVEL="Haut")
    assert _holds(_simple("LEVEL", "gte", "9"), LEVEL="Haut")
    assert not _holds(_simple("LEVEL", "gte", "9"), LEVEL="Bas")


def test_includes_looks_into_a_multi_choice_answer() -> None:
    rule = _simple("TOOLS", "includes", "Scie")
    assert _holds(rule, TOOLS=["Marteau", "Scie"])
    assert not _holds(rule, TOOLS=["Marteau"])
    assert not _holds(rule, TOOLS=[])


@pytest.mark.parametrize("operator", ["equals", "not_equals", "gt", "gte", "lt", "lte"])
def test_every_simple_rule_on_an_absent_answer_fails(operator: str) -> None:
    result = _result(_simple("LEVEL", operator, "1" if operator in ("gt", "gte", "lt", "lte") else "Bas"), SIZE=10)
    assert not result.eligible
    assert result.reason == "Question sans réponse : Niveau"


def test_all_needs_every_part_and_reports_the_first_failing_one() -> None:
    rule = {"all": [_simple("COLOUR", "equals", "Rouge", "Pas rouge"), _simple("SIZE", "gt", "20", "Trop petit")]}
    assert _holds(rule, COLOUR="Rouge", SIZE=30)
    assert _result(rule, COLOUR="Vert", SIZE=30).reason == "Pas rouge"
    assert _result(rule, COLOUR="Rouge", SIZE=10).reason == "Trop petit"


def test_any_needs_one_part_and_reports_its_own_reason() -> None:
    rule = {"any": [_simple("COLOUR", "equals", "Rouge", "Pas rouge"), _simple("SIZE", "gt", "20")], "reason": "Ni"}
    assert _holds(rule, COLOUR="Vert", SIZE=30)
    assert _holds(rule, COLOUR="Rouge", SIZE=1)
    assert _result(rule, COLOUR="Vert", SIZE=1).reason == "Ni"
    del rule["reason"]
    assert _result(rule, COLOUR="Vert", SIZE=1).reason == "Pas rouge"  # then the first part's


def test_nested_rules_combine() -> None:
    rule = {
        "all": [
            {"any": [_simple("COLOUR", "equals", "Rouge"), _simple("TOOLS", "includes", "Scie")]},
            {
                "all": [
                    _simple("SIZE", "gte", "5"),
                    {"any": [_simple("LEVEL", "equals", "Haut"), _simple("SIZE", "gt", "40")]},
                ]
            },
        ],
        "reason": "Profil non éligible",
    }
    assert _holds(rule, COLOUR="Vert", TOOLS=["Scie"], SIZE=6, LEVEL="Haut")
    assert _holds(rule, COLOUR="Rouge", SIZE="Grande")
    assert not _holds(rule, COLOUR="Vert", TOOLS=["Marteau"], SIZE=50, LEVEL="Haut")
    assert _result(rule, COLOUR="Rouge", SIZE=6, LEVEL="Bas").reason == "Profil non éligible"


def test_without_a_rule_a_financial_product_is_eligible_when_its_amount_is_positive() -> None:
    assert _result(None, SIZE=3).amount == 3
    assert _result(None, SIZE=0).reason == "Gain estimé nul"
    assert _result(None).reason == "Question sans réponse : Taille"


def test_a_rule_without_reason_gets_a_generic_one() -> None:
    assert _result(_simple("SIZE", "gt", "20"), SIZE=10).reason == "Conditions d'éligibilité non remplies"
