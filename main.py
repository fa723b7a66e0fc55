"""Entry points, for `functions-framework --source main.py --target <name>`.

Each function lives in functions/<name>.py; this module only re-exports them.
"""

from functions.assign import assign
from functions.assignment_timeouts import assignment_timeouts
from functions.documents import documents
from functions.dossier import dossier
from functions.email_dispatch import email_dispatch
from functions.email_events import email_events
from functions.export import export
from functions.export_worker import export_worker
from functions.healthz import healthz
from functions.invoices import invoices
from functions.me import me
from functions.notifications import notifications
from functions.notifications_cleanup import notifications_cleanup
from functions.simulate import simulate
from functions.simulation_cleanup import simulation_cleanup
from functions.webhook_dispatch import webhook_dispatch

__all__ = [
    "assign",
    "assignment_timeouts",
    "documents",
    "dossier",
    "email_dispatch",
    "email_events",
    "export",
    "export_worker",
    "healthz",
    "invoices",
    "me",
    "notifications",
    "notifications_cleanup",
    "simulate",
    "simulation_cleanup",
    "webhook_dispatch",
]
