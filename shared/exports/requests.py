"""What the `export` function accepts and answers.

An unknown document or format is a 422 whose message lists the accepted values (for a format: those
of the document asked for); a parameter a document needs is required, one it does not use refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from shared.exports.formats import DOCUMENTS, FORMATS, accepted

JobStatus = Literal["queued", "running", "done", "failed"]

_PARAMETERS: dict[str, tuple[str, ...]] = {
    "simulation-report": ("simulation_id",),
    "comparison": ("simulation_id", "answers"),
    "dossier-list": ("filters",),
    "dossier-summary": ("dossier_id",),
    "kpi-report": ("period",),
}
_REQUIRED = {"simulation_id", "dossier_id", "period"}
KPI_MAX_DAYS = 366


class DossierFiltersIn(BaseModel):
    """Which dossiers a list contains; every filter is optional. ``organization_id`` is needed only by
    someone who belongs to several organizations."""

    model_config = ConfigDict(extra="forbid")

    organization_id: UUID | None = None
    status: str | None = Field(None, pattern=r"^[a-z][a-z_]{1,60}$", description="a dossier status code")
    product: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{1,40}$", description="a product code")
    expert_id: UUID | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None

    @field_validator("created_to")
    @classmethod
    def _ordered(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("created_from")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError("date_order", "created_to must not be before created_from")
        return value


class KpiPeriodIn(BaseModel):
    """The organization and the local dates (both included, at most 366 days) of a KPI report."""

    model_config = ConfigDict(extra="forbid")

    organization_id: UUID
    start: dt.date
    end: dt.date

    @field_validator("end")
    @classmethod
    def _ordered(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise PydanticCustomError("date_order", "end must not be before start")
        if start is not None and (value - start).days >= KPI_MAX_DAYS:
            raise PydanticCustomError("too_long", "a period of at most {days} days", {"days": KPI_MAX_DAYS})
        return value


class ExportIn(BaseModel):
    """A document in a format: for a simulation (``simulation_id``; ``answers``: the changed answers of a
    comparison), a dossier (``dossier_id``), a filtered dossier list (``filters``) or the follow-up KPIs of a
    period (``period``). ``async`` asks
    for a job even when the document is small."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    document: str = Field(description=f"one of {', '.join(DOCUMENTS)}")
    format: str = Field(description="xlsx, docx, pdf or csv, as the document allows")
    lang: Literal["fr", "en"] = "fr"
    simulation_id: UUID | None = None
    dossier_id: UUID | None = None
    filters: DossierFiltersIn | None = None
    answers: dict[str, Any] | None = None
    period: KpiPeriodIn | None = None
    async_: bool = Field(False, alias="async")

    @field_validator("document", mode="before")
    @classmethod
    def _known_document(cls, value: object) -> str:
        document = value.strip().lower() if isinstance(value, str) else None
        if document not in DOCUMENTS:  # a JSON object or array is no document (and is unhashable)
            raise PydanticCustomError(
                "unknown_document",
                "unknown document {given}; accepted documents: {accepted}",
                {"given": repr(value), "accepted": ", ".join(DOCUMENTS)},
            )
        return str(document)

    @field_validator("format", mode="before")
    @classmethod
    def _known_format(cls, value: object, info: ValidationInfo) -> str:
        fmt = value.strip().lower() if isinstance(value, str) else None
        document = info.data.get("document")
        allowed = accepted(document) if isinstance(document, str) else FORMATS
        if fmt not in allowed:
            where = f"{document} comes as" if isinstance(document, str) else "accepted formats:"
            raise PydanticCustomError(
                "unsupported_format",
                "unsupported format {given}; {where} {accepted}",
                {"given": repr(value), "where": where, "accepted": ", ".join(allowed)},
            )
        return str(fmt)

    @model_validator(mode="after")
    def _parameters(self) -> ExportIn:
        used = _PARAMETERS[self.document]
        problems = []
        for name in ("simulation_id", "dossier_id", "filters", "answers", "period"):
            given = getattr(self, name) is not None
            if name in used and name in _REQUIRED and not given:
                error = PydanticCustomError("missing", "required for {document}", {"document": self.document})
                problems.append(InitErrorDetails(type=error, loc=(name,), input=None))
            elif name not in used and given:
                error = PydanticCustomError("not_used", "not used by {document}", {"document": self.document})
                problems.append(InitErrorDetails(type=error, loc=(name,), input=None))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def parameters(self) -> dict[str, Any]:
        """What a job keeps to render the document later."""
        return self.model_dump(mode="json", include={"simulation_id", "dossier_id", "filters", "answers", "period"},
                               exclude_none=True)  # fmt: skip

    @classmethod
    def from_job(cls, job: dict[str, Any]) -> ExportIn:
        return cls.model_validate({"document": job["document"], "format": job["format"], "lang": job["lang"],
                                   **job["parameters"]})  # fmt: skip


class JobsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: JobStatus | None = None
    limit: int = Field(50, ge=1, le=200)


class JobError(BaseModel):
    code: str
    detail: str


class JobOut(BaseModel):
    """An export job; when done, ``download_url`` is a signed link valid until ``download_expires_at``."""

    id: UUID
    organization_id: UUID
    document: str
    format: str
    lang: str
    parameters: dict[str, Any]
    status: JobStatus
    error: JobError | None
    attempts: int
    retries: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    file_name: str | None
    content_type: str | None
    byte_size: int | None
    sha256: str | None
    download_url: str | None = None
    download_expires_at: dt.datetime | None = None


class JobList(BaseModel):
    """The caller's export jobs, newest first."""

    items: list[JobOut]


class WorkerOut(BaseModel):
    """What a run of the export worker did."""

    done: int = 0
    failed: int = 0
    lost: int = Field(0, description="jobs another worker took over (their lease had expired)")
    interrupted: int = Field(0, description="jobs failed after too many interrupted attempts")


class ExportFile(BaseModel):
    """A rendered document: its bytes, content type and file name."""

    model_config = ConfigDict(frozen=True)

    data: bytes
    content_type: str
    file_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()
