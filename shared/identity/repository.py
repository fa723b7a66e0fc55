"""SQL for the caller's identity. Runs inside a user transaction: RLS decides what is visible."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import sql

from shared.platform import db
from shared.platform.db import Connection

# public.me() (migration 0007) keeps its plan cached per connection; see the migration's header.
_ME = sql.SQL("select public.me() as me")


def fetch_me(claims: dict[str, Any]) -> dict[str, Any]:
    """The caller's identity, read as the caller in one round trip."""
    with db.user_transaction(claims) as conn:
        row = conn.execute_and_commit(_ME).fetchone()
    assert row is not None
    me: dict[str, Any] = row["me"]
    return me


# The one definition of "my organizations" (migration 0002): those the caller is a member of.
_MY_ORGANIZATIONS = "select id from private.my_organization_ids() as id order by id"


def my_organization_ids(conn: Connection) -> list[uuid.UUID]:
    """The organizations the caller (the transaction's user) belongs to."""
    return [row["id"] for row in conn.execute(_MY_ORGANIZATIONS).fetchall()]
