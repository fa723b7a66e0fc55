"""The SQL twin of the business calendar: same answers as shared/followup/calendar.py, and RLS."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import holidays_migration
from shared.followup.calendar import Calendar, CalendarError, business_time, due
from tests.integration.conftest import World
from tests.support import db as tdb

MIGRATION = Path(__file__).resolve().parents[3] / "sql" / "migrations" / "0100_create_public_holidays.sql"
PARIS = ZoneInfo("Europe/Paris")

# A calendar as the SQL composite public.business_calendars, built from the Python one.
CALENDAR_ROW = (
    "row(null, %(time_zone)s, %(working_days)s::smallint[], %(hours)s::jsonb, %(region)s, %(closed)s::date[],"
    " now())::public.business_calendars"
)


def _params(calendar: Calendar) -> dict[str, Any]:
    hhmm = lambda minutes: f"{minutes // 60:02d}:{minutes % 60:02d}"  # noqa: E731
    return {
        "time_zone": calendar.time_zone,
        "working_days": sorted(calendar.working_days),
        "hours": psycopg.types.json.Jsonb([[hhmm(s), hhmm(e)] for s, e in calendar.hours]),
        "region": calendar.public_holidays,
        "closed": sorted(calendar.closed_days),
    }


def sql_microseconds(conn: tdb.Conn, calendar: Calendar, start: datetime, end: datetime) -> int:
    row = conn.execute(
        f"select (private.business_seconds({CALENDAR_ROW}, %(start)s, %(end)s) * 1000000)::bigint as us",
        {**_params(calendar), "start": start, "end": end},
    ).fetchone()
    assert row is not None
    return int(row["us"])


def sql_due(conn: tdb.Conn, calendar: Calendar, start: datetime, minutes: int) -> datetime:
    with conn.transaction():
        row = conn.execute(
            f"select private.business_due({CALENDAR_ROW}, %(start)s, %(minutes)s) as due",
            {**_params(calendar), "start": start, "minutes": minutes},
        ).fetchone()
    assert row is not None
    return row["due"]  # type: ignore[no-any-return]


def test_the_holiday_migration_is_what_the_library_generates() -> None:
    assert MIGRATION.read_text(encoding="utf-8") == holidays_migration.render()


def test_the_public_examples_in_sql(conn: tdb.Conn) -> None:
    default = Calendar()
    sent = datetime(2026, 5, 22, 19, 10, tzinfo=PARIS)
    assert sql_due(conn, default, sent, 5 * 450) == datetime(2026, 6, 1, 18, tzinfo=PARIS)
    assert sql_due(conn, default, datetime(2026, 6, 1, 18, tzinfo=PARIS), 0) == datetime(2026, 6, 2, 9, tzinfo=PARIS)
    bridge = Calendar(closed_days=frozenset({date(2026, 5, 15)}))
    assert sql_due(conn, bridge, datetime(2026, 5, 13, 17, tzinfo=PARIS), 450) == datetime(
        2026, 5, 18, 17, tzinfo=PARIS
    )
    friday = datetime.fromisoformat("2026-03-27T17:00:00+01:00")
    monday = datetime.fromisoformat("2026-03-30T10:00:00+02:00")
    assert sql_microseconds(conn, default, friday, monday) == 120 * 60 * 1_000_000
    alsace = Calendar(public_holidays="FR-57")
    good_friday = datetime(2026, 4, 3, 9, tzinfo=PARIS)
    assert sql_microseconds(conn, alsace, good_friday, good_friday + timedelta(hours=3)) == 0
    assert sql_microseconds(conn, default, good_friday, good_friday + timedelta(hours=3)) == 3 * 3600 * 1_000_000


def test_bad_minutes_and_a_calendar_without_working_time_are_refused(conn: tdb.Conn) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=PARIS)
    with pytest.raises(psycopg.Error) as error, conn.transaction():
        sql_due(conn, Calendar(), start, -1)
    assert error.value.diag.sqlstate == "PT422"
    with pytest.raises(psycopg.Error) as error, conn.transaction():
        sql_due(conn, Calendar(working_days=frozenset()), start, 1)
    assert error.value.diag.message_hint == "no_working_time"


ZONES = ["Europe/Paris", "America/Cayenne", "Indian/Reunion", "Europe/London", "America/New_York", "Pacific/Noumea"]
REGIONS = [None, "FR", "FR-57", "FR-974", "FR-971", "FR-NC"]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=1440), min_size=2, max_size=6)))
    windows = tuple((cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2))
    start = date(2026, 1, 1)
    closed = draw(st.sets(st.integers(min_value=0, max_value=800), max_size=8))
    return Calendar(
        time_zone=draw(st.sampled_from(ZONES)),
        working_days=frozenset(draw(st.sets(st.integers(min_value=1, max_value=7), min_size=1))),
        hours=windows,
        public_holidays=draw(st.sampled_from(REGIONS)),
        closed_days=frozenset(start + timedelta(days=d) for d in closed),
    )


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(calendar=calendars(), start=instants, span=st.integers(min_value=0, max_value=60 * 24 * 45 * 60))
def test_sql_and_python_count_the_same_business_time(
    conn: tdb.Conn, calendar: Calendar, start: datetime, span: int
) -> None:
    end = start + timedelta(seconds=span, microseconds=start.microsecond)
    assert sql_microseconds(conn, calendar, start, end) == business_time(calendar, start, end) // timedelta(
        microseconds=1
    )


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(calendar=calendars(), start=instants, minutes=st.integers(min_value=0, max_value=30 * 450))
def test_sql_and_python_find_the_same_due_instant(
    conn: tdb.Conn, calendar: Calendar, start: datetime, minutes: int
) -> None:
    try:
        expected: datetime | None = due(calendar, start, minutes)
    except CalendarError:  # tiny windows on rare days: not enough working time within five years
        expected = None
    try:
        found: datetime | None = sql_due(conn, calendar, start, minutes)
    except psycopg.Error as error:
        assert error.diag.message_hint == "no_working_time"
        found = None
    assert found == expected


def _count(conn: tdb.Conn, table: str) -> int:
    row = conn.execute(f"select count(*) as n from public.{table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row["n"])


def test_calendars_rls_as_every_role(conn: tdb.Conn, world: World) -> None:
    for org in world.orgs:
        conn.execute("insert into public.business_calendars (organization_id) values (%s)", (org,))
    expected = {
        "owner_a": 1, "admin_a": 1, "expert_a": 1, "client_a": 1, "partner_a": 1, "viewer_a": 1,
        "owner_b": 1, "outsider": 0,
    }  # fmt: skip
    for persona, count in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, world.users[persona])
            assert _count(conn, "business_calendars") == count, persona
            assert _count(conn, "public_holidays") > 7000
    with conn.transaction(force_rollback=True):
        tdb.as_anon(conn)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _count(conn, "business_calendars")
    with conn.transaction(force_rollback=True):
        tdb.as_service(conn)
        assert _count(conn, "business_calendars") >= 2


@pytest.mark.parametrize(("persona", "changed"), [("owner_a", 1), ("admin_a", 1), ("expert_a", 0), ("client_a", 0),
                                                  ("viewer_a", 0), ("partner_a", 0), ("owner_b", 0)])  # fmt: skip
def test_only_owners_and_admins_change_the_calendar(conn: tdb.Conn, world: World, persona: str, changed: int) -> None:
    conn.execute("insert into public.business_calendars (organization_id) values (%s)", (world.org_a,))
    tdb.as_user(conn, world.users[persona])
    cursor = conn.execute(
        "update public.business_calendars set closed_days = '{2026-05-15}' where organization_id = %s", (world.org_a,)
    )
    assert cursor.rowcount == changed


def test_a_bad_calendar_is_refused_by_the_database(conn: tdb.Conn, world: World) -> None:
    for column, value in (
        ("time_zone", "Mars/Olympus"),
        ("working_days", "{0}"),
        ("hours", '[["12:00", "09:00"]]'),
        ("hours", '[["09:00", "12:00"], ["11:00", "13:00"]]'),
        ("public_holidays", "DE"),
    ):
        with pytest.raises((psycopg.errors.CheckViolation, psycopg.errors.ForeignKeyViolation)), conn.transaction():
            conn.execute(
                f"insert into public.business_calendars (organization_id, {column}) values (%s, %s)",  # noqa: S608
                (world.org_a, value),
            )


def test_an_organization_without_a_calendar_gets_the_default(conn: tdb.Conn, world: World) -> None:
    row = conn.execute(
        "select (private.organization_calendar(%s)).time_zone as tz,"
        " private.business_due(private.organization_calendar(%s), '2026-05-22 19:10+02', 2250) as due",
        (world.org_a, world.org_a),
    ).fetchone()
    assert row == {"tz": "Europe/Paris", "due": datetime(2026, 6, 1, 18, tzinfo=PARIS)}
