"""RLS of the dossier workflow's tables as every role, with row counts; the Data API cannot move a
dossier; the timeline is append-only; Realtime topics reach only their audience."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.integration.dossiers.conftest import Flow, walk_to_completed
from tests.support import db as tdb

TABLES = ["dossier_events", "dossier_audits", "organization_product_fees"]

# Rows each persona sees among the arranged rows (see `arranged`).
EXPECTED_VISIBLE = {
    #             events audits fees
    "owner_a": (9, 1, 1),
    "admin_a": (9, 1, 1),
    "viewer_a": (9, 1, 1),
    "expert_a": (8, 1, 1),
    "pending_a": (0, 0, 1),
    "client_a": (7, 1, 1),
    "client_a2": (0, 0, 1),
    "partner_a": (5, 1, 1),
    "owner_b": (1, 0, 1),
    "client_b": (1, 0, 1),
    "operator": (0, 0, 0),
    "outsider": (0, 0, 0),
}


@pytest.fixture
def arranged(flow: Flow) -> Flow:
    """A1's TICPE dossier walked to audit_completed (7 events: created, submit, validate and
    start/complete for partners too; offer and accept for clients), plus a staff note and an
    expert-only event (9 in org A); a B1 dossier (1 'created' event); an audit revision in A; a
    product fee floor in each organization."""
    walk_to_completed(flow)
    market = flow.market
    for visibility in ("staff", "expert"):
        market.sql(
            "select private.add_dossier_event(%s, 'note', 'Note', 'Note', '{}'::jsonb, %s)", flow.dossier, visibility
        )
    market.dossier(market.world.companies["cb1"], status="pending_upload")
    for org in market.world.orgs:
        market.sql(
            "insert into public.organization_product_fees (organization_id, product_code, min_client_fee_rate)"
            " values (%s, 'ticpe', 0.15)",
            org,
        )
    return flow


def _count(conn: tdb.Conn, table: str, orgs: tuple[uuid.UUID, uuid.UUID]) -> int:
    row = conn.execute(
        f"select count(*) as n from public.{table} where organization_id = any(%s)",  # noqa: S608 (fixed names)
        (list(orgs),),
    ).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_each_role_sees_exactly_its_rows(arranged: Flow, persona: str) -> None:
    conn, world = arranged.conn, arranged.market.world
    tdb.as_user(conn, world.users[persona])
    seen = tuple(_count(conn, table, world.orgs) for table in TABLES)
    assert seen == EXPECTED_VISIBLE[persona], dict(zip(TABLES, seen, strict=True))


def test_the_service_role_sees_everything_and_anon_nothing(arranged: Flow) -> None:
    conn, world = arranged.conn, arranged.market.world
    tdb.as_service(conn)
    assert tuple(_count(conn, table, world.orgs) for table in TABLES) == (10, 1, 2)
    for table in TABLES:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            tdb.as_anon(conn)
            _count(conn, table, world.orgs)


def test_statuses_and_transitions_are_public_reference_data(arranged: Flow) -> None:
    conn = arranged.conn
    for who in ("anon", "client_a", "service"):
        if who == "anon":
            tdb.as_anon(conn)
        elif who == "service":
            tdb.as_service(conn)
        else:
            tdb.as_user(conn, arranged.users[who])
        statuses = conn.execute("select count(*) as n from public.dossier_statuses").fetchone()
        transitions = conn.execute("select count(*) as n from public.dossier_transitions").fetchone()
        assert statuses is not None and transitions is not None
        assert statuses["n"] == 21 and transitions["n"] > 100


@pytest.mark.parametrize(
    "persona", ["client_a", "admin_a", "expert_a", "owner_a", "viewer_a", "partner_a", "client_a2", "owner_b"]
)
def test_no_role_moves_a_dossier_through_the_data_api(arranged: Flow, persona: str) -> None:
    """A Data API update of status, amounts or expert changes 0 rows (no UPDATE grant at all)."""
    conn = arranged.conn
    before = arranged.state()
    for assignment in ("status = 'closed'", "audited_amount = 1", "expert_id = null", "client_fee_rate = 0.99"):
        try:
            with conn.transaction():
                tdb.as_user(conn, arranged.users[persona])
                changed = conn.execute(
                    f"update public.dossiers set {assignment} where id = %s",  # noqa: S608 (fixed texts)
                    (arranged.dossier,),
                ).rowcount
        except psycopg.errors.InsufficientPrivilege:
            changed = 0
        assert changed == 0
    tdb.as_owner(conn)
    after = arranged.state()
    keys = ("status", "audited_amount", "expert_id", "client_fee_rate", "updated_at")
    assert {k: after[k] for k in keys} == {k: before[k] for k in keys}


def test_the_service_role_cannot_move_a_dossier_directly_either(arranged: Flow) -> None:
    conn = arranged.conn
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        tdb.as_service(conn)
        conn.execute("update public.dossiers set status = 'closed' where id = %s", (arranged.dossier,))
    tdb.as_service(conn)
    conn.execute("update public.dossiers set priority = 2 where id = %s", (arranged.dossier,))  # not a workflow column
    tdb.as_owner(conn)
    assert arranged.status() == "audit_completed"


def test_the_timeline_is_append_only_for_everyone(arranged: Flow) -> None:
    conn = arranged.conn
    for who in ("service", "owner"):
        for statement in ("update public.dossier_events set title_fr = 'x'", "delete from public.dossier_events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                if who == "service":
                    tdb.as_service(conn)
                conn.execute(statement + " where dossier_id = %s", (arranged.dossier,))
    tdb.as_owner(conn)
    assert len(arranged.events()) == 9


def test_realtime_topics_reach_only_their_audience(arranged: Flow) -> None:
    conn = arranged.conn

    def received(persona: str, audience: str) -> int:
        tdb.as_user(conn, arranged.users[persona])
        topic = f"dossier:{arranged.dossier}:{audience}"
        conn.execute("select set_config('realtime.topic', %s, true)", (topic,))
        row = conn.execute(
            "select count(*) as n from realtime.messages where topic = (select realtime.topic())"
        ).fetchone()
        tdb.as_owner(conn)
        assert row is not None
        return int(row["n"])

    assert received("client_a", "client") == 7
    assert received("client_a", "staff") == 0
    assert received("partner_a", "partner") == 5
    assert received("partner_a", "client") == 0
    assert received("expert_a", "expert") == 8
    assert received("admin_a", "staff") == 9
    assert received("client_b", "client") == 0
    tdb.as_owner(conn)
    published = conn.execute(
        "select 1 from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'dossier_events'"
    ).fetchone()
    assert published is not None
