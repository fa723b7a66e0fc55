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
from shared.exports.requests import ExportIn, JobList, JobOut, JobsQuery
from shared.platform import db
from shared.platform.http import Context, Reply, Router

router = Router("export", description="Document exports (XLSX, DOCX, PDF, CSV)")
FILE_TYPES = tuple(dict.fromkeys(content_type.split(";")[0] for content_type in CONTENT_TYPES.values()))


def _job_response(ctx: Context, job: dict[str, object], status: int = 200) -> flask.Response:
    out = JobOut.model_validate(service.job_view(job, storage_from_settings(ctx.settings)))
    response = flask.Response(out.model_dump_json(), status=status, mimetype="application/json")
    if status == 202:
        response.headers["Location"] = f"/export/jobs/{out.id}"
    return response


@router.post(
    "/",
    body=ExportIn,
    response=JobOut,
    status=202,
    also=(Reply(200, "The document, as an attachment", media_types=FILE_TYPES),),
)
def request_export(ctx: Context) -> flask.Response:
    """The document (200, as an attachment) when small; else a job (202, with its Location)."""
    body: ExportIn = ctx.body
    claims = ctx.claims()
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(claims.raw) as conn:
        outcome = service.request_export(conn, user_id=uuid.UUID(claims.sub), request=body, storage=storage)
    if not isinstance(outcome, service.ExportFile):
        return _job_response(ctx, outcome, status=202)
    response = flask.Response(outcome.data, status=200, mimetype=outcome.content_type)
    response.headers["Content-Disposition"] = content_disposition(outcome.file_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{outcome.sha256}"'
    return response


@router.get("/jobs", query=JobsQuery, response=JobList)
def list_jobs(ctx: Context) -> JobList:
    """Your export jobs, newest first (``status``, ``limit``)."""
    query = ctx.query(JobsQuery)
    claims = ctx.claims()
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(claims.raw) as conn:
        rows = service.jobs(conn, status=query.status, limit=query.limit)
    return JobList(items=[JobOut.model_validate(service.job_view(row, storage)) for row in rows])


@router.get("/jobs/{job_id}", response=JobOut)
def get_job(ctx: Context) -> flask.Response:
    """A job: its status, its error when failed, a download URL valid 15 minutes when done."""
    claims = ctx.claims()
    with db.user_transaction(claims.raw) as conn:
        job = service.job(conn, job_id=ctx.path_id("job_id"))
    return _job_response(ctx, job)


@router.post("/jobs/{job_id}/retry", response=JobOut, status=202)
def retry_job(ctx: Context) -> flask.Response:
    """Queue a failed job again (only its requester may)."""
    claims = ctx.claims()
    with db.user_transaction(claims.raw) as conn:
        job = service.retry(conn, user_id=uuid.UUID(claims.sub), job_id=ctx.path_id("job_id"))
    return _job_response(ctx, job, status=202)


@functions_framework.http
def export(request: flask.Request) -> flask.Response:
    return router.serve(request)
