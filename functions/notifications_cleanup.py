"""`notifications-cleanup` (scheduled daily): read notifications after 180 days, the delivery log after 12 months."""

from __future__ import annotations

import flask
import functions_framework

from shared.notifications import service
from shared.notifications.models import CleanupOut
from shared.platform.http import Context, Router

router = Router("notifications-cleanup", description="Purge old notifications and delivery logs (scheduled)")


@router.post("/", response=CleanupOut, auth="cron")
def run(ctx: Context) -> CleanupOut:
    """Delete what is past its retention period."""
    return service.clean_up()


@functions_framework.http
def notifications_cleanup(request: flask.Request) -> flask.Response:
    return router.serve(request)
