"""The COREP-oriented breakdown: per class, the C 07.00 columns and rows the reporting team reads."""

from __future__ import annotations

from decimal import Decimal

from shared.prudential.engine import breakdown, calculate
from shared.prudential.models import validate_input
from shared.prudential.rules import RuleSet


def test_breakdown_by_class_risk_weight_balance_sheet_side_and_crm(rule_set: RuleSet) -> None:
    document = {
        "reference_date": "2031-06-30",
        "exposures": [
            {"id": "a", "class": "corporate", "amount": "1000000", "guarantee": {"amount": "600000",
             "guarantor": {"class": "central_government", "cqs": 1}}},
            {"id": "b", "class": "corporate", "amount": "100000", "off_balance": "1000000", "ccf_bucket": 5},
            {"id": "c", "class": "corporate", "amount": "300000",
             "collateral": {"amount": "100000", "currency": "USD"}},
            {"id": "d", "class": "corporate", "amount": "1000000", "scra": "150000", "defaulted": True},
            {"id": "e", "class": "retail", "amount": "3000000", "sme_supporting_factor": True,
             "sme_total_owed": "3000000"},
            {"id": "f", "class": "real_estate", "amount": "180000", "property_type": "residential",
             "property_value": "300000", "counterparty": "retail"},
        ],
    }  # fmt: skip
    result = calculate(validate_input(document, rule_set), rule_set)
    classes = breakdown(result)["classes"]
    corporate, sovereign = classes["corporate"], classes["central_government"]
    assert corporate["original_exposure"] == Decimal("2400000")  # a + b (100 000 + 1 000 000) + c
    assert (corporate["guarantees"], sovereign["substitution_inflows"]) == (Decimal("600000"), Decimal("600000"))
    assert corporate["collateral_adjusted_value"] == Decimal("92000.00")
    assert corporate["off_balance_nominal_by_ccf_bucket"] == {"5": Decimal("1000000")}
    assert corporate["off_balance"]["exposure_value"] == Decimal("50000.000")  # UCC 5 % in 2031
    assert corporate["exposure_value"] == Decimal("400000") + Decimal("150000.000") + Decimal("208000.00")
    assert corporate["by_risk_weight"]["1.000000"]["rwa"] == corporate["rwa"]
    assert sovereign["by_risk_weight"] == {"0.000000": {"exposure_value": Decimal("600000"), "rwa_pre_sf": 0, "rwa": 0}}
    default = classes["in_default"]
    assert (default["value_adjustments"], default["of_which_defaulted"]["rwa"]) == (
        Decimal("150000"),
        Decimal("1275000.00"),
    )
    retail = classes["retail"]
    assert retail["sme_adjustment"] == Decimal("2329750") * Decimal("0.75") - Decimal("2250000")
    assert retail["of_which_sme_factor"]["rwa"] == retail["rwa"]
    real_estate = classes["real_estate"]
    assert real_estate["of_which_residential_property"]["exposure_value"] == Decimal("165000.00")
    assert set(real_estate["by_risk_weight"]) == {"0.200000", "0.750000"}
