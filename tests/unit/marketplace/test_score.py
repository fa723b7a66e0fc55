"""The match score of MARKETPLACE.md: hand-computed breakdowns for varied profiles, and tie-breaks."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared.marketplace.score import (
    ClientFacts,
    ExpertFacts,
    experience_points,
    load_points,
    match_score,
    rank_key,
    rating_points,
)

D = Decimal
TRANSPORT = "Transport et Logistique"
AGRICULTURE = "Agriculture et Agroalimentaire"

# (expert, client, expected parts level/sector/area/rating/experience/load, expected total)
VECTORS = [
    pytest.param(
        ExpertFacts("avance", (TRANSPORT,), ("69",), D("4.6"), completed=12, open=3, capacity=10),
        ClientFacts(TRANSPORT, "69"),
        ("24.00", "15.00", "15.00", "18.40", "7.00", "7.00"),
        "86.40",
        id="avance-local-specialist",
    ),
    pytest.param(
        ExpertFacts("debutant", (), ("national",), None, completed=0, open=1, capacity=3),
        ClientFacts("Autre secteur", "75"),
        ("8.00", "8.00", "5.00", "12.00", "0.00", "6.67"),
        "39.67",
        id="debutant-national-generalist-unrated",
    ),
    pytest.param(
        ExpertFacts(
            "expert", ("BTP et Construction",), ("13", "national"), D("5.0"), completed=20, open=0, capacity=10
        ),
        ClientFacts(TRANSPORT, "13"),
        ("30.00", "0.00", "15.00", "20.00", "10.00", "10.00"),
        "85.00",
        id="expert-wrong-sector-same-departement",
    ),
    pytest.param(
        ExpertFacts("intermediaire", (AGRICULTURE,), ("35",), D("1.0"), completed=4, open=10, capacity=10),
        ClientFacts(AGRICULTURE, "69"),
        ("16.00", "15.00", "0.00", "4.00", "3.00", "0.00"),
        "38.00",
        id="full-expert-elsewhere",
    ),
    pytest.param(
        ExpertFacts("avance", (), ("2A",), D("3.3"), completed=5, open=1, capacity=16),
        ClientFacts(None, "2A"),
        ("24.00", "8.00", "15.00", "13.20", "5.00", "9.38"),
        "74.58",
        id="corsica-half-up-load",
    ),
    pytest.param(
        ExpertFacts("expert", (TRANSPORT, AGRICULTURE), (), D("4.7"), completed=9, open=5, capacity=6),
        ClientFacts(None, None),
        ("30.00", "0.00", "0.00", "18.80", "5.00", "1.67"),
        "55.47",
        id="client-without-sector-or-departement",
    ),
    pytest.param(
        ExpertFacts("debutant", (TRANSPORT,), ("69", "national"), D("2.5"), completed=1, open=12, capacity=10),
        ClientFacts(TRANSPORT, "69"),
        ("8.00", "15.00", "15.00", "10.00", "3.00", "0.00"),
        "51.00",
        id="forced-beyond-capacity-load-floors-at-zero",
    ),
    pytest.param(
        ExpertFacts("intermediaire", (), ("national",), None, completed=100, open=0, capacity=0),
        ClientFacts(TRANSPORT, "971"),
        ("16.00", "8.00", "5.00", "12.00", "10.00", "0.00"),
        "51.00",
        id="capacity-zero",
    ),
]


@pytest.mark.parametrize(("expert", "client", "parts", "total"), VECTORS)
def test_hand_computed_vectors(expert: ExpertFacts, client: ClientFacts, parts: tuple[str, ...], total: str) -> None:
    score = match_score(expert, client)
    assert score.as_json() == {
        "total": total,
        "parts": dict(zip(("level", "sector", "area", "rating", "experience", "load"), parts, strict=True)),
    }
    assert score.total == sum(score.parts.values())


@pytest.mark.parametrize(
    ("completed", "points"),
    [(0, 0), (1, 3), (4, 3), (5, 5), (9, 5), (10, 7), (19, 7), (20, 10), (250, 10)],
)
def test_experience_steps(completed: int, points: int) -> None:
    assert experience_points(completed) == points
    assert str(experience_points(completed)) == f"{points}.00"


@pytest.mark.parametrize(
    ("open_dossiers", "capacity", "points"),
    [
        (0, 10, "10.00"),
        (1, 8, "8.75"),
        (1, 16, "9.38"),
        (2, 3, "3.33"),
        (1, 6, "8.33"),
        (5, 6, "1.67"),
        (10, 10, "0.00"),
        (11, 10, "0.00"),
        (0, 0, "0.00"),
        (3, 400, "9.93"),
    ],
)
def test_load_is_rounded_half_up_and_bounded(open_dossiers: int, capacity: int, points: str) -> None:
    assert str(load_points(open_dossiers, capacity)) == points


@pytest.mark.parametrize(
    ("rating", "points"), [(None, "12.00"), (D("5"), "20.00"), (D("1"), "4.00"), (D("4.3"), "17.20")]
)
def test_rating_points(rating: Decimal | None, points: str) -> None:
    assert str(rating_points(rating)) == points


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        match_score(ExpertFacts("guru"), ClientFacts())


def test_a_departement_match_beats_national_and_no_restriction_beats_a_wrong_sector() -> None:
    both = match_score(
        ExpertFacts("expert", ("BTP et Construction",), ("69", "national")), ClientFacts(TRANSPORT, "69")
    )
    assert (both.parts["area"], both.parts["sector"]) == (D(15), D(0))
    open_minded = match_score(ExpertFacts("expert", (), ("42",)), ClientFacts(TRANSPORT, "69"))
    assert (open_minded.parts["area"], open_minded.parts["sector"]) == (D(0), D(8))


def test_ties_break_on_recent_load_then_longest_wait_then_smallest_id() -> None:
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    a, b, c, d, e = (uuid.UUID(int=n) for n in (5, 4, 3, 2, 1))
    rows = [
        (a, D("80.00"), 0, None),  # best score wins outright
        (b, D("70.00"), 2, now - dt.timedelta(days=1)),
        (c, D("70.00"), 1, now),  # fewer assignments in 30 days beats a longer wait
        (d, D("70.00"), 2, now - dt.timedelta(days=9)),  # longer since last assignment beats b
        (e, D("70.00"), 2, now - dt.timedelta(days=9)),  # same as d: the smaller id wins
    ]
    ranked = sorted(rows, key=lambda r: rank_key(r[1], r[2], r[3], r[0]))
    assert [r[0] for r in ranked] == [a, c, e, d, b]


def test_never_assigned_comes_before_any_assignment_time() -> None:
    never = rank_key(D(50), 0, None, uuid.UUID(int=9))
    once = rank_key(D(50), 0, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), uuid.UUID(int=1))
    assert never < once
