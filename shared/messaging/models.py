"""What the `messages`, `messages-unread` and `messages-retention` functions read and answer."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.documents.models import CompleteOut, UploadForm

__all__ = [
    "AttachmentOut",
    "AttachmentUploadIn",
    "AttachmentUploadOut",
    "CompleteOut",
    "DownloadOut",
    "FileIn",
    "RetentionOut",
    "UnreadRunOut",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AttachmentUploadIn(_In):
    """Start an attachment: pdf, jpg, png, docx, xlsx, csv or txt, at most 10 MB."""

    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1, le=10 * 1024 * 1024, description="the file's size in bytes")


class AttachmentUploadOut(BaseModel):
    attachment_id: UUID
    storage_key: str
    file_name: str
    max_size_bytes: int
    expires_in: int
    upload: UploadForm
    complete_url: str


class AttachmentOut(BaseModel):
    attachment_id: UUID
    state: str
    file_name: str
    size_bytes: int
    sha256: str
    format: str


class DownloadOut(BaseModel):
    url: str
    expires_in: int
    file_name: str
    size_bytes: int | None
    sha256: str | None


class FileIn(_In):
    """File an attachment of the dossier's conversation into the dossier's documents."""

    document_type: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    issue_date: date | None = Field(default=None, description="required for types with a validity")
    label: str | None = Field(default=None, max_length=200, description="required for `autre`")


class UnreadRunOut(BaseModel):
    """One run of the unread-message email: emails queued, candidates skipped by preferences, notices
    left for the daily digest of people who chose it."""

    queued: int
    skipped: int
    digested: int


class RetentionOut(BaseModel):
    """One run of the retention purge: rows deleted per kind, storage objects removed."""

    conversations: int
    messages: int
    tombstones: int
    versions: int
    reports: int
    attachments: int
    objects_removed: int
