"""`prudential-import-worker` (scheduled every minute): imports the queued large exposure files.

The use case is ``shared.prudential.portfolios.jobs.run_worker``: each job is claimed in its own short
transaction (FOR UPDATE SKIP LOCKED, under a lease) and imported as its requester, the job marked done
in the same transaction as the new version. Safe to run several times at once.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.adapters.storage import storage_from_settings
from shared.platform.http import Context, Router
from shared.prudential.portfolios import jobs
from shared.prudential.portfolios.models import WorkerOut

router = Router("prudential-import-worker", description="Import queued prudential exposure files (scheduled)")


@router.post("/", response=WorkerOut, auth="cron")
def run(ctx: Context) -> WorkerOut:
    """Import queued files until none is left or the time budget is spent."""
    ctx.require_cron()
    return WorkerOut.model_validate(jobs.run_worker(storage_from_settings(ctx.settings)))


@functions_framework.http
def prudential_import_worker(request: flask.Request) -> flask.Response:
    return router.serve(request)
