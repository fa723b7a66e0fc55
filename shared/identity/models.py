"""The caller's identity as seen by the functions."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

Role = str


class MembershipOut(BaseModel):
    organization_id: UUID
    organization_name: str
    organization_slug: str = Field(description="what the questionnaire and anonymous starts name the organization by")
    role: Role = Field(description="owner, admin, expert, client, viewer or partner")


class CompanyOut(BaseModel):
    id: UUID
    organization_id: UUID
    name: str
    siren: str | None


class MeOut(BaseModel):
    """The authenticated caller."""

    user_id: UUID
    email: str | None
    memberships: list[MembershipOut]
    client_companies: list[CompanyOut] = Field(description="companies the caller belongs to as a client user")
    managed_companies: list[CompanyOut] = Field(description="prospect companies the caller manages as a partner")
    platform_operator: bool
