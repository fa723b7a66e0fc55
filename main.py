"""Entry points, for `functions-framework --source main.py --target <name>`.

Each function lives in functions/<name>.py; this module only re-exports them, and gives the paths
functions-framework keeps for itself (``/robots.txt``, ``/favicon.ico``) the same problem+json 404
as any path no route serves.
"""

import functions_framework

from functions.assign import assign
from functions.assignment_timeouts import assignment_timeouts
from functions.documents import documents
from functions.dossier import dossier
from functions.email_dispatch import email_dispatch
from functions.email_events import email_events
from functions.export import export
from functions.export_worker import export_worker
from functions.followup import followup
from functions.followup_sweep import followup_sweep
from functions.healthz import healthz
from functions.invitations import invitations
from functions.invoices import invoices
from functions.me import me
from functions.messages import messages
from functions.messages_retention import messages_retention
from functions.messages_unread import messages_unread
from functions.notification_digest import notification_digest
from functions.notifications import notifications
from functions.notifications_cleanup import notifications_cleanup
from functions.prudential import prudential
from functions.prudential_import_worker import prudential_import_worker
from functions.report_schedule import report_schedule
from functions.simulate import simulate
from functions.simulation_cleanup import simulation_cleanup
from functions.upload_cleanup import upload_cleanup
from functions.webhook_dispatch import webhook_dispatch
from shared.platform import http as _http

# Set by functions-framework while it loads this module (create_app); absent on a plain import.
_register_error_handler = getattr(functions_framework, "errorhandler", None)
if _register_error_handler is not None:
    _register_error_handler(404)(_http.reserved_path_not_found)

__all__ = [
    "assign",
    "assignment_timeouts",
    "documents",
    "dossier",
    "email_dispatch",
    "email_events",
    "export",
    "export_worker",
    "followup",
    "followup_sweep",
    "healthz",
    "invitations",
    "invoices",
    "me",
    "messages",
    "messages_retention",
    "messages_unread",
    "notification_digest",
    "notifications",
    "notifications_cleanup",
    "prudential",
    "prudential_import_worker",
    "report_schedule",
    "simulate",
    "simulation_cleanup",
    "upload_cleanup",
    "webhook_dispatch",
]
