"""Bad input for every field: the one validator names the path and the rule, as the CLI prints it."""

from __future__ import annotations

from typing import Any

import pytest

from shared.prudential.models import InvalidInput, collect_errors, validate_input
from shared.prudential.rules import RuleSet

DAY = "2025-06-30"


def first_line(rule_set: RuleSet, document: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate_input(document, rule_set)
    return caught.value.errors[0].line()


def one(**exposure: Any) -> dict[str, Any]:
    return {"reference_date": DAY, "exposures": [{"id": "e", **exposure}]}


CORP = {"class": "corporate", "amount": "100"}
NUMBER = 'exposures[0].amount: must be a decimal number (a JSON number or a string like "1234.56")'
RE = {"class": "real_estate", "amount": "100", "property_type": "residential", "property_value": "200",
      "counterparty": "retail"}  # fmt: skip
BAD_EXPOSURES = [
    ({"class": "corporate"} | {"id": ""}, "exposures[0].id: must be a non-empty string"),
    ({"class": "spaceship"}, "exposures[0].class: must be one of central_government, rgla, pse, mdb, "
     "international_organisation, institution, corporate, retail, real_estate, adc, subordinated_debt, equity, "
     "covered_bond, other_items"),
    ({**CORP, "amount": "12,5"}, NUMBER),
    ({**CORP, "amount": "1e5"}, NUMBER),
    ({**CORP, "amount": True}, NUMBER),
    ({**CORP, "amount": "1234567890123456"}, "exposures[0].amount: must have at most 15 integer digits and 8 decimals"),
    ({**CORP, "amount": "1.123456789"}, "exposures[0].amount: must have at most 15 integer digits and 8 decimals"),
    ({**CORP, "amount": "-1"}, "exposures[0].amount: must be ≥ 0"),
    ({**CORP, "scra": "101"}, "exposures[0].scra: must not exceed amount"),
    ({**CORP, "currency": "euro"}, "exposures[0].currency: must be an ISO 4217 code like EUR"),
    ({**CORP, "off_balance": "10"}, "exposures[0].ccf_bucket: is required when off_balance > 0"),
    ({**CORP, "off_balance": "10", "ccf_bucket": 6}, "exposures[0].ccf_bucket: must be an integer 1..5"),
    ({**CORP, "defaulted": "yes"}, "exposures[0].defaulted: must be true or false"),
    ({**CORP, "cqs": 7}, "exposures[0].cqs: must be an integer 1..6"),
    ({**CORP, "cqs": "3"}, "exposures[0].cqs: must be an integer 1..6"),
    ({**CORP, "cqs": 2, "sovereign_cqs": 1}, "exposures[0].sovereign_cqs: only when cqs is absent (unrated)"),
    ({**CORP, "sovereign_cqs": 1, "specialised_lending": "object"},
     "exposures[0].specialised_lending: not together with sovereign_cqs"),
    ({**CORP, "specialised_lending": "boat"}, "exposures[0].specialised_lending: must be one of object, commodities, "
     "project_pre_operational, project_operational, project_high_quality"),
    ({**CORP, "retail_type": "regulatory"}, "exposures[0].retail_type: unknown field (not listed for class corporate)"),
    ({**CORP, "colour": "red"}, "exposures[0].colour: unknown field (not listed for class corporate)"),
    ({**CORP, "sme_supporting_factor": True},
     "exposures[0].sme_total_owed: is required when sme_supporting_factor is true"),
    ({**CORP, "sme_total_owed": "5"}, "exposures[0].sme_total_owed: only when sme_supporting_factor is true"),
    ({**CORP, "sme_supporting_factor": True, "sme_total_owed": "0"}, "exposures[0].sme_total_owed: must be > 0"),
    ({**CORP, "guarantee": {"amount": "101", "guarantor": {"class": "mdb"}}},
     "exposures[0].guarantee.amount: must not exceed amount − scra"),
    ({**CORP, "guarantee": {"amount": "1"}}, "exposures[0].guarantee.guarantor: is required"),
    ({**CORP, "guarantee": {"amount": "1", "guarantor": {"class": "retail"}}},
     "exposures[0].guarantee.guarantor.class: must be one of central_government, mdb, international_organisation, "
     "institution, corporate"),
    ({**CORP, "guarantee": {"amount": "1", "guarantor": {"class": "mdb", "cqs": 1}}},
     "exposures[0].guarantee.guarantor.cqs: unknown field (not listed for class mdb)"),
    ({**CORP, "guarantee": {"amount": "1", "guarantor": {"class": "institution"}}},
     "exposures[0].guarantee.guarantor.scra_grade: exactly one of cqs / scra_grade is required"),
    ({**CORP, "collateral": {}}, "exposures[0].collateral.amount: is required"),
    ({**CORP, "collateral": {"amount": "1", "currency": "usd"}},
     "exposures[0].collateral.currency: must be an ISO 4217 code like EUR"),
    ({**CORP, "defaulted": True, "collateral": {"amount": "1"}},
     "exposures[0].collateral: only for exposures with off_balance 0 that are not defaulted"),
    ({"class": "central_government", "amount": "1", "domestic_currency": 1},
     "exposures[0].domestic_currency: must be true or false"),
    ({"class": "rgla", "amount": "1"}, "exposures[0].treat_as: is required"),
    ({"class": "pse", "amount": "1", "treat_as": "institution", "domestic_currency": True},
     "exposures[0].domestic_currency: unknown field (not listed for treat_as institution)"),
    ({"class": "mdb", "amount": "1", "cqs": 1}, "exposures[0].cqs: unknown field (not listed for class mdb)"),
    ({"class": "institution", "amount": "1", "cqs": 1, "scra_grade": "A"},
     "exposures[0].cqs: exactly one of cqs / scra_grade is required"),
    ({"class": "institution", "amount": "1", "scra_grade": "D"}, "exposures[0].scra_grade: must be one of A, B, C"),
    ({"class": "institution", "amount": "1", "cqs": 1, "cet1_ratio": "0.2"},
     "exposures[0].cet1_ratio: only with scra_grade"),
    ({"class": "institution", "amount": "1", "scra_grade": "A", "leverage_ratio": "1.5"},
     "exposures[0].leverage_ratio: must be ≤ 1"),
    ({"class": "retail", "amount": "1", "retail_type": "payroll"},
     "exposures[0].retail_type: must be one of regulatory, transactor, other"),
    ({**RE, "property_value": "0"}, "exposures[0].property_value: must be > 0"),
    ({**RE, "property_type": "castle"}, "exposures[0].property_type: must be one of residential, commercial"),
    ({**RE, "counterparty": "sme"}, "exposures[0].counterparty: must be one of retail, natural_person, corporate"),
    ({**RE, "cqs": 1}, "exposures[0].cqs: only with counterparty corporate"),
    ({**RE, "ipre": True, "prior_liens": "10"}, "exposures[0].prior_liens: not with ipre"),
    ({**RE, "scra": "1"}, "exposures[0].scra: must be 0 unless defaulted"),
    ({**RE, "off_balance": "1"}, "exposures[0].off_balance: unknown field (not listed for class real_estate)"),
    ({**RE, "guarantee": {}}, "exposures[0].guarantee: unknown field (not listed for class real_estate)"),
    ({"class": "adc", "amount": "1", "residential_relief": "no"},
     "exposures[0].residential_relief: must be true or false"),
    ({"class": "equity", "amount": "1", "defaulted": True},
     "exposures[0].defaulted: unknown field (not listed for class equity)"),
    ({"class": "covered_bond", "amount": "1"},
     "exposures[0].issuer_risk_weight: exactly one of cqs / issuer_risk_weight is required"),
    ({"class": "covered_bond", "amount": "1", "issuer_risk_weight": "0.25"},
     "exposures[0].issuer_risk_weight: must be one of 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5"),
    ({"class": "other_items", "amount": "1"}, "exposures[0].item_type: is required"),
    ({"class": "other_items", "amount": "1", "item_type": "art"},
     "exposures[0].item_type: must be one of cash, gold, items_in_collection, other"),
]  # fmt: skip


@pytest.mark.parametrize(("exposure", "line"), BAD_EXPOSURES)
def test_bad_exposure_fields(rule_set: RuleSet, exposure: dict[str, Any], line: str) -> None:
    assert first_line(rule_set, one(**exposure)) == line


BAD_DOCUMENTS = [
    ([], "input: must be a JSON object"),
    ({}, "reference_date: is required"),
    ({"reference_date": "30/06/2025"}, "reference_date: must be a date YYYY-MM-DD"),
    ({"reference_date": "2025-02-30"}, "reference_date: must be a date YYYY-MM-DD"),
    ({"reference_date": "2024-12-31"}, "reference_date: must be on or after 2025-01-01 (rule set CRR3-2025.1)"),
    ({"reference_date": DAY, "id": 5}, "id: must be a string"),
    ({"reference_date": DAY, "extra": 1}, "extra: unknown field"),
    ({"reference_date": DAY, "exposures": {}}, "exposures: must be an array"),
    ({"reference_date": DAY, "exposures": [1]}, "exposures[0]: must be a JSON object"),
    ({"reference_date": DAY, "exposures": [{"id": "a", "class": "mdb"}, {"id": "a", "class": "mdb"}]},
     "exposures[1].id: duplicate id 'a'"),
    ({"reference_date": DAY, "own_funds": {"goodwill": "-1"}}, "own_funds.goodwill: must be ≥ 0"),
    ({"reference_date": DAY, "own_funds": {"cet2": "1"}}, "own_funds.cet2: unknown field"),
    ({"reference_date": DAY, "other_risks": {"operational_rwa": "1", "business_indicator": "2"}},
     "other_risks.business_indicator: not together with operational_rwa"),
    ({"reference_date": DAY, "output_floor": {"transitional_cap": "true"}},
     "output_floor.transitional_cap: must be true or false"),
    ({"reference_date": DAY, "requirements": {"p2r": "1.01"}}, "requirements.p2r: must be ≤ 1"),
    ({"reference_date": DAY, "leverage": {"on_balance": "1"}},
     "leverage: needs own_funds (the ratio's numerator is Tier 1)"),
    ({"reference_date": DAY, "own_funds": {}, "leverage": {"off_balance": {"6": "1"}}},
     'leverage.off_balance.6: unknown field (CCF buckets are "1".."5")'),
    ({"reference_date": DAY, "lcr": {"assets": {"gold": "1"}}}, "lcr.assets.gold: unknown field"),
    ({"reference_date": DAY, "lcr": {"outflows": []}}, "lcr.outflows: must be a JSON object"),
    ({"reference_date": DAY, "nsfr": {"asf": {"capital": "x"}}},
     'nsfr.asf.capital: must be a decimal number (a JSON number or a string like "1234.56")'),
]  # fmt: skip


@pytest.mark.parametrize(("document", "line"), BAD_DOCUMENTS)
def test_bad_documents(rule_set: RuleSet, document: Any, line: str) -> None:
    assert first_line(rule_set, document) == line


def test_null_equals_absent_and_signed_fields_accept_negatives(rule_set: RuleSet) -> None:
    document = {"reference_date": DAY, "id": None, "nsfr": None,
                "own_funds": {"accumulated_oci": "-10.5", "cet1_other": -3, "goodwill": None},
                "exposures": [{"id": "a", "class": "corporate", "amount": 5, "cqs": None}]}  # fmt: skip
    validated = validate_input(document, rule_set)
    assert validated.nsfr is None and validated.exposures[0].profile.cqs is None
    assert validated.own_funds is not None and str(validated.own_funds.accumulated_oci) == "-10.5"


def test_every_problem_is_collected_for_reports(rule_set: RuleSet) -> None:
    _, errors = collect_errors(one(**{**CORP, "cqs": 9, "amount": "x", "colour": 1}), rule_set)
    assert [(e.path, e.rule) for e in errors] == [
        ("exposures[0].colour", "unknown_field"),
        ("exposures[0].amount", "decimal"),
        ("exposures[0].cqs", "integer_range"),
    ]  # fmt: skip


def test_a_negative_leverage_exposure_measure_is_refused(rule_set: RuleSet) -> None:
    from shared.prudential.engine import compute

    with pytest.raises(InvalidInput) as caught:
        compute({"reference_date": DAY, "own_funds": {}, "leverage": {"on_balance": "1", "deductions": "2"}}, rule_set)
    assert caught.value.errors[0].line() == "leverage: the exposure measure must not be negative"


def test_exposures_sharing_a_shape_are_still_checked_one_by_one(rule_set: RuleSet) -> None:
    good = {"class": "corporate", "cqs": 1, "defaulted": True, "amount": "10"}
    cases = [
        ({**good, "cqs": True}, "exposures[1].cqs: must be an integer 1..6"),
        ({**good, "cqs": 1.0}, "exposures[1].cqs: must be an integer 1..6"),
        ({**good, "defaulted": 1}, "exposures[1].defaulted: must be true or false"),
        ({**good, "amount": "-1"}, "exposures[1].amount: must be ≥ 0"),
        ({**good, "scra": "11"}, "exposures[1].scra: must not exceed amount"),
        ({**good, "id": ""}, "exposures[1].id: must be a non-empty string"),
        ({**good, "id": "a"}, "exposures[1].id: duplicate id 'a'"),
    ]
    for second, line in cases:
        document = {"reference_date": DAY, "exposures": [{"id": "a", **good}, {"id": "b", **second}]}
        assert first_line(rule_set, document) == line
    document = {"reference_date": DAY, "exposures": [{"id": str(i), **good, "amount": str(i)} for i in range(3)]}
    assert [e.amount for e in validate_input(document, rule_set).exposures] == [0, 1, 2]


GUARANTEED = {"class": "corporate", "amount": "100", "off_balance": "0", "ccf_bucket": 1,
              "guarantee": {"amount": "50", "guarantor": {"class": "central_government", "cqs": 1}}}  # fmt: skip
COLLATERALISED = {"class": "retail", "amount": "100", "collateral": {"amount": "10", "currency": "USD"}}


@pytest.mark.parametrize(
    ("good", "second", "line"),
    [
        (GUARANTEED, {"guarantee": {"amount": "101", "guarantor": {"class": "central_government", "cqs": 1}}},
         "exposures[1].guarantee.amount: must not exceed amount − scra"),
        (GUARANTEED, {"amount": "40"}, "exposures[1].guarantee.amount: must not exceed amount − scra"),
        (GUARANTEED, {"scra": "60"}, "exposures[1].guarantee.amount: must not exceed amount − scra"),
        (GUARANTEED, {"guarantee": {"amount": "-1", "guarantor": {"class": "central_government", "cqs": 1}}},
         "exposures[1].guarantee.amount: must be ≥ 0"),
        (GUARANTEED, {"guarantee": {"amount": "5", "guarantor": {"class": "central_government", "cqs": True}}},
         "exposures[1].guarantee.guarantor.cqs: must be an integer 1..6"),
        (GUARANTEED, {"off_balance": "5"}, "exposures[1].guarantee: only for exposures with off_balance 0 that are not "
         "defaulted"),
        (COLLATERALISED, {"collateral": {"amount": "-1", "currency": "USD"}},
         "exposures[1].collateral.amount: must be ≥ 0"),
        (COLLATERALISED, {"collateral": {"amount": "1", "currency": "usd"}},
         "exposures[1].collateral.currency: must be an ISO 4217 code like EUR"),
        (COLLATERALISED, {"collateral": {"amount": None, "currency": "USD"}},
         "exposures[1].collateral.amount: is required"),
    ],
)  # fmt: skip
def test_guarantees_and_collaterals_sharing_a_shape_are_still_checked_one_by_one(
    rule_set: RuleSet, good: dict[str, Any], second: dict[str, Any], line: str
) -> None:
    document = {"reference_date": DAY, "exposures": [{"id": "a", **good}, {"id": "b", **good, **second}]}
    assert first_line(rule_set, document) == line


def test_exposures_sharing_a_shape_keep_their_own_amounts(rule_set: RuleSet) -> None:
    rows = [{"id": "g", **GUARANTEED}, {"id": "h", **GUARANTEED, "amount": "80", "guarantee": {"amount": "70",
            "guarantor": {"class": "central_government", "cqs": 1}}}, {"id": "c", **COLLATERALISED},
            {"id": "d", **COLLATERALISED, "collateral": {"amount": "3.5", "currency": "USD"}}]  # fmt: skip
    exposures = validate_input({"reference_date": DAY, "exposures": rows}, rule_set).exposures
    assert [str(e.amount) for e in exposures] == ["100", "80", "100", "100"]
    assert [str(e.guarantee.amount) for e in exposures if e.guarantee] == ["50", "70"]
    assert [(str(e.collateral.amount), e.collateral.currency) for e in exposures if e.collateral] == [
        ("10", "USD"), ("3.5", "USD")
    ]  # fmt: skip
    assert exposures[0].guarantee is not None and exposures[1].guarantee is not None
    assert exposures[1].guarantee.guarantor == exposures[0].guarantee.guarantor


def test_cyclic_garbage_collection_resumes_after_validation(rule_set: RuleSet) -> None:
    import gc

    assert gc.isenabled()
    validate_input(one(**CORP), rule_set)
    assert gc.isenabled()
    with pytest.raises(InvalidInput):
        validate_input(one(**{**CORP, "amount": "x"}), rule_set)
    assert gc.isenabled()
    gc.disable()
    try:
        validate_input(one(**CORP), rule_set)
        assert not gc.isenabled()  # paused by someone else: left as it was
    finally:
        gc.enable()
