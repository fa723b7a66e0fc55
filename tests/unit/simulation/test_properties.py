"""Properties that hold for any valid answers of FR-2025.1 (hypothesis)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.simulation.engine import evaluate, normalize_answers, result_to_json, visible_questions
from shared.simulation.models import Question, SimulationResult, load_rule_set

RULE_SET = load_rule_set("FR-2025.1")
QUESTIONS = {q.code: q for q in RULE_SET.questions}
THOROUGH = settings(deadline=None, max_examples=150)  # deadline=None: a loaded CI machine is not a failure


def _numbers(q: Question) -> st.SearchStrategy[Any]:
    assert q.min is not None and q.max is not None
    whole = st.integers(int(q.min), int(q.max))
    small = st.integers(int(q.min), min(int(q.max), 100))  # small values cross zero and the priority thresholds
    if q.type in ("integer", "tranche_or_integer"):
        return whole | small
    return whole | small | st.decimals(q.min, q.max, places=2) | st.decimals(q.min, Decimal(50), places=4)


def answer_to(q: Question) -> st.SearchStrategy[Any]:
    if q.type in ("choice", "yes_no"):
        return st.sampled_from(q.options)
    if q.type == "multi_choice":
        return st.lists(st.sampled_from(q.options), unique=True)
    if q.type.startswith("tranche_or_"):
        return st.sampled_from(q.options) | _numbers(q)
    return _numbers(q)


@st.composite
def answer_sets(draw: st.DrawFn, answered: float = 0.85) -> dict[str, Any]:
    """Answers to any questions, hidden ones included; each question answered with probability ~answered."""
    return {
        q.code: draw(answer_to(q), label=q.code)
        for q in RULE_SET.questions
        if draw(st.floats(0, 1), label=f"{q.code}?") < answered
    }


def _outcome(result: SimulationResult) -> dict[str, Any]:
    """Everything but the explanation (which lists ignored answers, so it may differ)."""
    products = {c: (p.eligible, p.amount, p.priority, p.reason, p.benefits) for c, p in result.products.items()}
    return {"products": products, "total": result.total}


@THOROUGH
@given(answer_sets())
def test_amounts_are_never_negative_and_total_is_their_sum(answers: dict[str, Any]) -> None:
    result = evaluate(RULE_SET, answers)
    eligible_amounts = []
    for product in result.products.values():
        if product.eligible and product.kind == "financial":
            assert product.amount is not None and product.amount > 0
            assert product.amount.as_tuple().exponent == -2
            assert product.priority == (1 if product.amount >= 10000 else 2 if product.amount >= 5000 else 3)
            eligible_amounts.append(product.amount)
        elif product.eligible:
            assert (product.amount, product.priority, product.reason) == (None, 3, None) and product.benefits
        else:
            assert (product.amount, product.priority, product.benefits) == (None, None, ())
            assert product.reason
    assert result.total == sum(eligible_amounts, Decimal("0.00")) >= 0


@THOROUGH
@given(answer_sets(), st.data())
def test_hidden_answers_never_change_a_result(answers: dict[str, Any], data: st.DataObject) -> None:
    shown = {q.code for q in visible_questions(RULE_SET, answers)}
    hidden = [code for code in QUESTIONS if code not in shown]
    without = {code: value for code, value in answers.items() if code in shown}
    other = {code: data.draw(answer_to(QUESTIONS[code]), label=code) for code in hidden}
    expected = _outcome(evaluate(RULE_SET, without))
    assert _outcome(evaluate(RULE_SET, answers)) == expected
    assert _outcome(evaluate(RULE_SET, {**without, **other})) == expected
    for product in evaluate(RULE_SET, {**without, **other}).products.values():
        assert set(product.explanation.ignored) <= set(hidden)
        assert all(product.explanation.inputs[code] is None for code in product.explanation.ignored)


@THOROUGH
@given(answer_sets(), st.sampled_from(["GENERAL_002", "GENERAL_003"]), st.data())
def test_a_tranche_and_its_exact_number_give_the_same_amounts(
    answers: dict[str, Any], code: str, data: st.DataObject
) -> None:
    question = QUESTIONS[code]
    assert question.tranche_values is not None
    tranche = data.draw(st.sampled_from(question.options), label="tranche")
    exact = int(question.tranche_values[tranche])
    by_tranche = evaluate(RULE_SET, {**answers, code: tranche})
    by_number = evaluate(RULE_SET, {**answers, code: exact})
    by_string = evaluate(RULE_SET, {**answers, code: str(exact)})
    assert _outcome(by_tranche) == _outcome(by_number) == _outcome(by_string)


@THOROUGH
@given(answer_sets(), st.randoms())
def test_results_do_not_depend_on_answer_order_or_repetition(answers: dict[str, Any], rng: Any) -> None:
    items = list(answers.items())
    rng.shuffle(items)
    first = evaluate(RULE_SET, answers)
    assert evaluate(RULE_SET, dict(items)) == first
    assert evaluate(RULE_SET, answers) == first
    assert result_to_json(evaluate(RULE_SET, dict(items))) == result_to_json(first)


@THOROUGH
@given(answer_sets())
def test_normalized_answers_give_the_same_result(answers: dict[str, Any]) -> None:
    normalized = normalize_answers(RULE_SET, answers)
    assert normalize_answers(RULE_SET, normalized) == normalized
    assert evaluate(RULE_SET, normalized) == evaluate(RULE_SET, answers)
    loose = {
        code: f"  {value.upper()} " if isinstance(value, str) and not re.fullmatch(r"[\d.]+", value) else value
        for code, value in normalized.items()
    }
    assert evaluate(RULE_SET, loose) == evaluate(RULE_SET, answers)


@THOROUGH
@given(answer_sets())
def test_the_wire_amounts_have_two_decimals_and_add_up(answers: dict[str, Any]) -> None:
    wire = result_to_json(evaluate(RULE_SET, answers))
    amounts = [p["amount"] for p in wire["products"].values() if p["amount"] is not None]
    assert all(re.fullmatch(r"\d+\.\d\d", amount) for amount in [*amounts, wire["total"]])
    assert Decimal(wire["total"]) == sum(map(Decimal, amounts), Decimal(0))
