"""Awaited actions on the default calendar: FOLLOWUP.md's public examples for their thresholds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.integration.conftest import World
from tests.support import db as tdb

PARIS = ZoneInfo("Europe/Paris")


def _dossier(conn: tdb.Conn, world: World) -> object:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code) values (%s, %s, 'ticpe')"
        " returning id",
        (world.org_a, world.companies["ca1"]),
    ).fetchone()
    assert row is not None
    return row["id"]


def _paris(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value.astimezone(PARIS).replace(tzinfo=None)


def test_request_sent_friday_evening_is_due_after_whit_monday(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    row = conn.execute(
        "select private.open_awaited_action(%s, 'client_documents', 'r1', '2026-05-22 19:10+02') as id", (dossier,)
    ).fetchone()
    assert row is not None
    a = conn.execute("select * from public.awaited_actions where id = %s", (row["id"],)).fetchone()
    assert a is not None
    assert _paris(a["target_at"]) == datetime(2026, 6, 1, 18, 0)
    assert _paris(a["warning_at"]) == datetime(2026, 6, 8, 18, 0)
    assert _paris(a["breach_at"]) == datetime(2026, 6, 15, 18, 0)


def test_audit_paused_while_waiting_on_the_client(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    row = conn.execute(
        "select private.open_awaited_action(%s, 'audit', '', '2026-03-02 09:00+01') as id", (dossier,)
    ).fetchone()
    assert row is not None
    action = row["id"]
    conn.execute("select private.pause_awaited_action(%s, 'waiting_on_client', '2026-03-04 09:00+01')", (action,))
    paused = conn.execute("select * from public.awaited_actions where id = %s", (action,)).fetchone()
    assert paused is not None
    assert paused["elapsed_minutes"] == 900 and paused["target_at"] is None
    conn.execute("select private.resume_awaited_action(%s, 'waiting_on_client', '2026-03-18 09:00+01')", (action,))
    resumed = conn.execute("select * from public.awaited_actions where id = %s", (action,)).fetchone()
    assert resumed is not None
    assert _paris(resumed["target_at"]) == datetime(2026, 3, 24, 18, 0)


def test_the_catalogue_as_every_role(conn: tdb.Conn, world: World) -> None:
    u = world.users
    for persona, count in {"owner_a": 16, "client_a": 16, "expert_a": 16, "owner_b": 16, "outsider": 0}.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, u[persona])
            row = conn.execute("select count(*) as n from public.awaited_action_rules").fetchone()
            assert row is not None and row["n"] == count, persona
            changed = conn.execute("update public.awaited_action_rules set target = 4 where code = 'audit'").rowcount
            assert changed == (1 if persona in ("owner_a", "owner_b") else 0), persona


def test_catch_up_after_downtime_sends_the_critical_step_once(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    conn.execute("select private.open_awaited_action(%s, 'client_documents', 'r1', '2026-05-22 19:10+02')", (dossier,))
    sweep = "select * from private.sweep_awaited_actions(%s, '2026-06-17 10:00+02')"
    first = conn.execute(sweep, (world.org_a,)).fetchall()
    assert {r["step"] for r in first} == {"critical"} and first
    steps = conn.execute(
        "select l.step, l.status from public.reminder_ledger l join public.awaited_actions a on a.id = l.action_id"
        " where a.dossier_id = %s order by l.step",
        (dossier,),
    ).fetchall()
    assert [(s["step"], s["status"]) for s in steps] == [
        ("critical", "sent"),
        ("escalated", "skipped"),
        ("reminder", "skipped"),
    ]
    assert conn.execute(sweep, (world.org_a,)).fetchall() == []


def test_business_reminders_leave_in_working_time_only(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    conn.execute("select private.open_awaited_action(%s, 'client_documents', 'r1', '2026-05-22 19:10+02')", (dossier,))
    sweep = "select * from private.sweep_awaited_actions(%s, %s::timestamptz)"
    assert conn.execute(sweep, (world.org_a, "2026-06-01 18:00+02")).fetchall() == []
    sent = conn.execute(sweep, (world.org_a, "2026-06-02 09:00+02")).fetchall()
    assert [(r["step"], r["recipient_id"]) for r in sent] == [("reminder", world.users["client_a"])]
