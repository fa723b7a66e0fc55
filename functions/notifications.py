"""`notifications`: one-click unsubscribe from an email (RFC 8058), for the links and headers of our mail.

Reading and marking in-app notifications, settings and preferences go through the Data API under RLS.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.notifications import service
from shared.notifications.models import UnsubscribeOut, UnsubscribeQuery
from shared.platform.http import Context, Router

router = Router("notifications", description="Email preferences reached from the mail itself")


@router.post("/unsubscribe", query=UnsubscribeQuery, response=UnsubscribeOut, auth="public")
def unsubscribe(ctx: Context) -> UnsubscribeOut:
    """Stop the email of one event for the user of a signed link; 422 for an essential event or a bad link."""
    query = ctx.query(UnsubscribeQuery)
    return service.unsubscribe_from(secret=ctx.settings.signing_secret.value, token=query.token)


@functions_framework.http
def notifications(request: flask.Request) -> flask.Response:
    return router.serve(request)
