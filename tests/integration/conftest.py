"""Integration fixtures: each test runs in a transaction that is rolled back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.support import db as tdb


@pytest.fixture
def conn(database_url: str) -> Iterator[tdb.Conn]:
    with tdb.connect(database_url) as connection, connection.transaction(force_rollback=True):
        yield connection


@dataclass
class World:
    """Two organizations with a user in every role (A) and a few in B."""

    org_a: uuid.UUID
    org_b: uuid.UUID
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    companies: dict[str, uuid.UUID] = field(default_factory=dict)
    experts: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def orgs(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.org_a, self.org_b)


@pytest.fixture
def world(conn: tdb.Conn) -> World:
    w = World(org_a=tdb.make_org(conn, "Org A"), org_b=tdb.make_org(conn, "Org B"))
    roles_a = {
        "owner_a": "owner",
        "admin_a": "admin",
        "expert_a": "expert",
        "pending_a": "expert",
        "client_a": "client",
        "client_a2": "client",
        "partner_a": "partner",
        "viewer_a": "viewer",
    }
    roles_b = {"owner_b": "owner", "client_b": "client", "expert_b": "expert"}
    for name, role in roles_a.items():
        w.users[name] = tdb.make_user(conn)
        tdb.add_member(conn, w.org_a, w.users[name], role)
    for name, role in roles_b.items():
        w.users[name] = tdb.make_user(conn)
        tdb.add_member(conn, w.org_b, w.users[name], role)
    w.users["operator"] = tdb.make_user(conn)
    w.users["outsider"] = tdb.make_user(conn)
    conn.execute("insert into public.platform_operators (user_id) values (%s)", (w.users["operator"],))
    u = w.users
    w.companies["ca1"] = tdb.make_company(conn, w.org_a, name="A1", users=(u["client_a"],))
    w.companies["ca2"] = tdb.make_company(conn, w.org_a, name="A2", users=(u["client_a2"],))
    w.companies["ca3"] = tdb.make_company(conn, w.org_a, name="A3 prospect", partner=u["partner_a"])
    w.companies["cb1"] = tdb.make_company(conn, w.org_b, name="B1", users=(u["client_b"],))
    w.experts["expert_a"] = tdb.make_expert(conn, w.org_a, u["expert_a"])
    w.experts["pending_a"] = tdb.make_expert(conn, w.org_a, u["pending_a"], status="pending")
    w.experts["expert_b"] = tdb.make_expert(conn, w.org_b, u["expert_b"])
    return w
