"""`report-schedule` (scheduled every 15 minutes): the scheduled follow-up reports.

The use case is ``shared.reports.service.run``: per organization in its own transaction, each subscribed
kind (daily 07:00, weekly Monday 07:00, monthly the 1st 07:00, the organization's time zone) sends the
KPI report of its most recent due period once (ledger key ``report:<org>:<kind>:<period start>``),
attached, to each recipient who has data for it; the dispatcher sends such mail singly.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.adapters.storage import storage_from_settings
from shared.platform.http import Context, Router
from shared.reports import service
from shared.reports.models import ScheduleOut

router = Router("report-schedule", description="Queue the scheduled KPI reports that are due (scheduled)")


@router.post("/", response=ScheduleOut, auth="cron")
def run(ctx: Context) -> ScheduleOut:
    """Queue every report due now; a rerun or an overlapping run queues nothing more."""
    return service.run(storage=storage_from_settings(ctx.settings))


@functions_framework.http
def report_schedule(request: flask.Request) -> flask.Response:
    return router.serve(request)
