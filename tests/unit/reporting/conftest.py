"""Fixtures of the reporting tests: calculations built through the public prudential API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.prudential.engine import calculate
from shared.prudential.models import validate_input
from shared.prudential.rules import RuleSet, load_rule_set
from shared.reporting.templates import Report, build

LEI = "529900T8BM49AURSDO55"
DAY = "2026-03-31"
Reports = Callable[..., dict[str, Report]]

# Every exposure class the simulator reports, each C 07.00 sheet it can produce, CRM, off-balance.
RICH: dict[str, Any] = {
    "id": "rich",
    "reference_date": DAY,
    "exposures": [
        {"id": "cg", "class": "central_government", "amount": 1000000, "cqs": 2},
        {"id": "rg", "class": "rgla", "amount": 200000, "treat_as": "central_government", "cqs": 1},
        {"id": "ps", "class": "pse", "amount": 300000, "treat_as": "institution", "cqs": 2},
        {"id": "md", "class": "mdb", "amount": 100000},
        {"id": "io", "class": "international_organisation", "amount": 100000},
        {"id": "in", "class": "institution", "amount": 500000, "cqs": 2},
        {"id": "co", "class": "corporate", "amount": "2000000", "cqs": 3},
        {"id": "cu", "class": "corporate", "amount": "0", "off_balance": 1000000, "ccf_bucket": 5},
        {"id": "cb", "class": "corporate", "amount": "0", "off_balance": 500000, "ccf_bucket": 3},
        {"id": "sl", "class": "corporate", "amount": "400000", "specialised_lending": "object"},
        {
            "id": "cg2",
            "class": "corporate",
            "amount": "100000",
            "guarantee": {"amount": "50000", "guarantor": {"class": "central_government", "cqs": 1}},
        },
        {"id": "cc", "class": "corporate", "amount": "100000", "collateral": {"amount": "20000", "currency": "USD"}},
        {
            "id": "sm",
            "class": "corporate",
            "amount": "300000",
            "cqs": 4,
            "sme_supporting_factor": True,
            "sme_total_owed": "300000",
        },
        {"id": "rt", "class": "retail", "amount": 80000},
        {
            "id": "rr",
            "class": "real_estate",
            "amount": "300000",
            "property_type": "residential",
            "property_value": "400000",
            "counterparty": "retail",
        },
        {
            "id": "rn",
            "class": "real_estate",
            "amount": "100000",
            "property_type": "residential",
            "property_value": "400000",
            "counterparty": "natural_person",
            "eligible": False,
        },
        {
            "id": "ri",
            "class": "real_estate",
            "amount": "200000",
            "property_type": "residential",
            "property_value": "400000",
            "counterparty": "retail",
            "ipre": True,
        },
        {
            "id": "rj",
            "class": "real_estate",
            "amount": "200000",
            "property_type": "residential",
            "property_value": "400000",
            "counterparty": "retail",
            "ipre": True,
            "eligible": False,
        },
        {
            "id": "ca",
            "class": "real_estate",
            "amount": "500000",
            "property_type": "commercial",
            "property_value": "600000",
            "counterparty": "corporate",
            "cqs": 2,
        },
        {
            "id": "cn",
            "class": "real_estate",
            "amount": "100000",
            "property_type": "commercial",
            "property_value": "600000",
            "counterparty": "corporate",
            "eligible": False,
        },
        {
            "id": "ci",
            "class": "real_estate",
            "amount": "300000",
            "property_type": "commercial",
            "property_value": "600000",
            "counterparty": "corporate",
            "ipre": True,
        },
        {
            "id": "cj",
            "class": "real_estate",
            "amount": "300000",
            "property_type": "commercial",
            "property_value": "600000",
            "counterparty": "corporate",
            "ipre": True,
            "eligible": False,
        },
        {"id": "ad", "class": "adc", "amount": "250000"},
        {"id": "df", "class": "corporate", "amount": "100000", "scra": "30000", "defaulted": True},
        {"id": "sd", "class": "subordinated_debt", "amount": "300000"},
        {"id": "eq", "class": "equity", "amount": "100000"},
        {"id": "cv", "class": "covered_bond", "amount": "100000", "cqs": 1},
        {"id": "ot", "class": "other_items", "amount": "10000", "item_type": "items_in_collection"},
    ],
    "own_funds": {
        "cet1_instruments": "1200000",
        "retained_earnings": "300000",
        "goodwill": "50000",
        "at1_instruments": "100000",
        "at1_deductions": "130000",
        "t2_instruments": "100000",
        "t2_deductions": "150000",
    },
    "other_risks": {
        "market_rwa": "100000",
        "cva_rwa": "20000",
        "settlement_rwa": "1000",
        "business_indicator": "500000000",
    },
    "requirements": {"p2r": "0.02", "ccyb": "0.01", "osii": "0.01"},
    "leverage": {
        "on_balance": "38000000",
        "derivatives": "1000",
        "sft": "500",
        "deductions": "100",
        "p2r": "0.005",
        "off_balance": {"1": "1000", "2": "2000", "3": "4000", "4": "1000", "5": "5000"},
    },
    "lcr": {
        "assets": {
            "l1_coins_banknotes": 50,
            "l1_central_bank_reserves": 400,
            "l1_securities": 300,
            "l1_covered_bonds": 100,
            "l2a": 200,
            "l2b_covered_bonds": 30,
            "l2b_other": 100,
        },
        "outflows": {
            "retail_stable": 2000,
            "retail_other": 1000,
            "operational_deposits": 800,
            "non_operational_non_financial": 500,
            "secured_funding_level2a": 150,
            "secured_funding_non_liquid": 40,
            "committed_credit_retail": 300,
            "committed_credit_non_financial": 1000,
            "committed_liquidity_non_financial": 200,
            "committed_credit_other_financial": 90,
            "committed_liquidity_other_financial": 60,
            "derivatives_net": 25,
        },
        "inflows": {
            "non_financial_customers": 400,
            "financial_customers": 120,
            "secured_lending_non_liquid": 30,
            "derivatives_net": 10,
        },
    },
    "nsfr": {
        "asf": {"capital": 1000, "retail_stable": 500, "other_liabilities": 100},
        "rsf": {"level1": 100, "loans_rw_over_35": 800, "cash_central_bank": 10, "undrawn_facilities": 50},
    },
}


@pytest.fixture(scope="session")
def rule_set() -> RuleSet:
    return load_rule_set("CRR3-2025.1")


@pytest.fixture(scope="session")
def reports(rule_set: RuleSet) -> Reports:
    def run(document: dict[str, Any], basis: str = "CON", **more: Any) -> dict[str, Report]:
        inp = validate_input({"reference_date": DAY, **document, **more}, rule_set)
        return build(inp, calculate(inp, rule_set), rule_set, basis)

    return run


@pytest.fixture(scope="session")
def rich(reports: Reports) -> dict[str, Report]:
    return reports(RICH)
