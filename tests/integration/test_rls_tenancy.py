"""RLS of the tenancy tables, as every role, asserting row counts (a denied read is silent)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors

from tests.integration.conftest import World
from tests.support import db as tdb

TABLES_BY_ORG = [
    "organizations",
    "memberships",
    "client_companies",
    "client_company_users",
    "expert_profiles",
    "expert_terms",
    "audit_log",
]

# Rows each persona sees, per table, among the world's rows (A: 8 members, 3 companies,
# 2 company users, 2 expert profiles; B: 3 members, 1 company, 1 company user, 1 expert).
EXPECTED_VISIBLE = {
    #             orgs memb comp cusr prof term audit
    "owner_a": (1, 8, 3, 2, 2, 2, 10),
    "admin_a": (1, 8, 3, 2, 2, 2, 10),
    "viewer_a": (1, 8, 3, 2, 2, 2, 10),
    "expert_a": (1, 1, 0, 0, 1, 1, 0),
    "pending_a": (1, 1, 0, 0, 2, 1, 0),
    "client_a": (1, 1, 1, 1, 1, 0, 0),
    "client_a2": (1, 1, 1, 1, 1, 0, 0),
    "partner_a": (1, 1, 1, 0, 1, 0, 0),
    "owner_b": (1, 3, 1, 1, 1, 1, 4),
    "client_b": (1, 1, 1, 1, 1, 0, 0),
    "operator": (0, 0, 0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0, 0, 0),
}


def _count(conn: tdb.Conn, table: str, world: World) -> int:
    column = "id" if table == "organizations" else "organization_id"
    row = conn.execute(
        f"select count(*) as n from public.{table} where {column} = any(%s)",  # noqa: S608 (fixed names)
        (list(world.orgs),),
    ).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_each_role_sees_exactly_its_rows(conn: tdb.Conn, world: World, persona: str) -> None:
    tdb.as_user(conn, world.users[persona])
    seen = tuple(_count(conn, table, world) for table in TABLES_BY_ORG)
    assert seen == EXPECTED_VISIBLE[persona], dict(zip(TABLES_BY_ORG, seen, strict=True))


def test_service_role_sees_everything(conn: tdb.Conn, world: World) -> None:
    tdb.as_service(conn)
    seen = tuple(_count(conn, table, world) for table in TABLES_BY_ORG)
    assert seen == (2, 11, 4, 3, 3, 3, 14)


@pytest.mark.parametrize("table", [*TABLES_BY_ORG, "platform_operators"])
def test_anon_is_refused_every_table(conn: tdb.Conn, world: World, table: str) -> None:
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        conn.execute(f"select count(*) from public.{table}")  # noqa: S608


def test_platform_operators_see_only_their_own_row(conn: tdb.Conn, world: World) -> None:
    for persona, expected in (("operator", 1), ("owner_a", 0), ("admin_a", 0)):
        tdb.as_user(conn, world.users[persona])
        row = conn.execute("select count(*) as n from public.platform_operators").fetchone()
        assert row is not None and row["n"] == expected, persona


def _rows(conn: tdb.Conn, sql: str, params: tuple[object, ...]) -> int:
    """Rows a write affects (then undone), or -1 when the database refuses it with an error."""
    try:
        with conn.transaction(force_rollback=True):
            return conn.execute(sql, params).rowcount
    except (pg_errors.InsufficientPrivilege, pg_errors.RaiseException):
        return -1


WRITES = {
    "rename organization": ("update public.organizations set name = 'Renamed' where id = %(org_a)s", {}),
    "add a client member": (
        "insert into public.memberships (organization_id, user_id, role) values (%(org_a)s, %(outsider)s, 'client')",
        {},
    ),
    "add an owner member": (
        "insert into public.memberships (organization_id, user_id, role) values (%(org_a)s, %(outsider)s, 'owner')",
        {},
    ),
    "change a member's role": (
        "update public.memberships set role = 'viewer' where user_id = %(client_a2)s",
        {},
    ),
    "remove a member": ("delete from public.memberships where user_id = %(partner_a)s", {}),
    "create a company": (
        "insert into public.client_companies (organization_id, name) values (%(org_a)s, 'New')",
        {},
    ),
    "update a company": ("update public.client_companies set city = 'Lyon' where id = %(ca1)s", {}),
    "delete a company": ("delete from public.client_companies where id = %(ca2)s", {}),
    "approve an expert": (
        "update public.expert_profiles set approval_status = 'approved' where id = %(pending_a)s",
        {},
    ),
    "read the audit log by insert": (
        "insert into public.audit_log (organization_id, table_name, row_id, action)"
        " values (%(org_a)s, 'x', %(org_a)s, 'insert')",
        {},
    ),
}

# -1 = refused with an error; 0 = silently no row; 1 = done.
EXPECTED_WRITES = {
    #                             owner admin viewer expert client partner owner_b
    "rename organization": (1, 1, 0, 0, 0, 0, 0),
    "add a client member": (1, 1, -1, -1, -1, -1, -1),
    "add an owner member": (1, -1, -1, -1, -1, -1, -1),
    "change a member's role": (1, 1, 0, 0, 0, 0, 0),
    "remove a member": (1, 1, 0, 0, 0, 0, 0),
    "create a company": (1, 1, -1, -1, -1, -1, -1),
    "update a company": (1, 1, 0, 0, 0, 0, 0),
    "delete a company": (1, 1, 0, 0, 0, 0, 0),
    "approve an expert": (1, 1, 0, 0, 0, 0, 0),
    "read the audit log by insert": (-1, -1, -1, -1, -1, -1, -1),
}
WRITERS = ("owner_a", "admin_a", "viewer_a", "expert_a", "client_a", "partner_a", "owner_b")


@pytest.mark.parametrize("action", sorted(WRITES))
def test_writes_per_role(conn: tdb.Conn, world: World, action: str) -> None:
    sql, _ = WRITES[action]
    params = {
        **{k: str(v) for k, v in world.users.items()},
        **{k: str(v) for k, v in world.companies.items()},
        **{k: str(v) for k, v in world.experts.items()},
        "org_a": str(world.org_a),
    }
    outcomes = []
    for persona in WRITERS:
        tdb.as_user(conn, world.users[persona])
        outcomes.append(_rows(conn, sql % {k: f"'{v}'" for k, v in params.items()}, ()))
    assert tuple(outcomes) == EXPECTED_WRITES[action], dict(zip(WRITERS, outcomes, strict=True))


def test_partner_registers_and_updates_only_its_prospects(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["partner_a"])
    sql = "insert into public.client_companies (organization_id, name, partner_user_id) values (%s, 'P', %s)"
    assert _rows(conn, sql, (world.org_a, world.users["partner_a"])) == 1
    assert _rows(conn, sql, (world.org_a, world.users["client_a"])) == -1
    assert _rows(conn, "update public.client_companies set city = 'Nice' where id = %s", (world.companies["ca3"],)) == 1
    assert _rows(conn, "update public.client_companies set city = 'Nice' where id = %s", (world.companies["ca1"],)) == 0
    assert (
        _rows(
            conn,
            "update public.client_companies set partner_user_id = %s where id = %s",
            (world.users["client_a"], world.companies["ca3"]),
        )
        == -1
    )


def test_experts_edit_their_profile_but_not_approval_rating_or_counters(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["pending_a"])
    me = world.experts["pending_a"]
    assert _rows(conn, "update public.expert_profiles set description = 'TICPE' where id = %s", (me,)) == 1
    assert _rows(conn, "update public.expert_profiles set approval_status = 'approved' where id = %s", (me,)) == -1
    assert _rows(conn, "update public.expert_profiles set rating = 5 where id = %s", (me,)) == -1
    assert _rows(conn, "update public.expert_terms set capacity = 4 where expert_id = %s", (me,)) == 1
    assert _rows(conn, "update public.expert_terms set fee_rate = 0.1 where expert_id = %s", (me,)) == -1
    assert _rows(conn, "update public.expert_terms set open_dossiers = 5 where expert_id = %s", (me,)) == -1
    assert (
        _rows(
            conn,
            "update public.expert_terms set capacity = 4 where expert_id = %s",
            (world.experts["expert_a"],),
        )
        == 0
    )


def test_expert_creates_only_its_own_pending_profile(conn: tdb.Conn, world: World) -> None:
    newcomer = tdb.make_user(conn)
    tdb.add_member(conn, world.org_a, newcomer, "expert")
    tdb.as_user(conn, newcomer)
    sql = (
        "insert into public.expert_profiles (organization_id, user_id, display_name, approval_status)"
        " values (%s, %s, 'New', %s)"
    )
    assert _rows(conn, sql, (world.org_a, newcomer, "approved")) == -1
    assert _rows(conn, sql, (world.org_b, newcomer, "pending")) == -1
    assert _rows(conn, sql, (world.org_a, newcomer, "pending")) == 1


def test_approval_and_membership_changes_are_audited_with_their_actor(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["admin_a"])
    conn.execute(
        "update public.expert_profiles set approval_status = 'approved', approval_reason = 'ok' where id = %s",
        (world.experts["pending_a"],),
    )
    conn.execute("update public.memberships set role = 'viewer' where user_id = %s", (world.users["client_a2"],))
    rows = conn.execute(
        "select table_name, action, actor_id, old_values ->> 'approval_status' as old_status,"
        " new_values ->> 'approval_status' as new_status, new_values ->> 'role' as new_role"
        " from public.audit_log where organization_id = %s and action = 'update' order by id",
        (world.org_a,),
    ).fetchall()
    assert [(r["table_name"], r["actor_id"]) for r in rows] == [
        ("expert_profiles", world.users["admin_a"]),
        ("memberships", world.users["admin_a"]),
    ]
    assert (rows[0]["old_status"], rows[0]["new_status"]) == ("pending", "approved")
    assert rows[1]["new_role"] == "viewer"


def test_the_last_owner_cannot_leave(conn: tdb.Conn, world: World) -> None:
    tdb.as_user(conn, world.users["owner_a"])
    sql = "delete from public.memberships where user_id = %s"
    with pytest.raises(pg_errors.RaiseException, match="at least one owner"), conn.transaction():
        conn.execute(sql, (world.users["owner_a"],))


def test_siren_checksum_is_enforced(conn: tdb.Conn, world: World) -> None:
    sql = "insert into public.client_companies (organization_id, name, siren) values (%s, 'S', %s)"
    conn.execute(sql, (world.org_a, "732829320"))
    for bad in ("732829321", "12345678", "abcdefghi"):
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(sql, (world.org_a, bad))


def test_helpers_are_not_executable_by_anon(conn: tdb.Conn) -> None:
    tdb.as_anon(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), conn.transaction():
        conn.execute("select private.my_organization_ids()")
