"""Rule sets as data: dated parameter rows, and the set of rows in force on a reference date.

A rule set document is ``{rule_set, effective_from, description, parameters: [{code, key, value,
valid_from, valid_to}]}``; values are decimal strings, ``valid_to`` is inclusive and ``null`` means
open-ended. The bundled documents live in ``rulesets/<code>.json``; migration 0080 seeds the same rows
into ``prudential_rule_sets`` / ``prudential_rule_parameters`` (a test holds them equal) and
published rule sets are read back from there with :func:`rule_set_from_rows`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from shared.platform.errors import NotFound

__all__ = [
    "DEFAULT_RULE_SET",
    "Parameter",
    "Parameters",
    "RuleSet",
    "RuleSetError",
    "UnknownRuleSet",
    "available_rule_sets",
    "load_rule_set",
    "rule_set_from_document",
    "rule_set_from_rows",
]

DEFAULT_RULE_SET = "CRR3-2025.1"
_CODE = re.compile(r"^[A-Z][A-Z0-9]*-\d{4}\.\d+$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_NAME = re.compile(r"^[a-z0-9_]+$")
_KEY = re.compile(r"^[A-Za-z0-9_.]+$")


class UnknownRuleSet(NotFound):
    code = "unknown_rule_set"


class RuleSetError(ValueError):
    """A rule set document or its rows are malformed, or no single row is in force for a date."""


@dataclass(frozen=True, slots=True)
class Parameter:
    code: str
    key: str
    value: Decimal
    valid_from: date
    valid_to: date | None

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def to_json(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "key": self.key,
            "value": format(self.value, "f"),
            "valid_from": self.valid_from.isoformat(),
            "valid_to": None if self.valid_to is None else self.valid_to.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Parameters:
    """The values in force on one reference date: ``params["ccf"]["5"]``."""

    rule_set: str
    reference_date: date
    values: Mapping[str, Mapping[str, Decimal]]

    def __getitem__(self, code: str) -> Mapping[str, Decimal]:
        try:
            return self.values[code]
        except KeyError:
            raise RuleSetError(
                f"rule set {self.rule_set} has no parameter {code} in force on {self.reference_date}"
            ) from None

    def get(self, code: str, key: str) -> Decimal:
        table = self[code]
        try:
            return table[key]
        except KeyError:
            raise RuleSetError(
                f"rule set {self.rule_set} has no parameter {code}/{key} in force on {self.reference_date}"
            ) from None


@dataclass(frozen=True)
class RuleSet:
    code: str
    effective_from: date
    description: str
    parameters: tuple[Parameter, ...]
    _cache: dict[date, Parameters] = field(default_factory=dict, compare=False, repr=False)

    def at(self, reference_date: date) -> Parameters:
        """The rows in force on ``reference_date`` (cached per date); exactly one per (code, key)."""
        cached = self._cache.get(reference_date)
        if cached is not None:
            return cached
        if reference_date < self.effective_from:
            raise RuleSetError(f"rule set {self.code} applies from {self.effective_from.isoformat()}")
        values: dict[str, dict[str, Decimal]] = {}
        for row in self.parameters:
            if row.in_force(reference_date):
                table = values.setdefault(row.code, {})
                if row.key in table:
                    raise RuleSetError(
                        f"rule set {self.code}: two rows {row.code}/{row.key} in force on {reference_date}"
                    )
                table[row.key] = row.value
        resolved = Parameters(self.code, reference_date, values)
        self._cache[reference_date] = resolved
        return resolved

    def to_document(self) -> dict[str, Any]:
        """The JSON document form (the bundled file's shape)."""
        return {
            "rule_set": self.code,
            "effective_from": self.effective_from.isoformat(),
            "description": self.description,
            "parameters": [row.to_json() for row in self.parameters],
        }


def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleSetError(f"{where}: must be a date YYYY-MM-DD")


def _row(raw: Mapping[str, Any], where: str) -> Parameter:
    if set(raw) != {"code", "key", "value", "valid_from", "valid_to"}:
        raise RuleSetError(f"{where}: needs exactly code, key, value, valid_from, valid_to")
    code, key, value = raw["code"], raw["key"], raw["value"]
    if not isinstance(code, str) or not _NAME.match(code):
        raise RuleSetError(f"{where}.code: must match [a-z0-9_]+")
    if not isinstance(key, str) or not _KEY.match(key):
        raise RuleSetError(f"{where}.key: must match [A-Za-z0-9_.]+")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _DECIMAL.match(value):
        number = Decimal(value)
    else:
        raise RuleSetError(f"{where}.value: must be a decimal written as a string")
    start = _date(raw["valid_from"], f"{where}.valid_from")
    end = None if raw["valid_to"] is None else _date(raw["valid_to"], f"{where}.valid_to")
    if end is not None and end < start:
        raise RuleSetError(f"{where}.valid_to: must not be before valid_from")
    return Parameter(code, key, number, start, end)


def _check_overlaps(code: str, rows: Iterable[Parameter]) -> None:
    by_key: dict[tuple[str, str], list[Parameter]] = {}
    for row in rows:
        by_key.setdefault((row.code, row.key), []).append(row)
    for (name, key), group in by_key.items():
        group.sort(key=lambda r: r.valid_from)
        for before, after in itertools.pairwise(group):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise RuleSetError(f"rule set {code}: rows {name}/{key} overlap from {after.valid_from.isoformat()}")


def rule_set_from_rows(code: str, effective_from: date, description: str, rows: Iterable[Mapping[str, Any]]) -> RuleSet:
    """A rule set from database rows (``code, key, value, valid_from, valid_to``), validated."""
    if not _CODE.match(code):
        raise RuleSetError(f"rule_set: {code!r} is not a rule set code like CRR3-2025.1")
    parameters = tuple(_row(raw, f"parameters[{i}]") for i, raw in enumerate(rows))
    _check_overlaps(code, parameters)
    return RuleSet(code, effective_from, description, parameters)


def rule_set_from_document(document: Mapping[str, Any]) -> RuleSet:
    """A rule set from its JSON document form, validated (also what an owner publishes)."""
    if not isinstance(document, Mapping) or set(document) != {
        "rule_set",
        "effective_from",
        "description",
        "parameters",
    }:
        raise RuleSetError("a rule set document has exactly rule_set, effective_from, description, parameters")
    rows = document["parameters"]
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise RuleSetError("parameters: must be an array of objects")
    code = document["rule_set"]
    if not isinstance(code, str):
        raise RuleSetError("rule_set: must be a string")
    description = document["description"]
    return rule_set_from_rows(code, _date(document["effective_from"], "effective_from"), str(description or ""), rows)


def available_rule_sets() -> list[str]:
    """Codes of the bundled rule sets."""
    folder = resources.files("shared.prudential").joinpath("rulesets")
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


@lru_cache(maxsize=8)
def load_rule_set(code: str = DEFAULT_RULE_SET) -> RuleSet:
    """A bundled rule set by code (``UnknownRuleSet`` otherwise); parsed once per process."""
    if code not in available_rule_sets():
        raise UnknownRuleSet(f"unknown rule set {code!r}")
    text = resources.files("shared.prudential").joinpath("rulesets", f"{code}.json").read_text(encoding="utf-8")
    return rule_set_from_document(json.loads(text))
