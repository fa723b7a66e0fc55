"""Fixtures of the prudential engine tests: the bundled rule set and a `calc(document)` helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.prudential.engine import compute
from shared.prudential.rules import RuleSet, load_rule_set

Calc = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def rule_set() -> RuleSet:
    return load_rule_set("CRR3-2025.1")


@pytest.fixture
def calc(rule_set: RuleSet) -> Calc:
    """`calc(exposures=[...], reference_date="2025-06-30", ...)`: the contract JSON of that document."""

    def run(document: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        doc = {"reference_date": "2025-06-30", **(document or {}), **more}
        return compute(doc, rule_set)

    return run


def rwa_of(result: dict[str, Any]) -> dict[str, str]:
    """Exposure id → its rwa string."""
    return {e["id"]: e["rwa"] for e in result["exposures"]}
