"""Scenario shocks as data, applied deterministically, and what-if: every figure old / new / delta."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.prudential.models import InvalidInput
from shared.prudential.numbers import canonical_json
from shared.prudential.rules import RuleSet
from shared.prudential.scenarios import apply_shocks, compare, what_if

BASE: dict[str, Any] = {
    "reference_date": "2025-06-30",
    "exposures": [
        {"id": "c1", "class": "corporate", "amount": "1000000", "cqs": 2},
        {"id": "c2", "class": "corporate", "amount": "500000", "guarantee": {"amount": "200000",
         "guarantor": {"class": "institution", "cqs": 1}}},
        {"id": "r1", "class": "retail", "amount": "80000"},
        {"id": "h1", "class": "real_estate", "amount": "180000", "property_type": "residential",
         "property_value": "300000", "counterparty": "retail"},
    ],
    "own_funds": {"cet1_instruments": "400000"},
    "lcr": {"assets": {"l1_securities": "1000"}, "outflows": {"retail_stable": "2000", "other": "100"}},
}  # fmt: skip


def test_each_shock_changes_exactly_what_it_says() -> None:
    shocked = apply_shocks(
        BASE,
        [
            {"type": "scale_class", "class": "corporate", "factor": "1.5"},
            {"type": "downgrade", "notches": 5},
            {"type": "scale_property_values", "factor": "0.8"},
            {"type": "default", "ids": ["r1"]},
            {"type": "set", "path": "own_funds.cet1_instruments", "value": "350000"},
            {"type": "set", "path": "exposures[class=retail].scra", "value": "20000"},
            {"type": "scale_lcr_outflows", "factor": "1.25", "categories": ["retail_stable"]},
        ],
    )
    c1, c2, r1, h1 = shocked["exposures"]
    assert (c1["amount"], c1["cqs"]) == ("1500000", 6)
    assert (c2["amount"], c2["guarantee"]["amount"], c2["guarantee"]["guarantor"]["cqs"]) == ("750000", "300000", 6)
    assert (r1["defaulted"], r1["scra"]) == (True, "20000")
    assert h1["property_value"] == "240000" and h1["amount"] == "180000"
    assert shocked["own_funds"]["cet1_instruments"] == "350000"
    assert shocked["lcr"]["outflows"] == {"retail_stable": "2500", "other": "100"}
    assert BASE["exposures"][0]["amount"] == "1000000"  # the base document is untouched
    assert BASE["exposures"][3]["property_value"] == "300000" and "defaulted" not in BASE["exposures"][2]
    untouched = apply_shocks(BASE, [{"type": "default", "ids": ["r1"]}])
    assert untouched["exposures"][0] is BASE["exposures"][0]
    assert untouched["exposures"][2] is not BASE["exposures"][2]


def test_what_if_gives_old_new_delta_for_every_figure(rule_set: RuleSet) -> None:
    before = copy.deepcopy(BASE)
    result = what_if(BASE, [{"type": "downgrade", "notches": 2, "class": "corporate"}], rule_set)
    figures = result["figures"]
    assert figures["exposures"][0]["rwa"] == {"old": "500000.00", "new": "1000000.00", "delta": "500000.00"}
    assert figures["exposures"][0]["rule"]["delta"] is None
    assert figures["credit_risk"]["rwa"]["delta"] == "560000.00"  # + guarantor CQS 1 → 3 on 200 000
    assert figures["capital"]["cet1_ratio"]["old"] != figures["capital"]["cet1_ratio"]["new"]
    assert figures["lcr"]["ratio"]["delta"] == "0.000000"
    assert figures["nsfr"] == {"old": None, "new": None, "delta": None}
    assert before == BASE
    assert result["unchanged_exposures"] == 2 and len(figures["exposures"]) == 2  # r1 and h1 untouched
    guarantor = figures["exposures"][1]["parts"][0]["risk_weight"]
    assert guarantor == {"old": "0.200000", "new": "0.500000", "delta": "0.300000"}
    again = what_if(BASE, [{"type": "downgrade", "notches": 2, "class": "corporate"}], rule_set)
    assert canonical_json(again) == canonical_json(result)  # deterministic, byte for byte


def test_compare_matches_exposures_by_id() -> None:
    old = {"exposures": [{"id": "a", "rwa": "1.00"}, {"id": "b", "rwa": "2.00"}]}
    new = {"exposures": [{"id": "b", "rwa": "3.00"}]}
    assert compare(old, new)["exposures"] == [
        {"id": {"old": "a", "new": None, "delta": None}, "rwa": {"old": "1.00", "new": None, "delta": None}},
        {"id": {"old": "b", "new": "b", "delta": None}, "rwa": {"old": "2.00", "new": "3.00", "delta": "1.00"}},
    ]


@pytest.mark.parametrize(
    ("shocks", "path"),
    [
        ([{"type": "explode"}], "shocks[0].type"),
        ([{"type": "scale_class", "class": "corporate", "factor": "-1"}], "shocks[0].factor"),
        ([{"type": "scale_class", "factor": "2"}], "shocks[0].class"),
        ([{"type": "downgrade", "notches": 0}], "shocks[0].notches"),
        ([{"type": "default", "ids": "c1"}], "shocks[0].ids"),
        ([{"type": "set", "path": "exposures[0].cqs", "value": 1}], "shocks[0].path"),
        ([{"type": "scale_lcr_outflows", "factor": "2", "categories": ["nope"]}], "shocks[0].categories"),
        ([{"type": "downgrade", "notches": 1, "colour": "red"}], "shocks[0].colour"),
    ],
)
def test_bad_shocks_are_refused_with_their_path(shocks: list[dict[str, Any]], path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_shocks(BASE, shocks)
    assert caught.value.errors[0].path == path


def test_a_shock_making_the_input_invalid_names_the_shocked_field(rule_set: RuleSet) -> None:
    with pytest.raises(InvalidInput) as caught:
        what_if(BASE, [{"type": "set", "path": "exposures[id=c1].cqs", "value": 9}], rule_set)
    assert caught.value.errors[0].line() == "shocked.exposures[0].cqs: must be an integer 1..6"


def test_what_if_exposure_figures_equal_the_generic_comparison(rule_set: RuleSet) -> None:
    from shared.prudential.engine import compute

    shocks = [{"type": "downgrade", "notches": 2}, {"type": "scale_property_values", "factor": "0.5"}]
    result = what_if(BASE, shocks, rule_set)
    full = compare(compute(BASE, rule_set), compute(apply_shocks(BASE, shocks), rule_set))
    changed = [e for e in full["exposures"] if any(v.get("delta") not in (None, "0.00", "0.000000")
                                                   for v in e.values() if isinstance(v, dict))]  # fmt: skip
    assert result["figures"]["exposures"] == changed
    assert {k: v for k, v in result["figures"].items() if k != "exposures"} == {
        k: v for k, v in full.items() if k != "exposures"
    }


def test_what_if_from_the_stored_base_equals_what_if_recomputing_it(rule_set: RuleSet) -> None:
    from shared.prudential.engine import compute

    base = compute(BASE, rule_set)
    shocks = [{"type": "downgrade", "notches": 1}, {"type": "scale_property_values", "factor": "0.5"}]
    with_base = what_if(BASE, shocks, rule_set, base=base)
    assert with_base == what_if(BASE, shocks, rule_set)
    assert [e["id"]["old"] for e in with_base["figures"]["exposures"]] == ["c1", "c2", "h1"]
    # a base that does not hold the exposures at their place is not trusted for them
    shuffled = {**base, "exposures": list(reversed(base["exposures"]))}
    assert what_if(BASE, shocks, rule_set, base=shuffled) == with_base


def test_a_new_reference_date_lists_the_exposures_whose_weights_phase_in(rule_set: RuleSet) -> None:
    document = {"reference_date": "2026-12-31", "exposures": [
        {"id": "eq", "class": "equity", "amount": "1000"},
        {"id": "ucc", "class": "corporate", "amount": "0", "off_balance": "1000", "ccf_bucket": 5},
        {"id": "c", "class": "corporate", "amount": "1000", "cqs": 1},
    ]}  # fmt: skip
    result = what_if(document, [{"type": "set", "path": "reference_date", "value": "2033-01-01"}], rule_set)
    rows = {e["id"]["old"]: e for e in result["figures"]["exposures"]}
    assert sorted(rows) == ["eq", "ucc"] and result["unchanged_exposures"] == 1
    assert rows["eq"]["risk_weight"] == {"old": "1.300000", "new": "2.500000", "delta": "1.200000"}
    assert rows["ucc"]["exposure_value"] == {"old": "0.00", "new": "100.00", "delta": "100.00"}
