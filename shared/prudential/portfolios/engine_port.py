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
from typing import Any

from shared.platform.errors import Unprocessable, field_error
from shared.prudential.engine import calculate, result_to_json
from shared.prudential.models import CalculationInput, InputError, InvalidInput, validate_input
from shared.prudential.numbers import canonical_json
from shared.prudential.rules import RuleSet

__all__ = ["Computed", "Prepared", "compute", "errors_of", "invalid", "prepare", "sha256_of"]


def sha256_of(document: Any) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def errors_of(errors: list[InputError], prefix: str = "input") -> list[dict[str, str]]:
    """The validator's errors as problem+json field errors (``input.exposures[0].cqs``)."""
    out = []
    for error in errors:
        path = error.path if error.path.startswith("[") else f".{error.path}" if error.path else ""
        out.append(field_error(f"{prefix}{path}", error.rule, error.problem))
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
