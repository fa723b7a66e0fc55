"""Validation rules as data: each rule passing and failing, interval arithmetic, sign and date rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.reporting.taxonomy import module, modules
from shared.reporting.templates import Report, _Writer
from shared.reporting.validation import (
    Ref,
    Rule,
    RuleSyntaxError,
    _eval,
    errors,
    evaluate,
    load_rules,
    parse,
    rule_from_row,
    warnings,
)
from tests.unit.reporting.conftest import Reports

DAY = date(2026, 3, 31)
SHEET = "eba_qEC:qx2036"


def _module_of(rule: Rule) -> str:
    tables = {r.table for r in rule.refs}
    return next(m.code for m in modules() if tables <= {t.code for t in m.tables})


def _empty(code: str) -> Report:
    m = module(code)
    return Report(m, "CON", DAY, None, {t: True for t in m.templates})


def _put(report: Report, ref: Ref, value: Decimal) -> None:
    sheet = SHEET if ref.sheet == "*" else ref.sheet
    _Writer(report).put(ref.table, ref.row, ref.column, value, "test", "test", sheet=sheet)


def _satisfying(rule: Rule) -> Report:
    """A report where every right-hand cell is set and the left-hand one makes the rule hold."""
    report = _empty(_module_of(rule))
    left_ref = rule.left[1] if rule.left[0] == "ref" else rule.left[1][1]
    for index, ref in enumerate(rule.refs):
        if ref != left_ref:
            _put(report, ref, Decimal("0.5") if _kind(report, ref) == "percentage" else Decimal(1000 + 10 * index))
    scope = SHEET if rule.scoped else None
    low, high = _eval(rule.right, report.cells, scope, [False])
    target = (low + high) / 2
    target += {"=": 0, "<=": -1, ">=": 1}[rule.op]
    _put(report, left_ref, -target if rule.left[0] == "neg" else target)
    return report


def _kind(report: Report, ref: Ref) -> str:
    return report.module.table(ref.table).types[f"{ref.row},{ref.column}"]


RULES = load_rules()


def test_the_rule_table_is_data_with_unique_ids_and_known_cells() -> None:
    assert len(RULES) > 100
    ids = {r.id for r in RULES}
    for required in (
        "v0204_m",
        "v0205_m",
        "v0207_m",
        "v0218_m",
        "v0223_m",
        "v0010_h",
        "v0305_m",
        "v0306_m",
        "v0307_m",
        "v0329_m",
        "v0312_m_c0200",
    ):
        assert required in ids
    for rule in RULES:
        assert rule.severity in ("ERROR", "WARNING")
        for ref in rule.refs:
            table = module(_module_of(rule)).table(ref.table)
            assert f"{ref.row},{ref.column}" in table.cells, (rule.id, ref)
            if ref.sheet not in (None, "*"):
                assert ref.sheet in table.sheet_members


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_passes_then_fails(rule: Rule) -> None:
    report = _satisfying(rule)
    mine = [f for f in evaluate(report, [rule]) if f.rule == rule.id]
    assert [f.status for f in mine] == ["passed"], mine
    left_ref = rule.left[1] if rule.left[0] == "ref" else rule.left[1][1]
    cell = report.cells[left_ref.key(SHEET if rule.scoped else None)]
    assert isinstance(cell.value, Decimal)
    shift = Decimal(-1000) if (rule.op == ">=") != (rule.left[0] == "neg") else Decimal(1000)
    _put(report, left_ref, cell.value + shift)
    mine = [f for f in evaluate(report, [rule]) if f.rule == rule.id]
    assert [f.status for f in mine] == ["failed"], mine
    assert (errors(mine) if rule.severity == "ERROR" else warnings(mine)) == mine
    assert left_ref.address(mine[0].scope) in mine[0].cells


def test_every_rule_passes_on_a_full_calculation(rich: dict[str, Report]) -> None:
    for report in rich.values():
        findings = evaluate(report)
        assert errors(findings) == [] and warnings(findings) == []
        assert sum(f.status == "passed" for f in findings) > 3


def test_interval_arithmetic_tolerates_rounding_and_no_more() -> None:
    (rule,) = [r for r in RULES if r.id == "v0218_m"]
    for ratio, status in (("0.120000", "passed"), ("0.120001", "passed"), ("0.120002", "failed")):
        report = _empty("corep_of")
        _put(report, Ref("C_01.00", "r0020", "c0010", None), Decimal("1200.00"))
        _put(report, Ref("C_02.00.a", "r0010", "c0010", None), Decimal("10000.00"))
        _put(report, Ref("C_03.00", "r0010", "c0010", None), Decimal(ratio))
        assert [f.status for f in evaluate(report, [rule]) if f.rule == rule.id] == [status], ratio


def test_sheet_scoped_rules_run_once_per_reported_sheet(rich: dict[str, Report]) -> None:
    (rule,) = [r for r in RULES if r.id == "v0329_m"]
    scopes = [f.scope for f in evaluate(rich["corep_of"], [rule]) if f.rule == rule.id]
    assert len(scopes) == 27 and "eba_qEC:qx01" in scopes


def test_a_cell_with_the_wrong_sign_is_an_error() -> None:
    report = _empty("corep_of")
    _put(report, Ref("C_03.00", "r0010", "c0010", None), Decimal("-0.01"))
    _put(report, Ref("C_01.00", "r0290", "c0010", None), Decimal("-5"))
    signs = [f for f in evaluate(report, []) if f.rule == "sign"]
    assert [(f.status, f.cells) for f in signs] == [("failed", ("{C_03.00, r0010, c0010}",))]


def test_inactive_rules_and_unfiled_templates_are_skipped() -> None:
    row = {
        "id": "t1",
        "severity": "ERROR",
        "templates": ["C_01.00"],
        "description": "t",
        "formula": "{C_01.00, r0010, c0010} = {C_01.00, r0015, c0010}",
        "from": None,
        "to": "2025-12-31",
    }
    report = _empty("corep_of")
    _put(report, Ref("C_01.00", "r0010", "c0010", None), Decimal(5))
    assert [f.message for f in evaluate(report, [rule_from_row(row)]) if f.rule == "t1"] == ["not active"]
    report.filing["C_01.00"] = False
    active = rule_from_row({**row, "to": None})
    assert [f.message for f in evaluate(report, [active]) if f.rule == "t1"] == ["a template is not filed"]


@pytest.mark.parametrize(
    "formula",
    ["{C_01.00, r0010, c0010}", "{C_01.00, r0010} = 1", "{C_01.00, r0010, c0010} = = 1", "1 = 2 = 3", "{x} = 1"],
)
def test_malformed_formulas_are_rejected(formula: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse(formula)
    with pytest.raises(RuleSyntaxError):
        rule_from_row({"id": "x", "severity": "FATAL", "templates": [], "formula": "1 = 1", "description": ""})


def test_v18_rules_on_v11_data_and_a_broken_hierarchy(reports: Reports) -> None:
    own = {
        "own_funds": {"cet1_instruments": "1200", "at1_instruments": "200", "t2_instruments": "300"},
        "other_risks": {"other_rwa": "10000"},
        "requirements": {"p2r": "0.02", "ccyb": "0.01", "osii": "0.01"},
    }
    report = reports(own)["corep_of"]
    status = {f.rule: f.status for f in evaluate(report)}
    assert (status["v0218_m"], status["v0219_m"], status["v0222_m"], status["ft_c0100_h02"]) == ("passed",) * 4
    _put(report, Ref("C_01.00", "r0530", "c0010", None), Decimal(250))
    broken = [f for f in evaluate(report) if f.rule == "ft_c0100_h02"]
    assert [(f.status, f.severity) for f in broken] == [("failed", "ERROR")]
    assert (Decimal(broken[0].left or "0"), Decimal(broken[0].right or "0")) == (Decimal(1400), Decimal(1450))


@pytest.mark.parametrize(("ratio", "status"), [("0.1200", "passed"), ("0.1210", "failed")])
def test_v18_interval_with_the_reported_decimals(ratio: str, status: str) -> None:
    (rule,) = [r for r in RULES if r.id == "v0218_m"]
    report = _empty("corep_of")
    _put(report, Ref("C_01.00", "r0020", "c0010", None), Decimal(1200000))
    _put(report, Ref("C_02.00.a", "r0010", "c0010", None), Decimal(10000000))
    _put(report, Ref("C_03.00", "r0010", "c0010", None), Decimal(ratio))
    found = evaluate(report, [rule], decimals={"monetary": -3, "percentage": 4, "integer": 0})
    assert [f.status for f in found if f.rule == rule.id] == [status]


def test_v18_c07_risk_weight_row_and_supporting_factor_identity() -> None:
    rules = [r for r in RULES if r.id in ("ft_c0700_rw0180", "v0329_m")]
    report = _empty("corep_of")
    for column, value in (("c0200", 1000000), ("c0215", 200000), ("c0220", 200000)):
        _put(report, Ref("C_07.00.a", "r0180", column, "*"), Decimal(value))
    for column, value in (("c0215", 200000), ("c0216", 0), ("c0220", 200000)):
        _put(report, Ref("C_07.00.a", "r0010", column, "*"), Decimal(value))
    assert {f.rule: f.status for f in evaluate(report, rules) if f.rule != "sign"} == {
        "ft_c0700_rw0180": "passed",
        "v0329_m": "passed",
    }
    _put(report, Ref("C_07.00.a", "r0180", "c0215", "*"), Decimal(210000))
    assert {f.rule: f.status for f in evaluate(report, rules)}["ft_c0700_rw0180"] == "failed"
