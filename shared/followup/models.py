"""What the follow-up functions answer: the sweep's report, the staff queue, SLA states and the rules."""

from __future__ import annotations

from datetime import datetime
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
