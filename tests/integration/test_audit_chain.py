"""The audit log is append-only for every role and hash-chained per organization (migration 0034)."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors as pg_errors

from infra.cli import main as cli
from shared.platform import audit
from shared.platform import settings as settings_module
from shared.platform.settings import Secret, Settings
from tests.integration.conftest import World
from tests.support import db as tdb

APPEND = "select private.append_audit(%s, %s, %s, %s, %s, %s, %s) as id"


def _append(conn: tdb.Conn, org: uuid.UUID, action: str, details: str | None = None) -> int:
    row = conn.execute(APPEND, (org, "dossiers", uuid.uuid4(), action, None, '{"a": 1}', details)).fetchone()
    assert row is not None
    return int(row["id"])


def _verify(conn: tdb.Conn, org: uuid.UUID) -> audit.Report:
    tdb.as_owner(conn)
    return audit.verify(conn, org)


def test_mixed_inserts_across_two_organizations_form_valid_chains(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["admin_a"])
    conn.execute("update public.memberships set role = 'viewer' where user_id = %s", (world.users["client_a2"],))
    _append(conn, world.org_a, "override", '{"reason": "accord écrit\\n", "amount": 12000.50, "k": [1, {}]}')
    tdb.as_user(conn, world.users["owner_b"])
    _append(conn, world.org_b, "invoice_issued", '{"number": "F-2026-0001"}')
    tdb.as_service(conn)
    conn.execute(
        "insert into public.audit_log (organization_id, table_name, row_id, action, details)"
        " values (%s, 'invoices', %s, 'payment_recorded', '{\"cents\": 100}')",
        (world.org_a, uuid.uuid4()),
    )
    _append(conn, world.org_b, "calculation_approved")
    tdb.as_owner(conn)
    rows = conn.execute(
        "select organization_id, chain_seq, prev_hash, row_hash from public.audit_log"
        " where organization_id = any(%s) order by organization_id, chain_seq",
        ([world.org_a, world.org_b],),
    ).fetchall()
    for org in world.orgs:
        chain = [r for r in rows if r["organization_id"] == org]
        assert [r["chain_seq"] for r in chain] == list(range(1, len(chain) + 1))
        assert chain[0]["prev_hash"] is None
        assert all(b["prev_hash"] == a["row_hash"] for a, b in itertools.pairwise(chain))
        report = _verify(conn, org)
        assert report.ok, report.mismatch
        assert (report.organizations, report.rows) == (1, len(chain))


def test_the_actor_and_details_come_from_the_caller(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["admin_a"])
    new_id = _append(conn, world.org_a, "override", '{"reason": "r"}')
    row = conn.execute(
        "select actor_id, actor_role, action, details from public.audit_log where id = %s", (new_id,)
    ).fetchone()
    assert row == {
        "actor_id": world.users["admin_a"],
        "actor_role": "authenticated",
        "action": "override",
        "details": {"reason": "r"},
    }


def test_append_audit_refuses_strangers_bad_actions_and_anon(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["owner_b"])
    with pytest.raises(psycopg.Error) as refused, conn.transaction():
        _append(conn, world.org_a, "override")
    assert refused.value.diag.sqlstate == "PT403"
    tdb.as_user(conn, world.users["admin_a"])
    with pytest.raises(pg_errors.CheckViolation), conn.transaction():
        _append(conn, world.org_a, "Invoice-Issued")
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        _append(conn, world.org_a, "override")


@pytest.mark.parametrize("persona", ["authenticated", "service_role", "owner"])
@pytest.mark.parametrize(
    "statement",
    [
        "update public.audit_log set action = 'delete' where organization_id = %(org)s",
        "delete from public.audit_log where organization_id = %(org)s",
        "truncate public.audit_log",
    ],
)
def test_no_role_can_change_or_remove_audit_rows(conn: tdb.Conn, world: World, persona: str, statement: str) -> None:
    if persona == "authenticated":
        tdb.as_user(conn, world.users["owner_a"])
    elif persona == "service_role":
        tdb.as_service(conn)
    else:
        tdb.as_owner(conn)
    with pytest.raises(psycopg.Error) as refused, conn.transaction():
        conn.execute(statement, {"org": world.org_a})
    assert refused.value.diag.sqlstate in {"PT403", "42501"}  # the trigger, or no privilege at all
    tdb.as_owner(conn)
    count = conn.execute("select count(*) as n from public.audit_log where organization_id = %s", (world.org_a,))
    assert (count.fetchone() or {})["n"] > 0


def test_the_table_owner_is_refused_by_the_triggers_themselves(conn: tdb.Conn, world: World) -> None:
    tdb.as_owner(conn)
    with pytest.raises(psycopg.Error) as refused, conn.transaction():
        conn.execute("delete from public.audit_log where organization_id = %s", (world.org_a,))
    assert refused.value.diag.sqlstate == "PT403"
    assert refused.value.diag.message_hint == "audit_log_append_only"


def _tamper(conn: tdb.Conn, statement: str, params: tuple[object, ...]) -> None:
    tdb.as_owner(conn)
    conn.execute("set local session_replication_role = replica")
    conn.execute(statement, params)
    conn.execute("set local session_replication_role = origin")


def test_a_row_altered_behind_the_triggers_is_named(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["admin_a"])
    ids = [_append(conn, world.org_a, "override", f'{{"n": {n}}}') for n in range(3)]
    assert _verify(conn, world.org_a).ok
    _tamper(conn, "update public.audit_log set details = '{\"n\": 7}' where id = %s", (ids[1],))
    report = _verify(conn, world.org_a)
    assert report.mismatch is not None
    assert report.mismatch.row_id == ids[1]
    assert "does not match its hash" in report.mismatch.reason
    assert _verify(conn, world.org_b).ok


def test_a_removed_row_breaks_the_chain_at_the_next_one(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["admin_a"])
    ids = [_append(conn, world.org_a, "override") for _ in range(3)]
    _tamper(conn, "delete from public.audit_log where id = %s", (ids[1],))
    report = _verify(conn, world.org_a)
    assert report.mismatch is not None
    assert report.mismatch.row_id == ids[2]
    _tamper(conn, "delete from public.audit_log where id = %s", (ids[2],))
    report = _verify(conn, world.org_a)
    assert report.mismatch is not None
    assert report.mismatch.reason == "the chain head does not match the last row"


@pytest.fixture
def committed_org(database_url: str) -> Iterator[tuple[uuid.UUID, str]]:
    """An organization whose audit rows are committed (threads and the CLI use their own connections)."""
    slug = f"audit-{uuid.uuid4().hex[:10]}"
    with tdb.connect(database_url) as conn:
        row = conn.execute(
            "insert into public.organizations (name, slug) values ('Audit', %s) returning id", (slug,)
        ).fetchone()
        assert row is not None
        org = uuid.UUID(str(row["id"]))
        conn.commit()
    yield org, slug
    with tdb.connect(database_url) as conn:  # the trail is append-only: only a superuser can clean up
        conn.execute("set session_replication_role = replica")
        conn.execute("delete from public.audit_log where organization_id = %s", (org,))
        conn.execute("delete from private.audit_chain_heads where organization_id = %s", (org,))
        conn.execute("delete from public.organizations where id = %s", (org,))
        conn.commit()


@pytest.mark.race
def test_concurrent_appends_of_one_organization_keep_one_valid_chain(
    database_url: str, committed_org: tuple[uuid.UUID, str]
) -> None:
    org, _ = committed_org
    threads_count, per_thread = 6, 5
    barrier = threading.Barrier(threads_count)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with tdb.connect(database_url) as conn:
                barrier.wait(timeout=30)
                for _ in range(per_thread):
                    with conn.transaction():
                        tdb.as_service(conn)
                        _append(conn, org, "payment_recorded")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with psycopg.connect(database_url) as conn:
        report = audit.verify(conn, org)
    assert report.ok, report.mismatch
    assert report.rows == threads_count * per_thread


def test_the_cli_says_ok_then_names_the_altered_row(
    database_url: str,
    committed_org: tuple[uuid.UUID, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org, slug = committed_org
    with tdb.connect(database_url) as conn:
        tdb.as_service(conn)
        ids = [_append(conn, org, "invoice_issued") for _ in range(2)]
        conn.commit()
    monkeypatch.setattr(settings_module, "_override", Settings(database_url=Secret(database_url)))
    assert cli(["audit", "verify", "--organization", slug]) == 0
    assert capsys.readouterr().out == "OK: 2 audit rows in 1 organization chain(s) verified\n"
    with tdb.connect(database_url) as conn:
        _tamper(conn, "update public.audit_log set actor_role = 'authenticated' where id = %s", (ids[0],))
        conn.commit()
    assert cli(["audit", "verify", "--organization", slug]) == 1
    assert f"row id {ids[0]} (chain_seq 1): its content does not match its hash" in capsys.readouterr().err
    assert audit.verify_database(database_url, "no-such-org")[0] == 2
