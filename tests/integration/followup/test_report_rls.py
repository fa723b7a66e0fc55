"""RLS of the scheduled-report tables as every role: owners and admins manage their organization's
subscriptions and read its ledger; a recipient reads their own subscriptions and the attachments of
their own mail; nobody else sees anything, anon nothing at all; the service sees everything."""

from __future__ import annotations

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb

TABLES = ("report_subscriptions", "scheduled_reports", "email_attachments")


def _count(conn: tdb.Conn, table: str) -> int:
    row = conn.execute(f"select count(*) as n from public.{table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row["n"])


def _fixture(conn: tdb.Conn, world: World) -> None:
    u = world.users
    conn.execute(
        "insert into public.report_subscriptions (organization_id, kind, recipient_id, locale) values"
        " (%(a)s, 'daily', %(owner_a)s, 'fr'), (%(a)s, 'weekly', %(expert_a)s, 'en'),"
        " (%(b)s, 'monthly', %(owner_b)s, 'fr')",
        {
            "a": world.org_a,
            "b": world.org_b,
            "owner_a": u["owner_a"],
            "expert_a": u["expert_a"],
            "owner_b": u["owner_b"],
        },
    )
    for org in world.orgs:
        conn.execute(
            "insert into public.scheduled_reports (organization_id, kind, period_start, period_end, idempotency_key)"
            " values (%s, 'daily', '2026-11-30', '2026-11-30', %s)",
            (org, f"report:{org}:daily:2026-11-30"),
        )
    row = conn.execute(
        "insert into public.email_outbox (organization_id, idempotency_key, recipient_id, to_address, event,"
        " template, template_values) values (%s, %s, %s, 'e@example.test', 'scheduled_report', 'scheduled_report',"
        " '{}') returning id",
        (world.org_a, f"report:{world.org_a}:weekly:2026-11-23:{u['expert_a']}", u["expert_a"]),
    ).fetchone()
    assert row is not None
    conn.execute(
        "insert into public.email_attachments (outbox_id, filename, content_type, content)"
        " values (%s, 'kpi.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '\\x504b')",
        (row["id"],),
    )
    flagged = conn.execute("select has_attachments from public.email_outbox where id = %s", (row["id"],)).fetchone()
    assert flagged is not None and flagged["has_attachments"] is True


def test_report_rows_as_every_role(conn: tdb.Conn, world: World) -> None:
    _fixture(conn, world)
    staff_a = {"report_subscriptions": 2, "scheduled_reports": 1, "email_attachments": 0}
    expected = {
        "owner_a": staff_a, "admin_a": staff_a,
        "expert_a": {"report_subscriptions": 1, "scheduled_reports": 0, "email_attachments": 1},
        "pending_a": {}, "client_a": {}, "client_a2": {}, "partner_a": {}, "viewer_a": {},
        "owner_b": {"report_subscriptions": 1, "scheduled_reports": 1, "email_attachments": 0},
        "client_b": {}, "expert_b": {}, "outsider": {}, "operator": {},
    }  # fmt: skip
    for persona, counts in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, world.users[persona])
            got = {table: _count(conn, table) for table in TABLES}
            assert got == {table: counts.get(table, 0) for table in TABLES}, persona
    with conn.transaction(force_rollback=True):
        tdb.as_service(conn)
        assert [_count(conn, t) >= n for t, n in zip(TABLES, (3, 2, 1), strict=True)] == [True, True, True]
    with conn.transaction(force_rollback=True):
        tdb.as_anon(conn)
        for table in TABLES:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                _count(conn, table)


def test_owners_and_admins_manage_subscriptions_of_members_only(conn: tdb.Conn, world: World) -> None:
    u = world.users
    with conn.transaction(force_rollback=True):
        tdb.as_user(conn, u["admin_a"])
        conn.execute(
            "insert into public.report_subscriptions (organization_id, kind, recipient_id) values (%s, 'monthly', %s)",
            (world.org_a, u["viewer_a"]),
        )
        row = conn.execute("select locale, active, created_by from public.report_subscriptions").fetchone()
        assert row == {"locale": "fr", "active": True, "created_by": u["admin_a"]}
        assert conn.execute("update public.report_subscriptions set locale = 'en', active = false").rowcount == 1
        with pytest.raises(psycopg.Error) as refused, conn.transaction():
            conn.execute(  # a recipient outside the organization
                "insert into public.report_subscriptions (organization_id, kind, recipient_id)"
                " values (%s, 'daily', %s)",
                (world.org_a, u["owner_b"]),
            )
        assert refused.value.diag.message_hint == "validation_failed"
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("update public.report_subscriptions set recipient_id = %s", (u["owner_a"],))
        assert conn.execute("delete from public.report_subscriptions").rowcount == 1
    for persona in ("expert_a", "client_a", "viewer_a", "owner_b"):
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, u[persona])
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(
                    "insert into public.report_subscriptions (organization_id, kind, recipient_id)"
                    " values (%s, 'daily', %s)",
                    (world.org_a, u["viewer_a"]),
                )
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(
                    "insert into public.scheduled_reports (organization_id, kind, period_start, period_end,"
                    " idempotency_key) values (%s, 'daily', '2026-01-01', '2026-01-01', 'x')",
                    (world.org_a,),
                )
