"""The demo dossiers: every workflow step is shown, with a timeline, and they load twice unchanged."""

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


def test_the_demo_shows_every_step_with_its_timeline(demo_database: str) -> None:
    seed_demo(demo_database)
    with psycopg.connect(demo_database) as conn:
        before = conn.execute("select count(*) from public.dossiers").fetchone()
        steps = conn.execute(
            "select array_agg(distinct s.step order by s.step) from public.dossiers d"
            " join public.organizations o on o.id = d.organization_id and o.slug = 'profitum'"
            " join public.dossier_statuses s on s.code = private.shown_status(d.status, d.resume_status, d.held_status)"
            " where s.step is not null"
        ).fetchone()
        statuses = conn.execute(
            "select count(distinct d.status) from public.dossiers d join public.organizations o"
            " on o.id = d.organization_id and o.slug = 'profitum'"
        ).fetchone()
        silent = conn.execute(
            "select count(*) from public.dossiers d join public.client_companies c on c.id = d.client_company_id"
            " where d.status <> 'pending_upload' and c.name like 'Transports Étape %%'"
            " and not exists (select 1 from public.dossier_events e"
            " where e.dossier_id = d.id and e.command is not null)"
        ).fetchone()
    assert steps is not None and steps[0] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert statuses is not None and statuses[0] >= 17
    assert silent is not None and silent[0] == 0
    seed_demo(demo_database)
    with psycopg.connect(demo_database) as conn:
        assert conn.execute("select count(*) from public.dossiers").fetchone() == before
