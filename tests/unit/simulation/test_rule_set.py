"""The bundled rule set file validates, references only what exists, and the schema refuses mistakes."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.simulation.models import (
    AllRule,
    AnyRule,
    PercentageFormula,
    ProductFormula,
    Rule,
    RuleSet,
    SimpleRule,
    UnknownRuleSet,
    available_rule_sets,
    load_rule_set,
    rule_questions,
)

FILE = Path(__file__).resolve().parents[3] / "shared" / "simulation" / "rulesets" / "FR-2025.1.json"


@pytest.fixture
def document() -> dict[str, Any]:
    """The raw JSON of FR-2025.1, fresh for each test to break."""
    data: dict[str, Any] = json.loads(FILE.read_text(encoding="utf-8"))
    return data


def _decimals(values: dict[str, Any]) -> dict[str, Any]:
    """The same mapping with every int (also inside tuples) as a Decimal."""
    return {key: tuple(map(Decimal, v)) if isinstance(v, tuple) else Decimal(v) for key, v in values.items()}


def _questions_read(rule: Rule | None) -> list[str]:
    return rule_questions(rule) if rule is not None else []


def test_the_bundled_file_validates_and_is_the_loaded_rule_set(document: dict[str, Any], rule_set: RuleSet) -> None:
    assert RuleSet.model_validate(document) == rule_set
    assert rule_set.version == "FR-2025.1" and rule_set.effective_from.isoformat() == "2025-01-01"
    assert "FR-2025.1" in available_rule_sets()
    assert load_rule_set("FR-2025.1") is rule_set  # cached: compiled once per process


def test_questionnaire_matches_the_spec(rule_set: RuleSet) -> None:
    assert [q.code for q in rule_set.questions] == [
        "GENERAL_001", "GENERAL_002", "GENERAL_003", "GENERAL_004", "FONCIER_001", "RECOUVR_001",
        "ENERGIE_ELEC_FACTURES", "ENERGIE_ELEC_MONTANT", "ENERGIE_GAZ_FACTURES", "ENERGIE_GAZ_MONTANT",
        "TICPE_001", "TICPE_003", "TICPE_002", "DFS_001",
    ]  # fmt: skip
    assert all(q.required and q.label and q.label_en for q in rule_set.questions)
    revenue, employees = rule_set.question("GENERAL_002"), rule_set.question("GENERAL_003")
    assert revenue is not None and employees is not None
    assert revenue.tranche_values == _decimals(
        {"Moins de 100 000€": 50000, "100 000€ - 500 000€": 300000, "500 000€ - 1 000 000€": 750000,
         "1 000 000€ - 5 000 000€": 3000000, "Plus de 5 000 000€": 7500000}
    )  # fmt: skip
    assert employees.tranche_values == _decimals(
        {"Aucun": 0, "1 à 5": 3, "6 à 20": 13, "21 à 50": 35, "Plus de 50": 75}
    )
    bounds = _decimals({"revenue": (0, 1_000_000_000), "employees": (0, 100_000)})
    assert {"revenue": (revenue.min, revenue.max), "employees": (employees.min, employees.max)} == bounds


def test_every_code_a_product_or_condition_references_exists(rule_set: RuleSet) -> None:
    codes = {q.code for q in rule_set.questions}
    for q in rule_set.questions:
        assert set(_questions_read(q.condition)) <= codes
    for p in rule_set.products:
        assert set(_questions_read(p.eligibility)) <= codes
        if isinstance(p.formula, ProductFormula | PercentageFormula):
            assert p.formula.variable in codes


def test_catalogue_order_kinds_and_inactive_rows(rule_set: RuleSet) -> None:
    assert [(p.code, p.kind, p.active) for p in rule_set.products] == [
        ("ticpe", "financial", True), ("urssaf", "financial", True), ("dfs", "financial", True),
        ("foncier", "financial", True), ("msa", "financial", True), ("energie_elec", "financial", True),
        ("energie_gaz", "financial", True), ("recouvrement", "financial", True),
        ("chronotachygraphes", "qualitative", True), ("logiciel_solid", "qualitative", True),
        ("cee", "financial", False), ("tva", "financial", False), ("cir", "financial", False),
    ]  # fmt: skip
    sectors = set(rule_set.questions[0].options)
    assert all(set(p.sectors) <= sectors for p in rule_set.products)
    assert all(p.benefits for p in rule_set.products if p.active)


def test_numbers_in_the_file_are_decimals_never_floats(rule_set: RuleSet) -> None:
    ticpe = rule_set.products[0].formula
    assert isinstance(ticpe, ProductFormula)
    assert [f.value for f in ticpe.factors] == [Decimal("12"), Decimal("0.20")]
    assert all(isinstance(f.value, Decimal) for f in ticpe.factors)


def test_the_rule_set_round_trips_through_json_for_seeding(rule_set: RuleSet) -> None:
    dumped = rule_set.model_dump(mode="json")
    assert dumped["products"][0]["formula"]["factors"][1]["value"] == "0.20"
    assert RuleSet.model_validate_json(json.dumps(dumped)) == rule_set


def test_the_schema_is_publishable_with_numbers_as_strings() -> None:
    schema = RuleSet.model_json_schema()
    factor = schema["$defs"]["Factor"]["properties"]["value"]
    assert factor["type"] == "string" and factor["pattern"].startswith("^")
    assert {"SimpleRule", "AllRule", "AnyRule", "Question", "Product"} <= set(schema["$defs"])


def test_nested_rules_parse_into_their_kinds(rule_set: RuleSet) -> None:
    rule = rule_set.products[0].eligibility
    assert isinstance(rule, AllRule)
    assert [type(child) for child in rule.all] == [SimpleRule, AnyRule, SimpleRule]


def test_unknown_rule_sets_are_not_found() -> None:
    for version in ("FR-1999.1", "../models", "FR-2025.1.json"):
        with pytest.raises(UnknownRuleSet):
            load_rule_set(version)


def _break(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of the document with the value at a dotted path (list indexes as numbers) replaced."""
    broken = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = broken
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("products.3.formula.rate", 20, "decimal number written as a string"),
        ("products.0.formula.factors.1.value", 0.2, "decimal number written as a string"),
        ("questions.1.min", "-1e3", "decimal number written as a string"),
        ("questions.2.required", "yes", "valid boolean"),
        ("products.1.eligibility.operator", "contains", "equals"),
        ("products.1.eligibility.question", "GENERAL_999", "unknown or later question GENERAL_999"),
        ("products.1.eligibility.value", "beaucoup", "needs a decimal value"),
        ("products.9.eligibility.value", "Transport", "is not an option of GENERAL_001"),
        ("products.8.eligibility.all.1.operator", "equals", "use includes on multi_choice"),
        ("products.9.eligibility.operator", "includes", "includes needs a multi_choice question"),
        ("products.9.eligibility.operator", "gt", "needs a decimal value"),
        ("questions.4.condition.question", "TICPE_001", "unknown or later question TICPE_001"),
        ("products.3.formula.variable", "GENERAL_001", "not a numeric question"),
        ("products.0.formula.factors.1.value", "-0.20", "amounts could be negative"),
        ("products.0.kind", "qualitative", "cannot use a product formula"),
        ("products.9.benefits", [], "lists its benefits"),
        ("products.1.formula", None, "needs a formula"),
        ("products.1.code", "ticpe", "duplicate product code"),
        ("questions.1.order", 1, "duplicate question order"),
        ("questions.2.tranche_values.Aucun", None, "decimal number written as a string"),
        ("questions.2.options.0", "aucun ", "tranche_values must give a value for each option"),
        ("questions.0.options.1", "transport  et logistique", "differ case-insensitively"),
        ("questions.3.options", ["Oui", "Non", "Peut-être"], "exactly two options"),
        ("questions.4.options", ["1", "2"], "takes no options"),
        ("questions.4.max", None, "needs min and max"),
        ("questions.13.min", "0.5", "whole numbers"),
        ("questions.4.min", "20000000", "min must not exceed max"),
        ("questions.0.unknown_field", 1, "Extra inputs are not permitted"),
        ("version", "2025", "should match pattern"),
    ],
)
def test_the_schema_refuses(document: dict[str, Any], path: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RuleSet.model_validate(_break(document, path, value))


def test_questions_and_products_are_sorted_by_their_order(document: dict[str, Any]) -> None:
    document["questions"].reverse()
    document["products"].reverse()
    rule_set = RuleSet.model_validate(document)
    assert rule_set.questions[0].code == "GENERAL_001" and rule_set.products[0].code == "ticpe"
