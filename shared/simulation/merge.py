"""Completing a simulation for a company creates or updates its dossiers, never destroying work.

The rules themselves live in ``private.merge_simulation_dossiers`` (migrations 0013 and 0032),
applied atomically with the completion, in the same call (``private.complete_simulation``):

- no dossier for an eligible product yet → create it (``pending_upload``, amount, priority, link);
- a dossier still ``pending_upload`` with no document, no expert, no invoice and no audited amount →
  update its estimate, keeping the previous one in its history;
- any other dossier → leave it alone and record the new estimate beside it (history, not applied);
- a product no longer eligible → its dossier is left alone, reported as such and noted in its history.

Each outcome says which amount the dossier holds afterwards (``dossier_amount``) and whether that is
this simulation's estimate (``applied``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from shared.platform.db import Connection
from shared.simulation import repository
from shared.simulation.models import SimulationResult
from shared.simulation.requests import DossierOutcome, DossierOutcomes

OUTCOMES = ("created", "updated", "unchanged", "left_alone", "no_longer_eligible")
_HOLDS_THE_ESTIMATE = frozenset({"created", "updated", "unchanged"})


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def complete(conn: Connection, *, simulation_id: uuid.UUID, wire: dict[str, Any]) -> DossierOutcomes:
    """Keep a draft's result (its wire form) and apply the merge rules to its estimates, as the
    service role, in one call; return what happened to each dossier (an anonymous draft has none)."""
    return _outcomes(repository.complete(conn, simulation_id=simulation_id, result=wire))


def merge(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    company_id: uuid.UUID,
    simulation_id: uuid.UUID,
    result: SimulationResult,
) -> DossierOutcomes:
    """Apply the merge rules for an already completed simulation (as the service role)."""
    rows = repository.merge_dossiers(
        conn,
        organization_id=organization_id,
        company_id=company_id,
        simulation_id=simulation_id,
        estimates=[(p.code, p.amount, p.priority) for p in result.products.values() if p.eligible],
        ineligible=[code for code, p in result.products.items() if not p.eligible],
    )
    return _outcomes(rows)


def report(
    conn: Connection, *, company_id: uuid.UUID, simulation_id: uuid.UUID, result: dict[str, Any]
) -> DossierOutcomes:
    """What merging this simulation did to the company's dossiers, read back from their history (a
    retried claim answers with it, writing nothing)."""
    products: dict[str, Any] = result["products"]
    rows = repository.merge_report(conn, company_id=company_id, simulation_id=simulation_id, codes=list(products))
    outcome_rows = []
    for row in rows:
        estimate = products[row["product_code"]]
        if not estimate["eligible"]:
            outcome, amount, previous = "no_longer_eligible", row["estimated_amount"], None
        elif row["note"] is None:
            outcome, amount, previous = "unchanged", Decimal(estimate["amount"] or 0), row["estimated_amount"]
        else:
            outcome = "created" if row["note"] == "created" else "updated" if row["applied"] else "left_alone"
            amount, previous = row["amount"], row["previous_amount"]
        if estimate["amount"] is None and outcome != "no_longer_eligible":
            amount = None  # a qualitative product has no amount
        outcome_rows.append({**row, "outcome": outcome, "amount": amount, "previous_amount": previous})
    return _outcomes(outcome_rows)


def _outcomes(rows: list[dict[str, Any]]) -> DossierOutcomes:
    grouped: dict[str, list[DossierOutcome]] = {name: [] for name in OUTCOMES}
    for row in rows:
        outcome = row["outcome"]
        applied = outcome in _HOLDS_THE_ESTIMATE
        holds = row["previous_amount"] if outcome == "left_alone" else row["amount"]
        grouped[outcome].append(
            DossierOutcome(
                product=row["product_code"],
                dossier_id=row["dossier_id"],
                amount=_money(row["amount"]),
                previous_amount=_money(row["previous_amount"]) if outcome in ("updated", "left_alone") else None,
                dossier_amount=_money(holds),
                applied=applied,
                status=row["dossier_status"],
            )
        )
    return DossierOutcomes(**{name: sorted(items, key=lambda o: o.product) for name, items in grouped.items()})
