"""Which period a scheduled report covers (pure): the most recent one whose 07:00 send time has passed.

Daily: every day at 07:00, the previous day. Weekly: Mondays at 07:00, the previous ISO week (Monday
to Sunday). Monthly: the 1st at 07:00, the previous month. Times are the organization's wall-clock
time (07:00 exists on both DST change days in every zone we serve). After downtime only the most
recent due period is returned: missed ones are not caught up one by one.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.reports.models import Kind, Period

SEND_AT = dt.time(7, 0)


def _send_day(kind: Kind, today: dt.date) -> dt.date:
    """The latest day on or before ``today`` on which ``kind`` leaves."""
    if kind == "daily":
        return today
    if kind == "weekly":
        return today - dt.timedelta(days=today.isoweekday() - 1)
    return today.replace(day=1)


def _previous_send_day(kind: Kind, day: dt.date) -> dt.date:
    if kind == "daily":
        return day - dt.timedelta(days=1)
    if kind == "weekly":
        return day - dt.timedelta(days=7)
    return (day - dt.timedelta(days=1)).replace(day=1)


def due_period(kind: Kind, now: dt.datetime, time_zone: str) -> Period:
    """The period whose report is due at ``now`` (aware) in ``time_zone``."""
    local = now.astimezone(ZoneInfo(time_zone))
    day = _send_day(kind, local.date())
    if day == local.date() and local.time() < SEND_AT:
        day = _previous_send_day(kind, day)
    end = day - dt.timedelta(days=1)
    if kind == "daily":
        start = end
    elif kind == "weekly":
        start = end - dt.timedelta(days=6)
    else:
        start = end.replace(day=1)
    return Period(kind, start, end)


def key(organization_id: str, period: Period) -> str:
    """The ledger key: ``report:<org>:<kind>:<period start>``."""
    return f"report:{organization_id}:{period.kind}:{period.start.isoformat()}"
