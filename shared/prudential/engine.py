"""The prudential engine: a validated input and a rule set in, every figure of the CLI contract out.

Pure (no I/O), exact (``Decimal`` in the ``EXACT`` context: sums and products never round, quotients
keep 60 digits), deterministic. :func:`calculate` returns unrounded values; :func:`result_to_json`
rounds each once (half away from zero; amounts 2 decimals, rates 6) into the contract's JSON;
:func:`breakdown` gives the per-class figures the COREP templates need (C 07.00 columns and rows).
:func:`compute` is validation + calculation + JSON, what the CLI and the functions call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal, localcontext
from typing import Any, overload

from shared.prudential.credit import Weigher
from shared.prudential.models import (
    REPORTING_CLASSES,
    CalculationInput,
    Exposure,
    ExposureResult,
    InputError,
    InvalidInput,
    Liquidity,
    Result,
    validate_input,
)
from shared.prudential.numbers import EXACT, amount, cycle_collection_paused, rate
from shared.prudential.rules import DEFAULT_RULE_SET, Parameters, RuleSet, load_rule_set

__all__ = ["ExposureResults", "breakdown", "calculate", "compute", "exposure_to_json", "result_to_json"]

ZERO = Decimal(0)
ONE = Decimal(1)
_SECTION_KEYS = ("original_exposure", "exposure_value", "rwa_pre_sf", "rwa")


def compute(document: object, rule_set: RuleSet | str = DEFAULT_RULE_SET, path: str = "") -> dict[str, Any]:
    """Validate ``document`` (``InvalidInput`` if bad), calculate, and return the contract JSON."""
    rules = load_rule_set(rule_set) if isinstance(rule_set, str) else rule_set
    return result_to_json(calculate(validate_input(document, rules, path), rules, path))


def calculate(
    inp: CalculationInput, rule_set: RuleSet, path: str = "", *, kept: AbstractSet[int] = frozenset()
) -> Result:
    """Every figure, unrounded. ``InvalidInput`` only for what needs the calculation to tell (a negative
    leverage exposure measure); ``path`` prefixes such errors (``[3]`` in an array). ``kept``: the
    ``id()`` of exposures whose results the caller will read (what-if's changed ones): those weighed
    one by one for the totals keep their result instead of being weighed again."""
    params = rule_set.at(inp.reference_date)
    with localcontext(EXACT), cycle_collection_paused():
        exposures, credit = _credit(inp, params, kept)
        trea = _trea(inp, params, credit["rwa"])
        capital = _capital(inp, params, trea["total"]) if inp.own_funds is not None else None
        leverage = _leverage(inp, params, capital, path) if inp.leverage is not None and capital is not None else None
        lcr = _lcr(inp.lcr, params) if inp.lcr is not None else None
        nsfr = _nsfr(inp.nsfr, params) if inp.nsfr is not None else None
    return Result(inp.id, rule_set.code, inp.reference_date, exposures, credit, trea, capital, leverage, lcr, nsfr)


# --- credit risk --------------------------------------------------------------------------------


class ExposureResults(Sequence[ExposureResult]):
    """Per-exposure results, computed on access (in the exact context) from the validated exposures
    and the calculation's parameters: the totals never need them materialised, and 1 000 000 results
    with their rule texts would cost more memory and time than every ratio together."""

    __slots__ = ("_exposures", "_kept", "_weigher")

    def __init__(
        self, exposures: tuple[Exposure, ...], weigher: Weigher, kept: dict[int, ExposureResult] | None = None
    ) -> None:
        self._exposures = exposures
        self._weigher = weigher
        self._kept = kept or {}  # id(exposure) → its result, already computed by the totals

    def __len__(self) -> int:
        return len(self._exposures)

    @overload
    def __getitem__(self, index: int) -> ExposureResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[ExposureResult]: ...
    def __getitem__(self, index: int | slice) -> ExposureResult | list[ExposureResult]:
        with localcontext(EXACT):
            if isinstance(index, slice):
                return [self._weigher.result(e) for e in self._exposures[index]]
            return self._weigher.result(self._exposures[index])

    def picked(self, indices: Iterable[int]) -> Iterator[ExposureResult]:
        """The results at ``indices``, in that order (call inside ``localcontext(EXACT)``: one context
        for them all instead of one per result)."""
        result, exposures, kept = self._weigher.result, self._exposures, self._kept
        for index in indices:
            e = exposures[index]
            done = kept.get(id(e))
            yield done if done is not None else result(e)

    def __iter__(self) -> Iterator[ExposureResult]:
        result = self._weigher.result
        for e in self._exposures:
            with localcontext(EXACT):
                item = result(e)
            yield item


def _credit(
    inp: CalculationInput, params: Parameters, kept: AbstractSet[int] = frozenset()
) -> tuple[ExposureResults, dict[str, Any]]:
    """Totals per reporting class. Exposures without CRM, default, SME factor or real estate are
    aggregated per (profile, CCF bucket) — Σ(amount − scra + off × CCF) × RW equals Σ of the
    per-exposure products exactly (Decimal, no rounding) — the others are weighed one by one."""
    weigher = Weigher(params)
    totals = {c: [ZERO, ZERO, ZERO, ZERO] for c in REPORTING_CLASSES}
    groups: dict[tuple[Any, int | None], list[Decimal]] = {}
    weigh = weigher.weigh
    results: dict[int, ExposureResult] = {}
    for e in inp.exposures:
        if (
            e.defaulted or e.guarantee is not None or e.collateral is not None or e.sme_supporting_factor
            or e.cls == "real_estate"
        ):  # fmt: skip
            r = weigh(e)
            if kept and id(e) in kept:
                results[id(e)] = r
            totals[r.reporting_class][0] += r.original_exposure
            for part in r.parts:
                t = totals[part.reporting_class]
                t[1] += part.exposure_value
                t[2] += part.rwa_pre_sf
                t[3] += part.rwa
            continue
        key = (e.profile, e.ccf_bucket if e.off_balance else None)
        group = groups.get(key)
        if group is None:
            group = groups[key] = [ZERO, ZERO, ZERO]
        group[0] += e.amount
        group[1] += e.scra
        group[2] += e.off_balance
    for (profile, bucket), (amounts, scras, offs) in groups.items():
        rw, _, home = weigher.simple(profile, bucket)
        ev = amounts - scras + (offs * weigher.ccf[bucket] if bucket is not None else ZERO)
        row = totals[home]
        row[0] += amounts + offs
        row[1] += ev
        row[2] += ev * rw
        row[3] += ev * rw
    by_class = {c: dict(zip(_SECTION_KEYS, values, strict=True)) for c, values in totals.items()}
    ev_total = sum((v[1] for v in totals.values()), ZERO)
    pre_total = sum((v[2] for v in totals.values()), ZERO)
    rwa_total = sum((v[3] for v in totals.values()), ZERO)
    credit = {
        "by_class": by_class,
        "exposure_value": ev_total,
        "rwa_pre_sf": pre_total,
        "rwa": rwa_total,
        "density": rwa_total / ev_total if ev_total else None,
    }
    return ExposureResults(inp.exposures, weigher, results), credit


# --- TREA and output floor ----------------------------------------------------------------------


def _bic(params: Parameters, indicator: Decimal) -> Decimal:
    """Business indicator component: 12 % to 1 bn, 15 % to 30 bn, 18 % above (brackets as data)."""
    table = params["operational_bic"]
    total, lower = ZERO, ZERO
    for bound, coefficient in sorted((Decimal(k), v) for k, v in table.items() if k != "above"):
        if indicator > lower:
            total += coefficient * (min(indicator, bound) - lower)
        lower = bound
    if indicator > lower:
        total += table["above"] * (indicator - lower)
    return total


def _trea(inp: CalculationInput, params: Parameters, credit: Decimal) -> dict[str, Any]:
    o = inp.other_risks
    market = cva = settlement = other = operational = bic = None
    if o is not None:
        market, cva, settlement, other = o.market_rwa, o.cva_rwa, o.settlement_rwa, o.other_rwa
        if o.business_indicator is not None:
            bic = _bic(params, o.business_indicator)
            operational = bic * params.get("trea", "own_funds_multiplier")
        else:
            operational = o.operational_rwa
    risks = credit + sum((v for v in (operational, market, cva, settlement, other) if v is not None), ZERO)
    floor = inp.output_floor
    u_trea = floor.u_trea if floor is not None and floor.u_trea is not None else risks
    s_trea = floor.s_trea if floor is not None and floor.s_trea is not None else risks
    factor = params.get("output_floor", "factor")
    floored = factor * s_trea
    total = max(u_trea, floored)
    cap = None
    if floor is not None and floor.transitional_cap and params.get("output_floor", "cap_available") == ONE:
        cap = params.get("output_floor", "cap_multiplier") * u_trea
        total = min(total, cap)
    return {
        "credit": credit,
        "operational": operational,
        "market": market,
        "cva": cva,
        "settlement": settlement,
        "other": other,
        "business_indicator_component": bic,
        "u_trea": u_trea,
        "s_trea": s_trea,
        "floor_factor": factor,
        "floored_s_trea": floored,
        "cap": cap,
        "total": total,
        "output_floor_add_on": total - u_trea,
    }


# --- capital, buffers, MDA ----------------------------------------------------------------------


def _tiers(inp: CalculationInput) -> tuple[Decimal, Decimal, Decimal]:
    f = inp.own_funds
    assert f is not None
    cet1 = (
        f.cet1_instruments + f.retained_earnings + f.accumulated_oci + f.other_reserves + f.cet1_other
        - f.goodwill - f.other_intangibles - f.deferred_tax_assets - f.prudent_valuation
    )  # fmt: skip
    at1 = f.at1_instruments - f.at1_deductions
    t2 = f.t2_instruments - f.t2_deductions
    if t2 < 0:  # a negative T2 becomes 0 and reduces AT1, then a negative AT1 reduces CET1
        at1, t2 = at1 + t2, ZERO
    if at1 < 0:
        cet1, at1 = cet1 + at1, ZERO
    return cet1, at1, t2


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return numerator / denominator if denominator else None


def _capital(inp: CalculationInput, params: Parameters, trea: Decimal) -> dict[str, Any]:
    cet1, at1, t2 = _tiers(inp)
    tier1, own = cet1 + at1, cet1 + at1 + t2
    c = params["capital"]
    req = inp.requirements
    p2r, ccyb, syrb, osii, gsii = (req.p2r, req.ccyb, req.syrb, req.osii, req.gsii) if req else (ZERO,) * 5
    minima = {"cet1": c["cet1_minimum"], "tier1": c["tier1_minimum"], "total": c["total_minimum"]}
    held = {"cet1": cet1, "tier1": tier1, "total": own}
    cbr = c["capital_conservation_buffer"] + ccyb + syrb + max(gsii, osii)
    pillar = {  # P1 + P2R rates: 4.5 % + 0.5625 p2r, 6 % + 0.75 p2r, 8 % + p2r
        "cet1": minima["cet1"] + c["p2r_cet1_share"] * p2r,
        "tier1": minima["tier1"] + c["p2r_tier1_share"] * p2r,
        "total": minima["total"] + p2r,
    }
    requirement = {k: pillar[k] + cbr for k in pillar}
    amounts = {k: requirement[k] * trea for k in requirement}
    needed = max(pillar["cet1"] * trea, pillar["tier1"] * trea - at1, pillar["total"] * trea - at1 - t2)
    available = cet1 - needed
    cbr_amount = cbr * trea
    met = available >= cbr_amount
    quartile = factor = mda = None
    if not met:
        quartile = next(n for n in (1, 2, 3, 4) if 4 * available < n * cbr_amount)
        factor = params.get("mda_factor", str(quartile))
        profits = req.distributable_profits if req else None
        mda = profits * factor if profits is not None else None
    return {
        "cet1": cet1,
        "at1": at1,
        "tier1": tier1,
        "t2": t2,
        "own_funds": own,
        "cet1_ratio": _ratio(cet1, trea),
        "tier1_ratio": _ratio(tier1, trea),
        "total_capital_ratio": _ratio(own, trea),
        "pillar1_surplus": {k: held[k] - minima[k] * trea for k in held},
        "combined_buffer": cbr,
        "requirement": requirement,
        "tscr": minima["total"] + p2r,
        "ocr": minima["total"] + p2r + cbr,
        "requirement_amount": amounts,
        "headroom": {k: held[k] - amounts[k] for k in held},
        "mda": {
            "cet1_available_for_cbr": available,
            "cet1_available_for_cbr_ratio": _ratio(available, trea),
            "buffer_met": met,
            "quartile": quartile,
            "factor": factor,
            "maximum_distributable_amount": mda,
        },
    }


# --- leverage and liquidity ---------------------------------------------------------------------


def _leverage(inp: CalculationInput, params: Parameters, capital: Mapping[str, Any], path: str) -> dict[str, Any]:
    lev = inp.leverage
    assert lev is not None
    ccf, floor = params["ccf"], params.get("leverage", "ccf_floor")
    off = sum((nominal * max(ccf[str(bucket)], floor) for bucket, nominal in lev.off_balance.items()), ZERO)
    measure = lev.on_balance + lev.derivatives + lev.sft + off - lev.deductions
    if measure < 0:
        where = f"{path}.leverage" if path else "leverage"
        raise InvalidInput([InputError(where, "negative_measure", "the exposure measure must not be negative")])
    gsii = inp.requirements.gsii if inp.requirements is not None else ZERO
    requirement = params.get("leverage", "minimum") + lev.p2r + params.get("leverage", "gsii_buffer_share") * gsii
    tier1: Decimal = capital["tier1"]
    required = requirement * measure
    return {
        "off_balance": off,
        "exposure_measure": measure,
        "tier1": tier1,
        "ratio": _ratio(tier1, measure),
        "requirement": requirement,
        "required_tier1": required,
        "surplus": tier1 - required,
    }


def _weighted(values: Mapping[str, Decimal], weights: Mapping[str, Decimal]) -> Decimal:
    return sum((amount_ * weights[key] for key, amount_ in values.items()), ZERO)


def _lcr(lcr: Liquidity, params: Parameters) -> dict[str, Any]:
    haircut = params["lcr_haircut"]
    assets = {k: v * (ONE - haircut[k]) for k, v in lcr.first.items()}
    level1 = sum(
        (assets.get(k, ZERO) for k in ("l1_coins_banknotes", "l1_central_bank_reserves", "l1_securities")), ZERO
    )
    l1cb = assets.get("l1_covered_bonds", ZERO)
    l2a = assets.get("l2a", ZERO)
    l2b = assets.get("l2b_covered_bonds", ZERO) + assets.get("l2b_other", ZERO)
    adj70 = max(l1cb - 7 * level1 / 3, ZERO)  # Annex I: L1 covered bonds ≤ 70 % of Level 1
    l1 = level1 + l1cb - adj70
    adj15 = max(l2b - 3 * (l1 + l2a) / 17, l2b - l1 / 4, ZERO)  # Level 2B ≤ 15 %
    adj40 = max(l2a + l2b - adj15 - 2 * l1 / 3, ZERO)  # Level 2 ≤ 40 %
    buffer = l1 + l2a + l2b - adj15 - adj40
    outflows = _weighted(lcr.second, params["lcr_outflow"])
    inflows = _weighted(lcr.third, params["lcr_inflow"])
    cap = params.get("lcr", "inflow_cap") * outflows
    capped = min(inflows, cap)
    net = outflows - capped
    return {
        "level1": level1,
        "level1_covered_bonds": l1cb,
        "level2a": l2a,
        "level2b": l2b,
        "cap_adjustment_70": adj70,
        "cap_adjustment_15": adj15,
        "cap_adjustment_40": adj40,
        "liquidity_buffer": buffer,
        "outflows": outflows,
        "inflows": inflows,
        "inflow_cap": cap,
        "inflows_capped": capped,
        "net_outflows": net,
        "ratio": _ratio(buffer, net),
        "surplus": buffer - net,
    }


def _nsfr(nsfr: Liquidity, params: Parameters) -> dict[str, Any]:
    asf = _weighted(nsfr.first, params["nsfr_asf"])
    rsf = _weighted(nsfr.second, params["nsfr_rsf"])
    return {"asf": asf, "rsf": rsf, "ratio": _ratio(asf, rsf), "surplus": asf - rsf}


# --- JSON ---------------------------------------------------------------------------------------

_RATES = frozenset(
    {
        "credit_risk.density", "trea.floor_factor", "capital.cet1_ratio", "capital.tier1_ratio",
        "capital.total_capital_ratio", "capital.combined_buffer", "capital.requirement.cet1",
        "capital.requirement.tier1", "capital.requirement.total", "capital.tscr", "capital.ocr",
        "capital.mda.cet1_available_for_cbr_ratio", "capital.mda.factor", "leverage.ratio", "leverage.requirement",
        "lcr.ratio", "nsfr.ratio",
    }
)  # fmt: skip


def _format(section: str, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        where = f"{section}.{key}"
        if isinstance(value, Mapping):
            out[key] = _format(where, value)
        elif isinstance(value, Decimal):
            out[key] = rate(value) if where in _RATES else amount(value)
        else:
            out[key] = value
    return out


def exposure_to_json(r: ExposureResult) -> dict[str, Any]:
    """One exposure's result as in the contract (call inside ``localcontext(EXACT)``)."""
    return {
        "id": r.id,
        "class": r.cls,
        "reporting_class": r.reporting_class,
        "original_exposure": amount(r.original_exposure),
        "exposure_value": amount(r.exposure_value),
        "risk_weight": rate(r.rwa_pre_sf / r.exposure_value) if r.exposure_value else None,
        "rwa_pre_sf": amount(r.rwa_pre_sf),
        "rwa": amount(r.rwa),
        "parts": [
            {
                "reporting_class": p.reporting_class,
                "exposure_value": amount(p.exposure_value),
                "risk_weight": rate(p.risk_weight),
                "rwa_pre_sf": amount(p.rwa_pre_sf),
                "rwa": amount(p.rwa),
            }
            for p in r.parts
        ],
        "rule": r.rule,
    }


def result_to_json(result: Result) -> dict[str, Any]:
    """The CLI contract's output object: every key present, amounts "0.00", rates "0.000000", null for
    sections without input and for ratios with a zero denominator."""
    with localcontext(EXACT), cycle_collection_paused():
        return {
            "id": result.id,
            "rule_set": result.rule_set,
            "reference_date": result.reference_date.isoformat(),
            "exposures": [exposure_to_json(r) for r in result.exposures],
            "credit_risk": _format("credit_risk", result.credit_risk),
            "trea": _format("trea", result.trea),
            "capital": None if result.capital is None else _format("capital", result.capital),
            "leverage": None if result.leverage is None else _format("leverage", result.leverage),
            "lcr": None if result.lcr is None else _format("lcr", result.lcr),
            "nsfr": None if result.nsfr is None else _format("nsfr", result.nsfr),
        }


# --- COREP breakdown ----------------------------------------------------------------------------


def _bucket() -> dict[str, Decimal]:
    return {"exposure_value": ZERO, "rwa_pre_sf": ZERO, "rwa": ZERO}


def _add(target: dict[str, Decimal], ev: Decimal, pre: Decimal, rwa: Decimal) -> None:
    target["exposure_value"] += ev
    target["rwa_pre_sf"] += pre
    target["rwa"] += rwa


def breakdown(result: Result) -> dict[str, Any]:
    """Per reporting class, what COREP C 07.00 reads (unrounded, to be rounded by the template writer):
    original exposure (c0010), value adjustments (c0030), guarantees out / substitution in (c0050,
    c0100), financial collateral adjusted value (c0130), off-balance nominal by CCF bucket (c0160…),
    exposure value (c0200), RWEA before and after supporting factors (c0215, c0220, SME adjustment
    c0216); rows: on/off balance, of which defaulted / SME-SF / secured by residential property, and
    per risk weight (key: the weight as a 6-decimal fraction)."""
    classes: dict[str, dict[str, Any]] = {}

    def row(cls: str) -> dict[str, Any]:
        found = classes.get(cls)
        if found is None:
            found = classes[cls] = {
                "original_exposure": ZERO, "value_adjustments": ZERO, "guarantees": ZERO,
                "substitution_inflows": ZERO, "collateral_adjusted_value": ZERO,
                "off_balance_nominal_by_ccf_bucket": {}, "exposure_value": ZERO, "rwa_pre_sf": ZERO,
                "sme_adjustment": ZERO, "rwa": ZERO, "on_balance": _bucket(), "off_balance": _bucket(),
                "of_which_defaulted": _bucket(), "of_which_sme_factor": _bucket(),
                "of_which_residential_property": _bucket(), "by_risk_weight": {},
            }  # fmt: skip
        return found

    with localcontext(EXACT):
        for r in result.exposures:
            home = row(r.reporting_class)
            home["original_exposure"] += r.original_exposure
            home["value_adjustments"] += r.scra
            home["guarantees"] += r.guaranteed
            home["collateral_adjusted_value"] += r.collateral_adjusted
            if r.off_balance and r.ccf_bucket is not None:
                nominal = home["off_balance_nominal_by_ccf_bucket"]
                nominal[str(r.ccf_bucket)] = nominal.get(str(r.ccf_bucket), ZERO) + r.off_balance
            for part in r.parts:
                target = row(part.reporting_class)
                if part.kind == "guaranteed":
                    target["substitution_inflows"] += part.exposure_value
                target["exposure_value"] += part.exposure_value
                target["rwa_pre_sf"] += part.rwa_pre_sf
                target["rwa"] += part.rwa
                target["sme_adjustment"] += part.rwa - part.rwa_pre_sf
                key = rate(part.risk_weight) or "0.000000"
                _add(
                    target["by_risk_weight"].setdefault(key, _bucket()), part.exposure_value, part.rwa_pre_sf, part.rwa
                )
                off_ev = r.off_balance * r.ccf if part.kind != "guaranteed" and r.off_balance else ZERO
                if off_ev:  # off-balance exposures have a single part (no CRM, no splitting)
                    share = off_ev / part.exposure_value if part.exposure_value else ZERO
                    _add(target["off_balance"], off_ev, part.rwa_pre_sf * share, part.rwa * share)
                    _add(
                        target["on_balance"], part.exposure_value - off_ev, part.rwa_pre_sf * (ONE - share),
                        part.rwa * (ONE - share),
                    )  # fmt: skip
                else:
                    _add(target["on_balance"], part.exposure_value, part.rwa_pre_sf, part.rwa)
                if r.defaulted:
                    _add(target["of_which_defaulted"], part.exposure_value, part.rwa_pre_sf, part.rwa)
                if r.sme_factor_applied and part.kind != "guaranteed":
                    _add(target["of_which_sme_factor"], part.exposure_value, part.rwa_pre_sf, part.rwa)
                if part.kind == "secured" and r.cls == "real_estate" and "Art. 125" in r.rule:
                    _add(target["of_which_residential_property"], part.exposure_value, part.rwa_pre_sf, part.rwa)
    return {"rule_set": result.rule_set, "reference_date": result.reference_date.isoformat(), "classes": classes}
