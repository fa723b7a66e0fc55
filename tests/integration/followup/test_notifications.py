"""In-app notifications, settings and preferences under RLS, as every role."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb


def notify(conn: tdb.Conn, org: uuid.UUID, user: uuid.UUID, key: str, event: str = "documents_requested") -> str | None:
    row = conn.execute(
        "select private.notify(%s, %s, %s, %s, 'Documents demandés', 'Merci de déposer votre RIB',"
        " '/dossiers/1', 'high')::text as id",
        (org, user, event, key),
    ).fetchone()
    assert row is not None
    return row["id"]


def _count(conn: tdb.Conn, table: str) -> int:
    row = conn.execute(f"select count(*) as n from public.{table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row["n"])


def test_each_user_sees_only_their_notifications(conn: tdb.Conn, world: World) -> None:
    u = world.users
    notify(conn, world.org_a, u["client_a"], "e1:client")
    notify(conn, world.org_a, u["client_a"], "e2:client")
    notify(conn, world.org_a, u["expert_a"], "e1:expert")
    notify(conn, world.org_b, u["owner_b"], "e3:owner")
    expected = {
        "owner_a": 0, "admin_a": 0, "expert_a": 1, "client_a": 2, "client_a2": 0, "partner_a": 0, "viewer_a": 0,
        "owner_b": 1, "client_b": 0, "outsider": 0,
    }  # fmt: skip
    catalogue = _count(conn, "notification_events")  # every signed-in user reads the whole catalogue
    assert catalogue >= 30
    for persona, count in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, u[persona])
            assert _count(conn, "notifications") == count, persona
            assert _count(conn, "notification_events") == catalogue
    with conn.transaction(force_rollback=True):
        tdb.as_anon(conn)
        for table in ("notifications", "notification_settings", "notification_preferences"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                _count(conn, table)
    with conn.transaction(force_rollback=True):
        tdb.as_service(conn)
        assert _count(conn, "notifications") >= 4


def test_a_repeated_cause_notifies_once(conn: tdb.Conn, world: World) -> None:
    first = notify(conn, world.org_a, world.users["client_a"], "same:client")
    assert first is not None
    assert notify(conn, world.org_a, world.users["client_a"], "same:client") is None


def test_users_mark_their_notifications_and_nothing_else(conn: tdb.Conn, world: World) -> None:
    u = world.users
    mine = notify(conn, world.org_a, u["client_a"], "m:client")
    other = notify(conn, world.org_a, u["client_a2"], "m:client2")
    tdb.as_user(conn, u["client_a"])
    row = conn.execute("select * from public.notification_counts()").fetchone()
    assert row == {"unread": 1, "visible": 1}
    marked = conn.execute(
        "update public.notifications set status = 'read' where id = any(%s) returning read_at", ([mine, other],)
    ).fetchall()
    assert len(marked) == 1 and marked[0]["read_at"] is not None
    assert conn.execute("select * from public.notification_counts()").fetchone() == {"unread": 0, "visible": 1}
    conn.execute("update public.notifications set status = 'archived' where id = %s", (mine,))
    assert conn.execute("select * from public.notification_counts()").fetchone() == {"unread": 0, "visible": 0}
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("update public.notifications set title = 'Hacked' where id = %s", (mine,))
    with pytest.raises(psycopg.Error) as error, conn.transaction():
        conn.execute("update public.notifications set status = 'resolved' where id = %s", (mine,))
    assert error.value.diag.sqlstate == "PT422"
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("delete from public.notifications")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        notify(conn, world.org_a, u["client_a"], "forged")


def test_a_replaced_reminder_stays_replaced(conn: tdb.Conn, world: World) -> None:
    note = notify(conn, world.org_a, world.users["expert_a"], "r:1", event="reminder")
    conn.execute("update public.notifications set status = 'replaced' where id = %s", (note,))
    tdb.as_user(conn, world.users["expert_a"])
    with pytest.raises(psycopg.Error), conn.transaction():
        conn.execute("update public.notifications set status = 'unread' where id = %s", (note,))


def test_preferences_are_the_users_own_and_essential_email_stays_on(conn: tdb.Conn, world: World) -> None:
    u = world.users
    tdb.as_user(conn, u["client_a"])
    conn.execute(
        "insert into public.notification_preferences (user_id, event, channel, enabled, mode)"
        " values (%s, 'document_uploaded', 'email', true, 'digest')",
        (u["client_a2"],),  # someone else's id: the row is the caller's anyway
    )
    row = conn.execute("select user_id from public.notification_preferences").fetchone()
    assert row == {"user_id": u["client_a"]}
    with pytest.raises(psycopg.Error) as error, conn.transaction():
        conn.execute(
            "insert into public.notification_preferences (event, channel, enabled)"
            " values ('invoice_issued', 'email', false)"
        )
    assert error.value.diag.sqlstate == "PT422"
    conn.execute(
        "insert into public.notification_preferences (event, channel, enabled)"
        " values ('invoice_issued', 'in_app', false)"
    )
    conn.execute("insert into public.notification_settings (locale, quiet_start) values ('en', '21:00')")
    tdb.as_user(conn, u["client_a2"])
    assert _count(conn, "notification_preferences") == 0 and _count(conn, "notification_settings") == 0
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        conn.execute("insert into public.notification_settings (time_zone) values ('Mars/Olympus')")
