"""RLS of the follow-up tables as every role: awaited actions and their clock segments follow the
dossier's visibility, the reminder ledger and the messages that carried it are the staff's."""

from __future__ import annotations

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb

TABLES = ("awaited_actions", "awaited_action_segments", "awaited_action_states", "reminder_ledger", "reminder_messages")


def _count(conn: tdb.Conn, table: str) -> int:
    row = conn.execute(f"select count(*) as n from public.{table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row["n"])


def test_followup_rows_as_every_role(conn: tdb.Conn, world: World) -> None:
    conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
        " values (%s, %s, 'ticpe', %s), (%s, %s, 'ticpe', null)",
        (world.org_a, world.companies["ca1"], world.experts["expert_a"], world.org_b, world.companies["cb1"]),
    )
    for org in world.orgs:
        # A month later, in working time: the critical step leaves, the lower ones are skipped.
        conn.execute(
            "select * from private.sweep_awaited_actions(%s,"
            " private.business_due(private.organization_calendar(%s), now() + interval '30 days', 60))",
            (org, org),
        )
        conn.execute(
            "insert into public.reminder_messages (ledger_id, outbox_id, organization_id)"
            " select l.id, private.enqueue_email(l.organization_id, 'reminder:' || l.id, null, 'a@example.test',"
            " 'Relance', '<p>Relance</p>', 'Relance', 'critical_reminder', true), l.organization_id"
            " from public.reminder_ledger l where l.organization_id = %s and l.status = 'sent'",
            (org,),
        )
    u = world.users
    staff = {"actions": 1, "segments": 1, "ledger": 3, "messages": 1}
    seer = {"actions": 1, "segments": 1, "ledger": 0, "messages": 0}
    nobody = {"actions": 0, "segments": 0, "ledger": 0, "messages": 0}
    expected = {
        "owner_a": staff, "admin_a": staff, "expert_a": seer, "pending_a": nobody, "client_a": seer,
        "client_a2": nobody, "partner_a": nobody, "viewer_a": seer, "owner_b": staff, "client_b": seer,
        "expert_b": nobody, "outsider": nobody, "operator": nobody,
    }  # fmt: skip
    for persona, counts in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, u[persona])
            got = {
                "actions": _count(conn, "awaited_actions"),
                "segments": _count(conn, "awaited_action_segments"),
                "ledger": _count(conn, "reminder_ledger"),
                "messages": _count(conn, "reminder_messages"),
            }
            assert got == counts, persona
            assert _count(conn, "awaited_action_states") == counts["actions"], persona
            for table in ("reminder_ledger", "awaited_actions", "awaited_action_segments"):
                # Nobody writes the follow-up through the Data API: the server's functions do.
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                    conn.execute(f"delete from public.{table}")  # noqa: S608 (fixed names)
    with conn.transaction(force_rollback=True):
        tdb.as_anon(conn)
        for table in TABLES:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                _count(conn, table)
