"""COREP downloads of large calculations as export jobs (issue 14 item 6, migration 0187).

A workbook or report package of a calculation with more exposures than
``Settings.corep_inline_max_exposures`` is not rendered in the request: the route checks what it
can cheaply as the caller (the calculation is theirs to see, a package needs the approved
calculation), queues an ``export_jobs`` row (``corep-workbook`` → xlsx, ``corep-package`` → zip)
and answers 202 with the job. The `export-worker` renders it as its requester — the same RLS, the
same validation (a failing ERROR rule or an unexplained WARNING fails the job with that error), the
package's export recorded as them — stores it under the organization's prefix, and
``GET /export/jobs/{id}`` then carries a signed URL, exactly like the other exports.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.adapters.storage import Storage
from shared.exports import service as export_service
from shared.exports.requests import ExportFile, JobOut
from shared.platform.db import Connection
from shared.platform.errors import Conflict, NotFound
from shared.platform.settings import Settings
from shared.reporting import service

DOCUMENTS = {"corep-workbook": "xlsx", "corep-package": "zip"}


def _size(conn: Connection, calculation_id: uuid.UUID) -> dict[str, Any]:
    """The calculation as the caller sees it (404 otherwise): organization, exposures, approval."""
    row: dict[str, Any] | None = conn.execute(
        "select c.organization_id, v.exposure_count, v.status = 'approved' and v.calculation_id = c.id as approved"
        " from public.prudential_calculations c"
        " join public.prudential_portfolio_versions v on v.id = c.portfolio_version_id where c.id = %s",
        (calculation_id,),
    ).fetchone()
    if row is None:
        raise NotFound("Unknown calculation", code="calculation_not_found")
    return row


def queue_if_large(
    conn: Connection, *, settings: Settings, user_id: uuid.UUID, calculation_id: uuid.UUID, document: str,
    lang: str, parameters: dict[str, Any], storage: Storage,
) -> JobOut | None:  # fmt: skip
    """The queued job when the calculation is large, else None (the caller renders it inline)."""
    found = _size(conn, calculation_id)
    if int(found["exposure_count"]) <= settings.corep_inline_max_exposures:
        return None
    if document == "corep-package" and not found["approved"]:
        raise Conflict("Only the calculation a version was approved with is filed", code="calculation_not_approved")
    # the caller may see the calculation: the job is queued as the service
    return export_service.queue(
        conn, organization_id=found["organization_id"], requested_by=user_id, document=document,
        fmt=DOCUMENTS[document], lang=lang, parameters={"calculation_id": str(calculation_id), **parameters},
        storage=storage,
    )  # fmt: skip


def render(conn: Connection, *, job: dict[str, Any], storage: Storage) -> ExportFile:
    """Render a COREP job in the worker's transaction acting as its requester."""
    p = job["parameters"]
    calculation_id = uuid.UUID(p["calculation_id"])
    if job["document"] == "corep-workbook":
        made = service.workbook(
            conn, calculation_id=calculation_id, module=p["module"], lang=job["lang"], storage=storage
        )
    else:
        made = service.package(
            conn, calculation_id=calculation_id, module=p["module"], lei=p["lei"], country=p["country"],
            basis=p["basis"], timestamp=p.get("timestamp"),
        )  # fmt: skip
    return ExportFile(data=made.data, content_type=made.content_type, file_name=made.file_name)
