"""``fintrack simulate``: answers as JSON in, results as JSON out (a stable contract for scripts).

The input is one JSON object (question code → answer) or an array of them; each is computed like a
preview (unanswered questions are absent). The output is one result object, or an array in the same
order. Any problem — malformed JSON, wrong shape, unknown rule set, an invalid answer — gives exit
code 2 and a single line ``error: <where>: <what>``, and no partial output.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from shared.simulation.engine import AnswerError, evaluate, result_to_json
from shared.simulation.models import RuleSet, UnknownRuleSet, load_rule_set

USAGE_ERROR = 2


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _json_type(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str | list | dict):
        return "a string" if isinstance(value, str) else "an array" if isinstance(value, list) else "an object"
    return "a number"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _simulate(rule_set: RuleSet, answers: object, where: str) -> dict[str, Any]:
    if not isinstance(answers, dict):
        raise ValueError(f"{where}: expected a JSON object of question code → answer, got {_json_type(answers)}")
    try:
        return result_to_json(evaluate(rule_set, answers))
    except AnswerError as exc:
        raise ValueError(f"{where}.{exc.field}: {exc.rule}: {exc.message}") from exc


def run(rule_set_version: str, text: str) -> tuple[int, str]:
    """Exit code and output: ``(0, JSON)`` or ``(2, "error: …")`` on one line."""
    try:
        rule_set = load_rule_set(rule_set_version)
    except UnknownRuleSet:
        return USAGE_ERROR, _one_line(f"error: unknown rule set {rule_set_version!r}")
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
    except ValueError as exc:  # json.JSONDecodeError included
        return USAGE_ERROR, _one_line(f"error: invalid JSON: {exc}")
    try:
        if isinstance(document, list):
            output: Any = [_simulate(rule_set, item, f"answers[{index}]") for index, item in enumerate(document)]
        elif isinstance(document, dict):
            output = _simulate(rule_set, document, "answers")
        else:
            raise ValueError(f"answers: expected a JSON object or an array of objects, got {_json_type(document)}")
    except ValueError as exc:
        return USAGE_ERROR, _one_line(f"error: {exc}")
    return 0, json.dumps(output, ensure_ascii=False, indent=2)


def main(argv: list[str] | None = None) -> int:
    """``python -m shared.simulation.cli [RULE_SET] < answers.json``"""
    args = sys.argv[1:] if argv is None else argv
    code, output = run(args[0] if args else "FR-2025.1", sys.stdin.read())
    print(output, file=sys.stdout if code == 0 else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
