"""SQL for the caller's identity. Runs inside a user transaction: RLS decides what is visible."""

from __future__ import annotations

from typing import Any

from shared.platform.db import Connection

# public.me() (migration 0007) keeps its plan cached per connection; see the migration's header.
_ME = "select public.me() as me"


def fetch_me(conn: Connection) -> dict[str, Any]:
    row = conn.execute(_ME).fetchone()
    assert row is not None
    me: dict[str, Any] = row["me"]
    return me
