"""The pure simulation engine: how many `evaluate` calls per second on one core.

10 000 answer sets are generated from a fixed seed, covering every question of FR-2025.1 and every
answer form (tranche labels and exact numbers, ints, decimals, numeric strings, floats, loose case,
answers to hidden questions, unanswered questions). Target: >= 20 000 simulations/s in-process.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bench.common import write
from shared.simulation.engine import evaluate, result_to_json
from shared.simulation.models import Question, RuleSet, load_rule_set

N = 10_000
RUNS = 5
SEED = 20250101
TARGET = 20_000


def _number(rng: random.Random, q: Question) -> object:
    assert q.max is not None
    whole = q.type in ("integer", "tranche_or_integer")
    top = int(min(q.max, Decimal(20_000 if whole else 2_000_000)))
    value = rng.choice([0, rng.randint(0, 50), rng.randint(0, top)])
    form = rng.random()
    if whole or form < 0.4:
        return value if form < 0.8 else str(value)
    if form < 0.7:
        return Decimal(value) + Decimal(rng.randint(0, 99)) / 100
    return float(value) + rng.randint(0, 99) / 100 if form < 0.85 else f"{value}.{rng.randint(0, 99):02d}"


def _loose(rng: random.Random, option: str) -> str:
    """The option as a person might type it: sometimes other case, stray spaces."""
    roll = rng.random()
    return option if roll < 0.8 else f"  {option.upper()} " if roll < 0.9 else option.lower()


def _answer(rng: random.Random, q: Question) -> object:
    if q.type == "multi_choice":
        return [option for option in q.options if rng.random() < 0.35]
    if q.type in ("number", "integer"):
        return _number(rng, q)
    if q.type.startswith("tranche_or_") and rng.random() < 0.5:
        return _number(rng, q)
    if q.type == "yes_no" and rng.random() < 0.1:
        return rng.random() < 0.5
    return _loose(rng, rng.choice(q.options))


def answer_sets(rule_set: RuleSet, count: int = N, seed: int = SEED) -> list[dict[str, object]]:
    """Answers to every question (hidden ones included) with probability 0.9 each."""
    rng = random.Random(seed)
    return [{q.code: _answer(rng, q) for q in rule_set.questions if rng.random() < 0.9} for _ in range(count)]


def _best(block: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        gc.collect()
        started = time.perf_counter()
        block()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rule_set = load_rule_set("FR-2025.1")
    sets = answer_sets(rule_set)
    evaluate(rule_set, sets[0])  # compiles the rule set once, like a warm function instance

    def simulate() -> None:
        for answers in sets:
            evaluate(rule_set, answers)

    def simulate_and_render() -> None:
        for answers in sets:
            result_to_json(evaluate(rule_set, answers))

    evaluate_s, with_json_s = _best(simulate), _best(simulate_and_render)
    eligible = sum(p.eligible for answers in sets for p in evaluate(rule_set, answers).products.values())
    write(
        "engine",
        {
            "n": N,
            "runs": RUNS,
            "seed": SEED,
            "rule_set": rule_set.version,
            "simulations_per_second": round(N / evaluate_s),
            "best_run_seconds": round(evaluate_s, 4),
            "microseconds_per_simulation": round(evaluate_s / N * 1e6, 2),
            "with_result_to_json_per_second": round(N / with_json_s),
            "eligible_products_per_simulation": round(eligible / N, 2),
            "target_simulations_per_second": TARGET,
        },
    )


if __name__ == "__main__":
    main()
