"""RLS of the simulator's tables as every role, with row counts; catalogue write rights."""

from __future__ import annotations

import uuid

import pytest
from psycopg import errors as pg_errors

from tests.integration.conftest import World
from tests.support import db as tdb


def _rule_set_id(conn: tdb.Conn) -> uuid.UUID:
    row = conn.execute(
        "select id from public.rule_sets where version = 'FR-2025.1' and organization_id is null"
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


@pytest.fixture
def simulated(conn: tdb.Conn, world: World) -> World:
    """Completed simulations and dossiers for A1 (expert_a assigned), the partner's prospect and B1,
    plus an anonymous draft in A and an organization-specific rule set for A."""
    rule_set = _rule_set_id(conn)
    for key in ("ca1", "ca3", "cb1"):
        org = world.org_b if key == "cb1" else world.org_a
        sim = conn.execute(
            "insert into public.simulations (organization_id, client_company_id, rule_set_id, rule_set_version, status,"
            " result, total) values (%s, %s, %s, 'FR-2025.1', 'completed', '{}', 0) returning id",
            (org, world.companies[key], rule_set),
        ).fetchone()["id"]
        dossier = conn.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, estimated_amount,"
            " source_simulation_id, expert_id) values (%s, %s, 'ticpe', 100, %s, %s) returning id",
            (org, world.companies[key], sim, world.experts["expert_a"] if key == "ca1" else None),
        ).fetchone()["id"]
        conn.execute(
            "insert into public.dossier_amount_history (dossier_id, organization_id, amount, source, applied)"
            " values (%s, %s, 100, 'simulation', true)",
            (dossier, org),
        )
    conn.execute(
        "insert into public.simulations (organization_id, rule_set_id, rule_set_version, resume_token_hash)"
        " values (%s, %s, 'FR-2025.1', %s)",
        (world.org_a, rule_set, uuid.uuid4().hex),
    )
    own = conn.execute(
        "insert into public.rule_sets (organization_id, version, effective_from)"
        " values (%s, 'FR-2026.1', '2026-01-01') returning id",
        (world.org_a,),
    ).fetchone()["id"]
    conn.execute(
        "insert into public.questions (rule_set_id, code, position, definition) values (%s, 'Q_ONE', 1, '{}')", (own,)
    )
    return world


EXPECTED = {
    #             sims dossiers history companies own-rule-set own-questions
    "owner_a": (3, 2, 2, 3, 1, 1),
    "admin_a": (3, 2, 2, 3, 1, 1),
    "viewer_a": (3, 2, 2, 3, 1, 1),
    "expert_a": (0, 1, 1, 1, 1, 1),
    "pending_a": (0, 0, 0, 0, 1, 1),
    "client_a": (1, 1, 1, 1, 1, 1),
    "client_a2": (0, 0, 0, 1, 1, 1),
    "partner_a": (1, 1, 1, 1, 1, 1),
    "owner_b": (1, 1, 1, 1, 0, 0),
    "client_b": (1, 1, 1, 1, 0, 0),
    "operator": (0, 0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0, 0),
}


def _counts(conn: tdb.Conn, world: World) -> tuple[int, ...]:
    orgs = list(world.orgs)
    queries = [
        ("select count(*) as n from public.simulations where organization_id = any(%s)", orgs),
        ("select count(*) as n from public.dossiers where organization_id = any(%s)", orgs),
        ("select count(*) as n from public.dossier_amount_history where organization_id = any(%s)", orgs),
        ("select count(*) as n from public.client_companies where organization_id = any(%s)", orgs),
        ("select count(*) as n from public.rule_sets where organization_id = any(%s)", orgs),
        (
            "select count(*) as n from public.questions q join public.rule_sets r on r.id = q.rule_set_id"
            " where r.organization_id = any(%s)",
            orgs,
        ),
    ]
    return tuple(int(conn.execute(sql, (arg,)).fetchone()["n"]) for sql, arg in queries)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_exactly_its_simulations_and_dossiers(conn: tdb.Conn, simulated: World, persona: str) -> None:
    tdb.as_user(conn, simulated.users[persona])
    assert _counts(conn, simulated) == EXPECTED[persona]


def test_service_role_sees_everything(conn: tdb.Conn, simulated: World) -> None:
    tdb.as_service(conn)
    assert _counts(conn, simulated) == (4, 3, 3, 4, 1, 1)


@pytest.mark.parametrize("table", ["simulations", "dossiers", "dossier_amount_history", "rate_limit_counters"])
def test_anon_reads_nothing_private(conn: tdb.Conn, simulated: World, table: str) -> None:
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        conn.execute(f"select count(*) from public.{table}")  # noqa: S608


def test_catalogue_is_public(conn: tdb.Conn, simulated: World) -> None:
    for persona in (None, "client_a", "outsider"):
        if persona is None:
            tdb.as_anon(conn)
        else:
            tdb.as_user(conn, simulated.users[persona])
        row = conn.execute(
            "select (select count(*) from public.products) as products,"
            " (select count(*) from public.questions q join public.rule_sets r on r.id = q.rule_set_id"
            "  where r.version = 'FR-2025.1' and r.organization_id is null) as questions,"
            " (select count(*) from public.product_rules pr join public.rule_sets r on r.id = pr.rule_set_id"
            "  where r.version = 'FR-2025.1' and r.organization_id is null) as rules"
        ).fetchone()
        assert (row["products"], row["questions"], row["rules"]) == (13, 14, 13), persona


def _outcome(conn: tdb.Conn, sql: str, params: tuple[object, ...]) -> int:
    try:
        with conn.transaction(force_rollback=True):
            return conn.execute(sql, params).rowcount
    except (pg_errors.InsufficientPrivilege, pg_errors.RaiseException):
        return -1


def test_who_may_publish_rule_sets_and_products(conn: tdb.Conn, simulated: World) -> None:
    insert = "insert into public.rule_sets (organization_id, version, effective_from) values (%s, 'FR-2027.1', now())"
    product = "insert into public.products (code, name, kind) values ('nouveau', 'Nouveau', 'financial')"
    cases = {
        "admin_a": (1, -1, -1, -1),
        "owner_a": (1, -1, -1, -1),
        "client_a": (-1, -1, -1, -1),
        "viewer_a": (-1, -1, -1, -1),
        "owner_b": (-1, -1, -1, -1),
        "operator": (-1, 1, 1, -1),
    }
    for persona, expected in cases.items():
        tdb.as_user(conn, simulated.users[persona])
        got = (
            _outcome(conn, insert, (simulated.org_a,)),
            _outcome(conn, insert, (None,)),
            _outcome(conn, product, ()),
            _outcome(
                conn,
                "insert into public.simulations (organization_id, rule_set_id, rule_set_version,"
                " resume_token_hash) values (%s, %s, 'FR-2025.1', 'x')",
                (simulated.org_a, _rule_set_id(conn)),
            ),
        )
        assert got == expected, persona


def test_published_rule_sets_never_change_even_for_the_service(conn: tdb.Conn) -> None:
    tdb.as_service(conn)
    for sql in (
        "update public.rule_sets set effective_from = '2030-01-01'",
        "update public.product_rules set active = false",
        "update public.questions set position = position",
    ):
        with pytest.raises(pg_errors.InsufficientPrivilege, match="never change"), conn.transaction():
            conn.execute(sql)
