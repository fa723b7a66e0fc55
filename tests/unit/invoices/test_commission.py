"""The commission waterfall: every public example of WORKFLOW.md and the rounding order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.invoices.commission import Rates, check_amount, check_rate, compute, to_cent

D = Decimal

# R, c, a | E, HT, partner, TVA, TTC, expert keeps, platform keeps (p = 0.30, t = 20 %).
PUBLIC_TABLE = [
    ("10000", "0.30", "0.10", "3000.00", "900.00", "90.00", "180.00", "1080.00", "2100.00", "810.00"),
    ("15000", "0.30", "0.10", "4500.00", "1350.00", "135.00", "270.00", "1620.00", "3150.00", "1215.00"),
    ("20000", "0.25", "0.10", "5000.00", "1500.00", "150.00", "300.00", "1800.00", "3500.00", "1350.00"),
    ("8000", "0.30", "0", "2400.00", "720.00", "0.00", "144.00", "864.00", "1680.00", "720.00"),
    ("1234.50", "0.30", "0.10", "370.35", "111.11", "11.11", "22.22", "133.33", "259.24", "100.00"),
]


@pytest.mark.parametrize("row", PUBLIC_TABLE, ids=[row[0] for row in PUBLIC_TABLE])
def test_every_row_of_the_public_table(row: tuple[str, ...]) -> None:
    refund, c, a, *expected = row
    result = compute(D(refund), Rates(client_fee_rate=D(c), platform_fee_rate=D("0.30"), partner_share_rate=D(a)))
    got = [
        result.expert_fee,
        result.invoice_ht,
        result.partner_commission,
        result.vat,
        result.invoice_ttc,
        result.expert_net,
        result.platform_net,
    ]
    assert [str(v) for v in got] == expected


def test_half_up_uses_the_rounded_value_downstream() -> None:
    # 370.35 × 0.30 = 111.105 → 111.11 (half-up, not banker's 111.10); TVA from 111.11, not 111.105.
    result = compute(D("1234.50"), Rates(client_fee_rate=D("0.30"), platform_fee_rate=D("0.30")))
    assert result.invoice_ht == D("111.11")
    assert result.vat == D("22.22")
    assert result.invoice_ttc == result.invoice_ht + result.vat
    assert to_cent(D("0.005")) == D("0.01") and to_cent(D("0.015")) == D("0.02")


def test_overseas_vat_rate() -> None:
    result = compute(D("10000"), Rates(client_fee_rate=D("0.30"), platform_fee_rate=D("0.30"), vat_rate=D("0.085")))
    assert (result.vat, result.invoice_ttc) == (D("76.50"), D("976.50"))


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), ("1", True), ("0.3", True), ("0.1234", True), ("0.12345", False), ("1.01", False), ("-0.1", False)],
)
def test_rates_are_fractions_with_four_decimals(value: str, ok: bool) -> None:
    assert (check_rate(D(value)) is None) is ok


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("12.34", True), ("12.345", False), ("-1", False)])
def test_amounts_have_two_decimals(value: str, ok: bool) -> None:
    assert (check_amount(D(value)) is None) is ok
    assert check_amount(D("NaN")) is not None


cents = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)


@given(refund=cents, c=rates, p=rates, a=rates, t=rates)
def test_the_parts_always_add_up(refund: Decimal, c: Decimal, p: Decimal, a: Decimal, t: Decimal) -> None:
    r = compute(refund, Rates(client_fee_rate=c, platform_fee_rate=p, partner_share_rate=a, vat_rate=t))
    assert r.expert_net + r.invoice_ht == r.expert_fee
    assert r.platform_net + r.partner_commission == r.invoice_ht
    assert r.invoice_ttc == r.invoice_ht + r.vat
    for value in (r.expert_fee, r.invoice_ht, r.partner_commission, r.vat, r.expert_net, r.platform_net):
        assert value >= 0 and value == to_cent(value)
