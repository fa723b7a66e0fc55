"""`export-worker` (scheduled every minute): renders queued export jobs and stores their files.

Each job is claimed in its own short transaction (FOR UPDATE SKIP LOCKED, under a lease), rendered in
a transaction acting as its requester (the same RLS as at request time), written to storage, then
marked done — fenced by its attempt number, so a worker that lost its lease changes nothing. A job
whose worker died is claimed again once its lease expires. Safe to run several times at once.
"""

from __future__ import annotations

import logging
import time

import flask
import functions_framework
from pydantic import BaseModel

from shared.adapters.storage import Storage, storage_from_settings
from shared.exports import service
from shared.platform import db
from shared.platform.http import Context, Router

router = Router("export-worker", description="Render queued export jobs (scheduled)")
logger = logging.getLogger(__name__)

TIME_BUDGET_SECONDS = 50.0  # no new job is claimed after this; the schedule runs every minute
MAX_JOBS_PER_RUN = 50


class WorkerOut(BaseModel):
    """What the run did."""

    done: int
    failed: int
    lost: int
    interrupted: int


def process(job: dict[str, object], storage: Storage) -> str:
    """Render, store and record one claimed job: ``done``, ``failed`` or ``lost`` (another worker owns it)."""
    try:
        with db.user_transaction(service.requester_claims(job)) as conn:
            file = service.render_job(conn, job=job, storage=storage)
        with db.service_transaction() as conn:
            if not service.heartbeat(conn, job=job):
                return "lost"
        stored = service.store(storage, job=job, file=file)
        with db.service_transaction() as conn:
            return "done" if service.finish(conn, job=job, stored=stored) else "lost"
    except Exception as exc:
        if service.public_error(exc)[0] == "export_failed":
            logger.exception("export job %s failed", job["id"])
        with db.service_transaction() as conn:
            return "failed" if service.fail(conn, job=job, exc=exc) else "lost"


@router.post("/", auth="cron", response=WorkerOut)
def run(ctx: Context) -> WorkerOut:
    """Process queued jobs until none is left, the budget is spent or the run's quota is reached."""
    ctx.require_cron()
    storage = storage_from_settings(ctx.settings)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    with db.service_transaction() as conn:
        counts = {"done": 0, "failed": 0, "lost": 0, "interrupted": service.expire(conn)}
    for _ in range(MAX_JOBS_PER_RUN):
        if time.monotonic() > deadline:
            break
        with db.service_transaction() as conn:
            job = service.claim(conn)
        if job is None:
            break
        counts[process(job, storage)] += 1
    return WorkerOut(**counts)


@functions_framework.http
def export_worker(request: flask.Request) -> flask.Response:
    return router.serve(request)
