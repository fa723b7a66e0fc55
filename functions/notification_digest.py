"""`notification-digest` (scheduled every 15 minutes): the daily digest of unread notifications, at 08:30 in
each user's time zone on the organization's working days; the dispatcher then renders and sends it."""

from __future__ import annotations

import flask
import functions_framework

from shared.notifications import service
from shared.notifications.models import DigestOut
from shared.platform.http import Context, Router

router = Router("notification-digest", description="Queue the daily notification digests that are due (scheduled)")


@router.post("/", response=DigestOut, auth="cron")
def run(ctx: Context) -> DigestOut:
    """Queue every digest due now; a rerun the same day queues nothing more."""
    return service.compose_digests()


@functions_framework.http
def notification_digest(request: flask.Request) -> flask.Response:
    return router.serve(request)
