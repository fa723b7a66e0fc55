"""The one door from stored work to the pure engine: validation with field errors a caller can read,
the canonical input and its SHA-256, the calculation and the SHA-256 of its canonical result.

Inputs are kept as JSON whose decimals are strings (``"1250000.50"``), so the stored document, the
one hashed and the one calculated are byte for byte the same canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.platform.errors import Unprocessable, field_error
from shared.prudential import scenarios
from shared.prudential.engine import calculate, result_to_json
from shared.prudential.models import CalculationInput, InputError, InvalidInput, validate_input
from shared.prudential.numbers import canonical_json
from shared.prudential.rules import RuleSet
from shared.prudential.scenarios import validate_shocks

__all__ = ["Computed", "Prepared", "compute", "errors_of", "invalid", "prepare", "sha256_of", "shocks", "what_if"]


def sha256_of(document: Any) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def errors_of(errors: list[InputError], prefix: str = "input") -> list[dict[str, str]]:
    """The validator's errors as problem+json field errors (``input.exposures[0].cqs``)."""
    out = []
    for error in errors:
        if not prefix or not error.path or error.path.startswith("["):
            field = f"{prefix}{error.path}" or prefix
        else:
            field = f"{prefix}.{error.path}"
        out.append(field_error(field, error.rule, error.problem))
    return out


def invalid(exc: InvalidInput, prefix: str = "input") -> Unprocessable:
    return Unprocessable(
        f"Invalid input: {exc.errors[0].line()}", code="invalid_input", errors=errors_of(exc.errors, prefix)
    )


@dataclass(frozen=True)
class Prepared:
    """A validated document, in its stored form, with what a version row records of it."""

    document: dict[str, Any]
    validated: CalculationInput
    sha256: str
    exposure_count: int
    summary: dict[str, Any]


def prepare(document: dict[str, Any], rule_set: RuleSet) -> Prepared:
    """Validate ``document`` with the engine's validator (422 naming every bad field) and normalise it."""
    stored: dict[str, Any] = json.loads(canonical_json(document))
    try:
        validated = validate_input(stored, rule_set)
    except InvalidInput as exc:
        raise invalid(exc) from exc
    classes = Counter(e.cls for e in validated.exposures)
    sections = [name for name in ("own_funds", "other_risks", "output_floor", "requirements", "leverage", "lcr", "nsfr")
                if stored.get(name) is not None]  # fmt: skip
    summary = {"exposures_by_class": dict(sorted(classes.items())), "sections": sections}
    return Prepared(stored, validated, sha256_of(stored), len(validated.exposures), summary)


@dataclass(frozen=True)
class Computed:
    result: dict[str, Any]
    input_sha256: str
    result_sha256: str


def compute(document: dict[str, Any], rule_set: RuleSet) -> Computed:
    """Calculate a stored document: its result JSON (the CLI's) and both hashes."""
    prepared = prepare(document, rule_set)
    try:
        result = result_to_json(calculate(prepared.validated, rule_set))
    except InvalidInput as exc:
        raise invalid(exc) from exc
    stored: dict[str, Any] = json.loads(canonical_json(result))
    return Computed(stored, prepared.sha256, sha256_of(stored))


def _exact(value: Any) -> Any:
    """JSON numbers the platform's body parser read as floats, back to the decimal literal they were
    (``repr`` of a float parsed from text is that shortest text)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def shocks(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scenario shocks checked by the engine's rules (422 naming ``shocks[i].field``), decimals as text."""
    try:
        checked = validate_shocks(_exact(raw))
    except InvalidInput as exc:
        raise invalid(exc, prefix="") from exc
    stored: list[dict[str, Any]] = json.loads(canonical_json(checked))
    return stored


def what_if(document: dict[str, Any], shocks: list[dict[str, Any]], rule_set: RuleSet,
            base: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    """Every figure of the document's result before and after the shocks: old / new / delta."""
    try:
        return scenarios.what_if(document, shocks, rule_set, base=base)
    except InvalidInput as exc:
        raise invalid(exc, prefix="") from exc
