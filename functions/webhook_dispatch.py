"""`webhook-dispatch` (scheduled every minute): posts due webhook deliveries, signed (Standard Webhooks).

The use case is ``shared.notifications.service.deliver_webhooks``: deliveries claimed under a lease,
retried on Standard Webhooks' schedule, endpoints failing for 3 days disabled and their admins told.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.adapters.webhook import HttpxSender
from shared.notifications import service
from shared.notifications.models import WebhookRunOut
from shared.platform.http import Context, Router

router = Router("webhook-dispatch", description="Deliver outgoing webhooks (scheduled)")


@router.post("/", response=WebhookRunOut, auth="cron")
def run(ctx: Context) -> WebhookRunOut:
    """Post every due delivery once, within the run's time budget."""
    sender = HttpxSender(allow_private=ctx.settings.webhooks_allow_private_hosts)
    return service.deliver_webhooks(sender, ctx.settings)


@functions_framework.http
def webhook_dispatch(request: flask.Request) -> flask.Response:
    return router.serve(request)
