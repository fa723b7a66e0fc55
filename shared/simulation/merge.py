"""Completing a simulation for a company creates or updates its dossiers, never destroying work.

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


def _untouched(dossier: dict[str, Any]) -> bool:
    return (
        dossier["status"] == "pending_upload"
        and dossier["document_count"] == 0
        and dossier["expert_id"] is None
        and dossier["invoice_id"] is None
        and dossier["audited_amount"] is None
    )


def _entry(code: str, dossier_id: uuid.UUID, amount: Decimal | None, **extra: Any) -> dict[str, Any]:
    return {
        "product": code,
        "dossier_id": str(dossier_id),
        "amount": None if amount is None else f"{amount:.2f}",
        **extra,
    }


def merge(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    company_id: uuid.UUID,
    simulation_id: uuid.UUID,
    result: SimulationResult,
) -> dict[str, list[dict[str, Any]]]:
    """Apply the merge rules; return what was created, updated, left alone and no longer eligible.

    Runs as the service role, in the completing transaction; dossier rows are locked so that
    concurrent completions for the same company serialise.
    """
    outcome: dict[str, list[dict[str, Any]]] = {
        "created": [],
        "updated": [],
        "unchanged": [],
        "left_alone": [],
        "no_longer_eligible": [],
    }
    existing = repository.lock_dossiers(conn, company_id=company_id)
    for code, product in result.products.items():
        dossier = existing.get(code)
        if not product.eligible:
            if dossier is not None:
                outcome["no_longer_eligible"].append(
                    _entry(code, dossier["id"], dossier["estimated_amount"], status=dossier["status"])
                )
            continue
        amount, priority = product.amount, product.priority
        if dossier is None:
            created = repository.insert_dossier(
                conn,
                organization_id=organization_id,
                company_id=company_id,
                product_code=code,
                amount=amount,
                priority=priority,
                simulation_id=simulation_id,
            )
            if created is not None:
                repository.record_estimate(
                    conn,
                    dossier_id=created,
                    organization_id=organization_id,
                    amount=amount,
                    previous=None,
                    priority=priority,
                    simulation_id=simulation_id,
                    applied=True,
                    note="created",
                )
                outcome["created"].append(_entry(code, created, amount))
                continue
            dossier = repository.lock_dossiers(conn, company_id=company_id)[code]
        previous = dossier["estimated_amount"]
        if previous == amount and dossier["priority"] == priority:
            outcome["unchanged"].append(_entry(code, dossier["id"], amount, status=dossier["status"]))
        elif _untouched(dossier):
            repository.update_estimate(
                conn, dossier_id=dossier["id"], amount=amount, priority=priority, simulation_id=simulation_id
            )
            repository.record_estimate(
                conn,
                dossier_id=dossier["id"],
                organization_id=organization_id,
                amount=amount,
                previous=previous,
                priority=priority,
                simulation_id=simulation_id,
                applied=True,
                note="estimate updated",
            )
            outcome["updated"].append(_entry(code, dossier["id"], amount, previous_amount=_money(previous)))
        else:
            repository.record_estimate(
                conn,
                dossier_id=dossier["id"],
                organization_id=organization_id,
                amount=amount,
                previous=previous,
                priority=priority,
                simulation_id=simulation_id,
                applied=False,
                note="dossier in progress: estimate recorded, not applied",
            )
            outcome["left_alone"].append(
                _entry(code, dossier["id"], previous, status=dossier["status"], new_estimate=_money(amount))
            )
    return outcome


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"
