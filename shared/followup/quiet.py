"""Quiet hours (FOLLOWUP.md "Preferences"): when an email to a user may leave.

Per user, in their time zone (default the organization's): a nightly window (default 20:00–08:00)
and, by default, whole weekends. Email waits until the window ends; in-app notifications do not
wait, and urgent email passes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_hours_end(at: datetime, time_zone: str, start: time, end: time, weekends: bool) -> datetime:
    """The earliest instant at or after ``at`` outside the quiet hours (``start == end``: none)."""
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone).replace(tzinfo=None)
    for _ in range(10):
        day = datetime.combine(local.date(), time())
        if weekends and local.isoweekday() >= 6:
            local = day + timedelta(days=1)
            continue
        moment = local.time()
        if start > end and moment >= start:
            local = day + timedelta(days=1)
            continue
        if (start > end and moment < end) or (start < end and start <= moment < end):
            local = datetime.combine(local.date(), end)
        return max(local.replace(tzinfo=zone), at)
    return at
