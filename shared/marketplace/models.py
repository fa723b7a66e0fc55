"""Marketplace models: what the `assign` function and the `match-score` CLI read and write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Level = Literal["debutant", "intermediaire", "avance", "expert"]
AssignmentMode = Literal["client_choice", "admin", "auto"]
OfferStatus = Literal["offered", "accepted", "declined", "expired", "withdrawn"]
ApprovalAction = Literal["approve", "reject", "suspend", "reactivate"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


# --- match-score CLI ------------------------------------------------------------------------------
class ScoreExpertIn(BaseModel):
    """An expert as the `match-score` contract describes it (missing numbers take the defaults)."""

    level: Level
    sectors: list[str] = Field(default_factory=list)
    departements: list[str] = Field(default_factory=list, description='codes such as "69", or "national"')
    rating: Decimal | None = Field(default=None, ge=0, le=5)
    completed: int = Field(default=0, ge=0)
    open: int = Field(default=0, ge=0)
    capacity: int = Field(default=10, ge=0)


class ScoreClientIn(BaseModel):
    sector: str | None = None
    departement: str | None = None


class ScoreIn(BaseModel):
    expert: ScoreExpertIn
    client: ScoreClientIn = Field(default_factory=ScoreClientIn)


# --- search and candidates ------------------------------------------------------------------------
class SearchQuery(BaseModel):
    """Query string of `GET /assign/experts` (the RPC `search_experts` takes the same names)."""

    model_config = ConfigDict(extra="forbid")

    organization_id: UUID | None = None
    q: str | None = Field(default=None, max_length=200, description="French full text; accents ignored")
    product: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,40}$")
    sector: str | None = Field(default=None, max_length=100)
    departement: str | None = Field(default=None, pattern=r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
    min_rating: Decimal | None = Field(default=None, ge=1, le=5)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    available_now: bool = False
    has_capacity: bool = False
    dossier_id: UUID | None = Field(default=None, description="rank for this dossier (score and its breakdown)")
    eligible_only: bool = Field(default=False, description="only experts who may take the dossier now")
    sort: Literal["score", "rating"] | None = Field(default=None, description="default: score with a dossier")
    after: UUID | None = Field(default=None, description="the last expert id of the previous page")
    page_size: int = Field(default=20, ge=1, le=100)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: UUID | None = None
    page_size: int = Field(default=20, ge=1, le=100)


class ProductLevel(BaseModel):
    code: str
    level: Level


class ExpertCard(BaseModel):
    """An approved expert as listed; private numbers only for staff and the expert themself."""

    expert_id: UUID
    organization_id: UUID
    display_name: str
    company_name: str
    description: str
    certifications: list[str]
    sectors: list[str]
    departements: list[str]
    languages: list[str]
    time_zone: str
    working_hours: dict[str, Any]
    rating: Decimal | None
    review_count: int
    products: list[ProductLevel]
    available_now: bool
    has_capacity: bool
    score: Decimal | None = Field(description="match score for the dossier, when one was given")
    score_parts: dict[str, str] | None = Field(description="why this expert: the score part by part")
    capacity: int | None = None
    open_dossiers: int | None = None
    completed_dossiers: int | None = None
    fee_rate: Decimal | None = None


class ExpertPage(BaseModel):
    items: list[ExpertCard]
    next_after: UUID | None = Field(description="pass as `after` for the next page; null on the last page")


# --- transitions -----------------------------------------------------------------------------------
class ExpertChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: UUID


class ForceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: UUID
    reason: Reason


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class OptionalReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ApprovalAction
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ApprovalOut(BaseModel):
    expert_id: UUID
    approval_status: str


class OfferOut(BaseModel):
    id: UUID
    organization_id: UUID
    dossier_id: UUID
    expert_id: UUID
    status: OfferStatus
    source: str
    attempt: int
    score: Decimal
    score_parts: dict[str, str]
    offered_at: dt.datetime
    expires_at: dt.datetime
    responded_at: dt.datetime | None
    reason: str | None


class OfferList(BaseModel):
    items: list[OfferOut]


class TransitionOut(BaseModel):
    """Where a dossier stands after a transition."""

    dossier_id: UUID
    dossier_status: str
    expert_id: UUID | None = None
    offer: OfferOut | None = None
    proposed_expert_id: UUID | None = None
    score: Decimal | None = None
    score_parts: dict[str, str] | None = None
    next: str | None = Field(default=None, description="after a decline: offered, failed or waiting")
    ineligibility: str | None = Field(default=None, description="forced: the rule the expert did not meet")


class EventOut(BaseModel):
    id: int
    kind: str
    expert_id: UUID | None
    offer_id: UUID | None
    actor_kind: str
    detail: dict[str, Any]
    created_at: dt.datetime


class AssignmentOut(BaseModel):
    """A dossier's assignment: where it stands, its offers and its history, as the caller may see them."""

    dossier_id: UUID
    organization_id: UUID
    status: str
    expert_id: UUID | None
    proposed_expert_id: UUID | None
    assignment_mode: AssignmentMode
    open_offer: OfferOut | None
    offers: list[OfferOut]
    events: list[EventOut]


# --- settings and reviews --------------------------------------------------------------------------
class SettingsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: UUID | None = None


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: UUID | None = None
    assignment_mode: AssignmentMode | None = None
    offer_ttl_minutes: int | None = Field(default=None, ge=5, le=43200)
    max_offer_attempts: int | None = Field(default=None, ge=1, le=20)


class SettingsOut(BaseModel):
    organization_id: UUID
    assignment_mode: AssignmentMode
    offer_ttl_minutes: int
    max_offer_attempts: int


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ReviewOut(BaseModel):
    id: UUID
    dossier_id: UUID
    expert_id: UUID
    rating: int
    comment: str
    answer: str | None
    answered_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TimeoutsOut(BaseModel):
    """What one run of `assignment-timeouts` did, summed over organizations."""

    organizations: int
    failed_organizations: int
    expired: int = 0
    withdrawn: int = 0
    offered: int = 0
    failed: int = 0
    handed_over: int = 0
    returned: int = 0
    absences: int = 0
