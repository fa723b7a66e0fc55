"""The database's match score (ranked lists, offers) equals score.py's on thousands of random profiles."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from shared.marketplace.score import LEVELS, ClientFacts, ExpertFacts, match_score
from tests.support import db as tdb

SECTORS = ["Transport et Logistique", "Commerce et Distribution", "BTP et Construction", "Autre secteur"]
DEPARTEMENTS = ["69", "75", "13", "2A", "971", "national"]

_SQL = """
select c.i, private.match_total(x ->> 'level', s.sectors, s.deps, (x ->> 'rating')::numeric,
                                (x ->> 'completed')::int, (x ->> 'open')::int, (x ->> 'capacity')::int,
                                x ->> 'client_sector', x ->> 'client_departement')::text as total,
       private.match_parts(x ->> 'level', s.sectors, s.deps, (x ->> 'rating')::numeric,
                           (x ->> 'completed')::int, (x ->> 'open')::int, (x ->> 'capacity')::int,
                           x ->> 'client_sector', x ->> 'client_departement') as parts
from jsonb_array_elements(%s::jsonb) with ordinality as c(x, i)
cross join lateral (
  select array(select jsonb_array_elements_text(x -> 'sectors')) as sectors,
         array(select jsonb_array_elements_text(x -> 'departements')) as deps
) as s
order by c.i
"""


def _case(rng: random.Random) -> dict[str, object]:
    capacity = rng.choice([0, 1, 3, 6, 7, 8, 10, 16, 40, 400, 1000])
    return {
        "level": rng.choice(LEVELS),
        "sectors": rng.sample(SECTORS, rng.randint(0, 2)),
        "departements": rng.sample(DEPARTEMENTS, rng.randint(0, 3)),
        "rating": None if rng.random() < 0.2 else str(Decimal(rng.randint(10, 50)) / 10),
        "completed": rng.choice([0, 1, 4, 5, 9, 10, 19, 20, 21, 300]),
        "open": rng.randint(0, capacity + 2),
        "capacity": capacity,
        "client_sector": rng.choice([*SECTORS, None]),
        "client_departement": rng.choice([*DEPARTEMENTS[:-1], "33", None]),
    }


def test_sql_and_python_agree(conn: tdb.Conn) -> None:
    rng = random.Random(20260301)
    cases = [_case(rng) for _ in range(3000)]
    rows = conn.execute(_SQL, (json.dumps(cases),)).fetchall()
    assert len(rows) == len(cases)
    for case, row in zip(cases, rows, strict=True):
        expert = ExpertFacts(
            level=str(case["level"]),
            sectors=tuple(case["sectors"]),  # type: ignore[arg-type]
            departements=tuple(case["departements"]),  # type: ignore[arg-type]
            rating=None if case["rating"] is None else Decimal(str(case["rating"])),
            completed=int(case["completed"]),  # type: ignore[call-overload]
            open=int(case["open"]),  # type: ignore[call-overload]
            capacity=int(case["capacity"]),  # type: ignore[call-overload]
        )
        client = ClientFacts(case["client_sector"], case["client_departement"])  # type: ignore[arg-type]
        expected = match_score(expert, client).as_json()
        assert {"total": row["total"], "parts": row["parts"]} == expected, case
