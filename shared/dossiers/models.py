"""Dossier models: the `dossier` function's query strings, command bodies and answers.

Command bodies are checked here first (422 before any SQL); the database checks them again, since
front ends may call ``public.dossier_command`` directly through PostgREST.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.followup.models import DossierSlaOut

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """Only a calendar date written YYYY-MM-DD (pydantic alone would read 0 as 1970-01-01)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
Money = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Rate = Annotated[Decimal, Field(gt=0, le=1, max_digits=5, decimal_places=4)]
Administration = Literal["douanes", "urssaf", "msa", "dgfip", "autre"]
Decision = Literal["accepte", "partiel", "refuse"]
Lang = Literal["fr", "en"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- command bodies (one per command of the dossier capability) ----------------------------------
class EmptyIn(_Body):
    """No field: the command needs nothing but the dossier."""


class NoteIn(_Body):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None


class ReasonIn(_Body):
    reason: Reason


class CompleteAuditIn(_Body):
    amount: Money = Field(description="final amount F in euros, > 0, 2 decimals")
    client_fee_rate: Rate | None = Field(default=None, description="c as a fraction (0.30); default: the expert's")
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)] | None = None
    report_document_id: UUID | None = None


class ReviseAuditIn(_Body):
    amount: Money | None = None
    client_fee_rate: Rate | None = None
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)] | None = None
    report_document_id: UUID | None = None


class AcceptAuditIn(_Body):
    revision: int = Field(ge=1, description="the revision the client read; an older one is refused (409)")


class FileClaimIn(_Body):
    filed_on: IsoDate
    administration: Administration
    administration_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)] | None
    ) = None
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    claimed_amount: Money | None = Field(default=None, description="default: the accepted audit amount")


class RecordResultIn(_Body):
    decision: Decision
    granted_amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    decided_on: IsoDate
    reason: Reason | None = None


class HoldIn(_Body):
    reason: Reason
    resume_on: IsoDate | None = None


class OverrideIn(_Body):
    to_status: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,40}$")]
    reason: Reason
    outcome: Literal["paid", "refused"] | None = None


# --- answers ---------------------------------------------------------------------------------------
class CommandOut(BaseModel):
    """A command's answer: where the dossier stands now, and what the command reports."""

    dossier_id: UUID
    command: str
    status: str
    step: int | None
    progress: int | None
    result: dict[str, Any] = Field(default_factory=dict)


class AllowedCommand(BaseModel):
    command: str
    to_statuses: list[str]
    actors: list[str]
    allowed_for_me: bool


class AllowedCommands(BaseModel):
    dossier_id: UUID
    status: str
    items: list[AllowedCommand]


class TimelineEvent(BaseModel):
    source: Literal["dossier", "marketplace"]
    id: int
    type: str
    command: str | None
    from_status: str | None
    to_status: str | None
    actor_kind: str
    actor_id: UUID | None
    actor_role: str | None
    actor_name: str | None
    title: str
    title_fr: str
    title_en: str
    details: dict[str, Any]
    visibility: str
    created_at: dt.datetime


class Timeline(BaseModel):
    items: list[TimelineEvent]


class StatusOut(BaseModel):
    code: str
    step: int | None
    progress: int | None
    label: str
    step_label: str | None
    is_open: bool
    is_matchable: bool
    is_finished: bool
    waiting_on: str | None


class StatusList(BaseModel):
    items: list[StatusOut]


class DossierCard(BaseModel):
    """One row of a dossier list."""

    id: UUID
    organization_id: UUID
    company_id: UUID
    company_name: str
    product_code: str
    product_name: str
    status: str
    status_label: str
    step: int | None
    step_label: str | None
    progress: int | None
    priority: int | None
    estimated_amount: Decimal | None
    audited_amount: Decimal | None
    granted_amount: Decimal | None
    expert_id: UUID | None
    expert_name: str | None
    waiting_on: str | None
    waiting_on_me: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class DossierPage(BaseModel):
    items: list[DossierCard]
    next_cursor: str | None = Field(description="pass as `after` for the next page; null on the last one")


class DossierDetail(BaseModel):
    """Everything a participant needs on one screen (partners: status and amounts, no checklist)."""

    model_config = ConfigDict(extra="allow")

    id: UUID
    organization_id: UUID
    status: str
    status_label: str
    step: int | None
    step_label: str | None
    progress: int | None
    company: dict[str, Any]
    product: dict[str, Any]
    amounts: dict[str, Decimal | None]
    expert: dict[str, Any] | None
    checklist: dict[str, Any] | None
    next_action: dict[str, Any] | None
    allowed_commands: list[AllowedCommand]
    timeline: list[TimelineEvent]
    sla: DossierSlaOut | None = None  # the open awaited actions and the worst SLA state


class OfferBrief(BaseModel):
    """An open offer to the caller (an expert) with the dossier's brief."""

    offer_id: UUID
    dossier_id: UUID
    offered_at: dt.datetime
    expires_at: dt.datetime
    score: Decimal
    source: str
    company_name: str
    sector: str | None
    departement: str | None
    city: str
    product_code: str
    product_name: str
    estimated_amount: Decimal | None
    priority: int | None


class OfferBriefList(BaseModel):
    items: list[OfferBrief]


# --- queries ---------------------------------------------------------------------------------------
class LangQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Lang = "fr"


class ListQuery(BaseModel):
    """Query string of `GET /dossier/dossiers`: filters, sort and keyset page."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(default=None, pattern=r"^[a-z_]{2,40}(,[a-z_]{2,40}){0,20}$", description="a,b,c")
    step: int | None = Field(default=None, ge=1, le=8)
    product: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,40}$")
    company_id: UUID | None = None
    expert_id: UUID | None = None
    priority: int | None = Field(default=None, ge=1, le=3)
    min_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    max_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    created_from: IsoDate | None = None
    created_to: IsoDate | None = None
    updated_from: IsoDate | None = None
    updated_to: IsoDate | None = None
    waiting_on_me: bool = False
    open_only: bool = False
    sort: Literal["updated", "created"] = "updated"
    after: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    page_size: int = Field(default=50, ge=1, le=200)
    lang: Lang = "fr"
