"""`simulation-cleanup` (scheduled): drafts untouched for 24 hours expire; old rate-limit counters go."""

from __future__ import annotations

import flask
import functions_framework
from pydantic import BaseModel

from shared.platform import db, ratelimit
from shared.platform.http import Context, Router
from shared.simulation import service

router = Router("simulation-cleanup", description="Expire stale simulation drafts (scheduled)")


class CleanupOut(BaseModel):
    """What the run changed."""

    expired_drafts: int
    purged_counters: int


@router.post("/", auth="cron", response=CleanupOut)
def run(ctx: Context) -> CleanupOut:
    """Expire drafts older than 24 hours (idempotent; safe when two runs overlap)."""
    with db.service_transaction() as conn:
        expired = service.expire_drafts(conn)
        purged = ratelimit.purge(conn)
    return CleanupOut(expired_drafts=expired, purged_counters=purged)


@functions_framework.http
def simulation_cleanup(request: flask.Request) -> flask.Response:
    return router.serve(request)
