"""From a rule set and answers to the renderers' inputs: the simulation report and the what-if comparison.

Pure: the engine computes, this module puts its results into words, in French or English. Labels,
product names, benefits, reasons and formulas come from the rule set (``label``/``label_en``…); the
engine's French reasons are translated through the rule set's own ``reason``/``reason_en`` pairs.
Option values stay as the questionnaire states them (French), except yes/no.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from shared.exports.formatting import format_amount, format_decimal, lang_of
from shared.exports.models import Answer, Comparison, ProductComparison, ProductResult, SimulationReport
from shared.simulation import engine
from shared.simulation.models import (
    AllRule,
    AnyRule,
    FormulaTrace,
    Product,
    ProductFormula,
    Question,
    Rule,
    RuleSet,
    SimpleRule,
)
from shared.simulation.models import ProductResult as Outcome

_ENGINE_REASONS = {
    "Conditions d'éligibilité non remplies": "Eligibility conditions not met",
    "Gain estimé nul": "The estimated gain is zero",
}
_UNITS_EN = {"€/mois": "€/month", "L/mois": "L/month", "salariés": "employees", "chauffeurs": "drivers"}
_YES_NO_EN = {"Oui": "Yes", "Non": "No"}
_IGNORED = {
    "fr": "{answer} (réponse non prise en compte : question non affichée)",
    "en": "{answer} (not taken into account: question not shown)",
}


def _rule_reasons(rule: Rule, into: dict[str, str]) -> None:
    if rule.reason and rule.reason_en:
        into.setdefault(rule.reason, rule.reason_en)
    if not isinstance(rule, SimpleRule):
        for child in rule.all if isinstance(rule, AllRule) else rule.any:
            _rule_reasons(child, into)


def _english_reasons(rule_set: RuleSet) -> dict[str, str]:
    """French reason → English, for every reason the engine can give with this rule set."""
    reasons = dict(_ENGINE_REASONS)
    for q in rule_set.questions:
        reasons[f"Question sans réponse : {q.label}"] = f"Unanswered question: {q.label_en}"
        if isinstance(q.condition, AllRule | AnyRule | SimpleRule):
            _rule_reasons(q.condition, reasons)
    for p in rule_set.products:
        if p.eligibility is not None:
            _rule_reasons(p.eligibility, reasons)
    return reasons


def reason_text(rule_set: RuleSet, reason: str | None, lang: str) -> str:
    if not reason:
        return ""
    return _english_reasons(rule_set).get(reason, reason) if lang_of(lang) == "en" else reason


def answer_text(question: Question, value: engine.Answer, lang: str) -> str:
    """An answer as the reader expects it: ``3 456,78 €``, ``5 000 L/mois``, ``Camions …; Engins …``."""
    lang = lang_of(lang)
    if isinstance(value, tuple):
        return "; ".join(value)
    if isinstance(value, str):
        return _YES_NO_EN.get(value, value) if lang == "en" and question.type == "yes_no" else value
    if question.unit == "€":
        return format_amount(value, lang)
    unit = _UNITS_EN.get(question.unit or "", question.unit) if lang == "en" else question.unit
    number = format_decimal(value, lang)
    return f"{number}\u00a0{unit}" if unit else number


def report_answers(rule_set: RuleSet, answers: Mapping[str, object], lang: str) -> tuple[Answer, ...]:
    """Every answer, in questionnaire order; an answer to a question not shown says it was ignored."""
    lang = lang_of(lang)
    given = engine.normalize_answers(rule_set, answers)
    hidden = set(engine.ignored_answers(rule_set, answers))
    out = []
    for q in rule_set.questions:
        if q.code not in given:
            continue
        text = answer_text(q, given[q.code], lang)
        if q.code in hidden:
            text = _IGNORED[lang].format(answer=text)
        out.append(Answer(q.label if lang == "fr" else q.label_en, text))
    return tuple(out)


def formula_text(rule_set: RuleSet, product: Product, trace: FormulaTrace | None, lang: str) -> str:
    """The computation with its figures, e.g. ``Litres de carburant par mois : 5 000 × 12 (mois par an)
    × 0,20 (€ remboursés par litre) = 12 000,00 €``; empty for a qualitative product."""
    if trace is None or trace.type == "qualitative" or trace.base is None or trace.variable is None:
        return ""
    english = lang_of(lang) == "en"
    question = rule_set.question(trace.variable)
    name = (question.label_en if english else question.label) if question else trace.variable
    base = format_decimal(trace.base, lang)
    if trace.tranche:
        base += f" (tranche “{trace.tranche}”)" if english else f" (tranche « {trace.tranche} »)"
    formula = product.formula
    if trace.rate is not None:
        steps = f" × {format_decimal(trace.rate, lang)}{'' if english else chr(0xA0)}%"
    else:
        factors = formula.factors if isinstance(formula, ProductFormula) else []
        labels = [f.label_en if english else f.label for f in factors]
        steps = "".join(
            f" × {format_decimal(value, lang)}" + (f" ({labels[i]})" if i < len(labels) else "")
            for i, value in enumerate(trace.factors)
        )
    return f"{name}{':' if english else ' :'} {base}{steps} = {format_amount(trace.amount, lang)}"


def _product(rule_set: RuleSet, result: Outcome, lang: str) -> ProductResult:
    english = lang_of(lang) == "en"
    product = next(p for p in rule_set.products if p.code == result.code)
    benefits = tuple(b.label_en if english else b.label for b in product.benefits) if result.eligible else ()
    return ProductResult(
        code=result.code,
        name=product.name_en if english else product.name,
        eligible=result.eligible,
        reason=reason_text(rule_set, result.reason, lang),
        amount=result.amount,
        formula=formula_text(rule_set, product, result.explanation.formula, lang) if result.eligible else "",
        benefits=benefits,
    )


def simulation_report(
    rule_set: RuleSet,
    answers: Mapping[str, object],
    *,
    company: str,
    siren: str | None,
    day: date,
    lang: str = "fr",
    reference: str | None = None,
) -> SimulationReport:
    """The report of one simulation: its answers, every active product and the total (``AnswerError``
    when an answer is invalid)."""
    result = engine.evaluate(rule_set, answers)
    return SimulationReport(
        company_name=company,
        siren=siren,
        simulated_on=day,
        rule_set_version=result.rule_set,
        answers=report_answers(rule_set, answers, lang),
        products=tuple(_product(rule_set, p, lang) for p in result.products.values()),
        total=result.total,
        reference=reference,
    )


def comparison(
    rule_set: RuleSet,
    old_answers: Mapping[str, object],
    new_answers: Mapping[str, object],
    *,
    company: str,
    siren: str | None,
    day: date,
    lang: str = "fr",
) -> Comparison:
    """What-if: both answer sets and, per product, the old and new eligibility and amounts."""
    english = lang_of(lang) == "en"
    names = {p.code: p.name_en if english else p.name for p in rule_set.products}
    result = engine.compare(rule_set, old_answers, new_answers)
    products = tuple(
        ProductComparison(code, names[code], d.old_eligible, d.new_eligible, d.old_amount, d.new_amount)
        for code, d in result.products.items()
    )
    return Comparison(
        company_name=company,
        siren=siren,
        compared_on=day,
        rule_set_version=result.rule_set,
        old_answers=report_answers(rule_set, old_answers, lang),
        new_answers=report_answers(rule_set, new_answers, lang),
        products=products,
        old_total=result.old_total,
        new_total=result.new_total,
    )
