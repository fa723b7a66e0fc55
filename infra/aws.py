"""AWS Lambda handlers: each serves one function's functions-framework app through serverless-wsgi.

serverless.yml names these handlers (``infra/aws.<function>``); the app is built once per warm
Lambda instance from main.py, exactly as functions-framework builds it on Cloud Run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

MAIN = str(Path(__file__).resolve().parents[1] / "main.py")
_apps: dict[str, Any] = {}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _handler(name: str) -> LambdaHandler:
    """The Lambda handler of the deployed function ``name`` (entry point: its name with underscores)."""
    target = name.replace("-", "_")

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        import functions_framework
        import serverless_wsgi

        app = _apps.get(target)
        if app is None:
            app = _apps[target] = functions_framework.create_app(target, MAIN, "http")  # type: ignore[no-untyped-call]
        response: dict[str, Any] = serverless_wsgi.handle_request(app, event, context)
        return response

    handle.__name__ = target
    return handle


healthz = _handler("healthz")
me = _handler("me")
simulate = _handler("simulate")
simulation_cleanup = _handler("simulation-cleanup")
assign = _handler("assign")
assignment_timeouts = _handler("assignment-timeouts")
export = _handler("export")
export_worker = _handler("export-worker")
email_dispatch = _handler("email-dispatch")
email_events = _handler("email-events")
notifications = _handler("notifications")
notifications_cleanup = _handler("notifications-cleanup")
invitations = _handler("invitations")
notification_digest = _handler("notification-digest")
webhook_dispatch = _handler("webhook-dispatch")
documents = _handler("documents")
dossier = _handler("dossier")
invoices = _handler("invoices")
prudential = _handler("prudential")
prudential_import_worker = _handler("prudential-import-worker")
followup = _handler("followup")
followup_sweep = _handler("followup-sweep")
report_schedule = _handler("report-schedule")
upload_cleanup = _handler("upload-cleanup")
messages = _handler("messages")
messages_unread = _handler("messages-unread")
messages_retention = _handler("messages-retention")
