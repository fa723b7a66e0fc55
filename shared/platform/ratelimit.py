"""Fixed-window rate limits counted in Postgres (shared by every function instance)."""

from __future__ import annotations

import datetime as dt

from shared.platform.db import Connection
from shared.platform.errors import TooManyRequests

_HIT = """
insert into public.rate_limit_counters (bucket, window_start, hits)
values (%(bucket)s, to_timestamp(floor(extract(epoch from now()) / %(window)s) * %(window)s), 1)
on conflict (bucket, window_start) do update set hits = public.rate_limit_counters.hits + 1
returning hits, extract(epoch from window_start + make_interval(secs => %(window)s) - now())::int as retry_after
"""

_PURGE = "delete from public.rate_limit_counters where window_start < now() - interval '1 day'"


def hit(conn: Connection, *, bucket: str, limit: int, window: dt.timedelta) -> None:
    """Count one hit in ``bucket``; raise 429 (with Retry-After) past ``limit`` hits per window.

    Must run as the service role (the counters are invisible to API roles).
    """
    row = conn.execute(_HIT, {"bucket": bucket, "window": int(window.total_seconds())}).fetchone()
    assert row is not None
    if int(row["hits"]) > limit:
        raise TooManyRequests("Too many requests; try again later", retry_after=max(1, int(row["retry_after"])))


def purge(conn: Connection) -> int:
    """Forget counters older than a day."""
    return conn.execute(_PURGE).rowcount
