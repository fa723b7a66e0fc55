"""The commission waterfall (WORKFLOW.md, "Commission and invoice"): pure, Decimal, no I/O.

R = confirmed refund; c = client fee rate; p = platform rate; a = partner share (0 without a
partner); t = VAT rate. In this order, each step rounded half-up to the cent and the rounded value
used by the next step:

    E = R × c            expert fee (what the client owes the expert in total)
    HT = E × p           the platform's invoice to the client, before VAT
    partner = HT × a     the partner's commission, due once the invoice is paid
    TVA = HT × t
    TTC = HT + TVA
    expert keeps E − HT  (the expert bills it itself)
    platform keeps HT − partner

The database computes the same waterfall when it issues an invoice (``private.commission`` in
migration 0065); a property test holds the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE_STEP = Decimal("0.0001")
DEFAULT_VAT_RATE = Decimal("0.20")
MAX_AMOUNT = Decimal(10) ** 12  # amounts are numeric(14, 2) in the database


def to_cent(value: Decimal) -> Decimal:
    """Half-up to the cent (``111.105`` → ``111.11``)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Rates:
    """The four rates an invoice applies, frozen at the client's acceptance of the audit."""

    client_fee_rate: Decimal
    platform_fee_rate: Decimal
    partner_share_rate: Decimal = Decimal(0)
    vat_rate: Decimal = DEFAULT_VAT_RATE


@dataclass(frozen=True, slots=True)
class Commission:
    """Every figure of the waterfall, each a Decimal with two decimals."""

    refund_amount: Decimal
    expert_fee: Decimal
    invoice_ht: Decimal
    partner_commission: Decimal
    vat: Decimal
    invoice_ttc: Decimal
    expert_net: Decimal
    platform_net: Decimal

    def as_json(self) -> dict[str, str]:
        """The `fintrack commission` output: decimal strings with two decimals, in waterfall order."""
        return {
            "expert_fee": str(self.expert_fee),
            "invoice_ht": str(self.invoice_ht),
            "partner_commission": str(self.partner_commission),
            "vat": str(self.vat),
            "invoice_ttc": str(self.invoice_ttc),
            "expert_net": str(self.expert_net),
            "platform_net": str(self.platform_net),
        }


def check_rate(value: Decimal) -> str | None:
    """Why ``value`` is not an acceptable rate (a fraction in [0, 1], at most 4 decimals), or None."""
    if not value.is_finite():
        return "must be a finite number"
    if value < 0 or value > 1:
        return "must be a fraction between 0 and 1 (0.30 for 30 %)"
    if value != value.quantize(RATE_STEP):
        return "must have at most 4 decimals"
    return None


def check_amount(value: Decimal) -> str | None:
    """Why ``value`` is not an acceptable amount (≥ 0, at most 2 decimals), or None."""
    if not value.is_finite():
        return "must be a finite number"
    if value < 0:
        return "must be greater than or equal to 0"
    if value >= MAX_AMOUNT:
        return "must be below 1 000 000 000 000 (12 digits before the decimal point)"
    if value != value.quantize(CENT):
        return "must have at most 2 decimals"
    return None


def compute(refund_amount: Decimal, rates: Rates) -> Commission:
    """The waterfall for a refund; inputs are assumed checked (see :func:`check_rate`)."""
    refund = to_cent(refund_amount)
    expert_fee = to_cent(refund * rates.client_fee_rate)
    invoice_ht = to_cent(expert_fee * rates.platform_fee_rate)
    partner = to_cent(invoice_ht * rates.partner_share_rate)
    vat = to_cent(invoice_ht * rates.vat_rate)
    return Commission(
        refund_amount=refund,
        expert_fee=expert_fee,
        invoice_ht=invoice_ht,
        partner_commission=partner,
        vat=vat,
        invoice_ttc=invoice_ht + vat,
        expert_net=expert_fee - invoice_ht,
        platform_net=invoice_ht - partner,
    )
