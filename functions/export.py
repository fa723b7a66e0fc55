"""`export`: XLSX, DOCX, PDF and CSV documents of simulations and dossiers, inline or as jobs.

Every export runs as the signed-in caller, so it contains exactly what RLS lets them see. Small
documents come back in the response; long dossier lists (and any request with ``async``) become a job
that the `export-worker` renders, polled at ``/export/jobs/{id}`` until it carries a signed URL.
"""

from __future__ import annotations

import uuid

import flask
import functions_framework

from shared.adapters.storage import content_disposition, storage_from_settings
from shared.exports import service
from shared.exports.formats import CONTENT_TYPES
from shared.exports.requests import ExportFile, ExportIn, JobList, JobOut, JobsQuery
from shared.platform import db
from shared.platform.http import Context, Reply, Router, WithStatus

router = Router("export", description="Document exports (XLSX, DOCX, PDF, CSV)")
FILE_TYPES = tuple(dict.fromkeys(content_type.split(";")[0] for content_type in CONTENT_TYPES.values()))


def _queued(job: JobOut) -> WithStatus:
    return WithStatus(job, 202, {"Location": f"/export/jobs/{job.id}"})


def _attachment(file: ExportFile) -> flask.Response:
    # content_type, not mimetype: Flask would append a second charset to a text/* mimetype
    response = flask.Response(file.data, status=200, content_type=file.content_type)
    response.headers["Content-Disposition"] = content_disposition(file.file_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{file.sha256}"'
    return response


@router.post(
    "/",
    body=ExportIn,
    response=JobOut,
    status=202,
    also=(Reply(200, "The document, as an attachment", media_types=FILE_TYPES),),
)
def request_export(ctx: Context) -> flask.Response | WithStatus:
    """The document (200, as an attachment) when small; else a job (202, with its Location)."""
    body: ExportIn = ctx.body
    claims = ctx.claims()
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(claims.raw) as conn:
        outcome = service.request_export(conn, user_id=uuid.UUID(claims.sub), request=body, storage=storage)
    return _attachment(outcome) if isinstance(outcome, ExportFile) else _queued(outcome)


@router.get("/jobs", query=JobsQuery, response=JobList)
def list_jobs(ctx: Context) -> JobList:
    """Your export jobs, newest first (``status``, ``limit``)."""
    query = ctx.query(JobsQuery)
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.jobs(conn, status=query.status, limit=query.limit, storage=storage)


@router.get("/jobs/{job_id}", response=JobOut)
def get_job(ctx: Context) -> JobOut:
    """A job: its status, its error when failed, a download URL valid 15 minutes when done."""
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.job(conn, job_id=ctx.path_id("job_id"), storage=storage)


@router.post("/jobs/{job_id}/retry", response=JobOut, status=202)
def retry_job(ctx: Context) -> WithStatus:
    """Queue a failed job again (only its requester may)."""
    claims = ctx.claims()
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(claims.raw) as conn:
        job = service.retry(conn, user_id=uuid.UUID(claims.sub), job_id=ctx.path_id("job_id"), storage=storage)
    return _queued(job)


@functions_framework.http
def export(request: flask.Request) -> flask.Response:
    return router.serve(request)
