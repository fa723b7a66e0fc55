"""Migration 0171: a threshold or calendar change recomputes an organization's open awaited actions in one
statement. Its instants must equal what the one-instance path (private.refresh_awaited_action) gives, on
business and wall clocks, paused and resumed ones, starts at openings, closings, nights, week-ends, holidays
and across the DST change, with steps already in the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.conftest import World
from tests.support import db as tdb

PARIS = ZoneInfo("Europe/Paris")
COLUMNS = (
    "id, target_minutes, warning_minutes, breach_minutes, target_at, warning_at, breach_at, notice_at, next_step_at"
)
STARTS = [
    datetime(2026, 3, 2, 9, 0),  # an opening
    datetime(2026, 3, 2, 12, 30),  # a closing
    datetime(2026, 3, 6, 17, 59, 59, 123456),  # a Friday's last second, microseconds
    datetime(2026, 3, 7, 11, 0),  # a Saturday
    datetime(2026, 3, 27, 16, 0),  # the Friday before the DST change
    datetime(2026, 3, 29, 2, 30),  # inside the DST gap's day (Sunday)
    datetime(2026, 5, 13, 20, 0),  # the eve of Ascension
    datetime(2026, 5, 22, 19, 10),  # before Whit Monday
    datetime(2026, 10, 23, 10, 15),  # before the fall-back change
    datetime(2026, 12, 24, 13, 0),  # lunch break before Christmas
]


def _dossier(conn: tdb.Conn, world: World) -> Any:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code) values (%s, %s, 'ticpe')"
        " returning id",
        (world.org_a, world.companies["ca1"]),
    ).fetchone()
    assert row is not None
    return row["id"]


def _open_instances(conn: tdb.Conn, world: World) -> list[int]:
    dossier = _dossier(conn, world)
    pause = "select private.pause_awaited_action(%s, 'on_hold', %s)"
    ids: list[int] = []
    for n, start in enumerate(STARTS):
        at = start.replace(tzinfo=PARIS)
        for code in ("audit", "client_documents", "expert_acceptance"):
            row = conn.execute(
                "select private.open_awaited_action(%s, %s, %s, %s) as id", (dossier, code, f"s{n}", at)
            ).fetchone()
            assert row is not None
            ids.append(int(row["id"]))
            if n % 3 == 1:  # paused, then resumed (minutes kept from the first segment)
                conn.execute(pause, (row["id"], at + timedelta(hours=5)))
                conn.execute(
                    "select private.resume_awaited_action(%s, 'on_hold', %s)",
                    (row["id"], at + timedelta(days=3, minutes=7)),
                )
            elif n % 3 == 2:  # still paused
                conn.execute(pause, (row["id"], at + timedelta(hours=30)))
            if n % 4 == 0:  # a step already sent
                conn.execute(
                    "insert into public.reminder_ledger (organization_id, action_id, step, status, due_at)"
                    " values (%s, %s, 'reminder', 'sent', %s)",
                    (world.org_a, row["id"], at),
                )
    _one_by_one(conn, world.org_a)  # the ledger rows move next_step_at, as the sweep's own update does
    return ids


def _state(conn: tdb.Conn, org: Any) -> dict[int, dict[str, Any]]:
    rows = conn.execute(
        f"select {COLUMNS} from public.awaited_actions where organization_id = %s and closed_at is null order by id",  # noqa: S608
        (org,),
    ).fetchall()
    return {int(r["id"]): dict(r) for r in rows}


def _differences(left: dict[int, dict[str, Any]], right: dict[int, dict[str, Any]]) -> dict[int, Any]:
    assert left.keys() == right.keys()
    return {
        i: {k: (left[i][k], right[i][k]) for k in left[i] if left[i][k] != right[i][k]}
        for i in left
        if left[i] != right[i]
    }


def _one_by_one(conn: tdb.Conn, org: Any) -> dict[int, dict[str, Any]]:
    conn.execute(
        "select private.refresh_awaited_action(a.id) from public.awaited_actions a"
        " where a.organization_id = %s and a.closed_at is null",
        (org,),
    )
    return _state(conn, org)


def test_a_threshold_change_gives_the_instants_of_the_one_by_one_path(conn: tdb.Conn, world: World) -> None:
    ids = _open_instances(conn, world)
    before = _state(conn, world.org_a)
    conn.execute(
        "update public.awaited_action_rules set target = 4.5, warning = 9, breach = 13.25"
        " where organization_id = %s and code = 'audit'",
        (world.org_a,),
    )
    conn.execute(
        "update public.awaited_action_rules set target = 30, warning = 50, breach = 70"
        " where organization_id = %s and code = 'expert_acceptance'",
        (world.org_a,),
    )
    set_based = _state(conn, world.org_a)
    changed = [i for i in ids if set_based[i]["target_minutes"] != before[i]["target_minutes"]]
    assert len(changed) == 2 * len(STARTS)  # audit and expert_acceptance instances moved, documents did not
    assert any(set_based[i]["target_at"] != before[i]["target_at"] for i in changed)
    assert _differences(set_based, _one_by_one(conn, world.org_a)) == {}


def test_a_calendar_change_gives_the_instants_of_the_one_by_one_path(conn: tdb.Conn, world: World) -> None:
    ids = _open_instances(conn, world)
    before = _state(conn, world.org_a)
    conn.execute(
        "insert into public.business_calendars (organization_id, time_zone, working_days, hours, public_holidays,"
        ' closed_days) values (%s, \'Europe/Paris\', \'{1,2,3,4,5,6}\', \'[["08:15", "12:00"], ["13:30", "19:45"]]\','
        " 'FR', '{2026-03-09,2026-05-15,2026-12-28}')"
        " on conflict (organization_id) do update set working_days = excluded.working_days, hours = excluded.hours,"
        " closed_days = excluded.closed_days",
        (world.org_a,),
    )
    set_based = _state(conn, world.org_a)
    assert sum(1 for i in ids if set_based[i]["target_at"] != before[i]["target_at"]) >= len(STARTS)
    assert any(v["next_step_at"] is not None for v in set_based.values())
    assert _differences(set_based, _one_by_one(conn, world.org_a)) == {}
    # another zone: the windows are generated in the calendar's own time
    conn.execute(
        "update public.business_calendars set time_zone = 'America/Martinique', public_holidays = null"
        " where organization_id = %s",
        (world.org_a,),
    )
    assert _differences(_state(conn, world.org_a), _one_by_one(conn, world.org_a)) == {}


def test_the_function_reports_the_instances_it_recomputed(conn: tdb.Conn, world: World) -> None:
    _open_instances(conn, world)
    row = conn.execute(
        "select private.refresh_open_awaited_actions(%s, 'client_documents') as n,"
        " (select count(*) from public.awaited_actions where organization_id = %s and code = 'client_documents'"
        "  and closed_at is null) as open",
        (world.org_a, world.org_a),
    ).fetchone()
    assert row is not None and row["n"] == row["open"] == len(STARTS)
