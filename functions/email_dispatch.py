"""`email-dispatch` (scheduled every minute): sends queued mail in batches through the mail port.

The use case is ``shared.notifications.service.dispatch``: batches of up to 100 messages, each under
its own idempotency key, retried with the same key after 429/5xx, recorded fenced by attempt.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.adapters.mail import mailer_from_settings
from shared.notifications import repository, service
from shared.notifications.models import DispatchOut
from shared.platform.http import Context, Router

router = Router("email-dispatch", description="Send queued email (scheduled)")


@router.post("/", response=DispatchOut, auth="cron")
def run(ctx: Context) -> DispatchOut:
    """Send due mail until none is left, the time budget is spent or the run's quota is reached."""
    links = repository.Links(ctx.settings.public_base_url, ctx.settings.signing_secret.value, ctx.settings.app_url)
    return service.dispatch(mailer_from_settings(ctx.settings), sender=ctx.settings.mail_from, links=links)


@functions_framework.http
def email_dispatch(request: flask.Request) -> flask.Response:
    return router.serve(request)
