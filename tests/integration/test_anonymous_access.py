"""The anonymous way into simulations (migrations 0046 and 0047), as every role: visitors reach a draft
only through the token-keyed functions, signed-in users cannot use those, and the rate-limit counters
are counted but never read through the API."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb

TOKEN_HASH = "a" * 64


def _anonymous_draft(conn: tdb.Conn, world: World) -> uuid.UUID:
    tdb.as_anon(conn)
    org = conn.execute("select id from private.organization_by_key(%s)", (str(world.org_a),)).fetchone()
    assert org is not None and org["id"] == world.org_a
    rule_set = conn.execute("select id from private.rule_set_in_effect(%s, null)", (world.org_a,)).fetchone()
    assert rule_set is not None
    row = conn.execute(
        "select id, status, stale from private.start_anonymous_simulation(%s, %s, %s)",
        (world.org_a, rule_set["id"], TOKEN_HASH),
    ).fetchone()
    assert row is not None and row["status"] == "draft" and row["stale"] is False
    simulation: uuid.UUID = row["id"]
    return simulation


def test_a_visitor_reaches_and_changes_only_the_draft_of_their_token(conn: tdb.Conn, world: World) -> None:
    sim = _anonymous_draft(conn, world)
    assert conn.execute("select private.save_anonymous_answers(%s, %s, '{\"GENERAL_004\": \"Oui\"}')",
                        (sim, TOKEN_HASH)).fetchone() == {"save_anonymous_answers": True}  # fmt: skip
    assert conn.execute("select private.save_anonymous_answers(%s, %s, '{}')", (sim, "b" * 64)).fetchone() == {
        "save_anonymous_answers": False
    }
    row = conn.execute("select answers from private.anonymous_simulation(%s, %s, true)", (sim, TOKEN_HASH)).fetchone()
    assert row == {"answers": {"GENERAL_004": "Oui"}}
    assert conn.execute(
        "select private.abandon_anonymous_simulation(%s, %s, 'plus tard')", (sim, TOKEN_HASH)
    ).fetchone() == {"abandon_anonymous_simulation": True}
    assert conn.execute("select private.complete_anonymous_simulation(%s, %s, '{\"total\": \"0\"}')",
                        (sim, TOKEN_HASH)).fetchone() == {"complete_anonymous_simulation": False}  # fmt: skip


def test_a_rule_set_of_another_organization_cannot_start_a_draft(conn: tdb.Conn, world: World) -> None:
    tdb.as_owner(conn)
    other = conn.execute(
        "insert into public.rule_sets (organization_id, version, effective_from) values (%s, 'FR-2099.1', '2099-01-01')"
        " returning id",
        (world.org_b,),
    ).fetchone()
    assert other is not None
    tdb.as_anon(conn)
    started = conn.execute(
        "select id from private.start_anonymous_simulation(%s, %s, %s)", (world.org_a, other["id"], TOKEN_HASH)
    ).fetchall()
    assert started == []


@pytest.mark.parametrize("who", ["client_a", "owner_a"])
def test_signed_in_users_cannot_use_the_anonymous_functions(conn: tdb.Conn, world: World, who: str) -> None:
    tdb.as_user(conn, world.users[who])
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from private.anonymous_simulation(%s, %s, false)", (uuid.uuid4(), TOKEN_HASH))


def test_rate_limit_hits_are_counted_by_anon_and_read_by_nobody_through_the_api(conn: tdb.Conn) -> None:
    tdb.as_anon(conn)
    bucket = f"test:{uuid.uuid4().hex}"
    hits = [conn.execute("select hits from private.hit_rate_limit(%s, 3600)", (bucket,)).fetchone() for _ in range(3)]
    assert hits == [{"hits": 1}, {"hits": 2}, {"hits": 3}]
    for act in (tdb.as_anon, tdb.as_service):
        act(conn)
        if act is tdb.as_service:
            assert conn.execute("select count(*) as n from public.rate_limit_counters where bucket = %s",
                                (bucket,)).fetchone() == {"n": 1}  # fmt: skip
            continue
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("select count(*) from public.rate_limit_counters")
