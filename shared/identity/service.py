"""Use cases about the caller."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.identity import repository
from shared.identity.models import CompanyOut, MembershipOut, MeOut
from shared.platform.db import Connection


def me(*, claims: dict[str, Any], user_id: str, email: str | None) -> MeOut:
    """The caller's memberships and companies, as RLS lets them see."""
    row = repository.fetch_me(claims)
    return MeOut(
        user_id=UUID(user_id),
        email=email,
        memberships=[MembershipOut.model_validate(m) for m in row["memberships"]],
        client_companies=[CompanyOut.model_validate(c) for c in row["client_companies"]],
        managed_companies=[CompanyOut.model_validate(c) for c in row["managed_companies"]],
        platform_operator=bool(row["platform_operator"]),
    )


def my_organization_ids(conn: Connection) -> list[UUID]:
    """The organizations the caller belongs to, in a transaction acting as them; every capability asks
    here (RLS asks ``private.my_organization_ids``, the same definition)."""
    return repository.my_organization_ids(conn)
