"""`followup-sweep` (scheduled every 15 minutes): the reminder sweep of the awaited actions.

The use case is ``shared.followup.service.sweep``: per organization in its own transaction, due
instances claimed ``FOR UPDATE SKIP LOCKED``, only the highest step reached and not in the ledger sent
(lower ones recorded ``skipped``), one email per recipient per run grouping their dossiers,
business-clock reminders only in working time. Reruns and overlapping runs send nothing twice.
"""

from __future__ import annotations

import logging

import flask
import functions_framework

from shared.followup import service
from shared.followup.models import SweepOut
from shared.platform.http import Context, Router
from shared.reporting import reminders

logger = logging.getLogger(__name__)

router = Router("followup-sweep", description="Send the due reminders of the awaited actions (scheduled)")


@router.post("/", response=SweepOut, auth="cron")
def run(ctx: Context) -> SweepOut:
    """Open the reminders of the due COREP reports, then sweep every organization with a step that may leave now."""
    try:
        reminders.open_due_reports()
    except Exception:  # the reminders of the other actions must leave all the same (retried next run)
        logger.exception("opening the COREP report reminders failed")
    return service.sweep(ctx.settings)


@functions_framework.http
def followup_sweep(request: flask.Request) -> flask.Response:
    return router.serve(request)
