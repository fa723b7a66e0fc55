"""What-if's fast paths give exactly what the slow, obvious computation gives.

What-if validates again only the exposures a shock wrote to (the others are the base document's
objects), renders the changed exposures' rows in one pass with memoised deltas, and reads the old
side from the stored base result. The reference here does none of that: it validates and computes
both documents in full, compares every figure (:func:`compare`) and keeps the exposures whose input
changed; both must be the same bytes, on random portfolios and random shocks, valid or not.
"""

from __future__ import annotations

import random
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.prudential.engine import compute
from shared.prudential.models import InputError, InvalidInput, revalidate, validate_input
from shared.prudential.numbers import EXACT, amount, canonical_json, rate
from shared.prudential.rules import RuleSet, load_rule_set
from shared.prudential.scenarios import _amount, _rate, _shocked, _walk, apply_shocks, compare, what_if
from tests.unit.prudential.test_properties import documents

RULES = load_rule_set("CRR3-2025.1")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLASSES = ("corporate", "retail", "real_estate", "institution", "central_government", "equity")


def reference(document: dict[str, Any], shocks: list[dict[str, Any]], rules: RuleSet) -> dict[str, Any]:
    """What-if the slow way: both documents validated and computed in full, every figure compared
    (:func:`compare` for the sections, its generic walk for each exposure)."""
    shocked = apply_shocks(document, shocks)
    before = validate_input(document, rules)
    try:
        after = validate_input(shocked, rules)
        new = compute(shocked, rules)
    except InvalidInput as exc:
        raise InvalidInput([e._replace(path=f"shocked.{e.path}") for e in exc.errors]) from exc
    old = compute(document, rules)
    full = compare(old, new)
    same_date = before.reference_date == after.reference_date
    rows = [  # paired by place (a shock may rename an exposure): the generic walk of every figure
        _walk(o, n)
        for a, b, o, n in zip(before.exposures, after.exposures, old["exposures"], new["exposures"], strict=True)
        if (a != b if same_date else o != n)
    ]
    figures = {k: v for k, v in full.items() if k != "exposures"}
    figures["exposures"] = rows
    return {
        "rule_set": rules.code,
        "shocks": shocks,
        "unchanged_exposures": len(after.exposures) - len(rows),
        "figures": figures,
    }


factors = st.sampled_from(["0", "0.5", "0.8", "1", "1.37", "2.5"])
shock = st.one_of(
    st.builds(lambda n, c: {"type": "downgrade", "notches": n, **c}, st.integers(1, 5),
              st.sampled_from([{}, *({"class": c} for c in CLASSES)])),
    st.builds(lambda c, f: {"type": "scale_class", "class": c, "factor": f}, st.sampled_from(CLASSES), factors),
    st.builds(lambda f: {"type": "scale_property_values", "factor": f}, factors),
    st.builds(lambda ids: {"type": "default", "ids": ids}, st.lists(st.sampled_from([f"e{i}" for i in range(8)]))),
    st.builds(lambda i, v: {"type": "set", "path": f"exposures[id=e{i}].cqs", "value": v}, st.integers(0, 7),
              st.sampled_from([1, 3, 6, 7, None, "2"])),
    st.builds(lambda i, v: {"type": "set", "path": f"exposures[id=e{i}].id", "value": v}, st.integers(0, 7),
              st.sampled_from(["e0", "e3", "new"])),
    st.builds(lambda i, v: {"type": "set", "path": f"exposures[id=e{i}].amount", "value": v}, st.integers(0, 7),
              st.sampled_from(["0", "1234.5", "-1", "12345678901234567"])),
    st.builds(lambda c: {"type": "set", "path": f"exposures[class={c}].currency_mismatch", "value": True},
              st.sampled_from(["retail", "real_estate"])),
    st.just({"type": "set", "path": "exposures[*].currency", "value": "USD"}),
    st.builds(lambda d: {"type": "set", "path": "reference_date", "value": d},
              st.sampled_from(["2025-06-30", "2029-12-31", "2033-01-01"])),
    st.just({"type": "set", "path": "own_funds.cet1_instruments", "value": "1"}),
    st.builds(lambda f: {"type": "scale_lcr_outflows", "factor": f}, factors),
)  # fmt: skip


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "result", canonical_json(call())
    except InvalidInput as exc:
        return "invalid", exc.errors


@SETTINGS
@given(documents(), st.lists(shock, max_size=4), st.booleans())
def test_what_if_is_byte_identical_to_the_full_recomputation(
    document: dict[str, Any], shocks: list[dict[str, Any]], with_base: bool
) -> None:
    base = compute(document, RULES) if with_base else None
    fast = _outcome(lambda: what_if(document, shocks, RULES, base=base))
    slow = _outcome(lambda: reference(document, shocks, RULES))
    assert fast == slow


@SETTINGS
@given(documents(), st.lists(shock, max_size=4))
def test_revalidating_the_written_exposures_equals_validating_everything(
    document: dict[str, Any], shocks: list[dict[str, Any]]
) -> None:
    validated = validate_input(document, RULES)
    shocked, copied = _shocked(document, shocks)
    assert copied is not None
    fast = revalidate(shocked, RULES, validated, copied)
    try:
        full = validate_input(shocked, RULES)
    except InvalidInput:
        assert fast is None  # a problem: the caller validates everything, which reports it
        return
    assert fast is None or fast == full
    if fast is not None:  # exposures no shock wrote to are the base's objects, not copies
        written = set(copied)
        assert all(fast.exposures[i] is e for i, e in enumerate(validated.exposures) if i not in written)


BASE: dict[str, Any] = {
    "reference_date": "2025-06-30",
    "exposures": [
        {"id": "c1", "class": "corporate", "amount": "1000000", "cqs": 2},
        {"id": "c2", "class": "corporate", "amount": "500000", "scra": "1000"},
        {"id": "r1", "class": "retail", "amount": "80000"},
    ],
    "own_funds": {"cet1_instruments": "400000"},
}


@pytest.mark.parametrize(
    ("shocks", "line"),
    [
        # fields the shortcut takes from the template must still be checked on a written exposure
        ([{"type": "set", "path": "exposures[id=c2].scra", "value": "600000"}],
         "shocked.exposures[1].scra: must not exceed amount"),
        ([{"type": "set", "path": "exposures[id=c1].amount", "value": "99999999999999"},
          {"type": "scale_class", "class": "corporate", "factor": "1000"}],
         "shocked.exposures[0].amount: must have at most 15 integer digits and 8 decimals"),
        ([{"type": "set", "path": "exposures[id=r1].cqs", "value": 2}],
         "shocked.exposures[2].cqs: unknown field (not listed for class retail)"),
        ([{"type": "set", "path": "exposures[id=c1].cqs", "value": True}],
         "shocked.exposures[0].cqs: must be an integer 1..6"),
        # a written id may collide with one no shock touched, before or after it
        ([{"type": "set", "path": "exposures[id=c1].id", "value": "r1"}], "shocked.exposures[2].id: duplicate id 'r1'"),
        ([{"type": "set", "path": "exposures[id=r1].id", "value": "c1"}], "shocked.exposures[2].id: duplicate id 'c1'"),
        ([{"type": "set", "path": "reference_date", "value": "2020-01-01"}],
         "shocked.reference_date: must be on or after 2025-01-01 (rule set CRR3-2025.1)"),
    ],
)  # fmt: skip
def test_a_written_exposure_is_validated_in_full(rule_set: RuleSet, shocks: list[dict[str, Any]], line: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        what_if(BASE, shocks, rule_set, base=compute(BASE, rule_set))
    assert caught.value.errors[0].line() == line
    with pytest.raises(InvalidInput) as expected:
        reference(BASE, shocks, rule_set)
    assert caught.value.errors == expected.value.errors


def test_a_renamed_exposure_goes_through_the_whole_validator(rule_set: RuleSet) -> None:
    validated = validate_input(BASE, rule_set)
    shocked, copied = _shocked(BASE, [{"type": "set", "path": "exposures[id=c1].id", "value": "c9"}])
    assert copied == [0] and revalidate(shocked, rule_set, validated, copied) is None
    result = what_if(BASE, [{"type": "set", "path": "exposures[id=c1].id", "value": "c9"}], rule_set)
    assert result["figures"]["exposures"][0]["id"] == {"old": "c1", "new": "c9", "delta": None}
    shocked, copied = _shocked(BASE, [{"type": "downgrade", "notches": 1}])
    fast = revalidate(shocked, rule_set, validated, copied)
    assert copied == [0] and fast == validate_input(shocked, rule_set)
    assert fast is not None and fast.exposures[1] is validated.exposures[1]


def test_the_bench_portfolio_what_if_is_byte_identical_to_the_full_recomputation(rule_set: RuleSet) -> None:
    from bench.bench_prudential import portfolio

    document = portfolio(1500, seed=11)
    lendable = [e["id"] for e in document["exposures"] if e["class"] in ("corporate", "retail")]
    for shocks in (
        [{"type": "downgrade", "notches": 1, "class": "corporate"}, {"type": "scale_property_values", "factor": "0.8"}],
        [{"type": "default", "ids": lendable[:40]}, {"type": "set", "path": "own_funds.at1_instruments", "value": "1"}],
        [{"type": "scale_class", "class": "retail", "factor": "1.37"}, {"type": "downgrade", "notches": 5}],
    ):  # fmt: skip
        fast = what_if(document, shocks, rule_set, base=compute(document, rule_set))
        assert canonical_json(fast) == canonical_json(reference(document, shocks, rule_set))


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**25), max_value=10**25), st.integers(0, 40))
def test_the_fast_roundings_are_the_contract_roundings(value: Decimal, shift: int) -> None:
    with localcontext(EXACT):
        scaled = value.scaleb(-shift)
        for number in (value, scaled, -scaled):
            assert _amount(number) == amount(number)
            assert _rate(number) == rate(number)


@pytest.mark.parametrize("text", ["0.005", "-0.005", "0.015", "-0.0049999", "2.675", "0.0000005", "-0.0000005", "-0"])
def test_ties_round_half_away_from_zero_and_never_to_negative_zero(text: str) -> None:
    with localcontext(EXACT):
        assert _amount(Decimal(text)) == amount(Decimal(text))
        assert _rate(Decimal(text)) == rate(Decimal(text))


def test_the_fast_roundings_follow_a_random_sample_of_engine_values() -> None:
    rng = random.Random(7)
    with localcontext(EXACT):
        for _ in range(2000):
            value = (
                Decimal(rng.randint(-(10**15), 10**15))
                * Decimal(rng.choice(["0.2", "1.5", "0.7619"]))
                / Decimal(rng.randint(1, 10**6))
            )
            assert (_amount(value), _rate(value)) == (amount(value), rate(value))


def test_errors_keep_their_paths(rule_set: RuleSet) -> None:
    with pytest.raises(InvalidInput) as caught:
        what_if(BASE, [{"type": "set", "path": "exposures[*].amount", "value": "-1"}], rule_set)
    assert [e.path for e in caught.value.errors] == [f"shocked.exposures[{i}].amount" for i in range(3)]
    assert all(isinstance(e, InputError) for e in caught.value.errors)
