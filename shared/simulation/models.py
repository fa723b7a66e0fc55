"""A rule set as data (questions, products, rules, formulas), validated strictly, and the result types.

Numbers are written as decimal strings in the JSON and parsed to ``Decimal``, never float. Cross
references (a rule naming a question, a formula reading a variable) are checked when a rule set is
validated, so the engine can trust what it compiles. Result types are named tuples (immutable and
cheap: the engine builds tens of thousands per second); ``engine.result_to_json`` is their wire form.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from shared.platform.errors import NotFound

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
MAX_INTEGER_DIGITS, MAX_FRACTION_DIGITS = 15, 10
_BOUNDED_DECIMAL = re.compile(rf"-?\d{{1,{MAX_INTEGER_DIGITS}}}(\.\d{{1,{MAX_FRACTION_DIGITS}}})?")
_STORED_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)(E[-+]?\d+)?", re.IGNORECASE)
_VERSION = re.compile(r"[A-Z]{2}-\d{4}\.\d+")


def _decimal_string(value: object, info: ValidationInfo) -> Decimal:
    """Accept a decimal written as a string in plain notation, at most 15 digits before the point and
    10 after (or an already parsed finite ``Decimal``); refuse floats.

    What was stored before plain notation was enforced (``"1E-9"``) is still read back: validating
    with the context ``{"stored": True}`` also accepts exponent notation, so such a rule set loads."""
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, str) and _BOUNDED_DECIMAL.fullmatch(value):
        return Decimal(value)
    if isinstance(value, str) and (info.context or {}).get("stored") and _STORED_DECIMAL.fullmatch(value):
        return Decimal(value)
    raise ValueError(
        f'must be a decimal number written as a string, e.g. "0.20", with at most {MAX_INTEGER_DIGITS}'
        f" digits before the point and {MAX_FRACTION_DIGITS} after"
    )


def plain_decimal(value: Decimal) -> str:
    """A decimal in plain notation, as rule sets store it: ``0.000000001``, never ``1E-9``."""
    return format(value, "f")


def _iso_date(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError("must be an ISO date string, e.g. 2025-01-01")


DecimalStr = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    PlainSerializer(plain_decimal, return_type=str),
    WithJsonSchema({"type": "string", "pattern": f"^{_BOUNDED_DECIMAL.pattern}$", "examples": ["0.20"]}),
]
Text = Annotated[StrictStr, Field(min_length=1)]
QuestionCode = Annotated[StrictStr, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
ProductCode = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Operator = Literal["equals", "not_equals", "includes", "gt", "gte", "lt", "lte"]
QuestionType = Literal[
    "choice", "multi_choice", "yes_no", "number", "integer", "tranche_or_number", "tranche_or_integer"
]

NUMBER_TYPES = frozenset({"number", "integer"})
TRANCHE_TYPES = frozenset({"tranche_or_number", "tranche_or_integer"})
INTEGER_TYPES = frozenset({"integer", "tranche_or_integer"})
CHOICE_TYPES = frozenset({"choice", "multi_choice", "yes_no"})
COMPARISONS = frozenset({"gt", "gte", "lt", "lte"})


def choice_key(text: str) -> str:
    """How answers are matched to options: case-insensitive, whitespace trimmed and collapsed."""
    return " ".join(text.split()).casefold()


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- rules -------------------------------------------------------------------------------------


class SimpleRule(_Data):
    """``{question, operator, value}``; ``reason`` is the French sentence shown when it fails."""

    question: QuestionCode
    operator: Operator
    value: StrictStr
    reason: Text | None = None
    reason_en: Text | None = None

    @model_validator(mode="after")
    def _numeric_comparison(self) -> SimpleRule:
        if self.operator in COMPARISONS and not _DECIMAL.fullmatch(self.value):
            raise ValueError(f"operator {self.operator} needs a decimal value, got {self.value!r}")
        return self


class AllRule(_Data):
    """Satisfied when every sub-rule is."""

    all: list[Rule] = Field(min_length=1)
    reason: Text | None = None
    reason_en: Text | None = None


class AnyRule(_Data):
    """Satisfied when at least one sub-rule is."""

    any: list[Rule] = Field(min_length=1)
    reason: Text | None = None
    reason_en: Text | None = None


def _rule_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "all" if "all" in value else "any" if "any" in value else "simple"
    if isinstance(value, AllRule | AnyRule | SimpleRule):
        return "all" if isinstance(value, AllRule) else "any" if isinstance(value, AnyRule) else "simple"
    return None


Rule = Annotated[
    Annotated[SimpleRule, Tag("simple")] | Annotated[AllRule, Tag("all")] | Annotated[AnyRule, Tag("any")],
    Discriminator(_rule_kind),
]
AllRule.model_rebuild()
AnyRule.model_rebuild()


def rule_questions(rule: Rule) -> list[str]:
    """Question codes a rule reads, in first-use order, without duplicates."""
    if isinstance(rule, SimpleRule):
        return [rule.question]
    children = rule.all if isinstance(rule, AllRule) else rule.any
    return list(dict.fromkeys(code for child in children for code in rule_questions(child)))


# --- formulas ----------------------------------------------------------------------------------


class Factor(_Data):
    value: DecimalStr
    label: Text
    label_en: Text


class ProductFormula(_Data):
    """``variable × factors[0] × factors[1] …``, in order."""

    type: Literal["product"]
    variable: QuestionCode
    factors: list[Factor] = Field(min_length=1)
    description: Text
    description_en: Text


class PercentageFormula(_Data):
    """``variable × rate / 100``; ``rate`` is in percent."""

    type: Literal["percentage"]
    variable: QuestionCode
    rate: DecimalStr
    description: Text
    description_en: Text


class QualitativeFormula(_Data):
    """No amount: the product brings the benefits listed on it."""

    type: Literal["qualitative"]
    description: Text
    description_en: Text


Formula = Annotated[ProductFormula | PercentageFormula | QualitativeFormula, Field(discriminator="type")]


# --- questions and products --------------------------------------------------------------------


class Question(_Data):
    code: QuestionCode
    order: StrictInt = Field(ge=1)
    label: Text
    label_en: Text
    type: QuestionType
    unit: Text | None = None
    options: list[Text] = []
    tranche_values: dict[str, DecimalStr] | None = None
    min: DecimalStr | None = None
    max: DecimalStr | None = None
    required: StrictBool
    condition: Rule | None

    @property
    def numeric(self) -> bool:
        """Whether the answer stands for a number (formulas and gt/gte/lt/lte may read it)."""
        return self.type in NUMBER_TYPES or self.tranche_values is not None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        has_options = self.type in CHOICE_TYPES or self.type in TRANCHE_TYPES
        if has_options != bool(self.options):
            raise ValueError(f"{self.type} question {'needs' if has_options else 'takes no'} options")
        if len({choice_key(o) for o in self.options}) != len(self.options):
            raise ValueError("options must differ case-insensitively")
        if self.type == "yes_no" and len(self.options) != 2:
            raise ValueError("a yes_no question has exactly two options")
        wants_tranches = self.type in TRANCHE_TYPES or (self.type == "choice" and self.tranche_values is not None)
        if wants_tranches and set(self.tranche_values or {}) != set(self.options):
            raise ValueError("tranche_values must give a value for each option, and only for options")
        if not wants_tranches and self.tranche_values is not None:
            raise ValueError(f"a {self.type} question takes no tranche_values")
        bounded = self.type in NUMBER_TYPES or self.type in TRANCHE_TYPES
        if bounded != (self.min is not None and self.max is not None) or (self.min is None) != (self.max is None):
            raise ValueError(f"a {self.type} question {'needs' if bounded else 'takes no'} min and max")
        if self.min is not None and self.max is not None:
            if self.min > self.max:
                raise ValueError("min must not exceed max")
            if self.type in INTEGER_TYPES and (self.min % 1 or self.max % 1):
                raise ValueError("bounds of an integer question must be whole numbers")
        return self


class Benefit(_Data):
    label: Text
    label_en: Text


class Product(_Data):
    code: ProductCode
    order: StrictInt = Field(ge=1)
    name: Text
    name_en: Text
    category: Text | None
    category_en: Text | None
    kind: Literal["financial", "qualitative"]
    active: StrictBool
    sectors: list[Text] = Field(description="Sectors the product is meant for (display only); empty = any")
    notes: Text | None = None
    notes_en: Text | None = None
    benefits: list[Benefit]
    eligibility: Rule | None = Field(description="null = always eligible (a financial product still needs > 0)")
    formula: Formula | None

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        if self.active and self.formula is None:
            raise ValueError("an active product needs a formula")
        if self.formula is not None and (self.kind == "qualitative") != (self.formula.type == "qualitative"):
            raise ValueError(f"a {self.kind} product cannot use a {self.formula.type} formula")
        if self.active and self.kind == "qualitative" and not self.benefits:
            raise ValueError("an active qualitative product lists its benefits")
        return self


class RuleSet(_Data):
    """One published version of the questionnaire and the product rules."""

    version: Annotated[StrictStr, Field(pattern=_VERSION.pattern)]
    effective_from: Annotated[date, BeforeValidator(_iso_date)]
    description: Text | None = None
    questions: list[Question] = Field(min_length=1)
    products: list[Product]

    @field_validator("questions", "products")
    @classmethod
    def _in_order(cls, items: list[Any]) -> list[Any]:
        return sorted(items, key=lambda item: item.order)

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    @model_validator(mode="after")
    def _references(self) -> RuleSet:
        questions = {q.code: q for q in self.questions}
        for label, keys in (
            ("question code", [q.code for q in self.questions]),
            ("question order", [q.order for q in self.questions]),
            ("product code", [p.code for p in self.products]),
            ("product order", [p.order for p in self.products]),
        ):
            if len(set(keys)) != len(keys):
                raise ValueError(f"duplicate {label}")
        for q in self.questions:
            if q.condition is not None:
                earlier = {c: other for c, other in questions.items() if other.order < q.order}
                _check_rule(q.condition, earlier, f"condition of {q.code}")
        for p in self.products:
            if p.eligibility is not None:
                _check_rule(p.eligibility, questions, f"eligibility of {p.code}")
            if isinstance(p.formula, ProductFormula | PercentageFormula):
                _check_formula(p.formula, questions, p.code)
        return self


def _check_rule(rule: Rule, questions: dict[str, Question], where: str) -> None:
    """A rule names known (for a condition: earlier) questions, with operators and values that fit them."""
    if not isinstance(rule, SimpleRule):
        for child in rule.all if isinstance(rule, AllRule) else rule.any:
            _check_rule(child, questions, where)
        return
    q = questions.get(rule.question)
    if q is None:
        raise ValueError(f"{where}: unknown or later question {rule.question}")
    by_label = rule.operator == "includes" or (
        rule.operator in ("equals", "not_equals") and q.type in CHOICE_TYPES and q.type != "multi_choice"
    )
    if rule.operator == "includes" and q.type != "multi_choice":
        raise ValueError(f"{where}: includes needs a multi_choice question, {q.code} is {q.type}")
    if rule.operator in ("equals", "not_equals") and q.type == "multi_choice":
        raise ValueError(f"{where}: use includes on multi_choice question {q.code}")
    if by_label and rule.value not in q.options:
        raise ValueError(f"{where}: {rule.value!r} is not an option of {q.code}")
    if not by_label and not (q.numeric and _DECIMAL.fullmatch(rule.value)):
        raise ValueError(f"{where}: {rule.operator} {rule.value!r} needs a number and a numeric question ({q.code})")


def _check_formula(formula: ProductFormula | PercentageFormula, questions: dict[str, Question], code: str) -> None:
    """A formula reads a numeric question that cannot be negative, with non-negative rates."""
    q = questions.get(formula.variable)
    if q is None or not q.numeric:
        raise ValueError(f"formula of {code}: {formula.variable} is not a numeric question")
    lowest = min([*(q.tranche_values or {}).values(), *([q.min] if q.min is not None else [])])
    rates = [f.value for f in formula.factors] if isinstance(formula, ProductFormula) else [formula.rate]
    if lowest < 0 or min(rates) < 0:
        raise ValueError(f"formula of {code}: amounts could be negative")


# --- loading ----------------------------------------------------------------------------------


class UnknownRuleSet(NotFound):
    """Unknown rule set"""

    code = "rule_set_not_found"


def available_rule_sets() -> list[str]:
    """Versions bundled with the code, oldest first."""
    folder = resources.files(__package__).joinpath("rulesets")
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


@lru_cache(maxsize=16)
def load_rule_set(version: str) -> RuleSet:
    """The bundled rule set ``rulesets/<version>.json``, validated (cached: the same object each time)."""
    if not _VERSION.fullmatch(version):
        raise UnknownRuleSet(f"unknown rule set {version!r}")
    resource = resources.files(__package__).joinpath("rulesets", f"{version}.json")
    if not resource.is_file():
        raise UnknownRuleSet(f"unknown rule set {version!r}")
    rule_set = RuleSet.model_validate_json(resource.read_bytes())
    if rule_set.version != version:
        raise ValueError(f"rulesets/{version}.json declares version {rule_set.version}")
    return rule_set


# --- results ----------------------------------------------------------------------------------

Answer = str | Decimal | tuple[str, ...]
"""A normalized answer: a canonical option string, a number, or the chosen options in option order."""


class FormulaTrace(NamedTuple):
    """How an amount was computed: the value read, the rates applied, the result, and in words."""

    type: str
    text: str
    variable: str | None = None
    answer: Answer | None = None
    base: Decimal | None = None
    tranche: str | None = None
    factors: tuple[Decimal, ...] = ()
    rate: Decimal | None = None
    raw: Decimal | None = None
    amount: Decimal | None = None


class Explanation(NamedTuple):
    rule_set: str
    inputs: dict[str, Answer | None]  # questions this product reads → the answer used (None: absent)
    ignored: tuple[str, ...]  # of those, the questions answered but hidden (their answer was ignored)
    formula: FormulaTrace | None  # None when the eligibility rule failed before any computation


class ProductResult(NamedTuple):
    code: str
    name: str
    kind: str
    eligible: bool
    amount: Decimal | None  # cents; only for an eligible financial product
    priority: int | None  # 1 (≥ 10 000 €), 2 (≥ 5 000 €), 3; None when not eligible
    reason: str | None  # French, only when not eligible
    benefits: tuple[str, ...]
    explanation: Explanation


class SimulationResult(NamedTuple):
    rule_set: str
    products: dict[str, ProductResult]  # active products, catalogue order
    total: Decimal


Change = Literal["newly_eligible", "no_longer_eligible", "increased", "decreased", "unchanged"]


class ProductDelta(NamedTuple):
    code: str
    name: str
    old_eligible: bool
    new_eligible: bool
    old_amount: Decimal | None
    new_amount: Decimal | None
    delta: Decimal
    change: Change


class Comparison(NamedTuple):
    rule_set: str
    old: SimulationResult
    new: SimulationResult
    products: dict[str, ProductDelta]
    old_total: Decimal
    new_total: Decimal
    total_delta: Decimal
