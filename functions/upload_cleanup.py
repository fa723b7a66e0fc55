"""`upload-cleanup` (scheduled hourly): document versions left `uploading` an hour after their signed
form was issued are removed with their stored objects (migration 0127)."""

from __future__ import annotations

import flask
import functions_framework

from shared.documents import service
from shared.documents.models import UploadCleanupOut
from shared.platform.http import Context, Router

router = Router("upload-cleanup", description="Remove abandoned document uploads and their files (scheduled)")


@router.post("/", response=UploadCleanupOut, auth="cron")
def run(ctx: Context) -> UploadCleanupOut:
    """Remove the uploads never completed within the hour (idempotent; safe beside a completion)."""
    return service.clean_up_uploads(service.documents_storage(ctx.settings))


@functions_framework.http
def upload_cleanup(request: flask.Request) -> flask.Response:
    return router.serve(request)
