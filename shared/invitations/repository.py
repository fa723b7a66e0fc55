"""SQL of invitations: the RPCs (role and address checks live in the database) and the invitation email
queued in the outbox for Resend."""

from __future__ import annotations

import uuid
from typing import Any

from shared.platform.db import Connection


def create(
    conn: Connection, *, organization_id: uuid.UUID, email: str, role: str, company_id: uuid.UUID | None,
    token_sha256: str, locale: str,
) -> dict[str, Any]:  # fmt: skip
    row = conn.execute(
        "select public.create_invitation(%s, %s, %s, %s, %s, %s) as invitation",
        (organization_id, email, role, company_id, token_sha256, locale),
    ).fetchone()
    assert row is not None
    return dict(row["invitation"])


def branding(conn: Connection, organization_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute(
        "select name, primary_color, legal_footer from public.organizations where id = %s", (organization_id,)
    ).fetchone()
    assert row is not None
    return dict(row)


def accept(conn: Connection, token_sha256: str) -> dict[str, Any]:
    row = conn.execute("select public.accept_invitation(%s) as result", (token_sha256,)).fetchone()
    assert row is not None
    return dict(row["result"])


def revoke(conn: Connection, invitation_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute("select public.revoke_invitation(%s) as result", (invitation_id,)).fetchone()
    assert row is not None
    return dict(row["result"])


def queue_email(conn: Connection, *, invitation_id: str, subject: str, html: str, text: str) -> None:
    """The invitation email in the outbox (essential, keyed ``invitation:<id>``)."""
    conn.execute("select private.queue_invitation_email(%s, %s, %s, %s)", (invitation_id, subject, html, text))
