"""``fintrack commission``: refund and rates as JSON in, the commission waterfall as JSON out.

The input is one object or an array of objects::

    {"refund_amount": "10000.00", "client_fee_rate": "0.30", "platform_fee_rate": "0.30",
     "partner_share_rate": "0.10" | null, "vat_rate": "0.20"}

``partner_share_rate`` null or absent means no partner; ``vat_rate`` defaults to 0.20. Rates are
fractions in [0, 1] with at most 4 decimals (no percent guessing: 30 is refused), amounts are ≥ 0
with at most 2 decimals; each may be a JSON string or number. The output is, for each input,
``{"expert_fee", "invoice_ht", "partner_commission", "vat", "invoice_ttc", "expert_net",
"platform_net"}`` as decimal strings with two decimals — an object for an object, an array for an
array. Any problem gives exit code 2 and one line ``error: <field>: <what>`` (``[0].client_fee_rate``
in an array) and nothing on standard output. The arithmetic is :mod:`shared.invoices.commission`,
the code invoices use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.invoices.commission import DEFAULT_VAT_RATE, Rates, check_amount, check_rate, compute

USAGE_ERROR = 2
FIELDS = ("refund_amount", "client_fee_rate", "platform_fee_rate", "partner_share_rate", "vat_rate")


class InputError(ValueError):
    """One field of the input is wrong; the message names it."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _decimal(item: dict[str, object], field: str, where: str, check: Callable[[Decimal], str | None]) -> Decimal:
    raw = item[field]
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise InputError(f"{where}{field}: must be a decimal number as a string or a number")
    try:
        value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    except InvalidOperation as exc:
        raise InputError(f"{where}{field}: {raw!r} is not a decimal number") from exc
    problem = check(value)
    if problem is not None:
        raise InputError(f"{where}{field}: {problem}")
    return value


def _commission(item: object, where: str) -> dict[str, str]:
    if not isinstance(item, dict):
        raise InputError(f"{where.rstrip('.') or 'input'}: expected an object with refund_amount and the rates")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise InputError(f"{where}{unknown[0]}: unknown field (expected {', '.join(FIELDS)})")
    for field in ("refund_amount", "client_fee_rate", "platform_fee_rate"):
        if field not in item:
            raise InputError(f"{where}{field}: required")
    refund = _decimal(item, "refund_amount", where, check_amount)
    client = _decimal(item, "client_fee_rate", where, check_rate)
    platform = _decimal(item, "platform_fee_rate", where, check_rate)
    partner = Decimal(0)
    if item.get("partner_share_rate") is not None:
        partner = _decimal(item, "partner_share_rate", where, check_rate)
    vat = DEFAULT_VAT_RATE
    if "vat_rate" in item:
        if item["vat_rate"] is None:
            raise InputError(f"{where}vat_rate: must be a rate (omit it for 0.20)")
        vat = _decimal(item, "vat_rate", where, check_rate)
    rates = Rates(client_fee_rate=client, platform_fee_rate=platform, partner_share_rate=partner, vat_rate=vat)
    return compute(refund, rates).as_json()


def run(text: str) -> tuple[int, str]:
    """Exit code and output: ``(0, JSON)`` or ``(2, "error: …")`` on one line."""
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
    except ValueError as exc:  # json.JSONDecodeError included
        return USAGE_ERROR, _one_line(f"error: invalid JSON: {exc}")
    try:
        if isinstance(document, list):
            output: Any = [_commission(item, f"[{index}].") for index, item in enumerate(document)]
        else:
            output = _commission(document, "")
    except InputError as exc:
        return USAGE_ERROR, _one_line(f"error: {exc}")
    return 0, json.dumps(output, ensure_ascii=False)
