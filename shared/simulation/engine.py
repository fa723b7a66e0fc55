"""Pure, deterministic simulation: answers → questionnaire flow, eligibility, amounts, comparison.

Nothing here does I/O. Every function validates the answers it is given (``AnswerError``); in an
answers mapping a ``None`` value means unanswered. Answers to hidden questions are ignored, and each
product's explanation lists the ones it would have read.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from shared.simulation.compiler import MONEY, AnswerError, Answers, CompiledProduct, compiled, walk
from shared.simulation.models import (
    Answer,
    Change,
    Comparison,
    Explanation,
    FormulaTrace,
    ProductDelta,
    ProductResult,
    Question,
    RuleSet,
    SimulationResult,
)

__all__ = [
    "Answer",
    "AnswerError",
    "compare",
    "comparison_to_json",
    "evaluate",
    "ignored_answers",
    "missing_required",
    "next_question",
    "normalize_answer",
    "normalize_answers",
    "result_to_json",
    "visible_questions",
]

ZERO = Decimal("0.00")
_PRIORITY_1, _PRIORITY_2 = Decimal(10000), Decimal(5000)
_UNSPECIFIED = "Conditions d'éligibilité non remplies"
_NOTHING = "Gain estimé nul"


# --- answers and questionnaire flow ------------------------------------------------------------


def normalize_answer(rule_set: RuleSet, code: str, value: object) -> Answer:
    """The canonical form of one answer, or ``AnswerError`` (unknown_question, wrong_type,
    out_of_bounds, not_in_choices).

    Options match case-insensitively, spaces trimmed, and come back as the canonical option;
    numbers may be int, Decimal, float or numeric strings (never bool) and come back as Decimal;
    a multi_choice answer is a list of options and comes back as a tuple in option order."""
    engine = compiled(rule_set)
    entry = engine.by_code.get(code)
    if entry is None:
        raise AnswerError(str(code), "unknown_question", f"no question {code} in rule set {engine.version}")
    return entry.normalize(value)


def normalize_answers(rule_set: RuleSet, answers: Mapping[str, object]) -> dict[str, Answer]:
    """Every answer normalized, in question order; ``None`` answers (unanswered) are dropped."""
    return walk(compiled(rule_set), answers).given


def visible_questions(rule_set: RuleSet, answers: Mapping[str, object]) -> list[Question]:
    """The questions shown for these answers, in order."""
    return walk(compiled(rule_set), answers).shown


def next_question(rule_set: RuleSet, answers: Mapping[str, object]) -> Question | None:
    """The first shown question without an answer; None when there is nothing left to ask."""
    state = walk(compiled(rule_set), answers)
    return next((q for q in state.shown if q.code not in state.given), None)


def missing_required(rule_set: RuleSet, answers: Mapping[str, object]) -> list[str]:
    """Codes of shown required questions without an answer: while any remain, the simulation is a draft."""
    state = walk(compiled(rule_set), answers)
    return [q.code for q in state.shown if q.required and q.code not in state.given]


def ignored_answers(rule_set: RuleSet, answers: Mapping[str, object]) -> list[str]:
    """Codes answered but hidden by their display condition: those answers are ignored."""
    return walk(compiled(rule_set), answers).hidden


# --- evaluation --------------------------------------------------------------------------------


def evaluate(rule_set: RuleSet, answers: Mapping[str, object]) -> SimulationResult:
    """Eligibility, amount, priority, reason and explanation of every active product, and the total
    of the eligible amounts. Unanswered questions are absent: a rule on them fails."""
    engine = compiled(rule_set)
    state = walk(engine, answers)
    products: dict[str, ProductResult] = {}
    total = ZERO
    for product in engine.products:
        result = _product(product, engine.version, state.effective, state.hidden)
        products[product.code] = result
        if result.amount is not None:
            total = MONEY.add(total, result.amount)
    return SimulationResult(engine.version, products, total)


_new = tuple.__new__  # builds a named tuple without its Python-level __new__: this is the hot path


def _product(p: CompiledProduct, version: str, effective: Answers, hidden: list[str]) -> ProductResult:
    reads, get = p.reads, effective.get
    inputs = {code: get(code) for code in reads}
    ignored = tuple(filter(hidden.__contains__, reads)) if hidden and not p.read_set.isdisjoint(hidden) else ()
    failure = p.check(effective) if p.check is not None else None
    trace: FormulaTrace | None = None
    amount: Decimal | None = None
    if failure is not None:
        eligible, priority, reason = False, None, failure or _UNSPECIFIED
    elif p.compute is None:
        eligible, priority, reason, trace = True, 3, None, p.qualitative
    else:
        trace = p.compute(effective)
        amount = trace.amount if trace is not None else None
        if amount is None or amount <= 0:
            eligible, priority, reason, amount = False, None, p.missing if trace is None else _NOTHING, None
        else:
            eligible, reason = True, None
            priority = 1 if amount >= _PRIORITY_1 else 2 if amount >= _PRIORITY_2 else 3
    explanation = _new(Explanation, (version, inputs, ignored, trace))
    benefits = p.benefits if eligible else ()
    return _new(ProductResult, (p.code, p.name, p.kind, eligible, amount, priority, reason, benefits, explanation))


def compare(rule_set: RuleSet, old_answers: Mapping[str, object], new_answers: Mapping[str, object]) -> Comparison:
    """What-if: per product the old and new eligibility and amount and the delta, and the totals."""
    old, new = evaluate(rule_set, old_answers), evaluate(rule_set, new_answers)
    products = {code: _delta(old.products[code], result) for code, result in new.products.items()}
    return Comparison(new.rule_set, old, new, products, old.total, new.total, MONEY.subtract(new.total, old.total))


def _delta(old: ProductResult, new: ProductResult) -> ProductDelta:
    delta = MONEY.subtract(new.amount or ZERO, old.amount or ZERO)
    change: Change
    if new.eligible != old.eligible:
        change = "newly_eligible" if new.eligible else "no_longer_eligible"
    else:
        change = "increased" if delta > 0 else "decreased" if delta < 0 else "unchanged"
    return ProductDelta(new.code, new.name, old.eligible, new.eligible, old.amount, new.amount, delta, change)


# --- JSON --------------------------------------------------------------------------------------


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _plain(value: Answer | None) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    return list(value) if isinstance(value, tuple) else value


def _trace_json(trace: FormulaTrace) -> dict[str, Any]:
    if trace.type == "qualitative":
        return {"type": trace.type, "text": trace.text}
    out: dict[str, Any] = {
        "type": trace.type,
        "variable": trace.variable,
        "answer": _plain(trace.answer),
        "tranche": trace.tranche,
        "base": _plain(trace.base),
    }
    if trace.rate is not None:
        out["rate"] = _plain(trace.rate)
    else:
        out["factors"] = [_plain(factor) for factor in trace.factors]
    out.update(raw=_plain(trace.raw), amount=_money(trace.amount), text=trace.text)
    return out


def _product_json(result: ProductResult) -> dict[str, Any]:
    explanation = result.explanation
    return {
        "eligible": result.eligible,
        "amount": _money(result.amount),
        "priority": result.priority,
        "reason": result.reason,
        "benefits": list(result.benefits),
        "explanation": {
            "rule_set": explanation.rule_set,
            "inputs": {code: _plain(answer) for code, answer in explanation.inputs.items()},
            "ignored": list(explanation.ignored),
            "formula": None if explanation.formula is None else _trace_json(explanation.formula),
        },
    }


def result_to_json(result: SimulationResult) -> dict[str, Any]:
    """The stable wire form: amounts as strings with two decimals, products in catalogue order."""
    return {
        "rule_set": result.rule_set,
        "products": {code: _product_json(product) for code, product in result.products.items()},
        "total": _money(result.total),
    }


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    """Per product: old/new eligibility and amount, delta and kind of change; totals and their delta."""
    return {
        "rule_set": comparison.rule_set,
        "products": {
            code: {
                "old_eligible": d.old_eligible,
                "new_eligible": d.new_eligible,
                "old_amount": _money(d.old_amount),
                "new_amount": _money(d.new_amount),
                "delta": _money(d.delta),
                "change": d.change,
            }
            for code, d in comparison.products.items()
        },
        "old_total": _money(comparison.old_total),
        "new_total": _money(comparison.new_total),
        "total_delta": _money(comparison.total_delta),
    }
