# ruff: noqa: E501  (one exposure per line: the table reads better than wrapped dicts)
"""Texts for readers: the engine's rule texts and the validator's problems in French (the default) and
English; the stored result and the CLI keep the English texts."""

from __future__ import annotations

import re

import pytest

from shared.prudential.engine import compute
from shared.prudential.models import InvalidInput, validate_input
from shared.prudential.rules import load_rule_set
from shared.prudential.texts import lang_of, problem, rule_text

EXPOSURES = [
    {"id": "rg", "class": "rgla", "treat_as": "central_government", "cqs": 2},
    {"id": "ps", "class": "pse", "treat_as": "institution", "scra_grade": "B"},
    {"id": "cgd", "class": "central_government", "domestic_currency": True},
    {"id": "cgu", "class": "central_government"},
    {"id": "md", "class": "mdb"},
    {"id": "io", "class": "international_organisation"},
    {"id": "ins", "class": "institution", "cqs": 2, "short_term": True},
    {"id": "ins2", "class": "institution", "cqs": 3},
    {"id": "gs", "class": "institution", "scra_grade": "C", "short_term": True},
    {
        "id": "ga",
        "class": "institution",
        "scra_grade": "A",
        "cet1_ratio": "0.15",
        "leverage_ratio": "0.06",
        "amount": "10",
    },
    {"id": "c1", "class": "corporate", "cqs": 3, "amount": "100", "off_balance": "50", "ccf_bucket": 1},
    {"id": "c2", "class": "corporate", "specialised_lending": "object"},
    {"id": "c3", "class": "corporate", "specialised_lending": "commodities"},
    {"id": "c4", "class": "corporate", "specialised_lending": "project_pre_operational"},
    {"id": "c5", "class": "corporate", "specialised_lending": "project_operational"},
    {"id": "c6", "class": "corporate", "specialised_lending": "project_high_quality"},
    {"id": "c7", "class": "corporate", "sovereign_cqs": 5},
    {"id": "c8", "class": "corporate", "amount": "100", "off_balance": "50", "ccf_bucket": 2},
    {"id": "c9", "class": "corporate", "amount": "100", "off_balance": "50", "ccf_bucket": 3},
    {"id": "c10", "class": "corporate", "amount": "100", "off_balance": "50", "ccf_bucket": 4},
    {"id": "c11", "class": "corporate", "amount": "100", "off_balance": "50", "ccf_bucket": 5},
    {"id": "r1", "class": "retail", "currency_mismatch": True},
    {"id": "r2", "class": "retail", "retail_type": "transactor"},
    {"id": "r3", "class": "retail", "retail_type": "other"},
    {"id": "a1", "class": "adc", "residential_relief": True},
    {"id": "a2", "class": "adc"},
    {"id": "sd", "class": "subordinated_debt"},
    {"id": "eq", "class": "equity", "higher_risk": True},
    {"id": "eq2", "class": "equity"},
    {"id": "cb", "class": "covered_bond", "cqs": 1},
    {"id": "cb2", "class": "covered_bond", "issuer_risk_weight": "0.5"},
    {"id": "o1", "class": "other_items", "item_type": "cash"},
    {"id": "o2", "class": "other_items", "item_type": "gold"},
    {"id": "o3", "class": "other_items", "item_type": "items_in_collection"},
    {"id": "o4", "class": "other_items", "item_type": "other"},
    {
        "id": "d1",
        "class": "corporate",
        "defaulted": True,
        "amount": "100",
        "scra": "30",
        "sme_supporting_factor": True,
        "sme_total_owed": "100",
    },
    {
        "id": "d2",
        "class": "retail",
        "defaulted": True,
        "amount": "100",
        "scra": "1",
        "off_balance": "10",
        "ccf_bucket": 1,
    },
    {
        "id": "d3",
        "class": "real_estate",
        "defaulted": True,
        "amount": "100",
        "property_type": "residential",
        "property_value": "200",
        "counterparty": "retail",
    },
    {
        "id": "g1",
        "class": "corporate",
        "amount": "100",
        "guarantee": {"amount": "50", "guarantor": {"class": "central_government", "cqs": 1}},
    },
    {
        "id": "g2",
        "class": "corporate",
        "amount": "100",
        "guarantee": {"amount": "50", "guarantor": {"class": "institution", "cqs": 1}},
    },
    {
        "id": "g3",
        "class": "retail",
        "amount": "100",
        "guarantee": {"amount": "50", "guarantor": {"class": "corporate", "cqs": 1}},
    },
    {"id": "g4", "class": "retail", "amount": "100", "guarantee": {"amount": "50", "guarantor": {"class": "mdb"}}},
    {
        "id": "g5",
        "class": "retail",
        "amount": "100",
        "guarantee": {"amount": "50", "guarantor": {"class": "international_organisation"}},
    },
    {"id": "k1", "class": "retail", "amount": "100", "collateral": {"amount": "50", "currency": "USD"}},
    {"id": "k2", "class": "retail", "amount": "100", "collateral": {"amount": "50"}},
    {"id": "s1", "class": "corporate", "amount": "100", "sme_supporting_factor": True, "sme_total_owed": "3000000"},
    {
        "id": "re1",
        "class": "real_estate",
        "amount": "100",
        "property_type": "residential",
        "property_value": "200",
        "counterparty": "retail",
        "ipre": True,
        "eligible": False,
    },
    {
        "id": "re2",
        "class": "real_estate",
        "amount": "100",
        "property_type": "commercial",
        "property_value": "200",
        "counterparty": "natural_person",
        "eligible": False,
    },
    {
        "id": "re3",
        "class": "real_estate",
        "amount": "100",
        "property_type": "residential",
        "property_value": "200",
        "counterparty": "retail",
        "ipre": True,
    },
    {
        "id": "re4",
        "class": "real_estate",
        "amount": "300",
        "property_type": "commercial",
        "property_value": "200",
        "counterparty": "corporate",
        "ipre": True,
    },
    {
        "id": "re5",
        "class": "real_estate",
        "amount": "150",
        "property_type": "residential",
        "property_value": "200",
        "counterparty": "natural_person",
        "prior_liens": "10",
        "currency_mismatch": True,
    },
    {
        "id": "re6",
        "class": "real_estate",
        "amount": "150",
        "property_type": "commercial",
        "property_value": "200",
        "counterparty": "corporate",
        "cqs": 2,
    },
]

_ENGLISH = re.compile(
    r"\b(unrated|treated|guarantee|guarantor|counterparty|defaulted|item|finance|currency|mismatch|equity|"
    r"remainder|splitting|property|commitment|short-term|grade|retail|regulatory|international|multilateral|"
    r"subordinated|domestic|collateral|method|supporting|factor|against|and|the|of|not|less|part up|every|cap|"
    r"phase-in|Table|Annex|bucket|excess|cash|gold|other|lending|institution|corporate|central|government)\b"
)


def test_every_rule_text_reads_in_french_and_stays_english_for_en() -> None:
    result = compute({"reference_date": "2026-12-31", "exposures": EXPOSURES})
    assert len(result["exposures"]) == len(EXPOSURES)
    for exposure in result["exposures"]:
        english = exposure["rule"]
        french = rule_text(english)
        assert french != english or not _ENGLISH.search(english), english
        assert _ENGLISH.search(french) is None, (english, french)
        assert rule_text(english, "en") == english
    by_id = {e["id"]: rule_text(e["rule"]) for e in result["exposures"]}
    assert by_id["r1"] == (
        "Art. 123(1): clientèle de détail réglementaire → 75 %, asymétrie de devises Art. 123a × 1,5 "
        "(plafond 150 %) → 112,5 %"
    )
    assert by_id["cgd"] == "Art. 114(4): monnaie nationale → 0 %"


BAD_INPUTS = [
    {"exposures": [{"id": "x", "class": "corporate", "cqs": 9, "amount": "-1", "currency": "eur"}]},
    {"reference_date": "2024-01-01"},
    {"reference_date": "31/12/2025", "exposures": "x"},
    {"reference_date": "2025-12-31", "exposures": [
        {"id": "", "class": "nope"},
        {"id": "i", "class": "institution"},
        {"id": "i2", "class": "institution", "cqs": 1, "cet1_ratio": "0.2"},
        {"id": "c", "class": "corporate", "sovereign_cqs": 1, "specialised_lending": "object"},
        {"id": "c2", "class": "corporate", "amount": "1.123456789", "scra": "2", "off_balance": "5"},
        {"id": "c3", "class": "corporate", "amount": "1", "defaulted": "yes", "sme_total_owed": "5"},
        {"id": "c4", "class": "corporate", "amount": "1", "sme_supporting_factor": True},
        {"id": "r", "class": "real_estate", "property_type": "residential", "property_value": "0",
         "counterparty": "retail", "ipre": True, "prior_liens": "1", "scra": "1", "amount": "2", "cqs": 1},
        {"id": "g", "class": "corporate", "amount": "1", "guarantee": {"amount": "2", "guarantor": {"class": "retail"}}},
        {"id": "g", "class": "covered_bond", "issuer_risk_weight": "0.6"},
        {"id": "k", "class": "corporate", "off_balance": "1", "ccf_bucket": 1, "collateral": {"amount": "1"}},
        {"id": "p", "class": "pse", "treat_as": "central_government", "scra_grade": "A"},
        {"id": "big", "class": "corporate", "amount": "1234567890123456"},
    ], "leverage": {"on_balance": "1"}, "other_risks": {"operational_rwa": "1", "business_indicator": "1"},
       "requirements": {"p2r": "1.5"}, "unknown": 1},
]  # fmt: skip


@pytest.mark.parametrize("document", BAD_INPUTS)
def test_every_validator_problem_has_a_french_text(document: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_input(document, load_rule_set("CRR3-2025.1"))
    assert caught.value.errors
    for error in caught.value.errors:
        assert problem(error.problem, "en") == error.problem
        assert problem(error.problem) != error.problem, error


def test_language_choice() -> None:
    assert [lang_of(x) for x in (None, "", "fr", "en", "EN-gb", "de")] == ["fr", "fr", "fr", "en", "en", "fr"]
    assert problem("a text nobody knows") == "a text nobody knows"
    assert problem("must be an integer 1..6") == "doit être un entier de 1 à 6"
