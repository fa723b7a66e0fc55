"""Fixed-window rate limits counted in Postgres (shared by every function instance).

Hits are counted by ``private.hit_rate_limit`` (migration 0047), so an anonymous request counts its
own hits as ``anon``; the counters themselves stay unreadable through the API.
"""

from __future__ import annotations

import datetime as dt

from shared.platform.db import Connection
from shared.platform.errors import TooManyRequests

_HIT = "select hits, retry_after from private.hit_rate_limit(%(bucket)s, %(window)s)"
_PURGE = "delete from public.rate_limit_counters where window_start < now() - interval '1 day'"
_RESET = "delete from public.rate_limit_counters where bucket like %(prefix)s"


def hit(conn: Connection, *, bucket: str, limit: int, window: dt.timedelta) -> None:
    """Count one hit in ``bucket``; raise 429 (with Retry-After) past ``limit`` hits per window."""
    row = conn.execute(_HIT, {"bucket": bucket, "window": int(window.total_seconds())}).fetchone()
    assert row is not None
    if int(row["hits"]) > limit:
        raise TooManyRequests("Too many requests; try again later", retry_after=max(1, int(row["retry_after"])))


def purge(conn: Connection) -> int:
    """Forget counters older than a day (service role)."""
    return conn.execute(_PURGE).rowcount


def reset(conn: Connection, *, prefix: str = "") -> int:
    """Forget every counter whose bucket starts with ``prefix`` (all by default; service role)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return conn.execute(_RESET, {"prefix": escaped + "%"}).rowcount
