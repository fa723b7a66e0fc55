"""`messages`: what messaging needs beyond the Data API — attachments through Storage (a signed upload
form scoped to the key, completion after the stored object is inspected, signed downloads after a
participant check) and filing an attachment into the dossier's documents.

Sending, editing, reading and searching are PostgREST calls under RLS (tables and RPCs). Every route
here runs in one transaction as the caller, so RLS and the database's functions decide.
"""

from __future__ import annotations

from uuid import UUID

import flask
import functions_framework

from shared.documents.service import documents_storage
from shared.messaging import service
from shared.messaging.models import (
    AttachmentOut,
    AttachmentUploadIn,
    AttachmentUploadOut,
    CompleteOut,
    DownloadOut,
    FileIn,
)
from shared.platform import db, errors
from shared.platform.http import Context, Router

router = Router("messages", description="Message attachments: uploads, downloads, filing into the dossier")


def _id(ctx: Context, name: str, code: str) -> UUID:
    """A path id; one that is not a UUID names nothing, hence 404."""
    try:
        return UUID(ctx.params[name])
    except ValueError as exc:
        raise errors.NotFound("Not found", code=code) from exc


@router.post(
    "/conversations/{conversation_id}/attachments", body=AttachmentUploadIn, response=AttachmentUploadOut, status=201
)
def begin_upload(ctx: Context) -> AttachmentUploadOut:
    """Check the right to write, the format and the size; answer a signed upload form for the key."""
    body: AttachmentUploadIn = ctx.body
    conversation_id = _id(ctx, "conversation_id", "conversation_not_found")
    storage = service.attachments_storage(ctx.settings)
    base = f"{ctx.settings.public_base_url.rstrip('/')}/messages"
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.begin_upload(
            conn, conversation_id=conversation_id, request=body, storage=storage, complete_base=base
        )


@router.post("/attachments/{attachment_id}/complete", response=AttachmentOut)
def complete_upload(ctx: Context) -> AttachmentOut:
    """Check the stored file (present, at most 10 MB, real type from its bytes): ready to send."""
    attachment_id = _id(ctx, "attachment_id", "upload_not_found")
    storage = service.attachments_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        outcome = service.complete_upload(conn, attachment_id=attachment_id, storage=storage)
    if isinstance(outcome, list):
        raise errors.Unprocessable("The uploaded file was refused", code="file_refused", errors=outcome)
    return outcome


@router.get("/attachments/{attachment_id}/download", response=DownloadOut)
def download(ctx: Context) -> DownloadOut:
    """A signed download URL valid 15 minutes, for a participant (never for a removed message)."""
    attachment_id = _id(ctx, "attachment_id", "attachment_not_found")
    storage = service.attachments_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.download(conn, attachment_id=attachment_id, storage=storage)


@router.post("/attachments/{attachment_id}/file", body=FileIn, response=CompleteOut, status=201)
def file_into_dossier(ctx: Context) -> CompleteOut:
    """A client user or the expert files the attachment into the dossier's documents as a chosen type."""
    body: FileIn = ctx.body
    attachment_id = _id(ctx, "attachment_id", "attachment_not_found")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.file_into_dossier(
            conn,
            attachment_id=attachment_id,
            request=body,
            attachments=service.attachments_storage(ctx.settings),
            documents=documents_storage(ctx.settings),
        )


@functions_framework.http
def messages(request: flask.Request) -> flask.Response:
    return router.serve(request)
