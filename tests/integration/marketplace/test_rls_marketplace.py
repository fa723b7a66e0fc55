"""RLS of the marketplace tables and the search RPC, as every role, asserting row counts."""

from __future__ import annotations

import uuid

import pytest
from psycopg import errors as pg_errors

from shared.marketplace import service
from tests.integration.conftest import World
from tests.integration.marketplace.conftest import Market
from tests.support import db as tdb

TABLES = ["expert_products", "expert_absences", "assignment_offers", "marketplace_events", "expert_reviews", "dossiers"]

# Rows each persona sees among the world's rows (see `arranged` for what exists).
EXPECTED_VISIBLE = {
    #            prod abs  offr evnt rvw  doss
    "owner_a": (2, 1, 2, 3, 1, 3),
    "admin_a": (2, 1, 2, 3, 1, 3),
    "viewer_a": (2, 1, 2, 3, 1, 3),
    "expert_a": (1, 1, 2, 3, 1, 3),
    "pending_a": (2, 1, 0, 0, 1, 0),
    "client_a": (1, 0, 1, 1, 1, 2),
    "client_a2": (1, 0, 1, 1, 1, 1),
    "partner_a": (1, 0, 0, 0, 1, 0),
    "owner_b": (1, 1, 0, 0, 0, 0),
    "client_b": (1, 0, 0, 0, 0, 0),
    "operator": (0, 0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0, 0),
}


@pytest.fixture
def arranged(market: Market) -> dict[str, uuid.UUID]:
    """Products for expert_a, pending_a (org A) and expert_b (org B); an absence each for expert_a
    (substitute pending_a) and expert_b; open offers to expert_a on dossiers of A1 and A2 (2 events);
    a closed dossier of A1 handled by expert_a, reviewed (1 event)."""
    w = market.world
    for name in ("expert_a", "pending_a", "expert_b"):
        market.link(w.experts[name], "ticpe", "avance")
    market.sql(
        "insert into public.expert_absences (expert_id, starts_at, ends_at, substitute_id)"
        " values (%s, now() + interval '10 days', now() + interval '20 days', %s),"
        " (%s, now() + interval '10 days', now() + interval '20 days', null)",
        w.experts["expert_a"],
        w.experts["pending_a"],
        w.experts["expert_b"],
    )
    d1 = market.dossier(w.companies["ca1"])
    d2 = market.dossier(w.companies["ca2"])
    for client, dossier in (("client_a", d1), ("client_a2", d2)):
        tdb.as_user(market.conn, w.users[client])
        service.pick(market.conn, dossier_id=dossier, expert_id=w.experts["expert_a"])
    d3 = market.dossier(w.companies["ca1"], product="dfs", status="closed")
    market.sql("update public.dossiers set expert_id = %s where id = %s", w.experts["expert_a"], d3)
    tdb.as_user(market.conn, w.users["client_a"])
    market.conn.execute(
        "insert into public.expert_reviews (dossier_id, organization_id, expert_id, client_company_id,"
        " rating) values (%s, %s, %s, %s, 5)",
        (d3, w.org_a, w.experts["expert_a"], w.companies["ca1"]),
    )
    tdb.as_owner(market.conn)
    return {"d1": d1, "d2": d2, "d3": d3}


def _count(conn: tdb.Conn, table: str, world: World) -> int:
    row = conn.execute(
        f"select count(*) as n from public.{table} where organization_id = any(%s)",  # noqa: S608 (fixed names)
        (list(world.orgs),),
    ).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_each_role_sees_exactly_its_rows(market: Market, arranged: dict[str, uuid.UUID], persona: str) -> None:
    tdb.as_user(market.conn, market.world.users[persona])
    seen = tuple(_count(market.conn, table, market.world) for table in TABLES)
    assert seen == EXPECTED_VISIBLE[persona], dict(zip(TABLES, seen, strict=True))


def test_service_role_sees_everything(market: Market, arranged: dict[str, uuid.UUID]) -> None:
    tdb.as_service(market.conn)
    assert tuple(_count(market.conn, table, market.world) for table in TABLES) == (3, 2, 2, 3, 1, 3)


@pytest.mark.parametrize("table", TABLES)
def test_anon_is_refused_every_table(market: Market, arranged: dict[str, uuid.UUID], table: str) -> None:
    tdb.as_anon(market.conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), market.conn.transaction():
        market.conn.execute(f"select count(*) from public.{table}")  # noqa: S608


SEARCH_VISIBLE = {
    "owner_a": 1,
    "admin_a": 1,
    "viewer_a": 1,
    "expert_a": 1,
    "pending_a": 1,
    "client_a": 1,
    "client_a2": 1,
    "partner_a": 1,
    "owner_b": 0,
    "client_b": 0,
    "operator": 0,
    "outsider": 0,
}


@pytest.mark.parametrize("persona", sorted(SEARCH_VISIBLE))
def test_the_search_lists_approved_experts_of_the_callers_organization_only(
    market: Market, arranged: dict[str, uuid.UUID], persona: str
) -> None:
    tdb.as_user(market.conn, market.world.users[persona])
    rows = market.conn.execute(
        "select expert_id, capacity from public.search_experts(organization_id => %s)", (market.world.org_a,)
    ).fetchall()
    assert len(rows) == SEARCH_VISIBLE[persona]
    staff_or_self = persona in ("owner_a", "admin_a", "viewer_a", "expert_a")
    assert all((r["capacity"] is not None) == staff_or_self for r in rows)


def _outcome(conn: tdb.Conn, sql: str) -> int:
    try:
        with conn.transaction(force_rollback=True):
            return conn.execute(sql).rowcount
    except (pg_errors.InsufficientPrivilege, pg_errors.RaiseException):
        return -1


WRITES = {
    "add a product to expert_a": (
        "insert into public.expert_products (expert_id, product_code, organization_id) values"
        " ('{expert_a}', 'dfs', '{org_a}')"
    ),
    "change expert_a's level": "update public.expert_products set level = 'expert' where expert_id = '{expert_a}'",
    "declare an absence for expert_a": (
        "insert into public.expert_absences (expert_id, organization_id, starts_at, ends_at)"
        " values ('{expert_a}', '{org_a}', now(), now() + interval '1 day')"
    ),
    "write an offer directly": "update public.assignment_offers set status = 'accepted' where dossier_id = '{d1}'",
    "write an event directly": (
        "insert into public.marketplace_events (organization_id, kind) values ('{org_a}', 'offer_made')"
    ),
    "assign a dossier directly": "update public.dossiers set expert_id = '{expert_a}' where id = '{d3}'",
    "change the assignment mode": "update public.organizations set assignment_mode = 'auto' where id = '{org_a}'",
    "remove a review": "delete from public.expert_reviews where dossier_id = '{d3}'",
}
# -1 = refused with an error; 0 = silently no row; 1 = done.
EXPECTED_WRITES = {
    #                                  owner admin viewer expert client partner owner_b
    "add a product to expert_a": (1, 1, -1, 1, -1, -1, -1),
    "change expert_a's level": (1, 1, 0, 1, 0, 0, 0),
    "declare an absence for expert_a": (1, 1, -1, 1, -1, -1, -1),
    "write an offer directly": (-1, -1, -1, -1, -1, -1, -1),
    "write an event directly": (-1, -1, -1, -1, -1, -1, -1),
    "assign a dossier directly": (-1, -1, -1, -1, -1, -1, -1),
    "change the assignment mode": (1, 1, 0, 0, 0, 0, 0),
    "remove a review": (1, 1, 0, 0, 0, 0, 0),
}
WRITERS = ("owner_a", "admin_a", "viewer_a", "expert_a", "client_a", "partner_a", "owner_b")


@pytest.mark.parametrize("action", sorted(WRITES))
def test_writes_per_role(market: Market, arranged: dict[str, uuid.UUID], action: str) -> None:
    w = market.world
    sql = WRITES[action].format(expert_a=w.experts["expert_a"], org_a=w.org_a, **arranged)
    outcomes = []
    for persona in WRITERS:
        tdb.as_user(market.conn, w.users[persona])
        outcomes.append(_outcome(market.conn, sql))
    assert tuple(outcomes) == EXPECTED_WRITES[action], dict(zip(WRITERS, outcomes, strict=True))


def test_experts_cannot_touch_what_the_database_maintains(market: Market, arranged: dict[str, uuid.UUID]) -> None:
    w = market.world
    tdb.as_user(market.conn, w.users["expert_a"])
    for sql in (
        "update public.expert_terms set recent_assignments = '{}' where expert_id = '{e}'",
        "update public.expert_terms set last_assigned_at = now() - interval '1 day' where expert_id = '{e}'",
        "update public.expert_profiles set review_count = 9 where id = '{e}'",
        "update public.expert_absences set handed_over_at = now() where expert_id = '{e}'",
    ):
        statement = sql.replace("{e}", str(w.experts["expert_a"]))
        assert _outcome(market.conn, statement) in (-1, 0), statement
    tdb.as_user(market.conn, w.users["client_a"])
    assert (
        _outcome(
            market.conn,
            "update public.expert_reviews set answer = 'moi' where dossier_id = '{d3}'".replace(
                "{d3}", str(arranged["d3"])
            ),
        )
        == -1
    )


def test_the_match_index_is_not_reachable_through_the_api(market: Market) -> None:
    tdb.as_user(market.conn, market.world.users["owner_a"])
    with pytest.raises(pg_errors.InsufficientPrivilege), market.conn.transaction():
        market.conn.execute("select * from private.expert_match")
    with pytest.raises(pg_errors.InsufficientPrivilege), market.conn.transaction():
        market.conn.execute("select private.run_assignment_timeouts(%s)", (market.world.org_a,))
