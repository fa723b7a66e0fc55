"""Business time on the default calendar: FOLLOWUP.md's public examples, DST, holidays, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.followup.calendar import Calendar, CalendarError, business_minutes, business_time, due

PARIS = ZoneInfo("Europe/Paris")
DEFAULT = Calendar()
DAY = DEFAULT.minutes_per_day


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def test_a_working_day_is_450_minutes_by_default() -> None:
    assert DAY == 450


def test_a_request_sent_on_friday_evening_before_whit_monday() -> None:
    sent = paris("2026-05-22 19:10")
    assert due(DEFAULT, sent, 5 * DAY) == paris("2026-06-01 18:00")
    # The reminder leaves at the next opening.
    assert due(DEFAULT, paris("2026-06-01 18:00"), 0) == paris("2026-06-02 09:00")
    assert due(DEFAULT, sent, 10 * DAY) == paris("2026-06-08 18:00")
    assert due(DEFAULT, paris("2026-06-08 18:00"), 0) == paris("2026-06-09 09:00")
    assert due(DEFAULT, sent, 15 * DAY) == paris("2026-06-15 18:00")
    assert due(DEFAULT, paris("2026-06-15 18:00"), 0) == paris("2026-06-16 09:00")
    # The clock starts on Tuesday 26 at 09:00: nothing counts over the weekend and Whit Monday.
    assert business_minutes(DEFAULT, sent, paris("2026-05-26 09:00")) == 0
    assert business_minutes(DEFAULT, sent, paris("2026-05-26 10:00")) == 60


def test_an_eligibility_review_across_ascension_and_a_closed_bridge_day() -> None:
    submitted = paris("2026-05-13 17:00")
    assert due(DEFAULT, submitted, DAY) == paris("2026-05-15 17:00")
    bridge = Calendar(closed_days=frozenset({date(2026, 5, 15)}))
    assert due(bridge, submitted, DAY) == paris("2026-05-18 17:00")
    assert due(bridge, submitted, 2 * DAY) == paris("2026-05-19 17:00")
    assert due(bridge, submitted, 3 * DAY) == paris("2026-05-20 17:00")


def test_an_audit_paused_while_waiting_on_the_client() -> None:
    started, asked, answered = paris("2026-03-02 09:00"), paris("2026-03-04 09:00"), paris("2026-03-18 09:00")
    assert business_minutes(DEFAULT, started, asked) == 900
    reached = due(DEFAULT, answered, 7 * DAY - 900)
    assert reached == paris("2026-03-24 18:00")
    assert business_minutes(DEFAULT, started, reached, [(asked, answered)]) == 7 * DAY
    assert due(DEFAULT, reached, 0) == paris("2026-03-25 09:00")


def test_across_the_dst_change() -> None:
    friday = datetime.fromisoformat("2026-03-27T17:00:00+01:00")
    monday = datetime.fromisoformat("2026-03-30T10:00:00+02:00")
    assert business_minutes(DEFAULT, friday, monday) == 120


def test_a_window_across_the_night_of_the_dst_change_counts_its_real_length() -> None:
    night = Calendar(working_days=frozenset(range(1, 8)), hours=((0, 24 * 60),), public_holidays=None)
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    start, end = (
        datetime.combine(spring, datetime.min.time(), PARIS),
        datetime.combine(spring, datetime.min.time(), PARIS),
    )
    assert business_minutes(night, start, end + timedelta(days=1)) == 23 * 60
    start = datetime.combine(autumn, datetime.min.time(), PARIS)
    assert business_minutes(night, start, start + timedelta(days=1)) == 25 * 60


def test_elapsed_is_floored_to_whole_minutes_and_zero_for_an_empty_interval() -> None:
    start = paris("2026-03-02 09:00")
    assert business_minutes(DEFAULT, start, start + timedelta(seconds=119)) == 1
    assert business_minutes(DEFAULT, start, start) == 0
    assert business_minutes(DEFAULT, start, start - timedelta(hours=1)) == 0


def test_overlapping_pauses_count_once() -> None:
    start, end = paris("2026-03-02 09:00"), paris("2026-03-02 12:30")
    pauses = [
        (paris("2026-03-02 10:00"), paris("2026-03-02 11:00")),
        (paris("2026-03-02 10:30"), paris("2026-03-02 11:30")),
    ]
    assert business_minutes(DEFAULT, start, end, pauses) == 210 - 90


def test_zero_minutes_inside_working_time_is_the_start_itself() -> None:
    inside = paris("2026-03-02 10:15")
    assert due(DEFAULT, inside, 0) == inside
    assert due(DEFAULT, paris("2026-03-02 12:30"), 0) == paris("2026-03-02 14:00")


def test_public_holidays_come_from_the_library_with_regional_ones() -> None:
    good_friday, st_stephen = date(2026, 4, 3), date(2026, 12, 26)  # Alsace-Moselle only
    assert DEFAULT.is_working_day(good_friday)
    assert not Calendar(public_holidays="FR-57").is_working_day(good_friday)
    saturday_open = Calendar(working_days=frozenset(range(1, 7)))
    assert saturday_open.is_working_day(st_stephen)
    assert not Calendar(working_days=frozenset(range(1, 7)), public_holidays="FR-57").is_working_day(st_stephen)
    assert not DEFAULT.is_working_day(date(2026, 5, 25))  # Whit Monday
    assert Calendar(public_holidays=None).is_working_day(date(2026, 5, 25))


@pytest.mark.parametrize(
    ("calendar", "field"),
    [
        (lambda: Calendar(time_zone="Mars/Olympus"), "time_zone"),
        (lambda: Calendar(working_days=frozenset({0})), "working_days"),
        (lambda: Calendar(hours=((600, 540),)), "hours[0]"),
        (lambda: Calendar(hours=((540, 720), (700, 800))), "hours[1]"),
        (lambda: Calendar(public_holidays="DE"), "public_holidays"),
    ],
)
def test_an_unusable_calendar_names_its_field(calendar: object, field: str) -> None:
    with pytest.raises(CalendarError) as error:
        calendar()  # type: ignore[operator]
    assert error.value.field == field


def test_a_calendar_without_working_time_has_no_due_instant() -> None:
    with pytest.raises(CalendarError):
        due(Calendar(working_days=frozenset()), paris("2026-03-02 09:00"), 1)


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(start=instants, minutes=st.integers(min_value=0, max_value=40 * 450))
def test_due_then_elapsed_gives_back_the_minutes(start: datetime, minutes: int) -> None:
    reached = due(DEFAULT, start, minutes)
    assert business_minutes(DEFAULT, start, reached) == minutes
    if minutes:
        assert business_minutes(DEFAULT, start, reached - timedelta(seconds=1)) == minutes - 1


@settings(max_examples=150, deadline=None)
@given(
    start=instants,
    a=st.integers(min_value=0, max_value=60 * 24 * 30),
    b=st.integers(min_value=0, max_value=60 * 24 * 30),
)
def test_elapsed_is_additive(start: datetime, a: int, b: int) -> None:
    middle = start + timedelta(minutes=a)
    end = middle + timedelta(minutes=b)
    assert business_time(DEFAULT, start, end) == business_time(DEFAULT, start, middle) + business_time(
        DEFAULT, middle, end
    )
