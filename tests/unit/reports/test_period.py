"""The period each scheduled report covers: the most recent one whose 07:00 has passed in the
organization's time zone — across DST changes, ISO weeks spanning years and month ends."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared.reports.period import due_period, key

PARIS = ZoneInfo("Europe/Paris")
D = dt.date


def paris(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize(
    ("kind", "now", "start", "end"),
    [
        # daily: the previous day once 07:00 local has passed, the day before until then
        ("daily", "2026-03-10 07:00", D(2026, 3, 9), D(2026, 3, 9)),
        ("daily", "2026-03-10 06:59", D(2026, 3, 8), D(2026, 3, 8)),
        # DST: 29 March 2026 (02:00 → 03:00) and 25 October 2026 (03:00 → 02:00) in Paris
        ("daily", "2026-03-29 07:00", D(2026, 3, 28), D(2026, 3, 28)),
        ("daily", "2026-03-30 07:00", D(2026, 3, 29), D(2026, 3, 29)),
        ("daily", "2026-10-25 06:30", D(2026, 10, 23), D(2026, 10, 23)),
        ("daily", "2026-10-25 07:05", D(2026, 10, 24), D(2026, 10, 24)),
        # weekly: Mondays 07:00, the previous ISO week; a week across the new year
        ("weekly", "2026-03-30 07:00", D(2026, 3, 23), D(2026, 3, 29)),
        ("weekly", "2026-03-30 06:00", D(2026, 3, 16), D(2026, 3, 22)),
        ("weekly", "2026-04-02 12:00", D(2026, 3, 23), D(2026, 3, 29)),
        ("weekly", "2027-01-04 07:00", D(2026, 12, 28), D(2027, 1, 3)),
        # monthly: the 1st 07:00, the previous month; February, a leap year, December
        ("monthly", "2026-03-01 07:00", D(2026, 2, 1), D(2026, 2, 28)),
        ("monthly", "2028-03-01 08:00", D(2028, 2, 1), D(2028, 2, 29)),
        ("monthly", "2026-03-01 06:59", D(2026, 1, 1), D(2026, 1, 31)),
        ("monthly", "2027-01-01 07:00", D(2026, 12, 1), D(2026, 12, 31)),
        ("monthly", "2026-11-30 23:00", D(2026, 10, 1), D(2026, 10, 31)),
    ],
)
def test_the_period_due_in_paris(kind: str, now: str, start: dt.date, end: dt.date) -> None:
    period = due_period(kind, paris(now), "Europe/Paris")  # type: ignore[arg-type]
    assert (period.kind, period.start, period.end) == (kind, start, end)


def test_the_send_time_is_the_organizations_wall_clock_not_utc() -> None:
    # 05:30 UTC is 07:30 in Paris in summer (report due) but 06:30 in winter (not yet)
    summer = dt.datetime(2026, 7, 15, 5, 30, tzinfo=dt.UTC)
    winter = dt.datetime(2026, 1, 15, 5, 30, tzinfo=dt.UTC)
    assert due_period("daily", summer, "Europe/Paris").start == D(2026, 7, 14)
    assert due_period("daily", winter, "Europe/Paris").start == D(2026, 1, 13)
    # the same instant is already 16:30 in Nouméa: yesterday there is the 14th
    assert due_period("daily", winter, "Pacific/Noumea").start == D(2026, 1, 14)


def test_after_downtime_only_the_latest_period_is_due() -> None:
    # the cron was down all of March: on 3 April only the last day, week and month are due
    now = paris("2026-04-03 10:00")
    assert due_period("daily", now, "Europe/Paris").start == D(2026, 4, 2)
    assert due_period("weekly", now, "Europe/Paris").start == D(2026, 3, 23)
    assert due_period("monthly", now, "Europe/Paris").start == D(2026, 3, 1)


def test_the_ledger_key() -> None:
    period = due_period("weekly", paris("2026-03-30 07:00"), "Europe/Paris")
    assert key("0b7e", period) == "report:0b7e:weekly:2026-03-23"
