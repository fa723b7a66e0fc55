"""Which document comes in which format, with its content type, and the renderer that makes it.

The renderer modules are imported on first use, so importing this one stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

DOCUMENTS: dict[str, tuple[str, ...]] = {
    "simulation-report": ("xlsx", "docx", "pdf"),
    "comparison": ("xlsx", "pdf"),
    "dossier-list": ("xlsx", "csv", "pdf"),
    "dossier-summary": ("pdf", "docx"),
    "kpi-report": ("xlsx", "pdf"),
}
"""Every document and its formats, the preferred format first."""

CONTENT_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}

FORMATS: tuple[str, ...] = tuple(CONTENT_TYPES)

_FUNCTIONS = {
    "simulation-report": "simulation_report",
    "comparison": "comparison",
    "dossier-list": "dossier_list",
    "dossier-summary": "dossier_summary",
    "kpi-report": "kpi_report",
}

Renderer = Callable[[Any, Any, str], bytes]


def accepted(document: str) -> tuple[str, ...]:
    """The formats of ``document`` (empty for an unknown document)."""
    return DOCUMENTS.get(document, ())


def renderer(document: str, fmt: str) -> Renderer:
    """``<document>_<format>(data, branding, lang)`` from the format's module; ``ValueError`` when
    the document does not come in that format."""
    if fmt not in accepted(document):
        raise ValueError(f"{document} is not available as {fmt}")
    module = importlib.import_module(f"shared.exports.{fmt}")
    function: Renderer = getattr(module, f"{_FUNCTIONS[document]}_{fmt}")
    return function
