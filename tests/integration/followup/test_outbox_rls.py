"""Who reads the email outbox through the Data API: staff their organization's, users their own."""

from __future__ import annotations

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb


def _enqueue(conn: tdb.Conn, org: object, key: str, recipient: object) -> None:
    conn.execute(
        "select private.enqueue_email(%s, %s, %s, 'someone@example.test', 'Sujet', '<p>x</p>', 'x', 'test')",
        (org, key, recipient),
    )


def _count(conn: tdb.Conn, table: str) -> int:
    row = conn.execute(f"select count(*) as n from public.{table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row["n"])


def test_outbox_rows_as_every_role(conn: tdb.Conn, world: World) -> None:
    u = world.users
    _enqueue(conn, world.org_a, "a:client", u["client_a"])
    _enqueue(conn, world.org_a, "a:expert", u["expert_a"])
    _enqueue(conn, world.org_b, "b:owner", u["owner_b"])
    expected = {
        "owner_a": 2, "admin_a": 2, "expert_a": 1, "client_a": 1, "client_a2": 0, "partner_a": 0, "viewer_a": 0,
        "owner_b": 1, "client_b": 0, "outsider": 0,
    }  # fmt: skip
    for persona, count in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, u[persona])
            assert _count(conn, "email_outbox") == count, persona
            for internal in ("email_batches", "email_suppressions", "email_events"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                    _count(conn, internal)
    with conn.transaction(force_rollback=True):
        tdb.as_anon(conn)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _count(conn, "email_outbox")
    with conn.transaction(force_rollback=True):
        tdb.as_service(conn)
        assert _count(conn, "email_outbox") >= 3


@pytest.mark.parametrize("persona", ["owner_a", "client_a"])
def test_nobody_writes_mail_through_the_data_api(conn: tdb.Conn, world: World, persona: str) -> None:
    _enqueue(conn, world.org_a, "a:client", world.users["client_a"])
    tdb.as_user(conn, world.users[persona])
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("update public.email_outbox set status = 'sent'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("select private.enqueue_email(%s, 'x', null, 'a@b.test', 's', 'h', 't', 'e')", (world.org_a,))
