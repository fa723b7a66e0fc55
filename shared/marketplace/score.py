"""The match score of MARKETPLACE.md (0–100) and its tie-breaks: the one Python definition.

Pure and in ``Decimal``. The database computes the same score for ranked lists, searches and
offers (``private.match_total`` / ``private.match_parts``, migration 0027) and a property test
holds the two equal on random profiles.

| part       | points                                                                        |
|------------|-------------------------------------------------------------------------------|
| level      | expert 30 · avance 24 · intermediaire 16 · debutant 8                          |
| sector     | the client's sector among the expert's 15 · no sector restriction 8 · else 0   |
| area       | the client's département among the expert's 15 · ``national`` 5 · else 0       |
| rating     | rating / 5 × 20 (no rating yet: 12)                                            |
| experience | completed ≥ 20 → 10 · ≥ 10 → 7 · ≥ 5 → 5 · ≥ 1 → 3 · 0 → 0                     |
| load       | 10 × (1 − open / capacity), kept within 0..10 (capacity 0 → 0)                 |

Each part and the total are rounded half-up to 2 decimals; only the load part can have more than
two, so the total is the sum of the rounded parts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

LEVEL_POINTS: dict[str, int] = {"expert": 30, "avance": 24, "intermediaire": 16, "debutant": 8}
LEVELS: tuple[str, ...] = ("debutant", "intermediaire", "avance", "expert")
NATIONAL = "national"
PART_NAMES: tuple[str, ...] = ("level", "sector", "area", "rating", "experience", "load")
CENT = Decimal("0.01")
_NO_RATING = Decimal(12)
_EXPERIENCE_STEPS: tuple[tuple[int, int], ...] = ((20, 10), (10, 7), (5, 5), (1, 3))


@dataclass(frozen=True)
class ExpertFacts:
    """What the score reads about an expert, for the dossier's product."""

    level: str
    sectors: Sequence[str] = ()
    departements: Sequence[str] = ()
    rating: Decimal | None = None
    completed: int = 0
    open: int = 0
    capacity: int = 10


@dataclass(frozen=True)
class ClientFacts:
    """What the score reads about the dossier's client company."""

    sector: str | None = None
    departement: str | None = None


@dataclass(frozen=True)
class MatchScore:
    """The total and its breakdown ("why this expert"), each with 2 decimals."""

    total: Decimal
    parts: dict[str, Decimal]

    def as_json(self) -> dict[str, object]:
        """Strings with two decimals, as the CLI prints them and offers store them."""
        return {"total": str(self.total), "parts": {name: str(self.parts[name]) for name in PART_NAMES}}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def level_points(level: str) -> Decimal:
    if level not in LEVEL_POINTS:
        raise ValueError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    return _cents(Decimal(LEVEL_POINTS[level]))


def sector_points(expert_sectors: Sequence[str], client_sector: str | None) -> Decimal:
    if client_sector is not None and client_sector in expert_sectors:
        return _cents(Decimal(15))
    return _cents(Decimal(8) if not expert_sectors else Decimal(0))


def area_points(expert_departements: Sequence[str], client_departement: str | None) -> Decimal:
    if client_departement is not None and client_departement in expert_departements:
        return _cents(Decimal(15))
    return _cents(Decimal(5) if NATIONAL in expert_departements else Decimal(0))


def rating_points(rating: Decimal | None) -> Decimal:
    return _cents(_NO_RATING if rating is None else rating / 5 * 20)


def experience_points(completed: int) -> Decimal:
    for threshold, points in _EXPERIENCE_STEPS:
        if completed >= threshold:
            return _cents(Decimal(points))
    return _cents(Decimal(0))


def load_points(open_dossiers: int, capacity: int) -> Decimal:
    if capacity <= 0:
        return _cents(Decimal(0))
    raw = 10 * (1 - Decimal(open_dossiers) / Decimal(capacity))
    return _cents(min(Decimal(10), max(Decimal(0), raw)))


def match_score(expert: ExpertFacts, client: ClientFacts) -> MatchScore:
    """The score of ``expert`` for a dossier of ``client``, with its breakdown."""
    parts = {
        "level": level_points(expert.level),
        "sector": sector_points(expert.sectors, client.sector),
        "area": area_points(expert.departements, client.departement),
        "rating": rating_points(expert.rating),
        "experience": experience_points(expert.completed),
        "load": load_points(expert.open, expert.capacity),
    }
    return MatchScore(total=_cents(sum(parts.values(), Decimal(0))), parts=parts)


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def rank_key(
    total: Decimal, recent_assignments: int, last_assigned_at: dt.datetime | None, expert_id: uuid.UUID
) -> tuple[Decimal, int, dt.datetime, uuid.UUID]:
    """Sort key of a ranked list, ascending: best score first, then fewer assignments in the last 30
    days, then the longest since the last assignment (never assigned first), then the smaller id."""
    return (-total, recent_assignments, last_assigned_at or _NEVER, expert_id)
