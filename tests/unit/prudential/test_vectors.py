"""Every hand-computed vector of banking.md §8 (V1–V16) and the public examples of PRUDENTIAL.md,
reproduced to the last digit through the contract's JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.prudential.conftest import Calc, rwa_of


def corporate(ident: str, amount: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "class": "corporate", "amount": amount, **more}


def test_v1_rated_sovereign_institution_corporates(calc: Calc) -> None:
    result = calc(
        exposures=[
            {"id": "a", "class": "central_government", "amount": 1000000, "cqs": 2},
            {"id": "b", "class": "institution", "amount": 500000, "cqs": 2},
            corporate("c", "2000000", cqs=3),
            corporate("d", "1000000", sovereign_cqs=1),
        ]
    )
    assert rwa_of(result) == {"a": "200000.00", "b": "150000.00", "c": "1500000.00", "d": "1000000.00"}
    credit = result["credit_risk"]
    assert (credit["exposure_value"], credit["rwa"], credit["density"]) == ("4500000.00", "2850000.00", "0.633333")
    assert [e["risk_weight"] for e in result["exposures"]] == ["0.200000", "0.300000", "0.750000", "1.000000"]
    assert result["exposures"][2]["rule"].startswith("Art. 122(1) Table 6: CQS 3")


def test_v2_unrated_institutions_scra(calc: Calc) -> None:
    result = calc(
        exposures=[
            {"id": "a", "class": "institution", "amount": 1000000, "scra_grade": "A"},
            {"id": "b", "class": "institution", "amount": 1000000, "scra_grade": "A", "cet1_ratio": "0.15",
             "leverage_ratio": "0.06"},
            {"id": "c", "class": "institution", "amount": 500000, "scra_grade": "B", "short_term": True},
            {"id": "d", "class": "institution", "amount": 200000, "scra_grade": "C"},
        ]
    )  # fmt: skip
    assert rwa_of(result) == {"a": "400000.00", "b": "300000.00", "c": "250000.00", "d": "300000.00"}
    assert (result["credit_risk"]["exposure_value"], result["credit_risk"]["rwa"]) == ("2700000.00", "1250000.00")


V3 = [
    corporate("a", "0", off_balance=1000000, ccf_bucket=3),
    corporate("b", "0", off_balance=500000, ccf_bucket=2),
    corporate("c", "0", off_balance=300000, ccf_bucket=4),
    corporate("d", "0", off_balance=200000, ccf_bucket=1),
    corporate("e", "0", off_balance=1000000, ccf_bucket=5),
]


@pytest.mark.parametrize(
    ("day", "total", "ucc"),
    [
        ("2025-01-01", "910000.00", "0.00"),
        ("2029-12-31", "910000.00", "0.00"),
        ("2030-01-01", "935000.00", "25000.00"),
        ("2031-06-30", "960000.00", "50000.00"),
        ("2032-12-31", "985000.00", "75000.00"),
        ("2033-01-01", "1010000.00", "100000.00"),
        ("2040-01-01", "1010000.00", "100000.00"),
    ],
)
def test_v3_ccf_buckets_and_the_ucc_phase_in(calc: Calc, day: str, total: str, ucc: str) -> None:
    result = calc(reference_date=day, exposures=V3)
    assert rwa_of(result)["e"] == ucc
    assert result["credit_risk"]["exposure_value"] == total == result["credit_risk"]["rwa"]
    assert [e["original_exposure"] for e in result["exposures"]][:2] == ["1000000.00", "500000.00"]
    assert rwa_of(result)["a"] == "400000.00" and rwa_of(result)["b"] == "250000.00"


def test_v4_retail_transactor_currency_mismatch(calc: Calc) -> None:
    result = calc(
        exposures=[
            {"id": "a", "class": "retail", "amount": 80000},
            {"id": "b", "class": "retail", "amount": 5000, "retail_type": "transactor"},
            {"id": "c", "class": "retail", "amount": 40000, "currency": "CHF", "currency_mismatch": True},
        ]
    )
    assert rwa_of(result) == {"a": "60000.00", "b": "2250.00", "c": "45000.00"}
    assert result["exposures"][2]["risk_weight"] == "1.125000"
    assert result["credit_risk"]["rwa"] == "107250.00"


def residential(ident: str, amount: str, value: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "class": "real_estate", "amount": amount, "property_type": "residential",
            "property_value": value, "counterparty": "retail", **more}  # fmt: skip


def test_v5_residential_loan_splitting(calc: Calc) -> None:
    result = calc(
        exposures=[
            residential("a", "180000", "300000"),
            residential("b", "100000", "300000"),
            residential("c", "180000", "300000", counterparty="corporate"),
        ]
    )
    assert rwa_of(result) == {"a": "44250.00", "b": "20000.00", "c": "48000.00"}
    first = result["exposures"][0]
    assert first["risk_weight"] == "0.245833"
    assert [(p["exposure_value"], p["risk_weight"], p["rwa"]) for p in first["parts"]] == [
        ("165000.00", "0.200000", "33000.00"),
        ("15000.00", "0.750000", "11250.00"),
    ]
    assert result["credit_risk"]["by_class"]["real_estate"]["rwa"] == "112250.00"


def test_v6_residential_ipre_whole_loan_etv_table(calc: Calc) -> None:
    result = calc(
        exposures=[
            residential("a", "700000", "1000000", ipre=True),
            residential("b", "800000", "1000000", ipre=True),
            residential("c", "500000", "1000000", ipre=True),
            residential("d", "1050000", "1000000", ipre=True),
            residential("e", "700000", "1000000", ipre=True, eligible=False),
        ]
    )
    assert rwa_of(result) == {
        "a": "315000.00", "b": "360000.00", "c": "150000.00", "d": "1102500.00", "e": "1050000.00",
    }  # fmt: skip


def commercial(ident: str, amount: str, value: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "class": "real_estate", "amount": amount, "property_type": "commercial",
            "property_value": value, "counterparty": "corporate", **more}  # fmt: skip


def test_v7_commercial_real_estate_and_adc(calc: Calc) -> None:
    result = calc(
        exposures=[
            commercial("a", "1000000", "1500000"),
            commercial("b", "1400000", "2000000", ipre=True),
            commercial("c", "1200000", "2000000", ipre=True),
            commercial("d", "1700000", "2000000", ipre=True),
            {"id": "e", "class": "adc", "amount": 500000},
        ]
    )
    rwa = rwa_of(result)
    assert (rwa["a"], rwa["b"], rwa["e"]) == ("670000.00", "1260000.00", "750000.00")
    assert [result["exposures"][i]["risk_weight"] for i in (0, 2, 3)] == ["0.670000", "0.700000", "1.100000"]
    assert result["exposures"][4]["reporting_class"] == "real_estate"


@pytest.mark.parametrize(("scra", "ev", "rwa"), [("150000", "850000.00", "1275000.00"),
                                                 ("250000", "750000.00", "750000.00"),
                                                 ("200000", "800000.00", "800000.00")])  # fmt: skip
def test_v8_defaulted_exposures(calc: Calc, scra: str, ev: str, rwa: str) -> None:
    result = calc(exposures=[corporate("a", "1000000", scra=scra, defaulted=True)])
    exposure = result["exposures"][0]
    assert (exposure["reporting_class"], exposure["exposure_value"], exposure["rwa"]) == ("in_default", ev, rwa)
    assert result["credit_risk"]["by_class"]["in_default"]["rwa"] == rwa
    assert result["credit_risk"]["by_class"]["corporate"]["rwa"] == "0.00"


@pytest.mark.parametrize(
    ("day", "listed", "venture", "total"),
    [("2025-12-31", "1000000.00", "200000.00", "1650000.00"), ("2027-06-30", "1600000.00", "440000.00", "2490000.00"),
     ("2030-01-01", "2500000.00", "800000.00", "3750000.00")],
)  # fmt: skip
def test_v9_equity_subordinated_debt_phase_in(calc: Calc, day: str, listed: str, venture: str, total: str) -> None:
    result = calc(
        reference_date=day,
        exposures=[
            {"id": "a", "class": "equity", "amount": 1000000},
            {"id": "b", "class": "equity", "amount": 200000, "higher_risk": True},
            {"id": "c", "class": "subordinated_debt", "amount": 300000},
        ],
    )
    assert rwa_of(result) == {"a": listed, "b": venture, "c": "450000.00"}
    assert result["credit_risk"]["rwa"] == total


def test_v10_covered_bonds(calc: Calc) -> None:
    result = calc(
        exposures=[
            {"id": "a", "class": "covered_bond", "amount": 1000000, "cqs": 1},
            {"id": "b", "class": "covered_bond", "amount": 500000, "issuer_risk_weight": "0.4"},
            {"id": "c", "class": "covered_bond", "amount": 500000, "issuer_risk_weight": "0.3"},
        ]
    )
    assert rwa_of(result) == {"a": "100000.00", "b": "100000.00", "c": "75000.00"}


def v11(at1: str = "200") -> dict[str, Any]:
    return {
        "own_funds": {"cet1_instruments": "1200", "at1_instruments": at1, "t2_instruments": "300"},
        "other_risks": {"other_rwa": "10000"},
        "requirements": {"p2r": "0.02", "ccyb": "0.01", "osii": "0.01"},
    }


def test_v11_capital_ratios_buffers_and_mda(calc: Calc) -> None:
    capital = calc(v11())["capital"]
    assert (capital["cet1"], capital["at1"], capital["tier1"], capital["t2"], capital["own_funds"]) == (
        "1200.00", "200.00", "1400.00", "300.00", "1700.00",
    )  # fmt: skip
    assert (capital["cet1_ratio"], capital["tier1_ratio"], capital["total_capital_ratio"]) == (
        "0.120000", "0.140000", "0.170000",
    )  # fmt: skip
    assert capital["pillar1_surplus"] == {"cet1": "750.00", "tier1": "800.00", "total": "900.00"}
    assert capital["combined_buffer"] == "0.045000"
    assert capital["requirement"] == {"cet1": "0.101250", "tier1": "0.120000", "total": "0.145000"}
    assert (capital["tscr"], capital["ocr"]) == ("0.100000", "0.145000")
    assert capital["requirement_amount"] == {"cet1": "1012.50", "tier1": "1200.00", "total": "1450.00"}
    assert capital["headroom"] == {"cet1": "187.50", "tier1": "200.00", "total": "250.00"}
    assert capital["mda"] == {
        "cet1_available_for_cbr": "637.50", "cet1_available_for_cbr_ratio": "0.063750", "buffer_met": True,
        "quartile": None, "factor": None, "maximum_distributable_amount": None,
    }  # fmt: skip


@pytest.mark.parametrize(("at1", "available"), [("100", "0.055000"), ("0", "0.045000")])
def test_v11_variants_fill_the_at1_shortfall_with_cet1(calc: Calc, at1: str, available: str) -> None:
    mda = calc(v11(at1))["capital"]["mda"]
    assert (mda["cet1_available_for_cbr_ratio"], mda["buffer_met"]) == (available, True)


def test_v12_leverage_ratio(calc: Calc) -> None:
    document = {
        "own_funds": {"cet1_instruments": "1400"},
        "leverage": {"on_balance": "38000", "derivatives": "1000", "sft": "500",
                     "off_balance": {"3": "4000", "5": "5000", "4": "1000"}},
    }  # fmt: skip
    leverage = calc(document)["leverage"]
    assert leverage == {
        "off_balance": "2300.00", "exposure_measure": "41800.00", "tier1": "1400.00", "ratio": "0.033493",
        "requirement": "0.030000", "required_tier1": "1254.00", "surplus": "146.00",
    }  # fmt: skip
    gsii = calc({**document, "requirements": {"gsii": "0.015"}})["leverage"]
    assert (gsii["requirement"], gsii["required_tier1"], gsii["surplus"]) == ("0.037500", "1567.50", "-167.50")


V13_OUTFLOWS = {
    "retail_stable": 2000, "retail_other": 1000, "operational_deposits": 800, "non_operational_non_financial": 500,
    "financial_customers": 300, "committed_credit_non_financial": 1000, "committed_liquidity_non_financial": 200,
}  # fmt: skip


def test_v13_lcr(calc: Calc) -> None:
    assets = {"l1_central_bank_reserves": 400, "l1_securities": 300, "l2a": 200, "l2b_other": 100}
    lcr = calc(lcr={"assets": assets, "outflows": V13_OUTFLOWS,
                    "inflows": {"non_financial_customers": 400, "financial_customers": 300}})["lcr"]  # fmt: skip
    assert (lcr["level1"], lcr["level2a"], lcr["level2b"]) == ("700.00", "170.00", "50.00")
    assert (lcr["cap_adjustment_15"], lcr["cap_adjustment_40"], lcr["liquidity_buffer"]) == ("0.00", "0.00", "920.00")
    assert (lcr["outflows"], lcr["inflows"], lcr["inflow_cap"], lcr["inflows_capped"]) == (
        "1060.00", "500.00", "795.00", "500.00",
    )  # fmt: skip
    assert (lcr["net_outflows"], lcr["ratio"], lcr["surplus"]) == ("560.00", "1.642857", "360.00")
    capped = calc(lcr={"assets": assets, "outflows": V13_OUTFLOWS, "inflows": {"financial_customers": 1000}})["lcr"]
    assert (capped["inflows_capped"], capped["net_outflows"], capped["ratio"]) == ("795.00", "265.00", "3.471698")


def test_v13c_composition_caps_bind(calc: Calc) -> None:
    lcr = calc(lcr={"assets": {"l1_securities": 100, "l2a": 200, "l2b_other": 100}})["lcr"]
    assert (lcr["cap_adjustment_15"], lcr["cap_adjustment_40"], lcr["liquidity_buffer"]) == (
        "25.00", "128.33", "166.67",
    )  # fmt: skip
    assert lcr["ratio"] is None  # no outflows: zero denominator


def test_lcr_covered_bonds_cap_at_70_percent(calc: Calc) -> None:
    lcr = calc(lcr={"assets": {"l1_securities": 30, "l1_covered_bonds": 200}})["lcr"]
    # L1cb after 7 % haircut 186; cap 7 × 30 / 3 = 70 → adj70 116; L1* = 30 + 186 − 116 = 100
    assert (lcr["level1_covered_bonds"], lcr["cap_adjustment_70"], lcr["liquidity_buffer"]) == (
        "186.00",
        "116.00",
        "100.00",
    )


def test_v14_nsfr(calc: Calc) -> None:
    nsfr = calc(
        nsfr={
            "asf": {"capital": 1700, "liabilities_1y_plus": 2000, "retail_stable": 2000, "retail_other": 1000,
                    "operational_deposits": 800, "non_financial_short": 500, "financial_short": 300},
            "rsf": {"cash_central_bank": 400, "level1": 300, "level2a": 200, "level2b": 100,
                    "residential_mortgages_rw35": 3000, "loans_rw_over_35": 2500, "loans_non_financial_short": 400,
                    "fixed_and_other_assets": 500, "undrawn_facilities": 1200},
        }
    )["nsfr"]  # fmt: skip
    assert nsfr == {"asf": "7150.00", "rsf": "4915.00", "ratio": "1.454730", "surplus": "2235.00"}


@pytest.mark.parametrize(
    ("day", "factor", "total", "add_on", "ratio"),
    [("2025-06-30", "0.500000", "6000.00", "0.00", "0.133333"),
     ("2026-06-30", "0.550000", "6000.00", "0.00", "0.133333"),
     ("2027-06-30", "0.600000", "6000.00", "0.00", "0.133333"),
     ("2028-06-30", "0.650000", "6500.00", "500.00", "0.123077"),
     ("2029-06-30", "0.700000", "7000.00", "1000.00", "0.114286"),
     ("2030-06-30", "0.725000", "7250.00", "1250.00", "0.110345")],
)  # fmt: skip
def test_v15_output_floor_phase_in(calc: Calc, day: str, factor: str, total: str, add_on: str, ratio: str) -> None:
    result = calc(reference_date=day, output_floor={"u_trea": 6000, "s_trea": 10000},
                  own_funds={"cet1_instruments": 800})  # fmt: skip
    trea = result["trea"]
    assert (trea["floor_factor"], trea["total"], trea["output_floor_add_on"], trea["cap"]) == (
        factor,
        total,
        add_on,
        None,
    )
    assert result["capital"]["cet1_ratio"] == ratio


@pytest.mark.parametrize(
    ("day", "total", "cap"), [("2029-12-31", "5000.00", "5000.00"), ("2030-01-01", "7250.00", None)]
)
def test_v15_transitional_cap(calc: Calc, day: str, total: str, cap: str | None) -> None:
    trea = calc(reference_date=day, output_floor={"u_trea": 4000, "s_trea": 10000, "transitional_cap": True})["trea"]
    assert (trea["total"], trea["cap"]) == (total, cap)


def test_v16_sme_supporting_factor(calc: Calc) -> None:
    result = calc(
        exposures=[
            corporate("a", "3000000", sme_supporting_factor=True, sme_total_owed="3000000"),
            corporate("b", "2000000", sme_supporting_factor=True, sme_total_owed="2000000"),
        ]
    )
    a, b = result["exposures"]
    assert (a["rwa_pre_sf"], a["rwa"], b["rwa"]) == ("3000000.00", "2329750.00", "1523800.00")
    assert "0.776583" in a["rule"]
    assert result["credit_risk"]["rwa_pre_sf"] == "5000000.00"


def test_v16_cash_collateral_comprehensive_method(calc: Calc) -> None:
    result = calc(
        exposures=[
            corporate("eur", "1000000", collateral={"amount": "300000"}),
            corporate("usd", "1000000", collateral={"amount": "300000", "currency": "USD"}),
        ]
    )
    assert rwa_of(result) == {"eur": "700000.00", "usd": "724000.00"}
    assert "Hfx 8 %" in result["exposures"][1]["rule"]


def test_v16_guarantee_substitution(calc: Calc) -> None:
    result = calc(
        exposures=[
            corporate("a", "1000000", guarantee={"amount": "600000",
                                                 "guarantor": {"class": "central_government", "cqs": 1}}),
        ]
    )  # fmt: skip
    exposure = result["exposures"][0]
    assert exposure["rwa"] == "400000.00"
    assert [(p["reporting_class"], p["exposure_value"], p["risk_weight"]) for p in exposure["parts"]] == [
        ("central_government", "600000.00", "0.000000"),
        ("corporate", "400000.00", "1.000000"),
    ]
    by_class = result["credit_risk"]["by_class"]
    assert by_class["central_government"]["exposure_value"] == "600000.00"
    assert by_class["central_government"]["original_exposure"] == "0.00"
    assert by_class["corporate"]["original_exposure"] == "1000000.00"
