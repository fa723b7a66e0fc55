"""A rule set compiled once into closures: answer normalizers, display conditions, checks, formulas.

``compiled(rule_set)`` builds them on first use and keeps them as long as the ``RuleSet`` object
lives, so evaluating answers parses nothing and looks nothing up by name. Money is ``Decimal`` in a
private context; an amount is rounded half-up to the cent once, at the end of its formula.
"""

from __future__ import annotations

import math
import operator
import re
import weakref
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, NamedTuple

from shared.platform.errors import Unprocessable, field_error
from shared.simulation.models import (
    CHOICE_TYPES,
    INTEGER_TYPES,
    NUMBER_TYPES,
    TRANCHE_TYPES,
    AllRule,
    Answer,
    FormulaTrace,
    PercentageFormula,
    Product,
    ProductFormula,
    Question,
    Rule,
    RuleSet,
    SimpleRule,
    choice_key,
    rule_questions,
)

_CENT = Decimal("0.01")
MONEY = Context(prec=34)  # all arithmetic on money: independent of the caller's decimal context
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_PLACES = 20  # decimal places a number may have: more is no real value, only a way to make huge numbers
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "equals": operator.eq,
    "not_equals": operator.ne,
}

Answers = dict[str, Answer]
Check = Callable[[Answers], str | None]
"""None when the rule holds, else why not: a French sentence, or "" when the rule gives none."""
Normalizer = Callable[[object], Answer]
Compute = Callable[[Answers], FormulaTrace | None]


class AnswerError(Unprocessable):
    """An answer the rule set cannot accept. ``rule`` is a stable short code: unknown_question,
    wrong_type, out_of_bounds or not_in_choices; ``message`` says it in English."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[field_error(field, rule, message)])
        self.field = field
        self.rule = rule
        self.message = message


class CompiledQuestion(NamedTuple):
    code: str
    question: Question
    normalize: Normalizer
    visible: Check | None  # None: always shown


class CompiledProduct(NamedTuple):
    code: str
    name: str
    kind: str
    check: Check | None  # None: no eligibility rule
    compute: Compute | None  # None: qualitative; the compute returns None when its variable is absent
    missing: str  # the reason given when the formula's variable is absent
    reads: tuple[str, ...]  # questions the rule and the formula read, in questionnaire order
    read_set: frozenset[str]
    benefits: tuple[str, ...]
    qualitative: FormulaTrace | None


class Compiled(NamedTuple):
    version: str
    questions: tuple[CompiledQuestion, ...]
    by_code: dict[str, CompiledQuestion]
    products: tuple[CompiledProduct, ...]  # active products only, catalogue order


class Walk(NamedTuple):
    given: Answers  # every answer, normalized
    effective: Answers  # answers of shown questions: what rules and formulas see
    hidden: list[str]  # questions answered but not shown: their answers are ignored
    shown: list[Question]


_CACHE: dict[int, tuple[weakref.ref[RuleSet], Compiled]] = {}


def compiled(rule_set: RuleSet) -> Compiled:
    """The compiled form of a rule set, built on first use and kept while the rule set lives."""
    entry = _CACHE.get(id(rule_set))
    if entry is not None and entry[0]() is rule_set:
        return entry[1]
    result = _compile(rule_set)
    key = id(rule_set)

    def forget(ref: weakref.ref[RuleSet]) -> None:
        if _CACHE.get(key, (None,))[0] is ref:
            del _CACHE[key]

    _CACHE[key] = (weakref.ref(rule_set, forget), result)
    return result


def _compile(rule_set: RuleSet) -> Compiled:
    questions = {q.code: q for q in rule_set.questions}
    entries = tuple(
        CompiledQuestion(q.code, q, _normalizer(q), _check(q.condition, questions) if q.condition else None)
        for q in rule_set.questions
    )
    products = tuple(_product(p, questions) for p in rule_set.products if p.active)
    return Compiled(rule_set.version, entries, {entry.code: entry for entry in entries}, products)


def walk(engine: Compiled, answers: Mapping[str, object]) -> Walk:
    """Normalize every answer (``AnswerError``) and apply the display conditions in question order;
    a condition sees only the answers of shown questions. ``None`` means unanswered."""
    given: Answers = {}
    effective: Answers = {}
    hidden: list[str] = []
    shown: list[Question] = []
    get = answers.get
    for code, question, normalize, condition in engine.questions:
        visible = condition is None or condition(effective) is None
        if visible:
            shown.append(question)
        raw = get(code)
        if raw is None:
            continue
        answer = given[code] = normalize(raw)
        if visible:
            effective[code] = answer
        else:
            hidden.append(code)
    if len(given) != len(answers):
        for code in answers:
            if code not in engine.by_code:
                raise AnswerError(str(code), "unknown_question", f"no question {code} in rule set {engine.version}")
    return Walk(given, effective, hidden, shown)


# --- rules -------------------------------------------------------------------------------------


def missing_reason(q: Question) -> str:
    return f"Question sans réponse : {q.label}"


def _check(rule: Rule, questions: dict[str, Question]) -> Check:
    """Compile a rule. A simple rule on an absent (unanswered or hidden) answer fails."""
    if isinstance(rule, SimpleRule):
        return _simple(rule, questions[rule.question])
    reason = rule.reason or ""
    if isinstance(rule, AllRule):
        checks = tuple(_check(child, questions) for child in rule.all)

        def every(answers: Answers) -> str | None:
            for check in checks:
                failure = check(answers)
                if failure is not None:
                    return failure or reason  # the most specific reason
            return None

        return every
    alternatives = tuple(_check(child, questions) for child in rule.any)

    def some(answers: Answers) -> str | None:
        first: str | None = None
        for check in alternatives:
            failure = check(answers)
            if failure is None:
                return None
            first = failure if first is None else first
        return reason or first

    return some


def _simple(rule: SimpleRule, q: Question) -> Check:
    code, reason, missing, wanted = q.code, rule.reason or "", missing_reason(q), rule.value
    if rule.operator == "includes":

        def includes(answers: Answers) -> str | None:
            answer = answers.get(code)
            return missing if answer is None else None if isinstance(answer, tuple) and wanted in answer else reason

        return includes
    if rule.operator in ("equals", "not_equals") and q.type in CHOICE_TYPES:
        equal = rule.operator == "equals"

        def by_label(answers: Answers) -> str | None:
            answer = answers.get(code)
            return missing if answer is None else None if (answer == wanted) is equal else reason

        return by_label
    compare, target = _COMPARE[rule.operator], Decimal(wanted)
    tranches: dict[Any, Decimal] = dict(q.tranche_values or {})

    def by_number(answers: Answers) -> str | None:
        answer = answers.get(code)
        if answer is None:
            return missing
        return None if compare(answer if isinstance(answer, Decimal) else tranches[answer], target) else reason

    return by_number


# --- formulas ----------------------------------------------------------------------------------


def _product(p: Product, questions: dict[str, Question]) -> CompiledProduct:
    reads = rule_questions(p.eligibility) if p.eligibility else []
    compute, missing, qualitative = None, "", None
    if isinstance(p.formula, ProductFormula | PercentageFormula):
        variable = questions[p.formula.variable]
        compute, missing = _formula(p.formula, variable), missing_reason(variable)
        reads = [*reads, variable.code] if variable.code not in reads else reads
    elif p.formula is not None:
        qualitative = FormulaTrace("qualitative", p.formula.description)
    check = _check(p.eligibility, questions) if p.eligibility else None
    ordered = tuple(sorted(reads, key=lambda code: questions[code].order))
    benefits = tuple(b.label for b in p.benefits)
    return CompiledProduct(
        p.code, p.name, p.kind, check, compute, missing, ordered, frozenset(ordered), benefits, qualitative
    )


def french(number: Decimal) -> str:
    """A number as French text: 12 000,5 (traces also carry the exact values)."""
    return format(number, ",f").replace(",", " ").replace(".", ",")


def _formula(formula: ProductFormula | PercentageFormula, q: Question) -> Compute:
    code, label = q.code, q.label
    tranches: dict[Any, Decimal] = dict(q.tranche_values or {})
    if isinstance(formula, ProductFormula):
        kind, rate = "product", None
        factors = tuple(f.value for f in formula.factors)
        words = "".join(f" × {french(f.value)} ({f.label})" for f in formula.factors)
    else:
        kind, rate = "percentage", formula.rate
        factors = (MONEY.divide(formula.rate, Decimal(100)),)
        words = f" × {french(formula.rate)} %"
    multiply, new = MONEY.multiply, tuple.__new__  # (a named tuple without its Python-level __new__)

    def compute(answers: Answers) -> FormulaTrace | None:
        answer = answers.get(code)
        if answer is None:
            return None
        if isinstance(answer, Decimal):
            base, tranche = answer, None
        else:
            base, tranche = tranches[answer], answer
        raw = base
        for factor in factors:  # in order, exactly as the rule set lists them
            raw = multiply(raw, factor)
        amount = raw.quantize(_CENT, rounding=ROUND_HALF_UP, context=MONEY)
        shown = f"{french(base)} (tranche « {tranche} »)" if tranche is not None else french(base)
        text = f"{label} : {shown}{words} = {french(amount)} €"
        return new(FormulaTrace, (kind, text, code, answer, base, tranche, factors, rate, raw, amount))

    return compute


# --- answers -----------------------------------------------------------------------------------


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def as_number(value: object) -> Decimal | None:
    """The number a JSON-like value stands for, or None. A bool is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return Decimal(str(value)) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) <= 40 and _NUMBER.fullmatch(text := value.strip()):
        return Decimal(text)
    return None


def _normalizer(q: Question) -> Normalizer:
    if q.type in NUMBER_TYPES:
        return _number(q, "a whole number" if q.type in INTEGER_TYPES else "a number")
    canonical = {choice_key(option): option for option in q.options}
    canonical.update((option, option) for option in q.options)
    code, listed = q.code, ", ".join(q.options)

    def option_of(value: object) -> str:
        if not isinstance(value, str):
            raise AnswerError(code, "wrong_type", f"expected one of the options as a string, got {_describe(value)}")
        option = canonical.get(value) or canonical.get(choice_key(value))
        if option is None:
            raise AnswerError(code, "not_in_choices", f"{_describe(value)} is not one of: {listed}")
        return option

    if q.type == "multi_choice":

        def several(value: object) -> Answer:
            if not isinstance(value, list | tuple):
                raise AnswerError(code, "wrong_type", f"expected a list of options, got {_describe(value)}")
            chosen = {option_of(item) for item in value}
            return tuple(option for option in q.options if option in chosen)

        return several
    if q.type in TRANCHE_TYPES:
        number = _number(q, "a tranche or a whole number" if q.type in INTEGER_TYPES else "a tranche or a number")

        def tranche_or_number(value: object) -> Answer:
            if isinstance(value, str):
                option = canonical.get(value) or canonical.get(choice_key(value))
                if option is not None:
                    return option
                if as_number(value) is None:
                    raise AnswerError(
                        code, "not_in_choices", f"{_describe(value)} is neither a number nor one of: {listed}"
                    )
            return number(value)

        return tranche_or_number
    if q.type == "yes_no":
        yes, no = q.options  # a yes_no question lists yes first

        def yes_no(value: object) -> Answer:
            return (yes if value else no) if isinstance(value, bool) else option_of(value)

        return yes_no
    return option_of


def _number(q: Question, kind: str) -> Normalizer:
    code, low, high, whole = q.code, q.min, q.max, q.type in INTEGER_TYPES
    assert low is not None and high is not None  # guaranteed by the Question model

    def number(value: object) -> Answer:
        exact_int = type(value) is int  # the common case: whole, and nothing more to check
        found = as_number(value)
        if found is None:
            raise AnswerError(code, "wrong_type", f"expected {kind}, got {_describe(value)}")
        if not low <= found <= high:
            raise AnswerError(code, "out_of_bounds", f"must be between {low} and {high}, got {_describe(value)}")
        if not exact_int:
            if whole and found != found.to_integral_value():
                raise AnswerError(code, "wrong_type", f"expected {kind}, got {_describe(value)}")
            exponent = found.as_tuple().exponent
            if not whole and (not isinstance(exponent, int) or exponent < -_PLACES):
                raise AnswerError(
                    code, "wrong_type", f"expected at most {_PLACES} decimal places, got {_describe(value)}"
                )
            if whole:
                return Decimal(int(found))
            return found.copy_abs() if found.is_zero() else found  # no "-0"
        return found

    return number
