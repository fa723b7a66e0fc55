"""Questions and product rules of a published rule set never change, for any role (migration 0036)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from psycopg import errors as pg_errors

from shared.simulation import repository
from shared.simulation.models import load_rule_set
from tests.support import db as tdb


@dataclass(frozen=True)
class Published:
    org: uuid.UUID
    owner: uuid.UUID
    admin: uuid.UUID
    rule_set: uuid.UUID


def _publish(conn: tdb.Conn, org: uuid.UUID, version: str) -> uuid.UUID:
    document = load_rule_set("FR-2025.1").model_dump(mode="json")
    document["version"] = version
    rule_set = type(load_rule_set("FR-2025.1")).model_validate(document)
    return repository.insert_rule_set(conn, organization_id=org, rule_set=rule_set, published_by=uuid.uuid4())


@pytest.fixture(scope="module")
def published(database_url: str) -> Iterator[Published]:
    """An organization rule set published (committed) by an earlier transaction."""
    with tdb.connect(database_url) as conn:
        org = tdb.make_org(conn, "Rules")
        owner, admin = tdb.make_user(conn), tdb.make_user(conn)
        tdb.add_member(conn, org, owner, "owner")
        tdb.add_member(conn, org, admin, "admin")
        rule_set = _publish(conn, org, "FR-2030.1")
        conn.commit()
    yield Published(org, owner, admin, rule_set)


def _platform_rule_set(conn: tdb.Conn) -> uuid.UUID:
    row = conn.execute(
        "select id from public.rule_sets where organization_id is null and version = 'FR-2025.1'"
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


WRITES = {
    "add a question": (
        "insert into public.questions (rule_set_id, code, position, definition) values (%(rs)s, 'Q_NEW', 99, '{}')"
    ),
    "remove a question": "delete from public.questions where rule_set_id = %(rs)s and code = 'GENERAL_001'",
    "change a question": "update public.questions set position = 0 where rule_set_id = %(rs)s",
    "add a product rule": (
        "insert into public.product_rules (rule_set_id, product_code, active) values (%(rs)s, 'cee', true)"
        " on conflict do nothing"
    ),
    "remove a product rule": "delete from public.product_rules where rule_set_id = %(rs)s and product_code = 'ticpe'",
    "change a product rule": "update public.product_rules set active = false where rule_set_id = %(rs)s",
}


def _act_as(conn: tdb.Conn, persona: str, published: Published) -> None:
    if persona == "owner":
        tdb.as_user(conn, published.owner)
    elif persona == "admin":
        tdb.as_user(conn, published.admin)
    elif persona == "service_role":
        tdb.as_service(conn)
    else:
        tdb.as_owner(conn)


def _count(conn: tdb.Conn, rule_set: uuid.UUID) -> tuple[int, int]:
    tdb.as_owner(conn)
    row = conn.execute(
        "select (select count(*) from public.questions where rule_set_id = %(rs)s) as q,"
        " (select count(*) from public.product_rules where rule_set_id = %(rs)s) as r",
        {"rs": rule_set},
    ).fetchone()
    assert row is not None
    return int(row["q"]), int(row["r"])


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("persona", ["owner", "admin", "service_role", "database_owner"])
def test_an_organization_rule_set_is_frozen_once_published(
    conn: tdb.Conn, published: Published, persona: str, write: str
) -> None:
    before = _count(conn, published.rule_set)
    _act_as(conn, persona, published)
    # Members were never granted UPDATE; every other write reaches the trigger, which refuses it.
    no_grant = persona in ("owner", "admin") and write.startswith("change")
    reason = "permission denied" if no_grant else "never change"
    with pytest.raises(pg_errors.InsufficientPrivilege, match=reason), conn.transaction():
        conn.execute(WRITES[write], {"rs": published.rule_set})
    assert _count(conn, published.rule_set) == before


@pytest.mark.parametrize("write", list(WRITES))
def test_the_platform_rule_set_is_frozen_for_the_service_role(conn: tdb.Conn, write: str) -> None:
    rule_set = _platform_rule_set(conn)
    tdb.as_service(conn)
    with pytest.raises(pg_errors.InsufficientPrivilege, match="never change"), conn.transaction():
        conn.execute(WRITES[write], {"rs": rule_set})


def test_publishing_writes_the_contents_in_its_own_transaction(conn: tdb.Conn, published: Published) -> None:
    tdb.as_user(conn, published.admin)
    fresh = _publish(conn, published.org, "FR-2031.1")
    conn.execute(WRITES["add a question"], {"rs": fresh})  # still the publishing transaction
    questions, rules = _count(conn, fresh)
    assert questions == len(load_rule_set("FR-2025.1").questions) + 1 and rules > 0


def test_an_unused_published_rule_set_can_still_be_withdrawn(conn: tdb.Conn, published: Published) -> None:
    tdb.as_user(conn, published.admin)
    deleted = conn.execute("delete from public.rule_sets where id = %s", (published.rule_set,)).rowcount
    assert deleted == 1
    assert _count(conn, published.rule_set) == (0, 0)


def test_a_used_rule_set_cannot_be_withdrawn(conn: tdb.Conn, published: Published) -> None:
    tdb.as_owner(conn)
    conn.execute(
        "insert into public.simulations (organization_id, rule_set_id, rule_set_version, resume_token_hash)"
        " values (%s, %s, 'FR-2030.1', %s)",
        (published.org, published.rule_set, uuid.uuid4().hex),
    )
    tdb.as_user(conn, published.admin)
    with pytest.raises(pg_errors.ForeignKeyViolation), conn.transaction():
        conn.execute("delete from public.rule_sets where id = %s", (published.rule_set,))
