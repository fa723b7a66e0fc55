"""``fintrack prudential [--rule-set CRR3-2025.1]``: calculation documents as JSON in, results out.

stdin holds one JSON object or an array of them; stdout gets one result object (or an array in the
same order) as canonical JSON (sorted keys, no spaces) and a newline. Any bad input — malformed JSON,
an unknown rule set, an invalid or unknown field anywhere — gives exit code 2, nothing on stdout and
one stderr line ``<path>: <problem>`` (``[3].exposures[0].cqs: must be an integer 1..6``). Same
validator and engine as the HTTP function.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from shared.prudential.engine import compute
from shared.prudential.models import InvalidInput
from shared.prudential.numbers import canonical_json
from shared.prudential.rules import UnknownRuleSet, load_rule_set

__all__ = ["USAGE_ERROR", "parse_json", "run"]

USAGE_ERROR = 2


class _BadJson(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise _BadJson(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _BadJson(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """JSON with numbers as ``Decimal``/``int`` (never float), no NaN/Infinity, no duplicate keys;
    ``ValueError`` with a one-line reason otherwise."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constants, object_pairs_hook=_unique_keys)
    except _BadJson as exc:
        raise ValueError(f"invalid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def run(rule_set_code: str, text: str) -> tuple[int, str]:
    """``(0, output)`` or ``(2, "<path>: <problem>")``; output is the canonical JSON, no newline."""
    try:
        rule_set = load_rule_set(rule_set_code)
    except UnknownRuleSet:
        return USAGE_ERROR, f"--rule-set: unknown rule set {rule_set_code!r}"
    try:
        document = parse_json(text)
    except ValueError as exc:
        return USAGE_ERROR, " ".join(f"input: {exc}".split())
    try:
        if isinstance(document, list):
            output: Any = [compute(item, rule_set, f"[{index}]") for index, item in enumerate(document)]
        elif isinstance(document, dict):
            output = compute(document, rule_set)
        else:
            return USAGE_ERROR, "input: must be a JSON object or an array of objects"
    except InvalidInput as exc:
        return USAGE_ERROR, " ".join(exc.errors[0].line().split())
    return 0, canonical_json(output).decode()
