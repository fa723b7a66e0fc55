"""What the `documents` function reads and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UploadIn(_In):
    """Start an upload. A new version of an existing document names it (``document_id``); an answer
    to a request names its item (``request_item_id``); otherwise ``document_type`` is needed."""

    document_type: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,39}$")
    file_name: str = Field(min_length=1, max_length=255)
    # the type's own maximum is checked in SQL (types are data); this bound keeps the number a bigint
    size: int = Field(ge=1, le=2**63 - 1, description="the file's size in bytes")
    issue_date: date | None = Field(default=None, description="required for types with a validity")
    request_item_id: UUID | None = None
    document_id: UUID | None = None
    label: str | None = Field(default=None, max_length=200, description="required for `autre`")


class UploadForm(BaseModel):
    """POST multipart/form-data to ``url``: every field of ``fields``, then the file as ``file``."""

    url: str
    fields: dict[str, str]


class UploadOut(BaseModel):
    document_id: UUID
    version_id: UUID
    version: int
    document_type: str
    storage_key: str
    max_size_bytes: int
    expires_in: int
    upload: UploadForm
    complete_url: str


class CompleteOut(BaseModel):
    document_id: UUID
    version_id: UUID
    version: int
    state: str
    document_type: str
    size_bytes: int
    sha256: str
    dossier_status: str | None


class DownloadQuery(_In):
    dossier_id: UUID | None = None


class DownloadOut(BaseModel):
    url: str
    expires_in: int
    file_name: str
    sha256: str | None
    size_bytes: int | None


class RequestItemIn(_In):
    document_type: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=1000)
    required: bool = True


class RequestIn(_In):
    items: list[RequestItemIn] = Field(min_length=1, max_length=50)
    note: str = Field(default="", max_length=2000)
    due_in_business_days: int = Field(default=5, ge=1, le=30)


class ReviewIn(_In):
    version_id: UUID
    decision: Literal["validate", "reject"]
    reason: str | None = Field(default=None, max_length=1000)
    category: Literal["illisible", "incomplet", "expire", "non_conforme", "mauvais_document", "autre"] = "autre"


class UploadCleanupOut(BaseModel):
    """What one `upload-cleanup` run removed: versions left `uploading` and their stored objects."""

    removed: int
    batches: int


class ShareIn(_In):
    """Share (``true``) or withdraw (``false``) the dossier's documents with its company's partner."""

    shared: bool


class ShareOut(BaseModel):
    dossier_id: UUID
    shared: bool
    partner_user_id: UUID | None
    shared_at: datetime | None


class ReviewOut(BaseModel):
    dossier_id: UUID
    status: str
    step: int | None
    progress: int | None
    document_id: UUID
    version_id: UUID
    review: str


class RequestOut(BaseModel):
    dossier_id: UUID
    status: str
    step: int | None
    progress: int | None
    request_id: UUID
    due_date: date
    items: int


class VersionOut(BaseModel):
    id: UUID
    version: int
    state: str
    file_name: str
    size_bytes: int | None
    detected_format: str | None
    sha256: str | None
    issue_date: date | None
    uploaded_by: UUID | None
    created_at: datetime
    completed_at: datetime | None
    review: Literal["pending", "validated", "rejected"] | None = Field(
        default=None, description="its review on this dossier (none while uploading)"
    )
    review_reason: str | None = None
    review_category: str | None = None
    reviewed_at: datetime | None = None


class DocumentOut(BaseModel):
    id: UUID
    document_type: str
    label: str
    reusable: bool
    dossier_id: UUID | None
    versions: list[VersionOut]


class DocumentList(BaseModel):
    items: list[DocumentOut]


class Checklist(BaseModel):
    """The dossier's checklist: each product row with its state, and the requests with their items."""

    dossier_id: UUID
    items: list[dict[str, Any]]
    requests: list[dict[str, Any]]


class DocumentTypeOut(BaseModel):
    code: str
    label_fr: str
    label_en: str
    formats: list[str]
    max_size_bytes: int
    validity_months: int | None
    reusable: bool
    expert_document: bool
    period_fr: str
    period_en: str


class DocumentTypeList(BaseModel):
    items: list[DocumentTypeOut]
