"""`export-worker` (scheduled every minute): renders queued export jobs and stores their files.

The use case is ``shared.exports.service.run_worker``: each job is claimed in its own short
transaction (FOR UPDATE SKIP LOCKED, under a lease), rendered as its requester, stored, then marked
done — fenced by its attempt number. Safe to run several times at once.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.adapters.storage import storage_from_settings
from shared.exports import service
from shared.exports.requests import WorkerOut
from shared.platform.http import Context, Router

router = Router("export-worker", description="Render queued export jobs (scheduled)")


@router.post("/", response=WorkerOut, auth="cron")
def run(ctx: Context) -> WorkerOut:
    """Process queued jobs until none is left, the budget is spent or the run's quota is reached."""
    ctx.require_cron()
    return service.run_worker(storage_from_settings(ctx.settings))


@functions_framework.http
def export_worker(request: flask.Request) -> flask.Response:
    return router.serve(request)
