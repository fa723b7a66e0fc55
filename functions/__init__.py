"""One module per deployed function; each declares a `router` and one entry point of its name."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.platform.http import Router

# Every deployed function, in the order the OpenAPI document lists them.
FUNCTION_NAMES: tuple[str, ...] = (
    "healthz",
    "me",
    "simulate",
    "simulation-cleanup",
    "assign",
    "assignment-timeouts",
    "export",
    "export-worker",
    "email-dispatch",
    "email-events",
    "notifications",
    "notifications-cleanup",
    "invitations",
    "notification-digest",
    "webhook-dispatch",
    "documents",
    "dossier",
    "invoices",
    "prudential",
    "prudential-import-worker",
    "followup",
    "followup-sweep",
    "report-schedule",
    "upload-cleanup",
    "messages",
    "messages-unread",
    "messages-retention",
)


def routers() -> dict[str, Router]:
    """The router of every function, by function name."""
    found: dict[str, Router] = {}
    for name in FUNCTION_NAMES:
        module = importlib.import_module(f"functions.{name.replace('-', '_')}")
        found[name] = module.router
    return found
