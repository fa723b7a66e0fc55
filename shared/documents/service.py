"""Use cases of the documents: start an upload (a signed form for the version's key), complete it
after inspecting the stored object, delete a pending version, download through a signed URL, read
the checklist, and the request/review commands through the dossier's command entry point."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID

from shared.adapters.storage import ObjectNotFound, S3Storage, Storage, storage_from_settings
from shared.documents import repository
from shared.documents.models import (
    Checklist,
    CompleteOut,
    DocumentList,
    DocumentOut,
    DocumentTypeList,
    DocumentTypeOut,
    DownloadOut,
    RequestIn,
    RequestOut,
    ReviewIn,
    ReviewOut,
    ShareIn,
    ShareOut,
    UploadCleanupOut,
    UploadForm,
    UploadIn,
    UploadOut,
)
from shared.documents.signatures import HEAD_BYTES, detect_format
from shared.platform import db, errors
from shared.platform.db import Connection
from shared.platform.settings import Settings

BUCKET = "documents"  # the private bucket of migration 0064 (its storage.objects policies name it)
UPLOAD_EXPIRES_IN = 900
# An upload still in progress this long after it started is abandoned: its form lived 15 minutes, and
# the completion call gets 45 more (begin_upload of migration 0063 uses the same hour).
STALE_UPLOAD_AFTER = 3600
SWEEP_BATCH = 200
SWEEP_MAX_BATCHES = 50
DOWNLOAD_EXPIRES_IN = 900  # WORKFLOW.md: signed URLs valid 15 minutes


@lru_cache(maxsize=4)
def documents_storage(settings: Settings) -> Storage:
    """The documents bucket: on S3 (Supabase Storage's S3 endpoint or AWS) the `documents` bucket of
    the configured endpoint; locally the dev server's storage directory."""
    if settings.storage_backend == "s3":
        if not (settings.s3_endpoint_url and settings.s3_region):
            raise ValueError("STORAGE_BACKEND=s3 needs S3_ENDPOINT_URL and S3_REGION")
        return S3Storage(
            BUCKET,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id.value or None,
            settings.s3_secret_access_key.value or None,
        )
    return storage_from_settings(settings)


@dataclass(frozen=True)
class Refused:
    """A completion refused after its transaction committed the clean-up (422 to the caller)."""

    errors: list[dict[str, str]]


@dataclass
class Deleted:
    """Storage keys to remove once the transaction that released them has committed."""

    keys: list[str] = field(default_factory=list)


def begin_upload(
    conn: Connection, *, dossier_id: UUID, request: UploadIn, storage: Storage, complete_base: str
) -> tuple[UploadOut, Deleted]:
    row = repository.begin_upload(
        conn,
        dossier_id=dossier_id,
        document_type=request.document_type,
        file_name=request.file_name,
        size=request.size,
        issue_date=request.issue_date,
        request_item_id=request.request_item_id,
        document_id=request.document_id,
        label=request.label,
    )
    key = str(row["storage_key"])
    form = storage.presigned_post(key, max_bytes=int(row["max_size_bytes"]), expires_in=UPLOAD_EXPIRES_IN)
    out = UploadOut(
        document_id=row["document_id"],
        version_id=row["version_id"],
        version=row["version"],
        document_type=row["document_type"],
        storage_key=key,
        max_size_bytes=row["max_size_bytes"],
        expires_in=UPLOAD_EXPIRES_IN,
        upload=UploadForm(url=form.url, fields=form.fields),
        complete_url=f"{complete_base}/uploads/{row['version_id']}/complete",
    )
    return out, Deleted(keys=[str(k) for k in row.get("stale_keys") or []])


def complete_upload(conn: Connection, *, version_id: UUID, storage: Storage) -> CompleteOut | Refused:
    """Checks the stored object (present, within the type's size limit, really of its declared format),
    hashes it and records the version as pending. A lying or oversized object is deleted and its
    version abandoned (the caller starts again); a missing one leaves the upload open."""
    upload = repository.upload_to_check(conn, version_id=version_id)
    if upload is None:
        raise errors.NotFound("No such upload in progress", code="upload_not_found")
    if upload["state"] != "uploading":
        raise errors.Conflict("This upload is already complete", code="upload_already_completed")
    key, declared, limit = str(upload["storage_key"]), str(upload["declared_format"]), int(upload["max_size_bytes"])
    try:
        size = storage.size(key)
    except ObjectNotFound:
        return Refused([errors.field_error("file", "missing", "No file was uploaded for this version")])
    if size > limit:
        return _refuse(conn, storage, version_id, key, "max_size", f"The file exceeds {limit} bytes")
    data = storage.get(key)
    detected = detect_format(data[:HEAD_BYTES])
    if detected != declared:
        found = detected or "unknown"
        message = f"The file's content is {found}, not the {declared} its name says"
        return _refuse(conn, storage, version_id, key, "type_mismatch", message)
    row = repository.complete_upload(
        conn, version_id=version_id, size=len(data), sha256=hashlib.sha256(data).hexdigest(), detected_format=detected
    )
    return CompleteOut.model_validate(row)


def _refuse(conn: Connection, storage: Storage, version_id: UUID, key: str, rule: str, message: str) -> Refused:
    repository.abandon_upload(conn, version_id=version_id)
    storage.delete(key)
    return Refused([errors.field_error("file", rule, message)])


def delete_version(conn: Connection, *, version_id: UUID) -> Deleted:
    return Deleted(keys=[repository.delete_version(conn, version_id=version_id)])


def remove_objects(storage: Storage, deleted: Deleted) -> None:
    for key in deleted.keys:
        storage.delete(key)


def download(conn: Connection, *, version_id: UUID, dossier_id: UUID | None, storage: Storage) -> DownloadOut:
    row = repository.download(conn, version_id=version_id, dossier_id=dossier_id)
    url = storage.signed_url(str(row["storage_key"]), expires_in=DOWNLOAD_EXPIRES_IN, filename=str(row["file_name"]))
    return DownloadOut(
        url=url,
        expires_in=DOWNLOAD_EXPIRES_IN,
        file_name=row["file_name"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
    )


def checklist(conn: Connection, *, dossier_id: UUID, on: date | None = None) -> Checklist:
    """The dossier's checklist (for the dossier detail view too): each product row with its state
    (missing, pending, validated, rejected, expired) and the requests with their items' states."""
    row = repository.checklist(conn, dossier_id=dossier_id, on=on)
    if row is None:
        raise errors.NotFound("No such dossier", code="dossier_not_found")
    return Checklist(dossier_id=dossier_id, items=row["items"], requests=row["requests"])


def documents(conn: Connection, *, dossier_id: UUID) -> DocumentList:
    checklist(conn, dossier_id=dossier_id)  # 404 when the caller may not see the dossier's documents
    rows = repository.documents_of_dossier(conn, dossier_id=dossier_id)
    return DocumentList(items=[DocumentOut.model_validate(row) for row in rows])


def document_types(conn: Connection) -> DocumentTypeList:
    return DocumentTypeList(items=[DocumentTypeOut.model_validate(r) for r in repository.document_types(conn)])


def request_documents(conn: Connection, *, dossier_id: UUID, request: RequestIn) -> RequestOut:
    payload: dict[str, Any] = request.model_dump()
    row = repository.dossier_command(conn, dossier_id=dossier_id, command="request_documents", payload=payload)
    return RequestOut.model_validate(row)


def review_document(conn: Connection, *, dossier_id: UUID, review: ReviewIn) -> ReviewOut:
    payload: dict[str, Any] = review.model_dump(mode="json")
    row = repository.dossier_command(conn, dossier_id=dossier_id, command="review_document", payload=payload)
    return ReviewOut.model_validate(row)


def share(conn: Connection, *, dossier_id: UUID, request: ShareIn) -> ShareOut:
    """A client user shares the dossier's documents with its company's partner, or withdraws them
    (an owner or admin may withdraw too): WORKFLOW.md, partners see none "unless a client shares"."""
    return ShareOut.model_validate(repository.share(conn, dossier_id=dossier_id, shared=request.shared))


def clean_up_uploads(
    storage: Storage,
    *,
    older_than: int = STALE_UPLOAD_AFTER,
    batch: int = SWEEP_BATCH,
    max_batches: int = SWEEP_MAX_BATCHES,
) -> UploadCleanupOut:
    """The `upload-cleanup` run: versions still `uploading` ``older_than`` seconds after they started go,
    with their objects, in batches of one transaction each. The objects are deleted before the batch
    commits, so a storage failure rolls the rows back for the next run; a deletion is idempotent, so a
    crash after it only leaves rows the next run removes. Uploads a completion holds are skipped."""
    removed = batches = 0
    while batches < max_batches:
        with db.service_transaction() as conn:
            rows = repository.sweep_stale_uploads(conn, older_than_seconds=older_than, limit=batch)
            for row in rows:
                storage.delete(str(row["storage_key"]))
        batches += 1
        removed += len(rows)
        if len(rows) < batch:
            break
    return UploadCleanupOut(removed=removed, batches=batches)
