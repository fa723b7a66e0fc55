"""The exports' SQL on a real database: the dossier list as every role, its filters in the organization's
time zone, and job claiming (SKIP LOCKED, leases, fencing) across two connections."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.exports import repository
from tests.integration.conftest import World
from tests.support import db as tdb


def _dossier(conn: tdb.Conn, org: uuid.UUID, company: uuid.UUID, product: str, **over: Any) -> uuid.UUID:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount,"
        " expert_id, created_at) values (%s, %s, %s, %s, %s, %s, %s) returning id",
        (org, company, product, over.get("status", "pending_upload"), over.get("amount", 100),
         over.get("expert"), over.get("created_at", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))),
    ).fetchone()  # fmt: skip
    assert row is not None
    return uuid.UUID(str(row["id"]))


@pytest.fixture
def listed(conn: tdb.Conn, world: World) -> World:
    """A1: ticpe (expert_a, audit) and urssaf; A2: ticpe; A3 (the partner's prospect): msa; B1: ticpe."""
    late_january_utc = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)  # 1 February 00:30 in Paris
    c = world.companies
    _dossier(conn, world.org_a, c["ca1"], "ticpe", status="audit_in_progress", expert=world.experts["expert_a"],
             amount=12000, created_at=late_january_utc)  # fmt: skip
    _dossier(conn, world.org_a, c["ca1"], "urssaf", amount=10500)
    _dossier(conn, world.org_a, c["ca2"], "ticpe")
    _dossier(conn, world.org_a, c["ca3"], "msa")
    _dossier(conn, world.org_b, c["cb1"], "ticpe")
    return world


def _filters(org: uuid.UUID, **over: Any) -> dict[str, Any]:
    base = {"organization_id": org, "time_zone": "Europe/Paris", "status": None, "product": None, "expert_id": None,
            "created_from": None, "created_to": None, "lang": "fr"}  # fmt: skip
    return {**base, **over}


VISIBLE_IN_A = {
    "owner_a": 4, "admin_a": 4, "viewer_a": 4, "client_a": 2, "client_a2": 1, "partner_a": 1, "expert_a": 1,
    "pending_a": 0, "owner_b": 0, "client_b": 0, "outsider": 0,
}  # fmt: skip


@pytest.mark.parametrize("persona", sorted(VISIBLE_IN_A))
def test_the_list_holds_what_each_role_may_see(conn: tdb.Conn, listed: World, persona: str) -> None:
    tdb.as_user(conn, listed.users[persona])
    filters = _filters(listed.org_a)
    rows = list(repository.dossiers(conn, **filters))
    assert repository.count_dossiers(conn, **filters) == len(rows) == VISIBLE_IN_A[persona]


def test_rows_carry_names_and_local_dates(conn: tdb.Conn, listed: World) -> None:
    tdb.as_user(conn, listed.users["admin_a"])
    rows = list(repository.dossiers(conn, **_filters(listed.org_a, lang="en")))
    first = rows[0]  # oldest first
    assert (first["company"], first["product"], first["expert"], first["status"]) == (
        "A1", "TICPE (fuel excise duty refund)", "Expert", "audit_in_progress",
    )  # fmt: skip
    assert first["created_on"] == dt.date(2026, 2, 1) and first["estimated_amount"] == 12000


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"status": "audit_in_progress"}, 1),
        ({"product": "ticpe"}, 2),
        ({"expert_id": "expert_a"}, 1),
        ({"created_from": dt.date(2026, 2, 1)}, 4),  # 31 January 23:30 UTC is 1 February in Paris
        ({"created_to": dt.date(2026, 1, 31)}, 0),
        ({"created_from": dt.date(2026, 2, 2), "created_to": dt.date(2026, 3, 1)}, 3),
    ],
)
def test_filters(conn: tdb.Conn, listed: World, over: dict[str, Any], expected: int) -> None:
    if over.get("expert_id") == "expert_a":
        over = {**over, "expert_id": listed.experts["expert_a"]}
    tdb.as_user(conn, listed.users["owner_a"])
    assert repository.count_dossiers(conn, **_filters(listed.org_a, **over)) == expected
    assert len(list(repository.dossiers(conn, **_filters(listed.org_a, **over)))) == expected


def test_a_dossier_and_its_history_as_its_readers(conn: tdb.Conn, listed: World) -> None:
    tdb.as_owner(conn)
    target = conn.execute(
        "select id from public.dossiers where product_code = 'urssaf' and client_company_id = %s",
        (listed.companies["ca1"],),
    ).fetchone()["id"]
    conn.execute("insert into public.dossier_amount_history (dossier_id, organization_id, amount, source, applied)"
                 " values (%s, %s, 10500, 'simulation', true)", (target, listed.org_a))  # fmt: skip
    for persona, visible in (("client_a", True), ("viewer_a", True), ("client_a2", False), ("expert_a", False)):
        tdb.as_user(conn, listed.users[persona])
        found = repository.dossier(conn, dossier_id=target, lang="fr")
        assert (found is not None) == visible, persona
        history = repository.amount_history(conn, dossier_id=target, time_zone="Europe/Paris")
        assert len(history) == (1 if visible else 0), persona


# --- claiming jobs ------------------------------------------------------------------------------------


@pytest.fixture
def queued(database_url: str) -> Iterator[tuple[list[uuid.UUID], str]]:
    """Two committed queued jobs (every other job removed first, then cleaned up)."""
    with tdb.connect(database_url) as setup:
        setup.autocommit = True
        setup.execute("delete from public.export_jobs")
        org = tdb.make_org(setup, "Org jobs")
        user = tdb.make_user(setup)
        ids = [
            setup.execute(
                "insert into public.export_jobs (organization_id, requested_by, document, format, created_at)"
                " values (%s, %s, 'dossier-list', 'csv', now() - make_interval(secs => %s)) returning id",
                (org, user, 10 - i),
            ).fetchone()["id"]
            for i in range(2)
        ]
        yield ids, database_url
        setup.execute("delete from public.organizations where id = %s", (org,))


def test_concurrent_claims_never_take_the_same_job(queued: tuple[list[uuid.UUID], str]) -> None:
    ids, url = queued
    with tdb.connect(url) as first, tdb.connect(url) as second, tdb.connect(url) as third:
        with first.transaction():
            tdb.as_service(first)
            a = repository.claim(first, lease_seconds=60)
            with second.transaction():  # `first` still holds its row lock
                tdb.as_service(second)
                b = repository.claim(second, lease_seconds=60)
                with third.transaction():
                    tdb.as_service(third)
                    assert repository.claim(third, lease_seconds=60) is None
        assert a is not None and b is not None
        assert [a["id"], b["id"]] == ids  # oldest first, each once
        assert a["status"] == b["status"] == "running" and a["attempts"] == b["attempts"] == 1
        with third.transaction():
            tdb.as_service(third)
            assert repository.claim(third, lease_seconds=60) is None  # running under a live lease


def test_an_expired_lease_is_claimed_again_and_fences_the_old_worker(queued: tuple[list[uuid.UUID], str]) -> None:
    _, url = queued
    with tdb.connect(url) as conn:
        with conn.transaction():
            tdb.as_service(conn)
            old = repository.claim(conn, lease_seconds=60)
            assert old is not None
            conn.execute("update public.export_jobs set lease_expires_at = now() - interval '1 second' where id = %s",
                         (old["id"],))  # fmt: skip
        with conn.transaction():
            tdb.as_service(conn)
            new = repository.claim(conn, lease_seconds=60)
            assert new is not None and new["id"] == old["id"] and new["attempts"] == 2
            assert not repository.fail(conn, job_id=old["id"], attempt=old["attempts"], error="late", code="x")
            assert repository.fail(conn, job_id=new["id"], attempt=new["attempts"], error="Oups", code="export_failed")
        with conn.transaction():
            tdb.as_service(conn)
            conn.execute("update public.export_jobs set status = 'running', attempts = 3, error = null,"
                         " error_code = null, finished_at = null, lease_expires_at = now() - interval '1 second'"
                         " where id = %s", (new["id"],))  # fmt: skip
            assert repository.fail_exhausted(conn, max_attempts=3, error="Interrompu") == 1
            row = repository.job(conn, job_id=new["id"])
            assert row is not None and (row["status"], row["error_code"]) == ("failed", "export_interrupted")
            requeued = repository.requeue(conn, job_id=new["id"])
            assert requeued is not None and (requeued["status"], requeued["attempts"], requeued["retries"]) == (
                "queued", 0, 1,
            )  # fmt: skip
            assert repository.requeue(conn, job_id=new["id"]) is None
