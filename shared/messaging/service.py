"""Use cases of messaging's code paths: attachments (a signed upload form scoped to the key, a
completion that inspects the stored object, signed downloads after a participant check, filing into
the dossier's documents), the unread-message email and the retention purge."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from shared.adapters.storage import ObjectNotFound, S3Storage, Storage, StorageError, storage_from_settings
from shared.documents.models import UploadForm
from shared.documents.signatures import HEAD_BYTES, detect_format
from shared.messaging import repository
from shared.messaging.models import (
    AttachmentOut,
    AttachmentUploadIn,
    AttachmentUploadOut,
    CompleteOut,
    DownloadOut,
    FileIn,
    RetentionOut,
    UnreadRunOut,
)
from shared.messaging.signatures import detect_attachment_format
from shared.notifications.render import Branding, render
from shared.platform import db, errors
from shared.platform.db import Connection
from shared.platform.settings import Settings

BUCKET = "message-attachments"  # the private bucket of migration 0140 (its storage.objects branch names it)
UPLOAD_EXPIRES_IN = 900
DOWNLOAD_EXPIRES_IN = 900  # MESSAGING.md: signed downloads valid 15 minutes
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "xml": "application/xml",
}


@lru_cache(maxsize=4)
def attachments_storage(settings: Settings) -> Storage:
    """The attachments bucket: on S3 the `message-attachments` bucket of the configured endpoint;
    locally the dev server's storage directory (keys `<org>/conversations/…` never meet the documents')."""
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


def begin_upload(
    conn: Connection, *, conversation_id: UUID, request: AttachmentUploadIn, storage: Storage, complete_base: str
) -> AttachmentUploadOut:
    row = repository.begin_upload(conn, conversation_id=conversation_id, file_name=request.file_name, size=request.size)
    key = str(row["storage_key"])
    form = storage.presigned_post(key, max_bytes=int(row["max_size_bytes"]), expires_in=UPLOAD_EXPIRES_IN)
    return AttachmentUploadOut(
        attachment_id=row["attachment_id"],
        storage_key=key,
        file_name=row["file_name"],
        max_size_bytes=row["max_size_bytes"],
        expires_in=UPLOAD_EXPIRES_IN,
        upload=UploadForm(url=form.url, fields=form.fields),
        complete_url=f"{complete_base}/attachments/{row['attachment_id']}/complete",
    )


def complete_upload(conn: Connection, *, attachment_id: UUID, storage: Storage) -> AttachmentOut | list[dict[str, str]]:
    """Checks the stored object (present, at most 10 MB, really of its declared format) and records
    it `ready`. A lying or oversized object is deleted with its row (the caller starts again); a
    missing one leaves the upload open. Returns the field errors of a refusal."""
    upload = repository.upload_to_check(conn, attachment_id=attachment_id)
    if upload is None:
        raise errors.NotFound("No such upload in progress", code="upload_not_found")
    if upload["state"] != "uploading":
        raise errors.Conflict("This upload is already complete", code="upload_already_completed")
    key, declared = str(upload["storage_key"]), str(upload["declared_format"])
    try:
        size = storage.size(key)
    except ObjectNotFound:
        return [errors.field_error("file", "missing", "No file was uploaded for this attachment")]
    if size > 10 * 1024 * 1024:
        return _refuse(conn, storage, attachment_id, key, "max_size", "The file exceeds 10 MB")
    data = storage.get(key)
    detected = detect_attachment_format(data, declared)
    if detected != declared:
        message = f"The file's content is {detected or 'not an accepted format'}, not the {declared} its name says"
        return _refuse(conn, storage, attachment_id, key, "type_mismatch", message)
    row = repository.complete_upload(
        conn,
        attachment_id=attachment_id,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        detected_format=detected,
    )
    return AttachmentOut.model_validate(row)


def _refuse(
    conn: Connection, storage: Storage, attachment_id: UUID, key: str, rule: str, message: str
) -> list[dict[str, str]]:
    repository.abandon_upload(conn, attachment_id=attachment_id)
    storage.delete(key)
    return [errors.field_error("file", rule, message)]


def download(conn: Connection, *, attachment_id: UUID, storage: Storage) -> DownloadOut:
    row = repository.download(conn, attachment_id=attachment_id)
    url = storage.signed_url(str(row["storage_key"]), expires_in=DOWNLOAD_EXPIRES_IN, filename=str(row["file_name"]))
    return DownloadOut(
        url=url,
        expires_in=DOWNLOAD_EXPIRES_IN,
        file_name=row["file_name"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
    )


def file_into_dossier(
    conn: Connection, *, attachment_id: UUID, request: FileIn, attachments: Storage, documents: Storage
) -> CompleteOut:
    """Files an attachment of the dossier's conversation as a new document version of the chosen type,
    through the documents' own upload path (rights, accepted formats, size, request items): the
    object is copied to the version's key, then the version is completed and the transaction commits.
    A refusal after the copy removes the copy."""
    source = repository.to_file(conn, attachment_id=attachment_id)
    row = repository.begin_document_upload(
        conn,
        dossier_id=UUID(str(source["dossier_id"])),
        document_type=request.document_type,
        file_name=str(source["file_name"]),
        size=int(source["size_bytes"]),
        issue_date=request.issue_date,
        label=request.label,
    )
    data = attachments.get(str(source["storage_key"]))
    detected = detect_format(data[:HEAD_BYTES])
    if detected is None:
        raise errors.Unprocessable(
            "The file was refused",
            code="file_refused",
            errors=[errors.field_error("document_type", "format", "This file's format is not accepted for documents")],
        )
    key = str(row["storage_key"])
    documents.put(key, data, CONTENT_TYPES.get(detected, "application/octet-stream"))
    try:
        completed = repository.complete_document_upload(
            conn,
            version_id=UUID(str(row["version_id"])),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            detected_format=detected,
        )
    except BaseException:
        documents.delete(key)
        raise
    return CompleteOut.model_validate(completed)


# --- the unread-message email ------------------------------------------------------------------------
UNREAD_BATCH = 500


def send_unread_emails(settings: Settings, *, now: datetime | None = None) -> UnreadRunOut:
    """Queues one email per (participant, conversation) whose oldest unread message from others is
    30 minutes old, once until they read (the outbox's idempotency key carries their read pointer).
    Muted conversations and switched-off email write nothing; quiet hours delay it. Someone who set
    this email to the daily digest gets a notification waiting for it instead (read with the
    conversation, it leaves the digest)."""
    moment = now or datetime.now(UTC)
    app = settings.app_url
    queued = skipped = digested = 0
    with db.service_transaction() as conn:
        for c in repository.unread_candidates(conn, now=moment, limit=UNREAD_BATCH):
            lang = "en" if c["locale"] == "en" else "fr"
            title = f"Nouveau message de {c['sender_name']}" if lang == "fr" else f"New message from {c['sender_name']}"
            preview = str(c["preview"] or "")
            body = (
                f"{c['conversation_title']} : « {preview} »"
                if lang == "fr"
                else f"{c['conversation_title']}: “{preview}”"
            )
            if c["email_mode"] == "digest":
                digested += 1
                repository.queue_unread_digest(conn, candidate=c, title=title, body=body)
                continue
            if not c["email_enabled"]:
                skipped += 1
                repository.record_unread_email(conn, candidate=c, outbox_id=None)
                continue
            mail = render(
                "message_unread",
                lang,
                {"title": title, "body": body, "company": ""},
                organization=Branding(str(c["organization"]), str(c["primary_color"]), str(c["legal_footer"] or "")),
                recipient_name=str(c["recipient_name"] or ""),
                link=f"{app}/conversations/{c['conversation_id']}",
            )
            outbox = repository.enqueue_email(
                conn,
                org=c["organization_id"],
                key=f"message_unread:{c['conversation_id']}:{c['user_id']}:{c['after_message_id'] or 0}",
                user=c["user_id"],
                to=c["email"],
                subject=mail.subject,
                html=mail.html,
                text=mail.text,
                send_after=c["send_after"],
            )
            repository.record_unread_email(conn, candidate=c, outbox_id=outbox)
            queued += 1
    return UnreadRunOut(queued=queued, skipped=skipped, digested=digested)


# --- retention -------------------------------------------------------------------------------------
PURGE_BATCH = 2000


def purge(settings: Settings, *, now: datetime | None = None, storage: Storage | None = None) -> RetentionOut:
    """Deletes what is past its retention (MESSAGING.md "Retention") and then the storage objects of
    the attachments deleted with their rows (a key is forgotten once its object is gone, so a failed
    removal is retried by the next run). Idempotent: a second run finds nothing."""
    moment = now or datetime.now(UTC)
    store = storage or attachments_storage(settings)
    with db.service_transaction() as conn:
        counts: dict[str, Any] = repository.purge(conn, now=moment, limit=PURGE_BATCH)
    removed = 0
    while True:
        with db.service_transaction() as conn:
            keys = repository.purged_objects(conn, limit=500)
        if not keys:
            break
        done = []
        for key in keys:
            try:
                store.delete(key)
            except StorageError:  # kept for the next run
                continue
            done.append(key)
        with db.service_transaction() as conn:
            repository.forget_purged_objects(conn, keys=done)
        removed += len(done)
        if len(done) < len(keys):
            break
    return RetentionOut(**counts, objects_removed=removed)
