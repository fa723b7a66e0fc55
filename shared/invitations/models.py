"""What the `invitations` function reads and writes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

InvitedRole = Literal["expert", "client", "partner"]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=200)]


class InvitationIn(BaseModel):
    """Invite one person to an organization (and, for a client user, to one of its companies)."""

    model_config = ConfigDict(extra="forbid")

    organization_id: UUID
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
    role: InvitedRole
    company_id: UUID | None = Field(default=None, description="required for a client user, else absent")
    locale: Literal["fr", "en"] = "fr"


class InvitationOut(BaseModel):
    id: UUID
    organization_id: UUID
    email: str
    role: InvitedRole
    company_id: UUID | None
    status: Literal["pending", "accepted", "revoked"]
    expires_at: dt.datetime
    delivery: Literal["supabase_invite", "email"] = Field(
        description="supabase_invite: Supabase Auth sent its invitation (new account); email: our invitation email"
    )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Token


class AcceptOut(BaseModel):
    invitation_id: UUID
    organization_id: UUID
    role: str
    company_id: UUID | None


class RevokeOut(BaseModel):
    id: UUID
    status: Literal["revoked"]
