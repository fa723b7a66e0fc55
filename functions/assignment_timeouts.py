"""`assignment-timeouts` (scheduled every 5 minutes): expire offers past their lifetime and, in auto
mode, offer the next candidate (or flag `assignment_failed`); withdraw offers to experts who can no
longer take them; hand over the work of experts whose absence starts.

Each organization runs in its own service-role transaction, so one failure does not stop the rest;
rows are claimed with FOR UPDATE SKIP LOCKED, so two overlapping runs never do the same work twice.
"""

from __future__ import annotations

import logging
from collections import Counter

import flask
import functions_framework

from shared.marketplace import service
from shared.marketplace.models import TimeoutsOut
from shared.platform import db
from shared.platform.http import Context, Router
from shared.platform.logs import log_fields

router = Router("assignment-timeouts", description="Offer timeouts and absence hand-overs (scheduled)")
logger = logging.getLogger(__name__)


@router.post("/", auth="cron", response=TimeoutsOut)
def run(ctx: Context) -> TimeoutsOut:
    """One sweep over every organization (idempotent; safe when two runs overlap)."""
    with db.service_transaction() as conn:
        organizations = service.organizations(conn)
    totals: Counter[str] = Counter()
    failed = 0
    for organization_id in organizations:
        try:
            with db.service_transaction() as conn:
                totals.update(service.run_timeouts(conn, organization_id=organization_id))
        except Exception:
            failed += 1
            log_fields(
                logger,
                logging.ERROR,
                {"event": "assignment_timeouts_failed", "org": str(organization_id), "request_id": ctx.request_id},
                exc_info=True,
            )
    return TimeoutsOut(organizations=len(organizations), failed_organizations=failed, **totals)


@functions_framework.http
def assignment_timeouts(request: flask.Request) -> flask.Response:
    return router.serve(request)
