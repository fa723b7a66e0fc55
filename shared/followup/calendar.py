"""Business time: working minutes between two instants, and the instant N working minutes after one.

A calendar is an organization's time zone, its working days (ISO 1 = Monday … 7 = Sunday), its
daily windows in local wall-clock time, its public holidays (France, optionally a subdivision such
as Alsace-Moselle ``FR-57`` or an overseas département ``FR-974``) and extra closed dates.
Windows are built per local date and converted to UTC before any arithmetic, so a window that
straddles nothing but a DST change still counts its real length.

The SQL twin (``private.business_time`` / ``private.business_due``, migration 0100) computes the
same thing set-based for the sweep; a property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/Paris"
DEFAULT_WORKING_DAYS = (1, 2, 3, 4, 5)
DEFAULT_HOURS = ((9 * 60, 12 * 60 + 30), (14 * 60, 18 * 60))
# How far ahead `due` looks for working time before giving up (61 months of 31 days, like the SQL).
SEARCH_DAYS = 61 * 31

Window = tuple[int, int]  # minutes since local midnight, [start, end), end may be 1440


class CalendarError(ValueError):
    """A calendar that cannot be used; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def holiday_regions() -> tuple[str, ...]:
    """The accepted ``public_holidays`` values: ``FR`` and ``FR-<subdivision>``."""
    import holidays

    subdivisions = [s for s in holidays.list_supported_countries()["FR"] if " " not in s]
    return ("FR", *(f"FR-{s}" for s in subdivisions))


@lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    return frozenset(holiday_regions())


@lru_cache(maxsize=256)
def public_holidays(region: str, year: int) -> frozenset[date]:
    """Public holidays of ``region`` in ``year``, from the maintained ``holidays`` library."""
    import holidays

    if region not in _regions():
        raise CalendarError("public_holidays", f"unknown region {region!r}")
    subdivision = region.partition("-")[2] or None
    return frozenset(holidays.country_holidays("FR", subdiv=subdivision, years=year).keys())


@dataclass(frozen=True)
class Calendar:
    time_zone: str = DEFAULT_TIME_ZONE
    working_days: frozenset[int] = frozenset(DEFAULT_WORKING_DAYS)
    hours: tuple[Window, ...] = DEFAULT_HOURS
    public_holidays: str | None = "FR"
    closed_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise CalendarError("time_zone", f"unknown time zone {self.time_zone!r}") from exc
        if any(not 1 <= d <= 7 for d in self.working_days):
            raise CalendarError("working_days", "days are ISO numbers 1 (Monday) to 7 (Sunday)")
        previous_end = -1
        for index, (start, end) in enumerate(self.hours):
            if not 0 <= start < end <= 24 * 60:
                raise CalendarError(f"hours[{index}]", "a window is [start, end) with start before end")
            if start < previous_end:
                raise CalendarError(f"hours[{index}]", "windows must be in order and must not overlap")
            previous_end = end
        if self.public_holidays is not None:
            public_holidays(self.public_holidays, 2026)  # validates the region

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def minutes_per_day(self) -> int:
        """``d`` of the domain: one working day's minutes (J+N = N × d)."""
        return sum(end - start for start, end in self.hours)

    def is_working_day(self, day: date) -> bool:
        if day.isoweekday() not in self.working_days or day in self.closed_days:
            return False
        return self.public_holidays is None or day not in public_holidays(self.public_holidays, day.year)

    def windows(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The day's working windows as UTC instants (none on a closed day)."""
        if not self.is_working_day(day):
            return
        zone = self.zone
        midnight = datetime.combine(day, time(0))
        for start, end in self.hours:
            yield _instant(midnight + timedelta(minutes=start), zone), _instant(midnight + timedelta(minutes=end), zone)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()


def _instant(wall_clock: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant; a time the DST change repeats or skips is read as
    standard time (the smaller offset), which is what PostgreSQL's ``timestamp at time zone`` does."""
    earlier, later = wall_clock.replace(tzinfo=zone, fold=0), wall_clock.replace(tzinfo=zone, fold=1)
    chosen = min(earlier, later, key=lambda candidate: candidate.utcoffset() or timedelta(0))
    return chosen.astimezone(UTC)


def _merged(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> timedelta:
    return max(timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def business_time(
    calendar: Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> timedelta:
    """Working time inside [start, end) minus the union of ``pauses`` (nothing when end ≤ start)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    paused = _merged((max(p, start), min(q, end)) for p, q in (_utc(p) for p in pauses))
    total = timedelta(0)
    day = calendar.local_date(start)
    last = calendar.local_date(end)
    while day <= last:
        for window in calendar.windows(day):
            inside = _overlap(window, (start, end))
            if inside:
                total += inside - sum((_overlap(window, p) for p in paused), timedelta(0))
        day += timedelta(days=1)
    return total


def business_minutes(
    calendar: Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> int:
    """Working minutes inside [start, end) minus the union of pauses, floored to whole minutes."""
    return business_time(calendar, start, end, pauses) // timedelta(minutes=1)


def due(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    """The earliest instant at which ``minutes`` working minutes have elapsed since ``start``.

    0 minutes gives ``start`` when it is inside working time, else the next opening. The result is
    in the calendar's time zone.
    """
    if minutes < 0:
        raise CalendarError("business_minutes", "must be 0 or more")
    start = start.astimezone(UTC)
    remaining = timedelta(minutes=minutes)
    day = calendar.local_date(start)
    for _ in range(SEARCH_DAYS):
        for window_start, window_end in calendar.windows(day):
            if window_end <= start:
                continue
            opening = max(window_start, start)
            if remaining <= window_end - opening:
                return (opening + remaining).astimezone(calendar.zone)
            remaining -= window_end - opening
        day += timedelta(days=1)
    raise CalendarError("calendar", "not enough working time within five years")


def _utc(pause: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    return pause[0].astimezone(UTC), pause[1].astimezone(UTC)
