"""RLS and invariants of export jobs and organization logos, as every role, with row counts."""

from __future__ import annotations

import uuid

import pytest
from psycopg import errors as pg_errors

from tests.integration.conftest import World
from tests.support import db as tdb


def _job(conn: tdb.Conn, org: uuid.UUID, user: uuid.UUID, **over: object) -> uuid.UUID:
    row = conn.execute(
        "insert into public.export_jobs (organization_id, requested_by, document, format) values (%s, %s, %s, %s)"
        " returning id",
        (org, user, over.get("document", "dossier-list"), over.get("format", "xlsx")),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


@pytest.fixture
def jobs(conn: tdb.Conn, world: World) -> World:
    """Jobs in A requested by client_a, admin_a and expert_a; one in B by client_b."""
    for persona in ("client_a", "admin_a", "expert_a"):
        _job(conn, world.org_a, world.users[persona])
    _job(conn, world.org_b, world.users["client_b"])
    return world


EXPECTED = {
    "owner_a": 3,
    "admin_a": 3,
    "viewer_a": 3,
    "client_a": 1,
    "expert_a": 1,
    "client_a2": 0,
    "partner_a": 0,
    "pending_a": 0,
    "owner_b": 1,
    "client_b": 1,
    "expert_b": 0,
    "operator": 0,
    "outsider": 0,
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_reads_exactly_its_jobs(conn: tdb.Conn, jobs: World, persona: str) -> None:
    tdb.as_user(conn, jobs.users[persona])
    row = conn.execute(
        "select count(*) as n from public.export_jobs where organization_id = any(%s)", (list(jobs.orgs),)
    )
    assert row.fetchone()["n"] == EXPECTED[persona]


def test_service_role_reads_every_job(conn: tdb.Conn, jobs: World) -> None:
    tdb.as_service(conn)
    row = conn.execute(
        "select count(*) as n from public.export_jobs where organization_id = any(%s)", (list(jobs.orgs),)
    )
    assert row.fetchone()["n"] == 4


def test_anon_reads_nothing(conn: tdb.Conn, jobs: World) -> None:
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        conn.execute("select count(*) from public.export_jobs")


@pytest.mark.parametrize("persona", ["owner_a", "admin_a", "client_a"])
def test_nobody_writes_jobs_through_the_api(conn: tdb.Conn, jobs: World, persona: str) -> None:
    tdb.as_user(conn, jobs.users[persona])
    statements = [
        ("insert into public.export_jobs (organization_id, requested_by, document, format) values (%s, %s,"
         " 'dossier-list', 'xlsx')", (jobs.org_a, jobs.users[persona])),
        ("update public.export_jobs set status = 'done' where organization_id = %s", (jobs.org_a,)),
        ("delete from public.export_jobs where organization_id = %s", (jobs.org_a,)),
    ]  # fmt: skip
    for sql, params in statements:
        with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
            conn.execute(sql, params)


def test_a_finished_job_is_complete_and_its_key_is_its_own(conn: tdb.Conn, world: World) -> None:
    job = _job(conn, world.org_a, world.users["client_a"], format="pdf")
    good = f"{world.org_a}/exports/{job}.pdf"
    with pytest.raises(pg_errors.CheckViolation), conn.transaction():
        conn.execute("update public.export_jobs set status = 'done' where id = %s", (job,))
    for key in (f"{world.org_b}/exports/{job}.pdf", f"{world.org_a}/exports/{job}.xlsx", f"{world.org_a}/x/{job}.pdf"):
        with pytest.raises(pg_errors.CheckViolation), conn.transaction():
            conn.execute("update public.export_jobs set storage_key = %s where id = %s", (key, job))
    with pytest.raises(pg_errors.CheckViolation), conn.transaction():
        conn.execute("update public.export_jobs set status = 'failed' where id = %s", (job,))
    with pytest.raises(pg_errors.CheckViolation), conn.transaction():
        conn.execute("update public.export_jobs set status = 'running' where id = %s", (job,))
    conn.execute(
        "update public.export_jobs set status = 'done', storage_key = %s, byte_size = 10, sha256 = %s,"
        " content_type = 'application/pdf', file_name = 'Rapport.pdf', finished_at = now() where id = %s",
        (good, "a" * 64, job),
    )
    with pytest.raises(pg_errors.CheckViolation), conn.transaction():
        conn.execute("insert into public.export_jobs (organization_id, requested_by, document, format)"
                     " values (%s, %s, 'invoice', 'pdf')", (world.org_a, world.users["client_a"]))  # fmt: skip


# --- organization logos -----------------------------------------------------------------------------


def test_owners_and_admins_set_a_logo_in_their_own_folder(conn: tdb.Conn, world: World) -> None:
    own = f"{world.org_a}/branding/logo.png"
    for persona, expected in (("owner_a", 1), ("admin_a", 1), ("viewer_a", 0), ("client_a", 0), ("owner_b", 0)):
        tdb.as_user(conn, world.users[persona])
        with conn.transaction(force_rollback=True):
            done = conn.execute("update public.organizations set logo_path = %s where id = %s", (own, world.org_a))
            assert done.rowcount == expected, persona
    tdb.as_user(conn, world.users["owner_a"])
    for bad in (f"{world.org_b}/branding/logo.png", f"{world.org_a}/branding/logo.gif", f"{world.org_a}/logo.png",
                f"{world.org_a}/branding/../logo.png", "logo.png"):  # fmt: skip
        with pytest.raises(pg_errors.CheckViolation), conn.transaction():
            conn.execute("update public.organizations set logo_path = %s where id = %s", (bad, world.org_a))
    for good in (own, f"{world.org_a}/branding/Logo-2026.JPEG", None):
        conn.execute("update public.organizations set logo_path = %s where id = %s", (good, world.org_a))
