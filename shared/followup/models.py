"""What the follow-up functions answer: the sweep's report, the staff queue, SLA states and the rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SlaState = Literal["on_track", "late", "at_risk", "breached", "closed"]
Role = Literal["C", "E", "P", "A", "R", "V"]  # R prudential analysts, V approvers (0185)


class SweepOut(BaseModel):
    """What one reminder sweep did, over every organization with something due."""

    organizations: int
    failed: int = Field(description="organizations whose sweep failed (rolled back, retried next run)")
    steps_sent: int = Field(description="ledger rows recorded `sent` in this run")
    notifications: int = Field(description="(ledger row, recipient) pairs reached in the app or by email")
    emails_queued: int = Field(description="one message per recipient per organization, grouping their dossiers")
    seconds: float


class AwaitedActionOut(BaseModel):
    """One awaited action with its SLA state ("à traiter avant …" is `act_before`)."""

    id: int
    dossier_id: str | None = Field(description="none for an action of a conversation or of the organization")
    code: str
    subject: str
    label_fr: str
    label_en: str
    late_party: str
    priority: int
    state: SlaState
    paused: bool
    pause_reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    target_at: datetime | None
    warning_at: datetime | None
    breach_at: datetime | None
    act_before: datetime | None


class QueueOut(BaseModel):
    items: list[AwaitedActionOut]


class DossierSlaOut(BaseModel):
    """A dossier's open awaited actions and its worst SLA state (None: nothing awaited)."""

    state: SlaState | None
    actions: list[AwaitedActionOut]


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=500)


class RuleOut(BaseModel):
    code: str
    label_fr: str
    label_en: str
    late_party: str
    clock: Literal["business", "wall"]
    target: Decimal
    warning: Decimal
    breach: Decimal | None
    target_recipients: list[str]
    warning_recipients: list[str]
    breach_recipients: list[str]
    priority: int
    active: bool
    updated_at: datetime


class RulesOut(BaseModel):
    items: list[RuleOut]


class RulePatch(BaseModel):
    """Thresholds (business days, hours for wall clocks), recipients, priority, activity."""

    model_config = ConfigDict(extra="forbid")

    target: Decimal | None = Field(default=None, ge=0, le=999, max_digits=6, decimal_places=2)
    warning: Decimal | None = Field(default=None, ge=0, le=999, max_digits=6, decimal_places=2)
    breach: Decimal | None = Field(default=None, ge=0, le=999, max_digits=6, decimal_places=2)
    no_breach: bool = Field(default=False, description="true: the action has no breach threshold")
    target_recipients: list[Role] | None = Field(default=None, max_length=6)
    warning_recipients: list[Role] | None = Field(default=None, max_length=6)
    breach_recipients: list[Role] | None = Field(default=None, max_length=6)
    priority: int | None = Field(default=None, ge=1, le=3)
    active: bool | None = None


class KpiQuery(BaseModel):
    """A period of local dates in the organization's time zone, both ends included (at most 366 days)."""

    model_config = ConfigDict(extra="forbid")

    start: date = Field(description="first day of the period (YYYY-MM-DD)")
    end: date = Field(description="last day of the period (YYYY-MM-DD), on or after start")


class KpiRow(BaseModel):
    """One organization, expert or product over the period (FOLLOWUP.md: on-time rate and breaches)."""

    dimension: Literal["organization", "expert", "product"]
    key: str = Field(description="the organization's or expert profile's id, or the product code")
    label: str | None
    closed: int = Field(description="awaited actions closed within the period")
    on_time: int = Field(description="of those, closed strictly before their target instant")
    on_time_rate: Decimal | None = Field(description="on_time / closed, 4 decimals; null without closed actions")
    breached_closed: int = Field(description="closed actions that had reached their breach threshold")
    open: int = Field(description="actions still open, opened before the period's end")
    breached_open: int = Field(description="of those, breached at the period's end (or now)")
    breaches: int
    median_business_minutes_to_close: Decimal | None
    mean_business_minutes_to_close: Decimal | None


class KpisOut(BaseModel):
    start: date
    end: date
    items: list[KpiRow]
