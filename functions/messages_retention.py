"""`messages-retention` (scheduled daily): the messaging purge of MESSAGING.md "Retention"."""

from __future__ import annotations

import flask
import functions_framework

from shared.messaging import service
from shared.messaging.models import RetentionOut
from shared.platform.http import Context, Router

router = Router("messages-retention", description="Delete messages and attachments past retention (scheduled)")


@router.post("/", response=RetentionOut, auth="cron")
def run(ctx: Context) -> RetentionOut:
    """Delete what is past its retention, then the stored files of the deleted attachments."""
    return service.purge(ctx.settings)


@functions_framework.http
def messages_retention(request: flask.Request) -> flask.Response:
    return router.serve(request)
