"""Invitations under RLS as every role: owners and admins read their organization's, nobody else any;
nobody writes them except through the RPCs; the RPCs check the role and the address."""

from __future__ import annotations

import hashlib
import uuid

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invite(conn: tdb.Conn, world: World, by: str, org: uuid.UUID, email: str, role: str = "expert") -> str:
    tdb.as_user(conn, world.users[by])
    company = world.companies["ca1"] if role == "client" else None
    row = conn.execute(
        "select public.create_invitation(%s, %s, %s, %s, %s) ->> 'id' as id",
        (org, email, role, company, _hash(email)),
    ).fetchone()
    tdb.as_owner(conn)
    assert row is not None
    return str(row["id"])


def _count(conn: tdb.Conn) -> int:
    row = conn.execute("select count(*) as n from public.invitations").fetchone()
    assert row is not None
    return int(row["n"])


def test_row_counts_per_role(conn: tdb.Conn, world: World) -> None:
    _invite(conn, world, "owner_a", world.org_a, "one@example.test")
    _invite(conn, world, "admin_a", world.org_a, "two@example.test", "client")
    _invite(conn, world, "owner_b", world.org_b, "three@example.test", "partner")
    expected = {
        "owner_a": 2, "admin_a": 2, "expert_a": 0, "client_a": 0, "partner_a": 0, "viewer_a": 0, "owner_b": 1,
        "client_b": 0, "expert_b": 0, "operator": 0, "outsider": 0,
    }  # fmt: skip
    for persona, count in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, world.users[persona])
            assert _count(conn) == count, persona
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("update public.invitations set status = 'accepted'")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("delete from public.invitations")
    with conn.transaction(force_rollback=True):
        tdb.as_anon(conn)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            _count(conn)
    with conn.transaction(force_rollback=True):
        tdb.as_service(conn)
        assert _count(conn) >= 3


@pytest.mark.parametrize("persona", ["expert_a", "client_a", "partner_a", "viewer_a", "owner_b", "outsider"])
def test_only_owners_and_admins_of_the_organization_invite(conn: tdb.Conn, world: World, persona: str) -> None:
    with pytest.raises(psycopg.Error, match="owners and admins"):
        _invite(conn, world, persona, world.org_a, "x@example.test")


def test_accept_checks_address_and_gives_the_membership_once(conn: tdb.Conn, world: World) -> None:
    newcomer = tdb.make_user(conn, "newcomer@example.test")
    _invite(conn, world, "owner_a", world.org_a, "Newcomer@Example.test", "client")
    tdb.as_user(conn, world.users["outsider"])
    with pytest.raises(psycopg.Error, match="another address"), conn.transaction():
        conn.execute("select public.accept_invitation(%s)", (_hash("Newcomer@Example.test"),))
    tdb.as_user(conn, newcomer)
    result = conn.execute("select public.accept_invitation(%s) as r", (_hash("Newcomer@Example.test"),)).fetchone()
    assert result is not None and result["r"]["role"] == "client"
    tdb.as_owner(conn)
    assert conn.execute(
        "select count(*) as n from public.client_company_users where user_id = %s and company_id = %s",
        (newcomer, world.companies["ca1"]),
    ).fetchone() == {"n": 1}


def test_a_member_is_not_invited_again(conn: tdb.Conn, world: World) -> None:
    email = conn.execute("select email from auth.users where id = %s", (world.users["expert_a"],)).fetchone()
    assert email is not None
    with pytest.raises(psycopg.Error, match="already a member"):
        _invite(conn, world, "owner_a", world.org_a, str(email["email"]))
