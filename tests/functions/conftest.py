"""Function-tier fixtures: settings pointing at the test database, keys, and WSGI test clients."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from flask.testing import FlaskClient

from shared.platform import db
from shared.platform.settings import Secret, Settings, use_settings
from tests.support import db as tdb
from tests.support.simulate import Site
from tests.support.tokens import HS_SECRET, ISSUER, KeyPair

MAIN = str(Path(__file__).resolve().parents[2] / "main.py")


@pytest.fixture(scope="session")
def keys() -> KeyPair:
    return KeyPair()


@pytest.fixture(scope="session")
def settings(database_url: str, keys: KeyPair) -> Iterator[Settings]:
    configured = Settings(
        database_url=Secret(database_url),
        jwks_json=keys.jwks_json(),
        jwt_issuer=ISSUER,
        jwt_secret=Secret(HS_SECRET),
        cors_allowed_origins=("https://app.example.test",),
    )
    use_settings(configured)
    yield configured
    db.close_pool()
    use_settings(None)


@pytest.fixture
def use(settings: Settings) -> Iterator[Callable[..., Settings]]:
    """Run one test with modified settings."""

    def apply(**changes: Any) -> Settings:
        changed = dataclasses.replace(settings, **changes)
        use_settings(changed)
        return changed

    yield apply
    use_settings(settings)


@pytest.fixture(scope="session")
def client_for(settings: Settings) -> Callable[[str], FlaskClient]:
    cache: dict[str, FlaskClient] = {}

    def build(target: str) -> FlaskClient:
        if target not in cache:
            cache[target] = functions_framework.create_app(target, MAIN, "http").test_client()
        return cache[target]

    return build


@pytest.fixture
def committed(database_url: str) -> Iterator[tdb.Conn]:
    """A connection whose writes are committed, for data the functions must see."""
    with tdb.connect(database_url) as connection:
        connection.autocommit = True
        yield connection


@pytest.fixture
def tenant(committed: tdb.Conn) -> dict[str, uuid.UUID]:
    """A fresh organization with an owner, a client with a company, and a second organization."""
    org = tdb.make_org(committed, "Cabinet Test")
    other = tdb.make_org(committed, "Autre Cabinet")
    owner, client, multi = (tdb.make_user(committed) for _ in range(3))
    tdb.add_member(committed, org, owner, "owner")
    tdb.add_member(committed, org, client, "client")
    tdb.add_member(committed, org, multi, "expert")
    tdb.add_member(committed, other, multi, "client")
    company = tdb.make_company(committed, org, name="Transports Test", users=(client,))
    return {"org": org, "other": other, "owner": owner, "client": client, "multi": multi, "company": company}


@pytest.fixture
def site(committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient]) -> Site:
    """An organization with a user in every role and companies, for the `simulate` function."""
    org = tdb.make_org(committed, "Cabinet Simulateur")
    other = tdb.make_org(committed, "Autre")
    slug = committed.execute("select slug from public.organizations where id = %s", (org,)).fetchone()["slug"]
    users = {}
    for name, role, where in (
        ("admin", "admin", org),
        ("client", "client", org),
        ("viewer", "viewer", org),
        ("expert", "expert", org),
        ("partner", "partner", org),
        ("stranger", "client", other),
        ("newcomer", "client", org),
    ):
        users[name] = tdb.make_user(committed)
        tdb.add_member(committed, where, users[name], role)
    tdb.make_expert(committed, org, users["expert"])
    company = tdb.make_company(committed, org, name="Transports Simu", users=(users["client"],))
    prospect = tdb.make_company(committed, org, name="Prospect", partner=users["partner"])
    other_company = tdb.make_company(committed, other, name="Ailleurs", users=(users["stranger"],))
    tdb.make_company(committed, org, name="Nouvelle", users=(users["newcomer"],))
    return Site(slug, org, users, company, prospect, other_company, keys, client_for("simulate"))
