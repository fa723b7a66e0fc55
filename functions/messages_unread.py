"""`messages-unread` (scheduled every 5 minutes): the email for a message unread after 30 minutes."""

from __future__ import annotations

import flask
import functions_framework

from shared.messaging import service
from shared.messaging.models import UnreadRunOut
from shared.platform.http import Context, Router

router = Router("messages-unread", description="Email people about messages unread for 30 minutes (scheduled)")


@router.post("/", response=UnreadRunOut, auth="cron")
def run(ctx: Context) -> UnreadRunOut:
    """Queue one email per conversation and person whose oldest unread message is 30 minutes old."""
    return service.send_unread_emails(ctx.settings)


@functions_framework.http
def messages_unread(request: flask.Request) -> flask.Response:
    return router.serve(request)
