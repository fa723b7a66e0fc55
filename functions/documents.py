"""`documents`: a dossier's documents through Storage — checklist, uploads (signed form, then
completion after the object is inspected), versions, pending deletion, signed downloads (logged),
requests and reviews (dossier commands).

Every route runs in one transaction as the caller, so RLS and the database's functions decide; the
stored objects are removed only after the transaction that released them has committed.
"""

from __future__ import annotations

from uuid import UUID

import flask
import functions_framework

from shared.documents import service
from shared.documents.models import (
    Checklist,
    CompleteOut,
    DocumentList,
    DocumentTypeList,
    DownloadOut,
    DownloadQuery,
    RequestIn,
    RequestOut,
    ReviewIn,
    ReviewOut,
    ShareIn,
    ShareOut,
    UploadIn,
    UploadOut,
)
from shared.platform import db, errors
from shared.platform.http import Context, Router

router = Router("documents", description="Dossier documents: checklist, uploads, versions, reviews, requests")


def _id(ctx: Context, name: str, code: str) -> UUID:
    """A path id; one that is not a UUID names nothing, hence 404."""
    try:
        return UUID(ctx.params[name])
    except ValueError as exc:
        raise errors.NotFound("Not found", code=code) from exc


@router.get("/types", response=DocumentTypeList)
def list_types(ctx: Context) -> DocumentTypeList:
    """Every document type: labels, accepted formats, size limit, validity, reusable."""
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.document_types(conn)


@router.get("/dossiers/{dossier_id}/checklist", response=Checklist)
def get_checklist(ctx: Context) -> Checklist:
    """The dossier's checklist with each item's state, and its requests."""
    dossier_id = _id(ctx, "dossier_id", "dossier_not_found")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.checklist(conn, dossier_id=dossier_id)


@router.get("/dossiers/{dossier_id}/documents", response=DocumentList)
def list_documents(ctx: Context) -> DocumentList:
    """The dossier's documents (the company's reusable ones included) with every version."""
    dossier_id = _id(ctx, "dossier_id", "dossier_not_found")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.documents(conn, dossier_id=dossier_id)


@router.post("/dossiers/{dossier_id}/uploads", body=UploadIn, response=UploadOut, status=201)
def begin_upload(ctx: Context) -> UploadOut:
    """Check right, format and size; answer a signed upload form for the new version's key."""
    body: UploadIn = ctx.body
    dossier_id = _id(ctx, "dossier_id", "dossier_not_found")
    storage = service.documents_storage(ctx.settings)
    base = f"{ctx.settings.public_base_url.rstrip('/')}/documents"
    with db.user_transaction(ctx.claims().raw) as conn:
        out, stale = service.begin_upload(
            conn, dossier_id=dossier_id, request=body, storage=storage, complete_base=base
        )
    service.remove_objects(storage, stale)
    return out


@router.post("/uploads/{version_id}/complete", response=CompleteOut)
def complete_upload(ctx: Context) -> CompleteOut:
    """Check the stored file (present, size, real type from its first bytes), store its SHA-256: pending."""
    version_id = _id(ctx, "version_id", "upload_not_found")
    storage = service.documents_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        outcome = service.complete_upload(conn, version_id=version_id, storage=storage)
    if isinstance(outcome, service.Refused):
        raise errors.Unprocessable("The uploaded file was refused", code="file_refused", errors=outcome.errors)
    return outcome


@router.route("DELETE", "/versions/{version_id}", status=204)
def delete_version(ctx: Context) -> None:
    """Delete a version still pending review (its uploader only); the previous version comes back."""
    version_id = _id(ctx, "version_id", "document_not_found")
    storage = service.documents_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        deleted = service.delete_version(conn, version_id=version_id)
    service.remove_objects(storage, deleted)


@router.get("/versions/{version_id}/download", query=DownloadQuery, response=DownloadOut)
def download(ctx: Context) -> DownloadOut:
    """A signed download URL valid 15 minutes, after the access check; the download is logged."""
    version_id = _id(ctx, "version_id", "document_not_found")
    query = ctx.query(DownloadQuery)
    storage = service.documents_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.download(conn, version_id=version_id, dossier_id=query.dossier_id, storage=storage)


@router.post("/dossiers/{dossier_id}/requests", body=RequestIn, response=RequestOut, status=201)
def request_documents(ctx: Context) -> RequestOut:
    """The expert requests documents (items, due date in business days): `documents_requested`."""
    body: RequestIn = ctx.body
    dossier_id = _id(ctx, "dossier_id", "dossier_not_found")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.request_documents(conn, dossier_id=dossier_id, request=body)


@router.post("/dossiers/{dossier_id}/reviews", body=ReviewIn, response=ReviewOut)
def review_document(ctx: Context) -> ReviewOut:
    """Validate or reject (reason, category) a version on this dossier."""
    body: ReviewIn = ctx.body
    dossier_id = _id(ctx, "dossier_id", "dossier_not_found")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.review_document(conn, dossier_id=dossier_id, review=body)


@router.route("PUT", "/dossiers/{dossier_id}/share", body=ShareIn, response=ShareOut)
def share(ctx: Context) -> ShareOut:
    """A client user shares the dossier's documents with its company's partner (`shared: true`) or
    withdraws them (`false`; an owner or admin may withdraw too). The partner then reads them."""
    body: ShareIn = ctx.body
    dossier_id = _id(ctx, "dossier_id", "dossier_not_found")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.share(conn, dossier_id=dossier_id, request=body)


@functions_framework.http
def documents(request: flask.Request) -> flask.Response:
    return router.serve(request)
