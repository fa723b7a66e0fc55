"""RLS of the prudential tables as every role, asserting row counts (a denied read is silent), and
the analyst/approver roles kept out of the marketplace."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg import errors as pg_errors

from tests.integration.conftest import World
from tests.integration.prudential.conftest import Desk
from tests.support import db as tdb

TABLES = [
    "prudential_portfolios",
    "prudential_portfolio_versions",
    "prudential_calculations",
    "prudential_scenarios",
    "prudential_import_mappings",
    "prudential_import_jobs",
]
# A: 1 portfolio, 2 versions, 1 calculation, 1 scenario, 1 mapping, 1 import job; B: one of each.
PRUDENTIAL_A = (1, 2, 1, 1, 1, 1)
NOTHING = (0, 0, 0, 0, 0, 0)
EXPECTED_VISIBLE = {
    "owner_a": PRUDENTIAL_A,
    "admin_a": PRUDENTIAL_A,
    "analyst_a": PRUDENTIAL_A,
    "approver_a": PRUDENTIAL_A,
    "viewer_a": PRUDENTIAL_A,
    "expert_a": NOTHING,
    "pending_a": NOTHING,
    "client_a": NOTHING,
    "partner_a": NOTHING,
    "owner_b": (1, 1, 1, 1, 1, 1),
    "client_b": NOTHING,
    "operator": NOTHING,
    "outsider": NOTHING,
}


def _count(conn: tdb.Conn, table: str, world: World) -> int:
    row = conn.execute(
        f"select count(*) as n from public.{table} where organization_id = any(%s)",  # noqa: S608 (fixed names)
        (list(world.orgs),),
    ).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_each_role_sees_exactly_its_prudential_rows(conn: tdb.Conn, world: World, desk: Desk, persona: str) -> None:
    tdb.as_user(conn, world.users[persona])
    seen = tuple(_count(conn, table, world) for table in TABLES)
    assert seen == EXPECTED_VISIBLE[persona], dict(zip(TABLES, seen, strict=True))


def test_service_role_sees_every_prudential_row(conn: tdb.Conn, world: World, desk: Desk) -> None:
    tdb.as_service(conn)
    assert tuple(_count(conn, table, world) for table in TABLES) == (2, 3, 2, 2, 2, 2)


@pytest.mark.parametrize("table", TABLES)
def test_anon_is_refused_every_prudential_table(conn: tdb.Conn, desk: Desk, table: str) -> None:
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        conn.execute(f"select count(*) from public.{table}")  # noqa: S608


APPROVED_EXPERTS = (
    "select count(*) as n from public.expert_profiles where organization_id = %(org)s and approval_status = 'approved'"
)


@pytest.mark.parametrize("persona", ["analyst_a", "approver_a", "viewer_a", "client_a"])
def test_prudential_roles_see_nothing_of_the_marketplace(
    conn: tdb.Conn, world: World, desk: Desk, persona: str
) -> None:
    conn.execute(
        "insert into public.rule_sets (organization_id, version, effective_from)"
        " values (%s, 'FR-2026.1', '2026-01-01')",
        (world.org_a,),
    )
    tdb.as_user(conn, world.users[persona])
    experts = conn.execute(APPROVED_EXPERTS, {"org": world.org_a}).fetchone()
    rule_sets = conn.execute("select count(*) as n from public.rule_sets where organization_id = %s", (world.org_a,))
    assert rule_sets.fetchone() == {"n": 0 if persona in ("analyst_a", "approver_a") else 1}
    own = conn.execute("select count(*) as n from public.organizations where id = %s", (world.org_a,)).fetchone()
    assert experts is not None and own is not None
    prudential_only = persona in ("analyst_a", "approver_a")
    assert experts["n"] == (0 if prudential_only else 1)
    assert own["n"] == 1  # every member still reads their organization (branding, `me`)


def _rows(conn: tdb.Conn, sql: str, params: dict[str, Any]) -> int:
    """Rows a write affects (then undone), or -1 when the database refuses it with an error."""
    try:
        with conn.transaction(force_rollback=True):
            return conn.execute(sql, params).rowcount
    except (pg_errors.InsufficientPrivilege, pg_errors.RaiseException):
        return -1


WRITES = {
    "create a portfolio": (
        "insert into public.prudential_portfolios (organization_id, name) values (%(org_a)s, 'New')"
    ),
    "rename a portfolio": "update public.prudential_portfolios set name = 'Renamed' where id = %(pa)s",
    "delete a portfolio": "delete from public.prudential_portfolios where id = %(pa)s",
    "add a version": (
        "insert into public.prudential_portfolio_versions (organization_id, portfolio_id, version, input,"
        " input_sha256, reference_date) values (%(org_a)s, %(pa)s, 1, '{}', repeat('a', 64), '2025-12-31')"
    ),
    "edit a draft's input": (
        "update public.prudential_portfolio_versions set input = '{\"x\": 1}', input_sha256 = repeat('b', 64)"
        " where id = %(va1)s"
    ),
    "set a version's status": (
        "update public.prudential_portfolio_versions set status = 'approved' where id = %(va1)s"
    ),
    "record a calculation": (
        "insert into public.prudential_calculations (organization_id, portfolio_version_id, rule_set,"
        " reference_date, input_sha256, result_sha256, result) values (%(org_a)s, %(va2)s, 'CRR3-2025.1',"
        " '2025-12-31', repeat('a', 64), repeat('b', 64), '{}')"
    ),
    "change a calculation": "update public.prudential_calculations set result = '{}' where id = %(ca1)s",
    "create a scenario": (
        "insert into public.prudential_scenarios (organization_id, portfolio_id, name, shocks)"
        " values (%(org_a)s, %(pa)s, 'New', '[]')"
    ),
    "delete a scenario": "delete from public.prudential_scenarios where id = %(sa)s",
    "save a mapping": (
        "insert into public.prudential_import_mappings (organization_id, template, columns)"
        " values (%(org_a)s, 'other', '{}')"
    ),
    "delete a mapping": "delete from public.prudential_import_mappings where id = %(ma)s",
    "mark an import job done": "update public.prudential_import_jobs set status = 'queued' where id = %(ja)s",
    "publish a rule set": (
        "insert into public.prudential_rule_sets (organization_id, code, effective_from, published_by)"
        " values (%(org_a)s, 'CRR3-2026.1', '2026-01-01', (select auth.uid()))"
    ),
    "add a row to the platform rule set": (
        "insert into public.prudential_rule_parameters (rule_set_id, code, key, value, valid_from)"
        " select id, 'ccf', '9', 1, '2030-01-01' from public.prudential_rule_sets where organization_id is null"
    ),
}

# -1 = refused with an error; 0 = silently no row; 1 = done.
EXPECTED_WRITES = {
    #                        owner admin analyst approver viewer expert client partner owner_b
    "create a portfolio": (1, 1, 1, 1, -1, -1, -1, -1, -1),
    "rename a portfolio": (1, 1, 1, 1, 0, 0, 0, 0, 0),
    "delete a portfolio": (1, 1, 0, 0, 0, 0, 0, 0, 0),
    "add a version": (1, 1, 1, 1, -1, -1, -1, -1, -1),
    "edit a draft's input": (1, 1, 1, 1, 0, 0, 0, 0, 0),
    "set a version's status": (-1, -1, -1, -1, -1, -1, -1, -1, -1),
    "record a calculation": (-1, -1, -1, -1, -1, -1, -1, -1, -1),  # only the function, with the engine
    "change a calculation": (-1, -1, -1, -1, -1, -1, -1, -1, -1),
    "create a scenario": (1, 1, 1, 1, -1, -1, -1, -1, -1),
    "delete a scenario": (1, 1, 1, 1, 0, 0, 0, 0, 0),
    "save a mapping": (1, 1, -1, -1, -1, -1, -1, -1, -1),
    "delete a mapping": (1, 1, 0, 0, 0, 0, 0, 0, 0),
    "mark an import job done": (-1, -1, -1, -1, -1, -1, -1, -1, -1),
    "publish a rule set": (1, 1, -1, -1, -1, -1, -1, -1, -1),
    "add a row to the platform rule set": (-1, -1, -1, -1, -1, 0, 0, 0, -1),
}
WRITERS = ("owner_a", "admin_a", "analyst_a", "approver_a", "viewer_a", "expert_a", "client_a", "partner_a", "owner_b")


@pytest.mark.parametrize("action", sorted(WRITES))
def test_prudential_writes_per_role(conn: tdb.Conn, world: World, desk: Desk, action: str) -> None:
    params = {**{k: str(v) for k, v in world.users.items()}, **{k: str(v) for k, v in desk.ids.items()},
              "org_a": str(world.org_a)}  # fmt: skip
    outcomes = []
    for persona in WRITERS:
        tdb.as_user(conn, world.users[persona])
        outcomes.append(_rows(conn, WRITES[action], params))
        tdb.as_owner(conn)
    assert tuple(outcomes) == EXPECTED_WRITES[action], dict(zip(WRITERS, outcomes, strict=True))


@pytest.mark.parametrize(
    "call",
    [
        "select public.submit_portfolio_version(%(v)s, null)",
        "select public.approve_portfolio_version(%(v)s, null)",
        "select public.reject_portfolio_version(%(v)s, 'x')",
        "select * from public.portfolio_version_history(%(v)s)",
    ],
)
def test_anon_cannot_call_the_prudential_rpcs(conn: tdb.Conn, desk: Desk, call: str) -> None:
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        conn.execute(call, {"v": desk.ids["va1"]})
