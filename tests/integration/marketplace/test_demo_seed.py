"""The demo data (demo.sql then demo_marketplace.sql) loads twice without change and ranks candidates."""

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


def test_the_demo_loads_idempotently_and_shows_ranked_candidates(demo_database: str) -> None:
    seed_demo(demo_database)
    seed_demo(demo_database)
    with tdb.connect(demo_database) as conn:
        counts = conn.execute(
            "select (select count(*) from public.expert_products) as links,"
            " (select count(*) from public.dossiers where status = 'admin_validated') as ready"
        ).fetchone()
        # 26 links of the marketplace demo, 2 of demo_dossiers.sql (Denis Dossier, TICPE, in each organization)
        assert counts == {"links": 28, "ready": 2}
        client = conn.execute("select id from auth.users where email = 'client1@profitum.demo'").fetchone()
        assert client is not None
        tdb.as_user(conn, client["id"])
        rows = conn.execute(
            "select c.display_name, c.score from public.dossiers d,"
            " private.assignment_candidates(d.id, 20, null) as c where d.status = 'admin_validated'"
        ).fetchall()
    assert [r["display_name"] for r in rows] == ["Émilie Expert", "Étienne Énergie", "Sophie Social"]
    assert rows[0]["score"] > rows[1]["score"] > rows[2]["score"]
