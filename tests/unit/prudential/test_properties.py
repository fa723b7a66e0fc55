"""Properties over generated portfolios (hypothesis) and boundary values of the CRR3 rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.prudential.engine import calculate, compute
from shared.prudential.models import Result, validate_input
from shared.prudential.numbers import EXACT
from shared.prudential.rules import RuleSet, load_rule_set

RULES = load_rule_set("CRR3-2025.1")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
cqs = st.integers(1, 6)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2036, 12, 31))


def _money(value: Decimal) -> str:
    return format(value, "f")


@st.composite
def guarantors(draw: st.DrawFn) -> dict[str, Any]:
    return draw(
        st.one_of(
            st.builds(lambda c: {"class": "central_government", "cqs": c}, cqs),
            st.just({"class": "mdb"}),
            st.builds(lambda c: {"class": "institution", "cqs": c}, cqs),
            st.builds(lambda c: {"class": "corporate", "cqs": c}, cqs),
        )
    )


@st.composite
def exposures(draw: st.DrawFn, ident: str, sme: bool = True) -> dict[str, Any]:
    amount = draw(money)
    kind = draw(
        st.sampled_from(["cg", "institution", "corporate", "retail", "re", "adc", "equity", "cb", "other", "sub"])
    )
    e: dict[str, Any] = {"id": ident, "amount": _money(amount)}
    lendable = kind in ("cg", "institution", "corporate", "retail")
    if kind == "cg":
        e |= {"class": "central_government", **({"cqs": draw(cqs)} if draw(st.booleans()) else {})}
    elif kind == "institution":
        e |= {"class": "institution", **draw(st.sampled_from([{"cqs": 2}, {"scra_grade": "B"}, {"cqs": 5}]))}
    elif kind == "corporate":
        e |= {"class": "corporate", **({"cqs": draw(cqs)} if draw(st.booleans()) else {})}
    elif kind == "retail":
        e |= {"class": "retail", "retail_type": draw(st.sampled_from(["regulatory", "transactor", "other"])),
              "currency_mismatch": draw(st.booleans())}  # fmt: skip
    elif kind == "re":
        e |= {"class": "real_estate", "property_type": draw(st.sampled_from(["residential", "commercial"])),
              "property_value": _money(draw(money) + 1),
              "counterparty": draw(st.sampled_from(["retail", "natural_person"])),
              "ipre": draw(st.booleans()), "eligible": draw(st.booleans())}  # fmt: skip
    elif kind == "adc":
        e |= {"class": "adc", "residential_relief": draw(st.booleans())}
    elif kind == "equity":
        e |= {"class": "equity", "higher_risk": draw(st.booleans())}
    elif kind == "cb":
        e |= {"class": "covered_bond", "cqs": draw(cqs)}
    elif kind == "other":
        e |= {
            "class": "other_items",
            "item_type": draw(st.sampled_from(["cash", "gold", "items_in_collection", "other"])),
        }
    else:
        e |= {"class": "subordinated_debt"}
    if kind in ("cg", "institution", "corporate", "retail", "re", "adc") and draw(st.booleans()):
        e["defaulted"] = True
        e["scra"] = _money(min(draw(money), amount))
    if lendable and draw(st.booleans()):
        e |= {"off_balance": _money(draw(money)), "ccf_bucket": draw(st.integers(1, 5))}
    elif lendable and kind != "cg" and not e.get("defaulted") and draw(st.booleans()):
        e["guarantee"] = {"amount": _money(min(draw(money), amount)), "guarantor": draw(guarantors())}
        if draw(st.booleans()):
            e["collateral"] = {"amount": _money(draw(money)), "currency": draw(st.sampled_from(["EUR", "USD"]))}
    if sme and kind in ("corporate", "retail", "re", "adc") and draw(st.booleans()):
        e |= {"sme_supporting_factor": True, "sme_total_owed": _money(draw(money) + 1)}
    return e


@st.composite
def documents(draw: st.DrawFn, sme: bool = True) -> dict[str, Any]:
    count = draw(st.integers(0, 8))
    return {
        "reference_date": draw(days).isoformat(),
        "exposures": [draw(exposures(f"e{i}", sme)) for i in range(count)],
        "own_funds": {"cet1_instruments": _money(draw(money)), "at1_instruments": _money(draw(money)),
                      "t2_instruments": _money(draw(money)), "goodwill": _money(draw(money))},
        "other_risks": {"operational_rwa": _money(draw(money)), "market_rwa": _money(draw(money))},
        "requirements": {"p2r": "0.02", "ccyb": "0.01", "osii": "0.005", "distributable_profits": _money(draw(money))},
        "leverage": {"on_balance": _money(draw(money)),
                     "off_balance": {"3": _money(draw(money)), "5": _money(draw(money))}},
        "lcr": {"assets": {"l1_securities": _money(draw(money)), "l2a": _money(draw(money)),
                           "l2b_other": _money(draw(money))},
                "outflows": {"retail_stable": _money(draw(money)), "other": _money(draw(money))},
                "inflows": {"financial_customers": _money(draw(money))}},
        "nsfr": {"asf": {"capital": _money(draw(money))}, "rsf": {"level2b": _money(draw(money))}},
    }  # fmt: skip


@SETTINGS
@given(documents())
def test_rwa_is_never_negative_and_totals_are_sums_of_unrounded_parts(document: dict[str, Any]) -> None:
    result = calculate(validate_input(document, RULES), RULES)
    with localcontext(EXACT):
        _check_sums(result)


def _same(total: Decimal, parts: Decimal) -> bool:
    """Equal within the engine's working precision (60 significant digits): a division (an SME factor,
    a phase-in) gives 60-digit values, and summing them in another order may differ in the last
    digit — far below any rounding of an output (cents, 6-decimal rates)."""
    if total == parts:
        return True
    scale = max(abs(total), abs(parts))
    return abs(total - parts) <= Decimal(10) ** (scale.adjusted() - EXACT.prec + 5)


def _check_sums(result: Result) -> None:
    for r in result.exposures:
        assert r.rwa >= 0 and r.rwa_pre_sf >= 0 and r.exposure_value >= 0
        assert all(p.rwa >= 0 and p.exposure_value >= 0 for p in r.parts)
        assert _same(r.rwa, sum((p.rwa for p in r.parts), Decimal(0)))
        assert _same(r.exposure_value, sum((p.exposure_value for p in r.parts), Decimal(0)))
    credit = result.credit_risk
    assert _same(credit["rwa"], sum((p.rwa for r in result.exposures for p in r.parts), Decimal(0)))
    assert _same(credit["rwa_pre_sf"], sum((r.rwa_pre_sf for r in result.exposures), Decimal(0)))
    assert _same(credit["rwa"], sum((c["rwa"] for c in credit["by_class"].values()), Decimal(0)))
    for cls, row in credit["by_class"].items():
        assert _same(
            row["original_exposure"],
            sum((r.original_exposure for r in result.exposures if r.reporting_class == cls), Decimal(0)),
        )
    trea = result.trea
    assert _same(trea["u_trea"], trea["credit"] + trea["operational"] + trea["market"])


def _amounts(node: Any, path: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out |= _amounts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out |= _amounts(value, f"{path}[{index}]")
    elif isinstance(node, str) and node.replace(".", "", 1).lstrip("-").isdigit():
        out[path] = node
    return out


def _double(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _double(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_double(v) for v in node]
    rates = {"p2r", "ccyb", "osii", "cet1_ratio", "leverage_ratio"}
    if isinstance(node, str) and key not in rates and key not in ("id", "reference_date") and node[:1].isdigit():
        return format(Decimal(node) * 2, "f")
    return node


@SETTINGS
@given(documents(sme=False))
def test_doubling_every_amount_doubles_amounts_within_a_cent_and_keeps_ratios(document: dict[str, Any]) -> None:
    base, doubled = compute(document, RULES), compute(_double(document), RULES)
    before, after = _amounts(base), _amounts(doubled)
    assert before.keys() == after.keys()
    for path, value in before.items():
        if len(value.split(".")[1]) == 6:  # rates, weights, factors, ratios
            assert after[path] == value, path
        else:
            assert abs(Decimal(after[path]) - 2 * Decimal(value)) <= Decimal("0.01"), path


@st.composite
def guaranteed(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    amount = draw(money)
    obligor = draw(st.sampled_from([{"class": "corporate"}, {"class": "corporate", "cqs": 5},
                                    {"class": "retail"}, {"class": "institution", "scra_grade": "C"}]))  # fmt: skip
    plain = {"id": "e", "amount": _money(amount), **obligor}
    cover = {"amount": _money(min(draw(money), amount)), "guarantor": draw(guarantors())}
    return plain, {**plain, "guarantee": cover}


@SETTINGS
@given(guaranteed(), days)
def test_a_better_guarantor_never_raises_rwa(pair: tuple[dict[str, Any], dict[str, Any]], day: date) -> None:
    plain, covered = pair
    base = calculate(validate_input({"reference_date": day.isoformat(), "exposures": [plain]}, RULES), RULES)
    cover = calculate(validate_input({"reference_date": day.isoformat(), "exposures": [covered]}, RULES), RULES)
    obligor_rw, guarantor_rw = base.exposures[0].parts[0].risk_weight, cover.exposures[0].parts[0].risk_weight
    if guarantor_rw <= obligor_rw:
        assert cover.exposures[0].rwa <= base.exposures[0].rwa


@SETTINGS
@given(days, days)
def test_equity_ucc_and_floor_phase_ins_never_decrease_with_the_date(first: date, second: date) -> None:
    early, late = sorted((first, second))
    a, b = RULES.at(early), RULES.at(late)
    for code, key in (
        ("rw_equity", "standard"),
        ("rw_equity", "higher_risk"),
        ("ccf", "5"),
        ("output_floor", "factor"),
    ):
        assert a.get(code, key) <= b.get(code, key)


# --- boundaries ---------------------------------------------------------------------------------


def _rw(rule_set: RuleSet, exposure: dict[str, Any], day: str = "2025-06-30") -> str:
    return str(
        compute({"reference_date": day, "exposures": [{"id": "e", **exposure}]}, rule_set)["exposures"][0][
            "risk_weight"
        ]
    )


@pytest.mark.parametrize(
    ("kind", "edges"),
    [("residential", [("0.5", "0.300000", "0.350000"), ("0.6", "0.350000", "0.450000"), ("0.8", "0.450000", "0.600000"),
                      ("0.9", "0.600000", "0.750000"), ("1", "0.750000", "1.050000")]),
     ("commercial", [("0.6", "0.700000", "0.900000"), ("0.8", "0.900000", "1.100000")])],
)  # fmt: skip
def test_etv_exactly_at_each_band_edge_takes_the_lower_band(kind: str, edges: list[tuple[str, str, str]]) -> None:
    value = Decimal("1000000")
    for edge, at, above in edges:
        base = {"class": "real_estate", "property_type": kind, "property_value": "1000000", "counterparty": "retail",
                "ipre": True}  # fmt: skip
        assert _rw(RULES, {**base, "amount": format(Decimal(edge) * value, "f")}) == at, edge
        assert _rw(RULES, {**base, "amount": format(Decimal(edge) * value + Decimal("0.01"), "f")}) == above, edge


def test_scra_exactly_20_percent_of_a_defaulted_exposure_gives_100_percent() -> None:
    corporate = {"class": "corporate", "amount": "1000000", "defaulted": True}
    assert _rw(RULES, {**corporate, "scra": "200000"}) == "1.000000"
    assert _rw(RULES, {**corporate, "scra": "199999.99"}) == "1.500000"
    assert _rw(RULES, {**corporate, "amount": "0", "off_balance": "10", "ccf_bucket": 1}) == "1.500000"


@pytest.mark.parametrize(
    ("owed", "rwa"), [("2500000", "1904750.00"), ("2500000.01", "1904750.01"), ("2499999.99", "1904749.99")]
)
def test_the_sme_threshold_of_2_500_000(owed: str, rwa: str) -> None:
    exposure = {"id": "e", "class": "corporate", "amount": owed, "sme_supporting_factor": True, "sme_total_owed": owed}
    result = compute({"reference_date": "2025-06-30", "exposures": [exposure]}, RULES)["exposures"][0]
    assert result["rwa"] == rwa


def test_grade_a_enhanced_thresholds_are_inclusive() -> None:
    grade = {"class": "institution", "amount": "100", "scra_grade": "A"}
    assert _rw(RULES, {**grade, "cet1_ratio": "0.14", "leverage_ratio": "0.05"}) == "0.300000"
    assert _rw(RULES, {**grade, "cet1_ratio": "0.13999999", "leverage_ratio": "0.05"}) == "0.400000"
    assert _rw(RULES, {**grade, "cet1_ratio": "0.14", "leverage_ratio": "0.05", "short_term": True}) == "0.200000"


@pytest.mark.parametrize(
    ("day", "equity", "higher", "ucc", "floor"),
    [("2025-12-31", "1", "1", "0", "0.5"), ("2026-01-01", "1.3", "1.6", "0", "0.55"),
     ("2026-12-31", "1.3", "1.6", "0", "0.55"), ("2027-01-01", "1.6", "2.2", "0", "0.6"),
     ("2028-01-01", "1.9", "2.8", "0", "0.65"), ("2029-01-01", "2.2", "3.4", "0", "0.7"),
     ("2029-12-31", "2.2", "3.4", "0", "0.7"), ("2030-01-01", "2.5", "4", "0.025", "0.725"),
     ("2031-01-01", "2.5", "4", "0.05", "0.725"), ("2032-01-01", "2.5", "4", "0.075", "0.725"),
     ("2032-12-31", "2.5", "4", "0.075", "0.725"), ("2033-01-01", "2.5", "4", "0.1", "0.725")],
)  # fmt: skip
def test_dates_at_each_phase_in_change(day: str, equity: str, higher: str, ucc: str, floor: str) -> None:
    params = RULES.at(date.fromisoformat(day))
    assert (params.get("rw_equity", "standard"), params.get("rw_equity", "higher_risk")) == (
        Decimal(equity),
        Decimal(higher),
    )
    assert (params.get("ccf", "5"), params.get("output_floor", "factor")) == (Decimal(ucc), Decimal(floor))
    previous = RULES.at(date.fromisoformat(day) - timedelta(days=1))
    assert previous.get("rw_equity", "standard") <= params.get("rw_equity", "standard")


def test_rounding_is_half_away_from_zero_once_and_never_negative_zero() -> None:
    from shared.prudential.numbers import amount, rate

    assert (amount(Decimal("0.005")), amount(Decimal("-0.005")), amount(Decimal("-0.004"))) == ("0.01", "-0.01", "0.00")
    assert (rate(Decimal("0.0000005")), rate(Decimal("-0.0000004")), amount(Decimal("1E+3"))) == (
        "0.000001",
        "0.000000",
        "1000.00",
    )
    # 3 exposures of 0.01 at 75 %: each 0.0075 → "0.01", the total 0.0225 → "0.02" (sums unrounded parts)
    result = compute({"reference_date": "2025-06-30", "exposures": [{"id": str(i), "class": "retail", "amount": "0.01"}
                                                                   for i in range(3)]}, RULES)  # fmt: skip
    assert [e["rwa"] for e in result["exposures"]] == ["0.01"] * 3 and result["credit_risk"]["rwa"] == "0.02"
