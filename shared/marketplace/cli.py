"""``fintrack match-score``: expert and client as JSON in, match score and breakdown as JSON out.

The input is one object ``{"expert": {...}, "client": {...}}`` or an array of them, where the
expert has ``level`` (required), ``sectors``, ``departements`` (codes or ``"national"``),
``rating`` (or null), ``completed``, ``open`` and ``capacity``, and the client ``sector`` and
``departement``. The output is ``{"total": "83.50", "parts": {"level": "24.00", ...}}`` for each,
strings with two decimals rounded half-up, as one object or an array in the same order. Any
problem gives exit code 2 and one line ``error: <where>: <what>``, and no partial output.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pydantic

from shared.marketplace.models import ScoreIn
from shared.marketplace.score import ClientFacts, ExpertFacts, match_score

USAGE_ERROR = 2


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _score(item: object, where: str) -> dict[str, object]:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected an object with `expert` and `client`")
    try:
        parsed = ScoreIn.model_validate(item)
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}.{field}: {first['msg']}") from exc
    expert, client = parsed.expert, parsed.client
    facts = ExpertFacts(
        level=expert.level,
        sectors=tuple(expert.sectors),
        departements=tuple(expert.departements),
        rating=expert.rating,
        completed=expert.completed,
        open=expert.open,
        capacity=expert.capacity,
    )
    return match_score(facts, ClientFacts(sector=client.sector, departement=client.departement)).as_json()


def run(text: str) -> tuple[int, str]:
    """Exit code and output: ``(0, JSON)`` or ``(2, "error: …")`` on one line."""
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
    except ValueError as exc:  # json.JSONDecodeError included
        return USAGE_ERROR, _one_line(f"error: invalid JSON: {exc}")
    try:
        if isinstance(document, list):
            output: Any = [_score(item, f"[{index}]") for index, item in enumerate(document)]
        else:
            output = _score(document, "input")
    except ValueError as exc:
        return USAGE_ERROR, _one_line(f"error: {exc}")
    return 0, json.dumps(output, ensure_ascii=False)
