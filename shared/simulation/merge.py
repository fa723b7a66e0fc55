"""Completing a simulation for a company creates or updates its dossiers, never destroying work.

The rules themselves live in ``private.merge_simulation_dossiers`` (migrations 0013 and 0032),
applied atomically with the completion, in the same call (``private.complete_simulation``):

- no dossier for an eligible product yet → create it (``pending_upload``, amount, priority, link);
- a dossier still ``pending_upload`` with no document, no expert, no invoice and no audited amount →
  update its estimate, keeping the previous one in its history;
- any other dossier → leave it alone and record the new estimate beside it (history, not applied);
- a product no longer eligible → its dossier is left alone and reported as such.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from shared.platform.db import Connection
from shared.simulation import repository
from shared.simulation.models import SimulationResult

OUTCOMES = ("created", "updated", "unchanged", "left_alone", "no_longer_eligible")
Outcome = dict[str, list[dict[str, Any]]]


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def complete(conn: Connection, *, simulation_id: uuid.UUID, wire: dict[str, Any]) -> Outcome:
    """Keep a draft's result (its wire form) and apply the merge rules to its estimates, as the
    service role, in one call; return what happened to each dossier (an anonymous draft has none)."""
    return _outcome(repository.complete(conn, simulation_id=simulation_id, result=wire))


def merge(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    company_id: uuid.UUID,
    simulation_id: uuid.UUID,
    result: SimulationResult,
) -> Outcome:
    """Apply the merge rules for an already completed simulation (as the service role)."""
    rows = repository.merge_dossiers(
        conn,
        organization_id=organization_id,
        company_id=company_id,
        simulation_id=simulation_id,
        estimates=[(p.code, p.amount, p.priority) for p in result.products.values() if p.eligible],
        ineligible=[code for code, p in result.products.items() if not p.eligible],
    )
    return _outcome(rows)


def _outcome(rows: list[dict[str, Any]]) -> Outcome:
    outcome: Outcome = {name: [] for name in OUTCOMES}
    for row in rows:
        entry: dict[str, Any] = {
            "product": row["product_code"],
            "dossier_id": str(row["dossier_id"]),
            "amount": _money(row["amount"]),
            "status": row["dossier_status"],
        }
        if row["outcome"] in ("updated", "left_alone"):
            entry["previous_amount"] = _money(row["previous_amount"])
        outcome[row["outcome"]].append(entry)
    return outcome
