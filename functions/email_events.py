"""`email-events`: Resend's delivery webhook, verified (Svix signature over the raw body) and recorded once."""

from __future__ import annotations

import flask
import functions_framework

from shared.notifications import service
from shared.notifications.models import EmailEventOut
from shared.platform.http import Context, Router

router = Router("email-events", description="Delivery events from Resend (signed webhook)")


@router.post("/", response=EmailEventOut, auth="public")
def receive(ctx: Context) -> EmailEventOut:
    """Record a delivery, bounce or complaint; 401 when the signature does not verify."""
    headers = {name: ctx.request.headers.get(name, "") for name in ("svix-id", "svix-timestamp", "svix-signature")}
    return service.receive_event(
        secret=ctx.settings.resend_webhook_secret.value, raw_body=ctx.request.get_data(cache=False), headers=headers
    )


@functions_framework.http
def email_events(request: flask.Request) -> flask.Response:
    return router.serve(request)
