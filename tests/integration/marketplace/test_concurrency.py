"""The marketplace invariants under real concurrency: threads, each with its own connection and
transaction against the real database, released together by a barrier, then committed.

- at most one open offer per dossier;
- an expert never exceeds capacity, even when several accepts race;
- a dossier never has two experts (accept racing a forced assignment);
- nobody ineligible is ever offered a dossier (offers racing a suspension);
- two overlapping runs of the timeouts job never do the same work twice.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shared.marketplace import service
from shared.platform import errors
from tests.support import db as tdb

pytestmark = [pytest.mark.slow, pytest.mark.race]


class Org:
    """A committed organization of its own (removed afterwards) with a client, an admin and experts."""

    def __init__(self, conn: tdb.Conn) -> None:
        self.conn = conn
        self.id = tdb.make_org(conn, "Course")
        self.admin = tdb.make_user(conn)
        self.client = tdb.make_user(conn)
        tdb.add_member(conn, self.id, self.admin, "admin")
        tdb.add_member(conn, self.id, self.client, "client")
        self.users = [self.admin, self.client]

    def expert(self, *, capacity: int = 10, level: str = "avance") -> tuple[uuid.UUID, uuid.UUID]:
        user = tdb.make_user(self.conn)
        self.users.append(user)
        tdb.add_member(self.conn, self.id, user, "expert")
        expert = tdb.make_expert(self.conn, self.id, user)
        self.conn.execute("update public.expert_terms set capacity = %s where expert_id = %s", (capacity, expert))
        self.conn.execute(
            "insert into public.expert_products (expert_id, product_code, organization_id, level)"
            " values (%s, 'ticpe', %s, %s)",
            (expert, self.id, level),
        )
        return user, expert

    def dossier(self) -> uuid.UUID:
        company = tdb.make_company(self.conn, self.id, users=(self.client,))
        row = self.conn.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, status)"
            " values (%s, %s, 'ticpe', 'admin_validated') returning id",
            (self.id, company),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def value(self, query: str, *params: object) -> Any:
        row = self.conn.execute(query, params).fetchone()
        assert row is not None
        return next(iter(row.values()))

    def remove(self) -> None:
        self.conn.execute("delete from public.organizations where id = %s", (self.id,))
        self.conn.execute("delete from auth.users where id = any(%s)", (self.users,))


@pytest.fixture
def org(database_url: str) -> Iterator[Org]:
    with tdb.connect(database_url) as conn:
        conn.autocommit = True
        created = Org(conn)
        try:
            yield created
        finally:
            created.remove()


def race(database_url: str, calls: list[tuple[uuid.UUID | None, Callable[..., Any], dict[str, Any]]]) -> list[str]:
    """Runs each (user, use case, arguments) in its own thread and transaction, all at once;
    returns "ok" or the error code of each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index: int) -> None:
        user, use_case, arguments = calls[index]
        with tdb.connect(database_url) as conn:
            try:
                with conn.transaction():
                    if user is None:
                        tdb.as_service(conn)
                    else:
                        tdb.as_user(conn, user)
                    barrier.wait(timeout=30)
                    use_case(conn, **arguments)
                outcomes[index] = "ok"
            except errors.AppError as exc:
                outcomes[index] = exc.code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _pick(org: Org, dossier: uuid.UUID, expert: uuid.UUID) -> uuid.UUID:
    with tdb.connect(org.conn.info.dsn) as conn, conn.transaction():
        tdb.as_user(conn, org.client)
        result = service.pick(conn, dossier_id=dossier, expert_id=expert)
    assert result.offer is not None
    return result.offer.id


def test_concurrent_accepts_never_exceed_capacity(database_url: str, org: Org) -> None:
    user, expert = org.expert(capacity=3)
    offers = [_pick(org, org.dossier(), expert) for _ in range(12)]
    outcomes = race(database_url, [(user, service.accept, {"offer_id": offer}) for offer in offers])
    assert Counter(outcomes) == {"ok": 3, "capacity_reached": 9}
    assert org.value("select open_dossiers from public.expert_terms where expert_id = %s", expert) == 3
    assert org.value("select count(*) from public.dossiers where expert_id = %s", expert) == 3
    assert (
        org.value("select count(*) from public.assignment_offers where expert_id = %s and status = 'accepted'", expert)
        == 3
    )


def test_concurrent_picks_leave_one_open_offer(database_url: str, org: Org) -> None:
    experts = [org.expert()[1] for _ in range(8)]
    dossier = org.dossier()
    outcomes = race(
        database_url, [(org.client, service.pick, {"dossier_id": dossier, "expert_id": e}) for e in experts]
    )
    assert Counter(outcomes) == {"ok": 1, "offer_already_open": 7}
    assert org.value("select count(*) from public.assignment_offers where dossier_id = %s", dossier) == 1


def test_accept_racing_a_forced_assignment_leaves_one_expert(database_url: str, org: Org) -> None:
    offered_user, offered = org.expert()
    _, forced = org.expert()
    dossiers = [org.dossier() for _ in range(10)]
    offers = [_pick(org, dossier, offered) for dossier in dossiers]
    calls: list[tuple[uuid.UUID | None, Callable[..., Any], dict[str, Any]]] = []
    for dossier, offer in zip(dossiers, offers, strict=True):
        calls.append((offered_user, service.accept, {"offer_id": offer}))
        calls.append((org.admin, service.force, {"dossier_id": dossier, "expert_id": forced, "reason": "Urgence"}))
    outcomes = race(database_url, calls)
    for pair in zip(outcomes[::2], outcomes[1::2], strict=True):
        assert sorted(pair) in (["offer_withdrawn", "ok"], ["already_assigned", "ok"]), pair
    assigned = Counter(org.value("select expert_id from public.dossiers where id = %s", d) for d in dossiers)
    assert sum(assigned.values()) == 10 and set(assigned) <= {offered, forced}
    for expert in (offered, forced):
        assert (
            org.value("select open_dossiers from public.expert_terms where expert_id = %s", expert) == assigned[expert]
        )


def test_offers_racing_a_suspension_never_stay_with_a_suspended_expert(database_url: str, org: Org) -> None:
    for _ in range(5):
        _, expert = org.expert()
        dossiers = [org.dossier() for _ in range(4)]
        calls: list[tuple[uuid.UUID | None, Callable[..., Any], dict[str, Any]]] = [
            (org.client, service.pick, {"dossier_id": d, "expert_id": expert}) for d in dossiers
        ]
        calls.append((org.admin, service.set_approval, {"expert_id": expert, "action": "suspend", "reason": "Test"}))
        outcomes = race(database_url, calls)
        assert outcomes[-1] == "ok"
        assert set(outcomes[:-1]) <= {"ok", "expert_not_eligible"}
    assert (
        org.value(
            "select count(*) from public.assignment_offers o join public.expert_profiles e on e.id = o.expert_id"
            " where o.organization_id = %s and o.status = 'offered' and e.approval_status <> 'approved'",
            org.id,
        )
        == 0
    )


def test_overlapping_timeout_runs_do_each_thing_once(database_url: str, org: Org) -> None:
    org.conn.execute(
        "update public.organizations set assignment_mode = 'auto', max_offer_attempts = 5 where id = %s", (org.id,)
    )
    for _ in range(6):
        org.expert()
    dossiers = [org.dossier() for _ in range(30)]
    with tdb.connect(database_url) as conn, conn.transaction():
        tdb.as_user(conn, org.admin)
        for dossier in dossiers:
            service.auto_offer(conn, dossier_id=dossier)
    with org.conn.transaction():
        org.conn.execute("set local session_replication_role = replica")
        org.conn.execute(
            "update public.dossiers set matching_started_at = now() - interval '3 days' where organization_id = %s",
            (org.id,),
        )
        org.conn.execute(
            "update public.assignment_offers set offered_at = now() - interval '2 days',"
            " expires_at = now() - interval '1 minute' where organization_id = %s",
            (org.id,),
        )
    totals: Counter[str] = Counter()
    lock = threading.Lock()

    def sweep(conn: tdb.Conn) -> None:
        counts = service.run_timeouts(conn, organization_id=org.id, batch=500)
        with lock:
            totals.update(counts)

    assert race(database_url, [(None, sweep, {}) for _ in range(4)]) == ["ok"] * 4
    assert (totals["expired"], totals["offered"]) == (30, 30)
    assert (
        org.value(
            "select count(*) from public.assignment_offers where organization_id = %s and status = 'expired'", org.id
        )
        == 30
    )
    assert (
        org.value(
            "select count(*) from public.assignment_offers where organization_id = %s and status = 'offered'", org.id
        )
        == 30
    )
    assert org.value("select max(attempt) from public.assignment_offers where organization_id = %s", org.id) == 2
