"""COREP templates filled from a prudential calculation, every cell with its provenance.

:func:`build` takes a validated calculation input and its (unrounded) result — the public API of
``shared.prudential`` — and returns one :class:`Report` per module (``corep_of``, ``corep_lr``,
``corep_lcr_da``, ``corep_nsfr``). Cells are addressed by the framework 4.2 codes of
:mod:`shared.reporting.taxonomy` (table, row, column and, for C 07.00, the exposure-class member);
a value computed for a cell the taxonomy does not have is a programming error, never silently kept.

Values are computed exactly and rounded once, per cell, to the decimals the package declares:
amounts 2 (``decimalsMonetary``), ratios and weights 6 (``decimalsPercentage``), half away from zero.
Each cell carries ``source`` (the calculation figure or the formula it comes from), ``rule`` (the
regulation behind it) and, for credit-risk cells, a ``selection``: the exposures that make it up,
so that :func:`drill_down` lists them with the rule each was weighted under.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from pathlib import Path
from typing import Any

from shared.prudential.models import CalculationInput, Exposure, ExposureResult, Result
from shared.prudential.numbers import EXACT, cycle_collection_paused
from shared.prudential.rules import RuleSet
from shared.reporting.taxonomy import MODULES, Module, module

__all__ = ["ACCOUNTING", "BASES", "Cell", "Report", "build", "drill_down"]

ZERO = Decimal(0)
ONE = Decimal(1)
_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")
#: reporting basis → C 00.01 r0020 member (eba_qSC: Consolidated, Individual).
BASES = {"CON": "eba_qSC:qx10", "IND": "eba_qSC:qx9"}
#: accounting framework → C 00.01 r0010 member (eba_qAS: IFRS, National GAAP).
ACCOUNTING = {"IFRS": "eba_qAS:qx2004", "NGAAP": "eba_qAS:qx2005"}

# C 07.00 exposure-class members (key qEBB, eba_qEC) per reporting class of the simulator.
ALL_CLASSES = "eba_qEC:qx01"
REAL_ESTATE_TOTAL = "eba_qEC:qx2038"
_SHEET = {
    "central_government": "eba_qEC:qx16", "rgla": "eba_qEC:qx23", "pse": "eba_qEC:qx22", "mdb": "eba_qEC:qx21",
    "international_organisation": "eba_qEC:qx20", "institution": "eba_qEC:qx19", "corporate": "eba_qEC:qx2036",
    "retail": "eba_qEC:qx26", "in_default": "eba_qEC:qx12", "subordinated_debt": "eba_qEC:qx2050",
    "covered_bond": "eba_qEC:qx13", "equity": "eba_qEC:qx1", "other_items": "eba_qEC:qx25",
}  # fmt: skip
_SPECIALISED_LENDING = "eba_qEC:qx2037"
_ADC = "eba_qEC:qx2049"
# (residential, ipre, eligible, part kind) → real-estate sub-class member.
_REAL_ESTATE = {
    (True, False, True, "secured"): "eba_qEC:qx2039", (True, False, True, "unsecured"): "eba_qEC:qx2040",
    (True, False, False, "obligor"): "eba_qEC:qx2041", (True, True, True, "obligor"): "eba_qEC:qx2042",
    (True, True, False, "obligor"): "eba_qEC:qx2043", (False, False, True, "secured"): "eba_qEC:qx2060",
    (False, False, True, "unsecured"): "eba_qEC:qx2061", (False, False, False, "obligor"): "eba_qEC:qx2063",
    (False, True, True, "obligor"): "eba_qEC:qx2058", (False, True, False, "obligor"): "eba_qEC:qx2062",
}  # fmt: skip
# C 02.00 row of each C 07.00 sheet (row 0150 = real estate total, 0151… its breakdown).
C02_CLASS_ROWS = {
    "eba_qEC:qx16": "r0070", "eba_qEC:qx23": "r0080", "eba_qEC:qx22": "r0090", "eba_qEC:qx21": "r0100",
    "eba_qEC:qx20": "r0110", "eba_qEC:qx19": "r0120", "eba_qEC:qx2036": "r0125", "eba_qEC:qx2037": "r0131",
    "eba_qEC:qx26": "r0140", "eba_qEC:qx2038": "r0150", "eba_qEC:qx12": "r0160", "eba_qEC:qx2050": "r0171",
    "eba_qEC:qx13": "r0180", "eba_qEC:qx18": "r0190", "eba_qEC:qx14": "r0200", "eba_qEC:qx1": "r0210",
    "eba_qEC:qx25": "r0211",
}  # fmt: skip
C02_REAL_ESTATE_ROWS = {
    "eba_qEC:qx2039": "r0151", "eba_qEC:qx2040": "r0152", "eba_qEC:qx2041": "r0153", "eba_qEC:qx2042": "r0154",
    "eba_qEC:qx2043": "r0155", "eba_qEC:qx2060": "r0156", "eba_qEC:qx2061": "r0157", "eba_qEC:qx2063": "r0158",
    "eba_qEC:qx2058": "r0159", "eba_qEC:qx2062": "r0900", "eba_qEC:qx2049": "r0910",
}  # fmt: skip
# C 07.00 rows 0140…0270: breakdown by risk weight; any other weight goes to 0280.
RISK_WEIGHT_ROWS = {
    Decimal(k): v
    for k, v in {
        "0": "r0140", "0.02": "r0150", "0.04": "r0160", "0.1": "r0170", "0.2": "r0180", "0.3": "r0185",
        "0.35": "r0190", "0.4": "r0195", "0.45": "r0196", "0.5": "r0200", "0.6": "r0205", "0.7": "r0210",
        "0.75": "r0220", "0.8": "r0225", "0.9": "r0226", "1": "r0230", "1.05": "r0231", "1.1": "r0232",
        "1.3": "r0235", "1.5": "r0240", "2.5": "r0250", "3.7": "r0260", "4": "r0265", "12.5": "r0270",
    }.items()
}  # fmt: skip
OTHER_RISK_WEIGHT_ROW = "r0280"
# C 07.00 columns 0160…0190: off-balance items by conversion factor.
CCF_COLUMNS = {Decimal(k): v for k, v in {"0": "c0160", "0.1": "c0165", "0.2": "c0170", "0.4": "c0175",
                                         "0.5": "c0180", "1": "c0190"}.items()}  # fmt: skip

Key = tuple[str, str | None, str, str]  # table, sheet member, row, column


@dataclass(frozen=True)
class Cell:
    """One reported value. ``value``: a rounded ``Decimal`` (amount or ratio) or a member code."""

    table: str
    sheet: str | None
    row: str
    column: str
    value: Decimal | str
    kind: str
    datapoint: str
    source: str
    rule: str
    selection: str | None = None

    @property
    def address(self) -> str:
        """``{C_07.00.a, r0010, c0220, s eba_qEC:qx16}``, the v-rule notation."""
        sheet = f", s {self.sheet}" if self.sheet else ""
        return f"{{{self.table}, {self.row}, {self.column}{sheet}}}"

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table, "sheet": self.sheet, "row": self.row, "column": self.column,
            "value": self.value if isinstance(self.value, str) else format(self.value, "f"), "kind": self.kind,
            "datapoint": self.datapoint, "source": self.source, "rule": self.rule, "selection": self.selection,
        }  # fmt: skip


@dataclass
class Report:
    """One module's templates for one calculation."""

    module: Module
    basis: str
    reference_date: date
    calculation_id: str | None
    filing: dict[str, bool]
    cells: dict[Key, Cell] = field(default_factory=dict)
    selections: dict[str, list[int]] = field(default_factory=dict)
    exposures: Sequence[ExposureResult] = ()

    def value(self, table: str, row: str, column: str, sheet: str | None = None) -> Decimal | str | None:
        cell = self.cells.get((table, sheet, row, column))
        return None if cell is None else cell.value

    def sorted_cells(self) -> list[Cell]:
        """Table order of the module, then sheet, row, column: the order of every output."""
        order = {t.code: i for i, t in enumerate(self.module.tables)}
        return sorted(self.cells.values(), key=lambda c: (order[c.table], c.sheet or "", c.row, c.column))


def _round(value: Decimal, kind: str) -> Decimal:
    with localcontext(EXACT):
        quantum = _MICRO if kind == "percentage" else _CENT
        rounded = value.quantize(quantum, ROUND_HALF_UP)
        return rounded if rounded else rounded.copy_abs()  # never -0.00


class _Writer:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.unbound: list[str] = []

    def put(
        self, table: str, row: str, column: str, value: Decimal | str | None, source: str, rule: str,
        sheet: str | None = None, selection: str | None = None,
    ) -> None:  # fmt: skip
        if value is None:
            return
        t = self.report.module.table(table)
        where = f"{row},{column}"
        datapoint = t.cells.get(where)
        if datapoint is None:
            raise KeyError(f"{table} {where}: no such cell in framework 4.2")
        kind = t.types[where]
        stored: Decimal | str = value if isinstance(value, str) else _round(value, kind)
        self.report.cells[(table, sheet, row, column)] = Cell(
            table, sheet, row, column, stored, kind, datapoint, source, rule, selection
        )


# --- C 00.01 ------------------------------------------------------------------------------------


def _nature(w: _Writer, accounting: str) -> None:
    w.put("C_00.01", "r0010", "c0010", ACCOUNTING[accounting], "report setting: accounting framework", "ITS C 00.01")
    w.put("C_00.01", "r0020", "c0010", BASES[w.report.basis], "report setting: basis (CON/IND)", "ITS C 00.01")


# --- corep_of -----------------------------------------------------------------------------------


def _sheet(e: Exposure, reporting_class: str, kind: str, guarantor: bool) -> str:
    if reporting_class == "real_estate":
        if e.cls == "adc":
            return _ADC
        f = e.profile
        return _REAL_ESTATE[(f.property_type == "residential", f.ipre, f.eligible, kind)]
    if reporting_class == "corporate" and not guarantor and e.profile.specialised_lending:
        return _SPECIALISED_LENDING
    return _SHEET[reporting_class]


UCC_BUCKET = 5
UCC_TRANSITIONAL_COLUMN = "c0195"


def _ccf_column(r: ExposureResult) -> str:
    """Off-balance column of the applied conversion factor; unconditionally cancellable commitments
    still phased in (Art. 495d: below 10 %) go to 0195, "transitional arrangements for UCCs"."""
    if r.ccf_bucket == UCC_BUCKET and r.ccf < Decimal("0.1"):
        return UCC_TRANSITIONAL_COLUMN
    return CCF_COLUMNS[r.ccf]


_ORIG, _SCRA, _GUAR, _INFLOW, _COLL, _EV, _PRE, _RWA = range(8)


class _Sheets:
    """Unrounded C 07.00 sums per (sheet, row) and the exposures behind each (sheet, row).

    Each (sheet, row) keeps eight running sums (original exposure, scra, guaranteed, substitution
    inflow, collateral, exposure value, RWEA before and after supporting factors) plus the
    off-balance nominal per CCF column; :meth:`columns` turns them into the template's columns."""

    def __init__(self) -> None:
        # (sheet, row) → (its eight sums, the exposures behind it): one dictionary look-up per entry
        self.rows: dict[tuple[str, str], tuple[list[Decimal], list[int]]] = {}
        self.off: dict[tuple[str, str], dict[str, Decimal]] = {}

    @property
    def sums(self) -> dict[tuple[str, str], list[Decimal]]:
        return {key: sums for key, (sums, _) in self.rows.items()}

    @property
    def members(self) -> dict[tuple[str, str], list[int]]:
        return {key: members for key, (_, members) in self.rows.items()}

    def entry(self, sheet: str, row: str, index: int) -> list[Decimal]:
        found = self.rows.get((sheet, row))
        if found is None:
            sums = [ZERO] * 8
            self.rows[(sheet, row)] = (sums, [index])
            return sums
        sums, members = found
        if not members or members[-1] != index:
            members.append(index)
        return sums

    def add_off(self, sheet: str, row: str, column: str, value: Decimal) -> None:
        off = self.off.setdefault((sheet, row), {})
        off[column] = off.get(column, ZERO) + value

    def columns(self) -> dict[tuple[str, str], dict[str, Decimal]]:
        out: dict[tuple[str, str], dict[str, Decimal]] = {}
        for (sheet, row), v in self.sums.items():
            cols = {"c0200": v[_EV], "c0215": v[_PRE], "c0216": v[_RWA] - v[_PRE], "c0220": v[_RWA]}
            if row in ("r0010", "r0070", "r0080"):
                cols["c0010"] = v[_ORIG]
            if row in ("r0010", "r0070"):
                cols["c0030"] = -v[_SCRA]
            if row == "r0010":
                cols.update({"c0050": -v[_GUAR], "c0090": -v[_GUAR], "c0100": v[_INFLOW], "c0130": -v[_COLL]})
            if row in ("r0010", "r0080"):
                cols.update(self.off.get((sheet, row), {}))
            out[(sheet, row)] = cols
        return out


def _simple(e: Exposure) -> bool:
    """No default, CRM, SME factor or real estate: the risk weight depends on the profile and the
    CCF bucket only (the engine groups these exposures the same way)."""
    return not (
        e.defaulted or e.guarantee is not None or e.collateral is not None or e.sme_supporting_factor
        or e.cls == "real_estate"
    )  # fmt: skip


def _credit_sheets(inp: CalculationInput, result: Result) -> _Sheets:
    """Exposures with CRM, splitting, default or SME factor are taken one by one from the result;
    the others are summed per (profile, CCF bucket) and weighed once per group — exact either way."""
    s = _Sheets()
    exposures = result.exposures
    groups: dict[tuple[Any, int | None], list[Any]] = {}
    inputs = inp.exposures
    weighed: list[int] = []
    with localcontext(EXACT):
        for index, e in enumerate(inputs):
            if not _simple(e):
                weighed.append(index)
                continue
            key = (e.profile, e.ccf_bucket if e.off_balance else None)
            group = groups.get(key)
            if group is None:
                group = groups[key] = [ZERO, ZERO, ZERO, [], e]
            group[0] += e.amount
            group[1] += e.scra
            group[2] += e.off_balance
            group[3].append(index)
        # one exact context for all of them (and the engine's kept results when it has them), not one per item
        picked = getattr(exposures, "picked", None)
        results = picked(weighed) if picked is not None else (exposures[i] for i in weighed)
        for index, r in zip(weighed, results, strict=True):
            _one(s, index, inputs[index], r)
        for amounts, scras, offs, members, e in groups.values():
            _group(s, e, exposures[members[0]], amounts, scras, offs, members)
    return s


def _group(
    s: _Sheets, e: Exposure, r: ExposureResult, amounts: Decimal, scras: Decimal, offs: Decimal, members: list[int]
) -> None:
    """A group of simple exposures: one risk weight, one sheet; sums exact (Decimal)."""
    part = r.parts[0]
    rw = part.risk_weight
    sheet = _sheet(e, r.reporting_class, part.kind, False)
    off_ev = offs * r.ccf if offs else ZERO
    ev = amounts - scras + off_ev
    on_ev = ev - off_ev
    rows: list[tuple[str, list[Decimal]]] = [
        ("r0010", [amounts + offs, scras, ZERO, ZERO, ZERO, ev, ev * rw, ev * rw]),
        ("r0070", [amounts, scras, ZERO, ZERO, ZERO, on_ev, on_ev * rw, on_ev * rw]),
        (RISK_WEIGHT_ROWS.get(rw, OTHER_RISK_WEIGHT_ROW), [ZERO, ZERO, ZERO, ZERO, ZERO, ev, ev * rw, ev * rw]),
    ]
    if offs:
        rows.append(("r0080", [offs, ZERO, ZERO, ZERO, ZERO, off_ev, off_ev * rw, off_ev * rw]))
        column = _ccf_column(r)
        s.add_off(sheet, "r0010", column, offs)
        s.add_off(sheet, "r0080", column, offs)
    for row, values in rows:
        key = (sheet, row)
        found = s.rows.get(key)
        if found is None:
            found = s.rows[key] = ([ZERO] * 8, [])
        sums = found[0]
        for slot, value in enumerate(values):
            sums[slot] += value
        found[1].extend(members)


def _one(s: _Sheets, index: int, e: Exposure, r: ExposureResult) -> None:
    """One exposure weighed by the engine: its parts to their sheets and rows."""
    entry = s.entry
    parts = r.parts
    obligor = [p for p in parts if p.kind != "guaranteed"]
    sheets = [_sheet(e, p.reporting_class, p.kind, False) for p in obligor]
    home = sheets[0] if sheets else _sheet(e, r.reporting_class, "obligor", False)
    if len(set(sheets)) > 1:
        # loan splitting (real estate: no value adjustment, CRM or off-balance): c0010 per part
        for p, sheet in zip(obligor, sheets, strict=True):
            entry(sheet, "r0010", index)[_ORIG] += p.exposure_value
            entry(sheet, "r0070", index)[_ORIG] += p.exposure_value
    else:
        t = entry(home, "r0010", index)
        t[_ORIG] += r.original_exposure
        if r.scra:
            t[_SCRA] += r.scra
        if r.guaranteed:
            t[_GUAR] += r.guaranteed
        if r.collateral_adjusted:
            t[_COLL] += r.collateral_adjusted
        on = entry(home, "r0070", index)
        on[_ORIG] += r.original_exposure - r.off_balance
        if r.scra:
            on[_SCRA] += r.scra
        if r.off_balance:
            column = _ccf_column(r)
            s.add_off(home, "r0010", column, r.off_balance)
            s.add_off(home, "r0080", column, r.off_balance)
            entry(home, "r0080", index)[_ORIG] += r.off_balance
    for p in parts:
        guaranteed = p.kind == "guaranteed"
        sheet = _sheet(e, p.reporting_class, p.kind, True) if guaranteed else home
        if not guaranteed and len(sheets) > 1:
            sheet = _sheet(e, p.reporting_class, p.kind, False)
        ev, pre, rwa = p.exposure_value, p.rwa_pre_sf, p.rwa
        t = entry(sheet, "r0010", index)
        t[_EV] += ev
        t[_PRE] += pre
        t[_RWA] += rwa
        if guaranteed:
            t[_INFLOW] += ev
        off_ev = r.off_balance * r.ccf if not guaranteed and r.off_balance else ZERO
        if off_ev and ev:
            share = off_ev / ev
            t = entry(sheet, "r0080", index)
            t[_EV] += ev * share
            t[_PRE] += pre * share
            t[_RWA] += rwa * share
            rest = ONE - share
            t = entry(sheet, "r0070", index)
            t[_EV] += ev * rest
            t[_PRE] += pre * rest
            t[_RWA] += rwa * rest
        else:
            t = entry(sheet, "r0070", index)
            t[_EV] += ev
            t[_PRE] += pre
            t[_RWA] += rwa
        t = entry(sheet, RISK_WEIGHT_ROWS.get(p.risk_weight, OTHER_RISK_WEIGHT_ROW), index)
        t[_EV] += ev
        t[_PRE] += pre
        t[_RWA] += rwa
        if r.sme_factor_applied and not guaranteed:
            t = entry(sheet, "r0030", index)
            t[_EV] += ev
            t[_PRE] += pre
            t[_RWA] += rwa


_C07_SOURCES = {
    "c0010": ("Σ original exposure (on-balance amount + off-balance nominal)", "Art. 111 CRR"),
    "c0030": ("− Σ specific credit risk adjustments (scra)", "Art. 111(1) CRR"),
    "c0040": ("c0010 + c0030", "ITS C 07.00 c0040"),
    "c0050": ("− Σ guaranteed amounts (substitution outflow)", "Art. 235 CRR"),
    "c0090": ("c0050 + c0060 + c0070 + c0080", "Art. 235 CRR"),
    "c0100": ("Σ guaranteed parts received from other classes (substitution inflow)", "Art. 235 CRR"),
    "c0110": ("c0040 + c0090 + c0100", "ITS C 07.00 c0110"),
    "c0130": ("− Σ cash collateral × (1 − Hfx)", "Art. 223, 224 CRR"),
    "c0150": ("c0110 + c0120 + c0130", "Art. 223(5) CRR"),
    "c0160": ("Σ off-balance nominal, conversion factor 0 %", "Art. 111(2) CRR"),
    "c0165": ("Σ off-balance nominal, conversion factor 10 %", "Art. 111(2) CRR"),
    "c0170": ("Σ off-balance nominal, conversion factor 20 %", "Art. 111(2) CRR"),
    "c0175": ("Σ off-balance nominal, conversion factor 40 %", "Art. 111(2) CRR"),
    "c0180": ("Σ off-balance nominal, conversion factor 50 %", "Art. 111(2) CRR"),
    "c0190": ("Σ off-balance nominal, conversion factor 100 %", "Art. 111(2) CRR"),
    "c0195": ("Σ off-balance nominal of UCCs under the phase-in", "Art. 495d CRR"),
    "c0200": ("Σ exposure value of the parts", "Art. 111 CRR"),
    "c0215": ("Σ exposure value × risk weight", "Art. 113 CRR"),
    "c0216": ("Σ (RWEA after − before the SME supporting factor)", "Art. 501 CRR"),
    "c0220": ("c0215 + c0216 + c0217", "Art. 92(4), 501 CRR"),
}


def _own_funds(w: _Writer, inp: CalculationInput, result: Result, sheets: _Sheets | None) -> None:
    rep = w.report
    f, cap, trea = inp.own_funds, result.capital, result.trea
    if f is not None and cap is not None:
        with localcontext(EXACT):
            at1_raw = f.at1_instruments - f.at1_deductions
            t2_raw = f.t2_instruments - f.t2_deductions
            t2_excess = min(t2_raw, ZERO)  # negative T2 is deducted from AT1 (Art. 56(e))
            at1_excess = min(at1_raw + t2_excess, ZERO)  # negative AT1 is deducted from CET1 (Art. 36(1)(j))
        t = "C_01.00"
        rows = [
            ("r0010", cap["own_funds"], "capital.own_funds", "Art. 72 CRR: Tier 1 + Tier 2"),
            ("r0015", cap["tier1"], "capital.tier1", "Art. 25 CRR: CET1 + AT1"),
            ("r0020", cap["cet1"], "capital.cet1", "Art. 50 CRR: CET1 items after deductions"),
            ("r0030", f.cet1_instruments, "own_funds.cet1_instruments", "Art. 26(1)(a), (b) CRR"),
            ("r0040", f.cet1_instruments, "own_funds.cet1_instruments", "Art. 26(1)(a) CRR"),
            ("r0130", f.retained_earnings, "own_funds.retained_earnings", "Art. 26(1)(c) CRR"),
            ("r0180", f.accumulated_oci, "own_funds.accumulated_oci", "Art. 26(1)(d) CRR"),
            ("r0200", f.other_reserves, "own_funds.other_reserves", "Art. 26(1)(e) CRR"),
            ("r0250", -f.prudent_valuation, "− own_funds.prudent_valuation", "Art. 34, 105 CRR"),
            ("r0290", -f.prudent_valuation, "− own_funds.prudent_valuation", "Art. 34, 105 CRR"),
            ("r0300", -f.goodwill, "− own_funds.goodwill", "Art. 36(1)(b) CRR"),
            ("r0310", -f.goodwill, "− own_funds.goodwill", "Art. 36(1)(b) CRR"),
            ("r0340", -f.other_intangibles, "− own_funds.other_intangibles", "Art. 36(1)(b) CRR"),
            ("r0350", -f.other_intangibles, "− own_funds.other_intangibles", "Art. 36(1)(b) CRR"),
            ("r0370", -f.deferred_tax_assets, "− own_funds.deferred_tax_assets", "Art. 36(1)(c) CRR"),
            ("r0440", at1_excess, "min(0, AT1 after the T2 excess)", "Art. 36(1)(j) CRR"),
            ("r0529", f.cet1_other, "own_funds.cet1_other", "CET1 elements or deductions - other"),
            ("r0530", cap["at1"], "capital.at1", "Art. 61 CRR"),
            ("r0540", f.at1_instruments, "own_funds.at1_instruments", "Art. 51 CRR"),
            ("r0551", f.at1_instruments, "own_funds.at1_instruments", "Art. 51(a) CRR"),
            ("r0720", t2_excess, "min(0, T2)", "Art. 56(e) CRR"),
            ("r0740", -at1_excess, "− r0440", "Art. 36(1)(j) CRR"),
            ("r0748", -f.at1_deductions, "− own_funds.at1_deductions", "Art. 56 CRR"),
            ("r0750", cap["t2"], "capital.t2", "Art. 71 CRR"),
            ("r0760", f.t2_instruments, "own_funds.t2_instruments", "Art. 62(a) CRR"),
            ("r0771", f.t2_instruments, "own_funds.t2_instruments", "Art. 62(a) CRR"),
            ("r0970", -t2_excess, "− r0720", "Art. 56(e) CRR"),
            ("r0978", -f.t2_deductions, "− own_funds.t2_deductions", "Art. 66 CRR"),
        ]
        for row, value, source, rule in rows:
            w.put(t, row, "c0010", value, source, rule)
        t = "C_03.00"
        ratios = [
            ("r0010", cap["cet1_ratio"], "capital.cet1_ratio", "Art. 92(2)(a) CRR"),
            ("r0020", cap["pillar1_surplus"]["cet1"], "CET1 − 4.5 % × TREA", "Art. 92(1)(a) CRR"),
            ("r0030", cap["tier1_ratio"], "capital.tier1_ratio", "Art. 92(2)(b) CRR"),
            ("r0040", cap["pillar1_surplus"]["tier1"], "T1 − 6 % × TREA", "Art. 92(1)(b) CRR"),
            ("r0050", cap["total_capital_ratio"], "capital.total_capital_ratio", "Art. 92(2)(c) CRR"),
            ("r0060", cap["pillar1_surplus"]["total"], "own funds − 8 % × TREA", "Art. 92(1)(c) CRR"),
            ("r0130", cap["tscr"], "capital.tscr (8 % + P2R)", "Art. 104a CRD"),
            ("r0140", cap["requirement"]["cet1"] - cap["combined_buffer"], "4.5 % + 56.25 % × P2R", "Art. 104a(4) CRD"),
            ("r0150", cap["requirement"]["tier1"] - cap["combined_buffer"], "6 % + 75 % × P2R", "Art. 104a(4) CRD"),
            ("r0160", cap["ocr"], "capital.ocr (TSCR + combined buffer)", "Art. 128(6) CRD"),
            ("r0170", cap["requirement"]["cet1"], "capital.requirement.cet1", "Art. 128(6) CRD"),
            ("r0180", cap["requirement"]["tier1"], "capital.requirement.tier1", "Art. 128(6) CRD"),
        ]
        u_trea = trea["u_trea"]
        if u_trea:
            ratios += [
                ("r0070", cap["cet1"] / u_trea, "capital.cet1 / trea.u_trea", "Art. 92(3) CRR (unfloored TREA)"),
                ("r0080", cap["tier1"] / u_trea, "capital.tier1 / trea.u_trea", "Art. 92(3) CRR (unfloored TREA)"),
                ("r0090", cap["own_funds"] / u_trea, "capital.own_funds / trea.u_trea", "Art. 92(3) CRR"),
            ]
        for row, value, source, rule in ratios:
            w.put(t, row, "c0010", value, source, rule)
    if sheets is not None:
        _c07(w, sheets)
    if rep.filing.get("C_02.00"):
        _c02(w, result, sheets)


def _aggregate(sheets: _Sheets) -> dict[tuple[str, str], dict[str, Decimal]]:
    base = sheets.columns()
    out = {k: dict(v) for k, v in base.items()}
    real_estate = set(C02_REAL_ESTATE_ROWS)
    with localcontext(EXACT):
        for (sheet, row), sums in base.items():
            targets = [ALL_CLASSES] + ([REAL_ESTATE_TOTAL] if sheet in real_estate else [])
            for target in targets:
                agg = out.setdefault((target, row), {})
                for column, value in sums.items():
                    agg[column] = agg.get(column, ZERO) + value
        for (_sheet, row), sums in out.items():
            if row == "r0010":
                sums["c0040"] = sums.get("c0010", ZERO) + sums.get("c0030", ZERO)
                sums["c0110"] = sums["c0040"] + sums.get("c0090", ZERO) + sums.get("c0100", ZERO)
                sums["c0150"] = sums["c0110"] + sums.get("c0130", ZERO)
            elif row == "r0070" and "c0010" in sums:
                sums["c0040"] = sums["c0010"] + sums.get("c0030", ZERO)
            elif row == "r0080":
                sums["c0040"] = sums.get("c0010", ZERO)
    return out


def _c07(w: _Writer, sheets: _Sheets) -> None:
    sums = _aggregate(sheets)
    w.report.selections.update({f"{s}|{r}": m for (s, r), m in sheets.members.items()})
    t = w.report.module.table("C_07.00.a")
    for (sheet, row), values in sorted(sums.items()):
        for column, value in sorted(values.items()):
            if f"{row},{column}" not in t.cells:
                continue  # e.g. c0050 on a risk-weight row: the template has no such cell
            source, rule = _C07_SOURCES[column]
            w.put("C_07.00.a", row, column, value, source, rule, sheet=sheet, selection=f"{sheet}|{row}")


def _c02(w: _Writer, result: Result, sheets: _Sheets | None) -> None:
    trea, t = result.trea, "C_02.00.a"
    sums = _aggregate(sheets) if sheets is not None else {}
    with localcontext(EXACT):
        class_total = ZERO
        for sheet, row in {**C02_CLASS_ROWS, **C02_REAL_ESTATE_ROWS}.items():
            value = sums.get((sheet, "r0010"), {}).get("c0220")
            if value is None:
                continue
            if sheet not in C02_REAL_ESTATE_ROWS:
                class_total += value
            w.put(t, row, "c0010", value, f"C 07.00 c0220 r0010 sheet {sheet}", "Art. 92(3)(a) CRR",
                  selection=f"{sheet}|r0010")  # fmt: skip
        credit = trea["credit"]
        for row in ("r0040", "r0050", "r0060"):
            w.put(t, row, "c0010", credit, "trea.credit (Σ RWEA of the SA classes)", "Art. 92(3)(a) CRR")
        others = [
            ("r0490", trea["settlement"], "trea.settlement", "Art. 92(3)(c)(ii) CRR"),
            ("r0520", trea["market"], "trea.market", "Art. 92(3)(b), (c)(i), (iii) CRR"),
            ("r0590", trea["operational"], "trea.operational (BIC × 12.5)", "Art. 312 CRR"),
            ("r0640", trea["cva"], "trea.cva", "Art. 92(3)(d) CRR"),
            ("r0690", trea["other"], "trea.other", "Art. 3, 458, 459 CRR"),
        ]
        for row, value, source, rule in others:
            w.put(t, row, "c0010", value, source, rule)
        w.put(t, "r0036", "c0010", trea["u_trea"], "trea.u_trea (TREA before the output floor)", "Art. 92(4) CRR")
        w.put(t, "r0035", "c0010", trea["output_floor_add_on"], "trea.total − trea.u_trea", "Art. 92(3), 465 CRR")
        w.put(t, "r0010", "c0010", trea["total"], "trea.total: max(U-TREA, x × S-TREA)", "Art. 92(3) CRR")


# --- corep_lr -----------------------------------------------------------------------------------

_LR_CCF_ROWS = {Decimal("0.1"): "r0150", Decimal("0.2"): "r0160", Decimal("0.4"): "r0165",
                Decimal("0.5"): "r0170", Decimal("1"): "r0180"}  # fmt: skip


def _leverage(w: _Writer, inp: CalculationInput, result: Result, rule_set: RuleSet) -> None:
    lev, res = inp.leverage, result.leverage
    if lev is None or res is None:
        return
    params = rule_set.at(inp.reference_date)
    ccf, floor = params["ccf"], params.get("leverage", "ccf_floor")
    t = "C_47.00"
    with localcontext(EXACT):
        by_row: dict[str, Decimal] = {}
        for bucket, nominal in sorted(lev.off_balance.items(), key=lambda kv: str(kv[0])):
            factor = max(ccf[str(bucket)], floor)
            row = _LR_CCF_ROWS[factor]
            by_row[row] = by_row.get(row, ZERO) + nominal * factor
        for row, value in by_row.items():
            w.put(t, row, "c0010", value, "Σ off-balance nominal × max(CCF, 10 %)", "Art. 429f CRR")
        measure = res["exposure_measure"]
        gsii = inp.requirements.gsii if inp.requirements is not None else ZERO
        minimum = params.get("leverage", "minimum")
        rows = [
            ("r0010", lev.sft, "leverage.sft", "Art. 429e CRR"),
            ("r0061", lev.derivatives, "leverage.derivatives", "Art. 429c CRR"),
            ("r0190", lev.on_balance, "leverage.on_balance", "Art. 429b CRR"),
            ("r0270", -lev.deductions, "− leverage.deductions", "Art. 429a CRR"),
            ("r0280", -lev.deductions, "− leverage.deductions", "Art. 429a CRR"),
            ("r0290", measure, "leverage.exposure_measure", "Art. 429(4) CRR"),
            ("r0300", measure, "leverage.exposure_measure", "Art. 429(4) CRR"),
            ("r0310", res["tier1"], "capital.tier1", "Art. 429(3) CRR"),
            ("r0320", res["tier1"], "capital.tier1", "Art. 429(3) CRR"),
            ("r0330", res["ratio"], "leverage.ratio", "Art. 429(2) CRR"),
            ("r0340", res["ratio"], "leverage.ratio", "Art. 429(2) CRR"),
            ("r0350", lev.p2r * measure, "leverage.p2r × exposure measure", "Art. 104(1)(a) CRD"),
            ("r0370", params.get("leverage", "gsii_buffer_share") * gsii * measure,
             "50 % × G-SII buffer rate × exposure measure", "Art. 92(1a) CRR"),
            ("r0410", minimum, "3 %", "Art. 92(1)(d) CRR"),
            ("r0420", minimum + lev.p2r, "3 % + leverage P2R", "Art. 104a CRD"),
            ("r0440", res["requirement"], "leverage.requirement", "Art. 92(1a) CRR"),
        ]  # fmt: skip
        for row, value, source, rule in rows:
            w.put(t, row, "c0010", value, source, rule)


# --- corep_lcr_da -------------------------------------------------------------------------------

_LCR_LINES = Path(__file__).with_name("data") / "lcr_lines.json"
#: C 72.00–C 74.00 table → the rates, columns, and where each LCR category and total is reported.
LCR_TABLES = ("C_72.00.a", "C_73.00.a", "C_74.00.a")
_LCR_SECTION_RULE = {"assets": "Art. 9 DR 2015/61", "outflows": "Art. 22 DR 2015/61", "inflows": "Art. 32 DR 2015/61"}


@cache
def lcr_lines() -> dict[str, Any]:
    """``data/lcr_lines.json``: category → row (with the article and the reason) and the totals."""
    data: dict[str, Any] = json.loads(_LCR_LINES.read_text(encoding="utf-8"))
    return {table: data[table] for table in LCR_TABLES}


def lcr_rows(table: str, amounts: Mapping[str, Decimal]) -> dict[str, list[str]]:
    """Row → the categories it sums, for the rows reported given ``amounts`` (category → amount):
    every line with a category present, every total whose ``unless`` categories are all zero."""
    spec = lcr_lines()[table]
    rows: dict[str, list[str]] = {}
    for category, info in spec["categories"].items():
        if category in amounts:
            rows.setdefault(info["row"], []).append(category)
    for row, total in spec["totals"].items():
        blocked = any(amounts.get(c, ZERO) for c in total["unless"])
        if blocked:
            rows.pop(row, None)
        else:
            rows[row] = [c for c in total["sum"] if c in amounts]
    return dict(sorted(rows.items()))


def _lcr_table(w: _Writer, table: str, amounts: Mapping[str, Decimal], params: Any) -> None:
    """One of C 72.00–C 74.00: amount, weight (lines only) and weighted value per row of ``lcr_lines``."""
    spec = lcr_lines()[table]
    section, rates = spec["section"], params[spec["rates"]]
    categories, totals = spec["categories"], spec["totals"]
    cells = w.report.module.table(table).cells

    def weight(category: str) -> Decimal:
        rate: Decimal = rates[category]
        return ONE - rate if spec["weight_is_one_minus_rate"] else rate

    def describe(category: str) -> str:
        rate = rates[category]
        pct = f"{(rate * 100).normalize():f} %"
        text = f"haircut {pct}" if spec["weight_is_one_minus_rate"] else f"rate {pct}"
        return f"lcr.{section}.{category} ({spec['rates']} {text})"

    for row, members in lcr_rows(table, amounts).items():
        amount_ = sum((amounts[c] for c in members), ZERO)
        value = sum((amounts[c] * weight(c) for c in members), ZERO)
        total = totals.get(row)
        if total is None:  # a line: its categories only
            source = " + ".join(describe(c) for c in members)
            rule = "; ".join(dict.fromkeys(categories[c]["article"] for c in members))
        else:
            parts = ", ".join(members) if members else "none present"
            source = f"Σ lcr.{section} of {total['label']} ({parts})"
            rule = _LCR_SECTION_RULE[section]
        w.put(table, row, spec["amount"], amount_, f"{source}: amount", rule)
        if total is None and len(members) == 1 and f"{row},{spec['weight']}" in cells:
            w.put(table, row, spec["weight"], weight(members[0]), f"{spec['rates']}[{members[0]}]", rule)
        w.put(table, row, spec["value"], value, f"{source}: amount × weight", rule)


def _lcr(w: _Writer, inp: CalculationInput, result: Result, rule_set: RuleSet) -> None:
    lcr, res = inp.lcr, result.lcr
    if lcr is None or res is None:
        return
    params = rule_set.at(inp.reference_date)
    with localcontext(EXACT):
        for table, amounts in zip(LCR_TABLES, (lcr.first, lcr.second, lcr.third), strict=True):
            if amounts:
                _lcr_table(w, table, amounts, params)
        t = "C_76.00.a"
        excess = res["cap_adjustment_70"] + res["cap_adjustment_15"] + res["cap_adjustment_40"]
        rows = [
            ("r0010", res["liquidity_buffer"], "lcr.liquidity_buffer", "Art. 17 DR 2015/61, Annex I"),
            ("r0020", res["net_outflows"], "lcr.net_outflows", "Art. 20 DR 2015/61"),
            ("r0030", res["ratio"], "lcr.ratio", "Art. 4 DR 2015/61"),
            ("r0040", res["level1"], "lcr.level1", "Annex I DR 2015/61"),
            ("r0091", res["level1"], "lcr.level1 (no secured transactions unwound)", "Annex I DR 2015/61"),
            ("r0100", res["level1_covered_bonds"], "lcr.level1_covered_bonds", "Annex I DR 2015/61"),
            ("r0131", res["level1_covered_bonds"], "lcr.level1_covered_bonds", "Annex I DR 2015/61"),
            ("r0160", res["level2a"], "lcr.level2a", "Annex I DR 2015/61"),
            ("r0191", res["level2a"], "lcr.level2a", "Annex I DR 2015/61"),
            ("r0220", res["level2b"], "lcr.level2b", "Annex I DR 2015/61"),
            ("r0251", res["level2b"], "lcr.level2b", "Annex I DR 2015/61"),
            ("r0280", excess, "cap adjustments 70 % + 15 % + 40 %", "Art. 17, Annex I DR 2015/61"),
            ("r0300", res["outflows"], "lcr.outflows", "Art. 22 DR 2015/61"),
            ("r0330", res["inflows"], "lcr.inflows (all subject to the 75 % cap)", "Art. 33 DR 2015/61"),
            ("r0360", res["inflows_capped"], "min(inflows, 75 % × outflows)", "Art. 33 DR 2015/61"),
        ]
        for row, value, source, rule in rows:
            w.put(t, row, "c0010", value, source, rule)


# --- corep_nsfr ---------------------------------------------------------------------------------

_RSF_ROWS = {
    "cash_central_bank": "r0020", "level1": "r0030", "level1_covered_bonds": "r0030", "level2a": "r0030",
    "level2b": "r0030", "securities_non_hqla": "r0040", "loans_financial_short_level1": "r0050",
    "loans_financial_short_other": "r0050", "loans_financial_6m_to_1y": "r0050", "loans_non_financial_short": "r0050",
    "operational_deposits_held": "r0050", "residential_mortgages_rw35": "r0050", "other_loans_rw35": "r0050",
    "loans_rw_over_35": "r0050", "loans_financial_long": "r0050", "non_performing": "r0050",
    "fixed_and_other_assets": "r0100", "undrawn_facilities": "r0110",
}  # fmt: skip
_ASF_ROWS = {
    "capital": ("C_84.00.e", "r0130"), "retail_stable": ("C_84.00.e", "r0140"),
    "retail_other": ("C_84.00.e", "r0140"), "non_financial_short": ("C_84.00.e", "r0150"),
    "operational_deposits": ("C_84.00.e", "r0160"), "financial_6m_to_1y": ("C_84.00.e", "r0180"),
    "financial_short": ("C_84.00.e", "r0180"), "other_liabilities": ("C_84.00.d", "r0210"),
}  # fmt: skip


def _nsfr(w: _Writer, inp: CalculationInput, result: Result, rule_set: RuleSet) -> None:
    nsfr, res = inp.nsfr, result.nsfr
    if nsfr is None or res is None:
        return
    params = rule_set.at(inp.reference_date)
    asf_w, rsf_w = params["nsfr_asf"], params["nsfr_rsf"]
    with localcontext(EXACT):
        grouped: dict[tuple[str, str], list[Decimal]] = {}
        for category, value in nsfr.second.items():
            slot = grouped.setdefault(("C_84.00.a", _RSF_ROWS[category]), [ZERO, ZERO])
            slot[0] += value
            slot[1] += value * rsf_w[category]
        for category, value in nsfr.first.items():
            where = _ASF_ROWS.get(category)
            if where is None:
                continue  # liabilities_1y_plus: counterparty unknown, reported in the ASF total only
            slot = grouped.setdefault(where, [ZERO, ZERO])
            slot[0] += value
            slot[1] += value * asf_w[category]
        for (table, row), (amount_, weighted) in sorted(grouped.items()):
            weighted_col = "c0020" if table == "C_84.00.a" else "c0030"
            w.put(table, row, "c0010", amount_, "Σ amounts of the categories of this line", "Art. 428b CRR")
            w.put(table, row, weighted_col, weighted, "Σ amount × factor", "Art. 428b CRR")
        w.put("C_84.00.c", "r0010", "c0010", sum(nsfr.second.values(), ZERO), "Σ nsfr.rsf amounts", "Art. 428b CRR")
        w.put("C_84.00.c", "r0010", "c0020", res["rsf"], "nsfr.rsf", "Art. 428b CRR")
        w.put("C_84.00.d", "r0120", "c0010", sum(nsfr.first.values(), ZERO), "Σ nsfr.asf amounts", "Art. 428b CRR")
        w.put("C_84.00.d", "r0120", "c0030", res["asf"], "nsfr.asf", "Art. 428b CRR")
        w.put("C_84.00.a", "r0220", "c0040", res["ratio"], "nsfr.ratio = ASF / RSF", "Art. 428b CRR")


# --- assembly -----------------------------------------------------------------------------------


def _filing(code: str, inp: CalculationInput, result: Result) -> dict[str, bool]:
    """Filing indicator per template of the module: true when the calculation has its content."""
    m = module(code)
    floor = inp.output_floor
    u_equals_s = floor is None or (floor.u_trea is None and floor.s_trea is None) or floor.u_trea == floor.s_trea
    has = {
        "C_00.01": True,
        "C_01.00": result.capital is not None,
        "C_02.00": u_equals_s,
        "C_03.00": result.capital is not None,
        "C_07.00": len(inp.exposures) > 0,
        "C_47.00": result.leverage is not None,
        "C_72.00": result.lcr is not None and bool(inp.lcr and inp.lcr.first),
        "C_73.00": result.lcr is not None and bool(inp.lcr and inp.lcr.second),
        "C_74.00": result.lcr is not None and bool(inp.lcr and inp.lcr.third),
        "C_76.00": result.lcr is not None,
        "C_84.00": result.nsfr is not None,
    }
    return {template: has.get(template, False) for template in m.templates}


def build(
    inp: CalculationInput, result: Result, rule_set: RuleSet, basis: str, accounting: str = "IFRS",
    modules: Iterable[str] = tuple(MODULES),
) -> dict[str, Report]:  # fmt: skip
    """One report per requested module. ``basis``: CON or IND; ``accounting``: IFRS or NGAAP."""
    if basis not in BASES:
        raise ValueError(f"basis: must be one of {', '.join(BASES)}")
    if accounting not in ACCOUNTING:
        raise ValueError(f"accounting: must be one of {', '.join(ACCOUNTING)}")
    wanted = list(modules)
    with cycle_collection_paused():  # one pass over a million exposures: no cycles, no full GC passes
        sheets = _credit_sheets(inp, result) if "corep_of" in wanted and inp.exposures else None
    fillers: dict[str, Callable[[_Writer], None]] = {
        "corep_of": lambda w: _own_funds(w, inp, result, sheets),
        "corep_lr": lambda w: _leverage(w, inp, result, rule_set),
        "corep_lcr_da": lambda w: _lcr(w, inp, result, rule_set),
        "corep_nsfr": lambda w: _nsfr(w, inp, result, rule_set),
    }
    out: dict[str, Report] = {}
    for code in wanted:
        report = Report(module(code), basis, inp.reference_date, inp.id, _filing(code, inp, result))
        report.exposures = result.exposures
        writer = _Writer(report)
        _nature(writer, accounting)
        fillers[code](writer)
        # a template is filed only if it has content: drop cells of templates filed false
        report.cells = {
            k: c for k, c in report.cells.items() if report.filing[report.module.table(c.table).filing_indicator]
        }
        out[code] = report
    return out


def drill_down(report: Report, cell: Cell, limit: int = 100) -> dict[str, Any]:
    """What a reviewer sees behind ``cell``: its source and rule and, for credit-risk cells, the
    exposures (id, class, exposure value, RWEA, the rule that weighted it), first ``limit`` of them."""
    out: dict[str, Any] = {"cell": cell.to_json(), "exposure_count": 0, "exposures": []}
    if cell.selection is None:
        return out
    sheet, row = cell.selection.split("|")
    if sheet in (ALL_CLASSES, REAL_ESTATE_TOTAL):
        subs = C02_REAL_ESTATE_ROWS if sheet == REAL_ESTATE_TOTAL else None
        indices = sorted(
            {i for key, members in report.selections.items() if key.endswith(f"|{row}")
             and (subs is None or key.split("|")[0] in subs) for i in members}
        )  # fmt: skip
    else:
        indices = sorted(report.selections.get(cell.selection, []))
    out["exposure_count"] = len(indices)
    from shared.prudential.engine import exposure_to_json

    with localcontext(EXACT):
        out["exposures"] = [exposure_to_json(report.exposures[i]) for i in indices[:limit]]
    return out


def template_view(report: Report) -> dict[str, Any]:
    """The report as JSON: filing indicators and the cells in output order (for the function)."""
    return {
        "module": report.module.code,
        "framework": "COREP 4.2",
        "basis": report.basis,
        "reference_date": report.reference_date.isoformat(),
        "filing": report.filing,
        "cells": [c.to_json() for c in report.sorted_cells()],
    }
