"""SQL for the caller's identity. Runs inside a user transaction: RLS decides what is visible."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from shared.platform import db

# public.me() (migration 0007) keeps its plan cached per connection; see the migration's header.
_ME = sql.SQL("select public.me() as me")


def fetch_me(claims: dict[str, Any]) -> dict[str, Any]:
    """The caller's identity, read as the caller in one round trip."""
    with db.user_transaction(claims) as conn:
        row = conn.execute_and_commit(_ME).fetchone()
    assert row is not None
    me: dict[str, Any] = row["me"]
    return me
