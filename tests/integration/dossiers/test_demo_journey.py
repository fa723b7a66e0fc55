"""`make dev`'s demo is a living platform: in each demo organization a dossier in every status a
dossier can hold (`awaiting_reassignment` is only ever a resume status), with documents, reviews,
requests, an audit, invoices and payments, and an open offer; loading it twice changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from infra.cli import seed_demo
from shared.platform.migrate import apply_migrations


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


def _count(conn: psycopg.Connection, table: str, slug: str, where: str = "true") -> int:
    row = conn.execute(
        f"select count(*) from public.{table} x join public.organizations o"  # noqa: S608 (fixed names)
        f" on o.id = x.organization_id and o.slug = %s where {where}",
        (slug,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_every_status_and_the_whole_journey_are_in_the_demo(demo_database: str) -> None:
    seed_demo(demo_database)
    with psycopg.connect(demo_database) as conn:
        for slug in ("profitum", "horizon"):
            missing = conn.execute(
                "select array_agg(s.code order by s.code) from public.dossier_statuses s"
                " where s.code <> 'awaiting_reassignment' and not exists (select 1 from public.dossiers x"
                " join public.organizations o on o.id = x.organization_id and o.slug = %s where x.status = s.code)",
                (slug,),
            ).fetchone()
            assert missing is not None and missing[0] is None, (slug, missing)
            assert _count(conn, "document_versions", slug) >= 3
            assert _count(conn, "document_reviews", slug) >= 1
            assert _count(conn, "document_requests", slug) >= 1
            assert _count(conn, "dossiers", slug, "x.audit_amount > 0") >= 1
            assert _count(conn, "invoices", slug) >= 1
            assert _count(conn, "invoice_payments", slug) >= 1
            assert _count(conn, "assignment_offers", slug, "x.status = 'offered'") == 1
        before = conn.execute(
            "select (select count(*) from public.dossiers), (select count(*) from public.assignment_offers)"
        ).fetchone()
    seed_demo(demo_database)
    with psycopg.connect(demo_database) as conn:
        after = conn.execute(
            "select (select count(*) from public.dossiers), (select count(*) from public.assignment_offers)"
        ).fetchone()
    assert after == before
