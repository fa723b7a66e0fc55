"""Exact arithmetic and the output formats of the prudential engine, and the canonical JSON form.

Every computation runs inside ``EXACT`` (enough digits that sums and products of inputs bounded to
15 integer and 8 decimal digits never round; quotients keep 60 significant digits, well over the 34
the domain asks). Values are rounded once, at output: half away from zero, amounts to 2 decimals,
rates to 6, written without exponent and never as ``-0.00``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

__all__ = ["EXACT", "ONE", "ZERO", "amount", "canonical_json", "cycle_collection_paused", "rate", "sha256_hex"]

# ROUND_HALF_UP in ``decimal`` rounds ties away from zero (-0.125 → -0.13), which is what we need.
EXACT = Context(prec=60, rounding=ROUND_HALF_UP, Emax=999_999, Emin=-999_999, traps=[])
ZERO = Decimal(0)
ONE = Decimal(1)
_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")
_ZERO_AMOUNT = "0.00"
_ZERO_RATE = "0.000000"


def amount(value: Decimal | None) -> str | None:
    """``"1275000.00"``: 2 decimals, half away from zero, no exponent, never ``-0.00``; None stays None."""
    if value is None:
        return None
    text = format(value.quantize(_CENT, ROUND_HALF_UP, EXACT), "f")
    return _ZERO_AMOUNT if text == "-0.00" else text


def rate(value: Decimal | None) -> str | None:
    """``"0.120000"``: a fraction with 6 decimals, half away from zero, never negative zero."""
    if value is None:
        return None
    text = format(value.quantize(_MICRO, ROUND_HALF_UP, EXACT), "f")
    return _ZERO_RATE if text == "-0.000000" else text


def canonical_json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces: the bytes hashed for inputs and results.

    Decimals (if any are left in ``obj``) are written as their exact string."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain).encode()


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def sha256_hex(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj``."""
    import hashlib

    return hashlib.sha256(canonical_json(obj)).hexdigest()


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block: validation, calculation, rendering and what-if
    allocate one object (or a few) per exposure and never a cycle, but every allocation counts towards
    the collector's thresholds, and its full passes over a heap holding a million exposures cost as
    much as the validation itself (a third of a what-if). Reference counting still frees everything;
    collection resumes afterwards if it was on (another thread may have paused it too; nested blocks
    leave it to the outermost)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
