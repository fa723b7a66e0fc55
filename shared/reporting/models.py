"""Request and response shapes of the COREP routes of the ``prudential`` function."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Module = Literal["corep_of", "corep_lr", "corep_lcr_da", "corep_nsfr"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModuleQuery(_In):
    module: Module = "corep_of"


class DrillQuery(_In):
    module: Module = "corep_of"
    table: str = Field(pattern=r"^C_\d\d\.\d\d(\.[a-z])?$")
    row: str = Field(pattern=r"^r\d{4}$")
    column: str = Field(pattern=r"^c\d{4}$")
    sheet: str | None = Field(default=None, pattern=r"^eba_qEC:qx\d{1,4}$")
    limit: int = Field(default=100, ge=1, le=1000)


class WorkbookQuery(_In):
    module: Module = "corep_of"
    lang: Literal["fr", "en"] = "fr"


class PackageQuery(_In):
    module: Module = "corep_of"
    lei: str = Field(pattern=r"^[A-Z0-9]{18}[0-9]{2}$")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    basis: Literal["CON", "IND"] = "CON"
    timestamp: str | None = Field(default=None, pattern=r"^\d{17}$")


class CommentIn(_In):
    module: Module = "corep_of"
    rule: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    scope: str | None = Field(default=None, max_length=64)
    comment: str = Field(min_length=1, max_length=4000)


class CorepView(BaseModel):
    """The templates of one module: filing indicators, cells with provenance, validation results."""

    module: str
    framework: str
    basis: str
    reference_date: str
    calculation_id: str
    approved: bool
    filing: dict[str, bool]
    cells: list[dict[str, Any]]
    validation: dict[str, Any]


class DrillOut(BaseModel):
    cell: dict[str, Any]
    exposure_count: int
    exposures: list[dict[str, Any]]


class CommentOut(BaseModel):
    rule_id: str
    scope: str
    comment: str


class CalendarQuery(_In):
    organization_id: UUID | None = None
    count: int = Field(default=2, ge=1, le=12)


class PlanIn(_In):
    organization_id: UUID
    module: Module
    basis: Literal["CON", "IND"]
    portfolio_id: UUID
    country: str = Field(pattern=r"^[A-Z]{2}$")


class PlanOut(BaseModel):
    id: UUID
    organization_id: UUID
    module: str
    basis: str
    portfolio_id: UUID
    country: str


class ReminderOut(BaseModel):
    """The follow-up reminder of a due report (awaited action `corep_report_due`)."""

    state: Literal["on_track", "late", "at_risk", "breached", "closed"]
    act_before: datetime | None
    next_step_at: datetime | None
    last_step: str | None
    last_sent_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None


class DueReportOut(BaseModel):
    module: str
    basis: str
    reference_date: date
    remittance_date: date
    state: Literal["no_calculation", "draft", "in_review", "approved", "exported"]
    version_id: UUID | None
    calculation_id: UUID | None
    days_left: int
    reminder: ReminderOut | None = None


class CalendarOut(BaseModel):
    items: list[DueReportOut]


class LinkOut(BaseModel):
    """A signed download link to a stored COREP file (valid ``expires_in`` seconds)."""

    url: str
    file_name: str
    sha256: str
    byte_size: int
    expires_in: int
