"""Fixtures of the simulation engine tests: the bundled rule set and a `simulate(**answers)` factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.simulation.engine import evaluate
from shared.simulation.models import ProductResult, RuleSet, SimulationResult, load_rule_set

Simulate = Callable[..., SimulationResult]


@pytest.fixture(scope="session")
def rule_set() -> RuleSet:
    return load_rule_set("FR-2025.1")


@pytest.fixture
def simulate(rule_set: RuleSet) -> Simulate:
    """`simulate(GENERAL_003="1 à 5")` or `simulate({"GENERAL_003": 25})`: the result for those answers."""

    def run(answers: dict[str, Any] | None = None, **more: Any) -> SimulationResult:
        return evaluate(rule_set, {**(answers or {}), **more})

    return run


@pytest.fixture
def product(simulate: Simulate) -> Callable[..., ProductResult]:
    """`product("urssaf", GENERAL_003="1 à 5")`: one product's result for those answers."""

    def run(code: str, answers: dict[str, Any] | None = None, **more: Any) -> ProductResult:
        return simulate(answers, **more).products[code]

    return run
