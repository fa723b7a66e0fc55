"""The COREP templates of banking.md's worked vectors, cell by cell, and the drill-down behind them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.reporting.taxonomy import module, modules
from shared.reporting.templates import (
    C02_CLASS_ROWS,
    C02_REAL_ESTATE_ROWS,
    CCF_COLUMNS,
    OTHER_RISK_WEIGHT_ROW,
    RISK_WEIGHT_ROWS,
    UCC_TRANSITIONAL_COLUMN,
    Report,
    drill_down,
    template_view,
)
from tests.unit.reporting.conftest import Reports

C07 = "C_07.00.a"
CG, INST, CORP, ALL = "eba_qEC:qx16", "eba_qEC:qx19", "eba_qEC:qx2036", "eba_qEC:qx01"


def val(report: Report, table: str, row: str, column: str, sheet: str | None = None) -> str | None:
    value = report.value(table, row, column, sheet)
    return None if value is None else str(value)


def corporate(ident: str, amount: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "class": "corporate", "amount": amount, **more}


V1 = [
    {"id": "a", "class": "central_government", "amount": 1000000, "cqs": 2},
    {"id": "b", "class": "institution", "amount": 500000, "cqs": 2},
    corporate("c", "2000000", cqs=3),
    corporate("d", "1000000", sovereign_cqs=1),
]


def test_every_datapoint_of_the_data_file_is_in_eba_xbridges_framework_42_modules() -> None:
    import xbridge

    for m in modules():
        path = Path(xbridge.__file__).with_name("modules") / f"{m.code}_corep_4.2.json"
        shipped = {t["url"]: {v["code"] for v in t["variables"]} for t in json.loads(path.read_text())["tables"]}
        for table in m.tables:
            assert set(table.cells.values()) <= shipped[table.csv_name], table.code
    assert module("corep_of").entry_point == "http://www.eba.europa.eu/eu/fr/xbrl/crr/fws/corep/4.2/mod/corep_of.json"


def test_v1_in_c07_one_sheet_per_class(reports: Reports) -> None:
    of = reports({"exposures": V1})["corep_of"]
    assert val(of, C07, "r0010", "c0220", CG) == "200000.00"
    assert val(of, C07, "r0010", "c0220", INST) == "150000.00"
    assert val(of, C07, "r0010", "c0220", CORP) == "2500000.00"
    assert (val(of, C07, "r0010", "c0200", ALL), val(of, C07, "r0010", "c0220", ALL)) == ("4500000.00", "2850000.00")
    # breakdown by risk weight: 20 % (sovereign CQS 2), 30 % (institution CQS 2), 75 %, 100 %
    assert (val(of, C07, "r0180", "c0200", CG), val(of, C07, "r0180", "c0215", CG)) == ("1000000.00", "200000.00")
    assert val(of, C07, "r0185", "c0215", INST) == "150000.00"
    assert (val(of, C07, "r0220", "c0200", CORP), val(of, C07, "r0230", "c0200", CORP)) == ("2000000.00", "1000000.00")
    assert val(of, C07, "r0070", "c0200", ALL) == "4500000.00"
    # C 02.00 class rows equal C 07.00 c0220
    assert val(of, "C_02.00.a", "r0070", "c0010") == "200000.00"
    assert val(of, "C_02.00.a", "r0120", "c0010") == "150000.00"
    assert val(of, "C_02.00.a", "r0125", "c0010") == "2500000.00"
    assert val(of, "C_02.00.a", "r0060", "c0010") == val(of, "C_02.00.a", "r0010", "c0010") == "2850000.00"
    assert of.filing == {"C_00.01": True, "C_01.00": False, "C_02.00": True, "C_03.00": False, "C_07.00": True}
    assert not any(c.table == "C_01.00" for c in of.cells.values())


V3 = [
    corporate("a", "0", off_balance=1000000, ccf_bucket=3),
    corporate("b", "0", off_balance=500000, ccf_bucket=2),
    corporate("c", "0", off_balance=300000, ccf_bucket=4),
    corporate("d", "0", off_balance=200000, ccf_bucket=1),
    corporate("e", "0", off_balance=1000000, ccf_bucket=5),
]


@pytest.mark.parametrize(
    ("day", "ev", "ucc_column"),
    [("2026-03-31", "910000.00", "c0195"), ("2031-06-30", "960000.00", "c0195"), ("2033-01-01", "1010000.00", "c0165")],
)
def test_v3_off_balance_columns_by_conversion_factor(reports: Reports, day: str, ev: str, ucc_column: str) -> None:
    of = reports({"exposures": V3}, reference_date=day)["corep_of"]
    assert val(of, C07, "r0010", "c0010", CORP) == "3000000.00"
    assert val(of, C07, "r0010", "c0175", CORP) == "1000000.00"  # 40 %
    assert val(of, C07, "r0010", "c0180", CORP) == "500000.00"  # 50 %
    assert val(of, C07, "r0010", "c0170", CORP) == "300000.00"  # 20 %
    assert val(of, C07, "r0010", "c0190", CORP) == "200000.00"  # 100 %
    assert val(of, C07, "r0010", ucc_column, CORP) == "1000000.00"  # UCC: phase-in, then 10 %
    assert val(of, C07, "r0080", "c0010", CORP) == "3000000.00"
    assert val(of, C07, "r0010", "c0200", CORP) == val(of, C07, "r0080", "c0200", CORP) == ev
    assert val(of, C07, "r0010", "c0220", CORP) == ev


def v11(at1: str = "200") -> dict[str, Any]:
    return {
        "own_funds": {"cet1_instruments": "1200", "at1_instruments": at1, "t2_instruments": "300"},
        "other_risks": {"other_rwa": "10000"},
        "requirements": {"p2r": "0.02", "ccyb": "0.01", "osii": "0.01"},
    }


def test_v11_in_c01_c02_c03(reports: Reports) -> None:
    of = reports(v11())["corep_of"]
    c01 = {row: val(of, "C_01.00", row, "c0010") for row in ("r0010", "r0015", "r0020", "r0530", "r0750")}
    assert c01 == {"r0010": "1700.00", "r0015": "1400.00", "r0020": "1200.00", "r0530": "200.00", "r0750": "300.00"}
    assert (val(of, "C_02.00.a", "r0010", "c0010"), val(of, "C_02.00.a", "r0690", "c0010")) == ("10000.00",) * 2
    c03 = {row: val(of, "C_03.00", row, "c0010") for row in ("r0010", "r0020", "r0030", "r0040", "r0050", "r0060")}
    assert c03 == {
        "r0010": "0.120000",
        "r0020": "750.00",
        "r0030": "0.140000",
        "r0040": "800.00",
        "r0050": "0.170000",
        "r0060": "900.00",
    }
    assert (val(of, "C_03.00", "r0130", "c0010"), val(of, "C_03.00", "r0160", "c0010")) == ("0.100000", "0.145000")
    assert (val(of, "C_03.00", "r0170", "c0010"), val(of, "C_03.00", "r0180", "c0010")) == ("0.101250", "0.120000")
    assert of.cells[("C_03.00", None, "r0010", "c0010")].kind == "percentage"


def test_negative_tiers_cascade_through_the_c01_excess_rows(reports: Reports) -> None:
    own = {
        "cet1_instruments": "1000",
        "at1_instruments": "100",
        "at1_deductions": "130",
        "t2_instruments": "100",
        "t2_deductions": "150",
    }
    of = reports({"own_funds": own})["corep_of"]
    rows = {r: val(of, "C_01.00", r, "c0010") for r in ("r0720", "r0970", "r0440", "r0740", "r0530", "r0750")}
    assert rows == {
        "r0720": "-50.00",
        "r0970": "50.00",
        "r0440": "-80.00",
        "r0740": "80.00",
        "r0530": "0.00",
        "r0750": "0.00",
    }
    assert val(of, "C_01.00", "r0020", "c0010") == "920.00"


def test_v12_leverage_in_c47(reports: Reports) -> None:
    lr = reports(
        {
            "own_funds": {"cet1_instruments": "1400"},
            "leverage": {
                "on_balance": "38000",
                "derivatives": "1000",
                "sft": "500",
                "off_balance": {"3": "4000", "5": "5000", "4": "1000"},
            },
        }
    )["corep_lr"]
    assert (val(lr, "C_47.00", "r0290", "c0010"), val(lr, "C_47.00", "r0310", "c0010")) == ("41800.00", "1400.00")
    assert (val(lr, "C_47.00", "r0330", "c0010"), val(lr, "C_47.00", "r0410", "c0010")) == ("0.033493", "0.030000")
    assert val(lr, "C_47.00", "r0165", "c0010") == "1600.00"  # 4 000 at 40 %
    assert val(lr, "C_47.00", "r0150", "c0010") == "500.00"  # UCC 5 000 at the 10 % floor
    assert val(lr, "C_47.00", "r0160", "c0010") == "200.00"
    assert val(lr, "C_47.00", "r0190", "c0010") == "38000.00"


V13_OUTFLOWS = {
    "retail_stable": 2000,
    "retail_other": 1000,
    "operational_deposits": 800,
    "non_operational_non_financial": 500,
    "financial_customers": 300,
    "committed_credit_non_financial": 1000,
    "committed_liquidity_non_financial": 200,
}


def test_v13_lcr_in_c72_and_c76(reports: Reports) -> None:
    assets = {"l1_central_bank_reserves": 400, "l1_securities": 300, "l2a": 200, "l2b_other": 100}
    lcr = reports(
        {
            "lcr": {
                "assets": assets,
                "outflows": V13_OUTFLOWS,
                "inflows": {"non_financial_customers": 400, "financial_customers": 300},
            }
        }
    )["corep_lcr_da"]
    c76 = {r: val(lcr, "C_76.00.a", r, "c0010") for r in ("r0010", "r0020", "r0030", "r0300", "r0360")}
    assert c76 == {"r0010": "920.00", "r0020": "560.00", "r0030": "1.642857", "r0300": "1060.00", "r0360": "500.00"}
    assert (val(lcr, "C_72.00.a", "r0050", "c0010"), val(lcr, "C_72.00.a", "r0050", "c0030")) == ("400.00", "1.000000")
    assert (val(lcr, "C_72.00.a", "r0230", "c0040"), val(lcr, "C_72.00.a", "r0310", "c0040")) == ("170.00", "50.00")
    assert val(lcr, "C_72.00.a", "r0010", "c0040") == "920.00"
    assert lcr.filing["C_72.00"] and lcr.filing["C_73.00"] and lcr.filing["C_74.00"] and lcr.filing["C_76.00"]
    # C 72.00 every total the categories determine, amount and value (l1_securities has no single line)
    c72 = {r: (val(lcr, "C_72.00.a", r, "c0010"), val(lcr, "C_72.00.a", r, "c0040")) for r in V13_C72}
    assert c72 == V13_C72
    assert val(lcr, "C_72.00.a", "r0030", "c0030") is None  # a weight only on a one-category line
    assert val(lcr, "C_72.00.a", "r0040", "c0010") is None  # no coins in the input: no line
    # C 73.00 lines (amount, applicable weight, outflow) and totals (amount, outflow)
    c73 = {r: tuple(val(lcr, "C_73.00.a", r, c) for c in ("c0010", "c0050", "c0060")) for r in V13_C73}
    assert c73 == V13_C73
    assert val(lcr, "C_73.00.a", "r0210", "c0060") is None  # financial_customers may be non-operational deposits
    assert val(lcr, "C_73.00.a", "r0010", "c0060") == c76["r0300"]
    # C 74.00: everything subject to the 75 % cap (c0010 amount, c0140 inflow)
    c74 = {r: (val(lcr, "C_74.00.a", r, "c0010"), val(lcr, "C_74.00.a", r, "c0140")) for r in V13_C74}
    assert c74 == V13_C74
    assert val(lcr, "C_74.00.a", "r0010", "c0140") == val(lcr, "C_76.00.a", "r0330", "c0010") == "500.00"
    assert val(lcr, "C_74.00.a", "r0010", "c0030") is None and val(lcr, "C_74.00.a", "r0010", "c0160") is None


# banking.md V13, hand-computed: row → (amount, value according to Art. 9)
V13_C72 = {
    "r0010": ("1000.00", "920.00"),
    "r0020": ("700.00", "700.00"),
    "r0030": ("700.00", "700.00"),
    "r0050": ("400.00", "400.00"),
    "r0180": ("0.00", "0.00"),
    "r0220": ("300.00", "220.00"),
    "r0230": ("200.00", "170.00"),
    "r0310": ("100.00", "50.00"),
}
# row → (amount, applicable weight, outflow); the weight only where the row is one category's line
V13_C73 = {
    "r0010": ("5800.00", None, "1060.00"),
    "r0020": ("5800.00", None, "1060.00"),
    "r0030": ("3000.00", None, "200.00"),
    "r0080": ("2000.00", "0.050000", "100.00"),
    "r0110": ("1000.00", "0.100000", "100.00"),
    "r0120": ("800.00", None, "200.00"),
    "r0240": ("500.00", None, "200.00"),
    "r0270": ("0.00", None, "0.00"),
    "r0460": ("1200.00", None, "160.00"),
    "r0470": ("1000.00", None, "100.00"),
    "r0490": ("1000.00", "0.100000", "100.00"),
    "r0580": ("200.00", None, "60.00"),
    "r0600": ("200.00", "0.300000", "60.00"),
    "r0920": ("0.00", None, "0.00"),
    "r1020": ("0.00", None, "0.00"),
}
V13_C74 = {
    "r0010": ("700.00", "500.00"),
    "r0020": ("700.00", "500.00"),
    "r0030": ("400.00", "200.00"),
    "r0100": ("300.00", "300.00"),
    "r0263": ("0.00", "0.00"),
}


def test_c73_totals_that_a_category_may_or_may_not_belong_to_are_not_reported(reports: Reports) -> None:
    outflows = {"retail_stable": 100, "other": 50, "secured_funding_level1": 10, "secured_funding_level2a": 20,
                "committed_facilities_credit_institutions": 10, "committed_credit_retail": 40}  # fmt: skip
    lcr = reports({"lcr": {"assets": {"l1_coins_banknotes": 1000}, "outflows": outflows}})["corep_lcr_da"]
    # "other" may be unsecured or secured: neither section total; level 1 secured funding may have a central
    # bank lender: not the non-central-bank total; facilities to credit institutions: credit or liquidity
    for row in ("r0020", "r0920", "r1020", "r0460", "r0470", "r0580", "r0270", "r0210"):
        assert val(lcr, "C_73.00.a", row, "c0060") is None, row
    assert [val(lcr, "C_73.00.a", "r0010", c) for c in ("c0010", "c0060")] == ["230.00", "64.00"]
    assert [val(lcr, "C_73.00.a", "r1050", c) for c in ("c0010", "c0050", "c0060")] == ["20.00", "0.150000", "3.00"]
    assert [val(lcr, "C_73.00.a", "r0030", c) for c in ("c0010", "c0060")] == ["100.00", "5.00"]
    assert val(lcr, "C_76.00.a", "r0300", "c0010") == "64.00"
    assert lcr.filing["C_74.00"] is False and not any(c.table == "C_74.00.a" for c in lcr.cells.values())
    line = lcr.cells[("C_73.00.a", None, "r1050", "c0060")]
    assert "secured_funding_level2a" in line.source and "15 %" in line.source and line.rule == "Art. 28(3) DR 2015/61"
    total = lcr.cells[("C_73.00.a", None, "r0010", "c0060")]
    assert "other" in total.source and total.rule == "Art. 22 DR 2015/61"


def test_the_lcr_line_table_maps_every_category_to_a_row_of_the_dpm(rule_set: Any) -> None:
    from datetime import date

    from shared.reporting.templates import lcr_lines

    params = rule_set.at(date(2026, 3, 31))
    rates = {"C_72.00.a": "lcr_haircut", "C_73.00.a": "lcr_outflow", "C_74.00.a": "lcr_inflow"}
    for table, spec in lcr_lines().items():
        t = module("corep_lcr_da").table(table)
        assert spec["rates"] == rates[table]
        assert set(spec["categories"]) == set(params[spec["rates"]]), table  # every category, none invented
        for column in (spec["amount"], spec["value"]):
            assert all(f"{row},{column}" in t.cells for row in {i["row"] for i in spec["categories"].values()})
        totals = spec["totals"]
        grand = next(iter(totals.values()))
        assert grand["sum"] == list(spec["categories"]) and grand["unless"] == []  # the table total: everything
        for category, info in spec["categories"].items():
            assert info["article"] and info["reason"]
            if info["row"] in totals:  # a category reported at a total counts in it
                assert category in totals[info["row"]]["sum"], (table, category)
        for row, total in totals.items():
            assert set(total["sum"]) | set(total["unless"]) <= set(spec["categories"]), (table, row)
            assert not set(total["sum"]) & set(total["unless"]), (table, row)
            assert t.row_label(row[1:]), (table, row)


def test_nsfr_in_c84(reports: Reports) -> None:
    nsfr = reports(
        {"nsfr": {"asf": {"capital": 1000, "retail_stable": 500}, "rsf": {"level1": 100, "loans_rw_over_35": 800}}}
    )["corep_nsfr"]
    assert val(nsfr, "C_84.00.d", "r0120", "c0030") == "1475.00"
    assert val(nsfr, "C_84.00.c", "r0010", "c0020") == "680.00"
    assert val(nsfr, "C_84.00.a", "r0220", "c0040") == "2.169118"


def test_real_estate_parts_go_to_their_sub_classes(rich: dict[str, Report]) -> None:
    of = rich["corep_of"]
    secured, unsecured = "eba_qEC:qx2039", "eba_qEC:qx2040"
    # V5-style split: 300 000 on a 400 000 home: 220 000 at 20 %, 80 000 at the retail 75 %
    assert (val(of, C07, "r0010", "c0200", secured), val(of, C07, "r0010", "c0220", secured)) == (
        "220000.00",
        "44000.00",
    )
    assert (val(of, C07, "r0010", "c0200", unsecured), val(of, C07, "r0010", "c0220", unsecured)) == (
        "80000.00",
        "60000.00",
    )
    assert val(of, "C_02.00.a", "r0151", "c0010") == "44000.00"
    assert val(of, C07, "r0010", "c0220", "eba_qEC:qx2049") == "375000.00"  # ADC 150 %
    assert val(of, C07, "r0010", "c0220", "eba_qEC:qx2037") == "400000.00"  # specialised lending, object 100 %


def test_guarantee_moves_exposure_between_sheets(rich: dict[str, Report]) -> None:
    of = rich["corep_of"]
    assert val(of, C07, "r0010", "c0100", CG) == "50000.00"
    assert val(of, C07, "r0010", "c0050", CORP) == "-50000.00"
    assert val(of, C07, "r0010", "c0130", CORP) == "-18400.00"  # 20 000 USD × (1 − 8 %)


def test_drill_down_lists_the_exposures_and_their_rules(rich: dict[str, Report]) -> None:
    of = rich["corep_of"]
    cell = of.cells[(C07, "eba_qEC:qx2037", "r0010", "c0220")]
    seen = drill_down(of, cell)
    assert seen["exposure_count"] == 1
    assert seen["exposures"][0]["id"] == "sl" and "Art. 122a" in seen["exposures"][0]["rule"]
    total = drill_down(of, of.cells[(C07, ALL, "r0010", "c0220")], limit=5)
    assert total["exposure_count"] == 28 and len(total["exposures"]) == 5
    own = drill_down(of, of.cells[("C_01.00", None, "r0020", "c0010")])
    assert (own["exposure_count"], own["cell"]["source"]) == (0, "capital.cet1")
    c02 = drill_down(of, of.cells[("C_02.00.a", None, "r0070", "c0010")])
    assert {e["id"] for e in c02["exposures"]} == {"cg", "cg2"}  # the guaranteed part of cg2 is in qx16


def test_template_view_is_ordered_json(rich: dict[str, Report]) -> None:
    view = template_view(rich["corep_of"])
    assert view["framework"] == "COREP 4.2" and view["cells"][0]["table"] == "C_00.01"
    assert all(isinstance(c["value"], str) for c in view["cells"])
    assert Decimal(next(c["value"] for c in view["cells"] if c["table"] == "C_01.00" and c["row"] == "r0020")) > 0


def test_hand_written_mappings_match_the_eba_labels() -> None:
    c07 = module("corep_of").table(C07)
    for weight, row in RISK_WEIGHT_ROWS.items():
        assert c07.row_label(row[1:]) == f"{(weight * 100).normalize():f}%", row
    assert c07.row_label(OTHER_RISK_WEIGHT_ROW[1:]) == "Other risk weights"
    for factor, column in CCF_COLUMNS.items():
        assert c07.column_label(column[1:]) == f"{(factor * 100).normalize():f}%", column
    assert "UCC" in c07.column_label(UCC_TRANSITIONAL_COLUMN[1:])
    members = c07.sheet_members
    assert set(C02_CLASS_ROWS) | set(C02_REAL_ESTATE_ROWS) <= set(members)
    c02 = module("corep_of").table("C_02.00.a")
    for member, row in C02_REAL_ESTATE_ROWS.items():
        assert c02.row_label(row[1:]).lower() in members[member].lower(), (member, row)
    assert c02.row_label("0171") == "Subordinated debt exposures" and "subordinated" in members["eba_qEC:qx2050"]


def test_c72_every_total_and_line_with_every_asset_category_hand_computed(rich: dict[str, Report]) -> None:
    """RICH's assets: coins 50, reserves 400, L1 securities 300, EHQCB 100 (7 %), L2A 200 (15 %), L2B
    covered bonds 30 (30 %), other L2B 100 (50 %)."""
    lcr = rich["corep_lcr_da"]
    lines = {r: tuple(val(lcr, "C_72.00.a", r, c) for c in ("c0010", "c0030", "c0040")) for r in C72_RICH}
    assert lines == C72_RICH
    c76 = {r: val(lcr, "C_76.00.a", r, "c0010") for r in ("r0040", "r0100", "r0160", "r0220")}
    assert c76 == {"r0040": "750.00", "r0100": "93.00", "r0160": "170.00", "r0220": "71.00"}
    cell = lcr.cells[("C_72.00.a", None, "r0190", "c0040")]
    assert "l1_covered_bonds" in cell.source and "haircut 7 %" in cell.source and "Art. 10(1)(f)" in cell.rule


C72_RICH = {
    "r0010": ("1180.00", None, "1084.00"),
    "r0020": ("850.00", None, "843.00"),
    "r0030": ("750.00", None, "750.00"),
    "r0040": ("50.00", "1.000000", "50.00"),
    "r0050": ("400.00", "1.000000", "400.00"),
    "r0180": ("100.00", None, "93.00"),
    "r0190": ("100.00", "0.930000", "93.00"),
    "r0220": ("330.00", None, "241.00"),
    "r0230": ("200.00", None, "170.00"),
    "r0310": ("130.00", None, "71.00"),
    "r0340": ("30.00", "0.700000", "21.00"),
}
