"""The prudential demo data loads twice without change: an analyst and an approver per demo
organization, who see its demo portfolio and nothing of the marketplace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from infra.cli import seed_demo
from shared.platform.migrate import apply_migrations
from tests.support import db as tdb


@pytest.fixture
def demo_database(database_url: str) -> Iterator[str]:
    name = f"demo_{uuid.uuid4().hex[:10]}"
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = database_url.rsplit("/", 1)[0] + f"/{name}"
    apply_migrations(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')


def test_the_prudential_demo_loads_idempotently(demo_database: str) -> None:
    seed_demo(demo_database)
    seed_demo(demo_database)
    with tdb.connect(demo_database) as conn:
        roles = conn.execute(
            "select m.role, count(*) as n from public.memberships m join auth.users u on u.id = m.user_id"
            " where u.email like 'a%%.demo' and m.role in ('analyst', 'approver') group by m.role order by m.role"
        ).fetchall()
        assert [(r["role"], r["n"]) for r in roles] == [("analyst", 2), ("approver", 2)]
        analyst = conn.execute("select id from auth.users where email = 'analyst@profitum.demo'").fetchone()
        assert analyst is not None
        tdb.as_user(conn, analyst["id"])
        seen = conn.execute(
            "select (select count(*) from public.prudential_portfolios) as portfolios,"
            " (select count(*) from public.expert_profiles) as experts"
        ).fetchone()
        assert seen == {"portfolios": 1, "experts": 0}
