"""Approval and version numbering under real concurrency: threads, each with its own connection and
transaction against the real database, released together by a barrier, then committed."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.integration.prudential.conftest import document, sha
from tests.support import db as tdb

pytestmark = [pytest.mark.slow, pytest.mark.race]


def _race(database_url: str, calls: list[Callable[[tdb.Conn], Any]]) -> list[Any]:
    """Run each call in its own committed transaction, all released at once; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[tdb.Conn], Any]) -> None:
        with tdb.connect(database_url) as conn:
            try:
                with conn.transaction():
                    barrier.wait(timeout=10)
                    outcomes[index] = call(conn)
            except psycopg.Error as exc:
                outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def team(database_url: str) -> dict[str, uuid.UUID]:
    with tdb.connect(database_url) as conn:
        conn.autocommit = True
        org = tdb.make_org(conn, "Banque concurrente")
        people = {"org": org}
        for name, role in (("analyst", "analyst"), ("approver1", "approver"), ("approver2", "approver")):
            people[name] = tdb.make_user(conn)
            tdb.add_member(conn, org, people[name], role)
        row = conn.execute(
            "insert into public.prudential_portfolios (organization_id, name, created_by) values (%s, 'Race', %s)"
            " returning id",
            (org, people["analyst"]),
        ).fetchone()
        assert row is not None
        people["portfolio"] = row["id"]
    return people


def _insert_version(team: dict[str, uuid.UUID], amount: str) -> Callable[[tdb.Conn], Any]:
    content = document(amount=amount)

    def call(conn: tdb.Conn) -> Any:
        tdb.as_user(conn, team["analyst"])
        row = conn.execute(
            "insert into public.prudential_portfolio_versions (organization_id, portfolio_id, version, input,"
            " input_sha256, reference_date) values (%s, %s, 1, %s, %s, '2025-12-31') returning version",
            (team["org"], team["portfolio"], json.dumps(content), sha(content)),
        ).fetchone()
        assert row is not None
        return row["version"]

    return call


def test_concurrent_versions_take_distinct_numbers(database_url: str, team: dict[str, uuid.UUID]) -> None:
    outcomes = _race(database_url, [_insert_version(team, str(1000 + i)) for i in range(6)])
    assert sorted(outcomes) == [1, 2, 3, 4, 5, 6]


def test_approve_racing_reject_decides_once(database_url: str, team: dict[str, uuid.UUID]) -> None:
    (number,) = _race(database_url, [_insert_version(team, "5000")])
    with tdb.connect(database_url) as conn:
        conn.autocommit = True
        row = conn.execute(
            "select id from public.prudential_portfolio_versions where portfolio_id = %s and version = %s",
            (team["portfolio"], number),
        ).fetchone()
        assert row is not None
        version = row["id"]
        conn.execute(
            "insert into public.prudential_calculations (organization_id, portfolio_version_id, rule_set,"
            " reference_date, input_sha256, result_sha256, result, created_by)"
            " select organization_id, id, 'CRR3-2025.1', reference_date, input_sha256, repeat('d', 64), '{}', %s"
            " from public.prudential_portfolio_versions where id = %s",
            (team["analyst"], version),
        )
        with conn.transaction():
            tdb.as_user(conn, team["analyst"])
            conn.execute("select public.submit_portfolio_version(%s, null)", (version,))

    def decide(who: str, action: str) -> Callable[[tdb.Conn], Any]:
        def call(conn: tdb.Conn) -> Any:
            tdb.as_user(conn, team[who])
            row = conn.execute(f"select public.{action}_portfolio_version(%s, 'race') as out", (version,)).fetchone()
            assert row is not None
            return row["out"]["status"]

        return call

    outcomes = _race(database_url, [decide("approver1", "approve"), decide("approver2", "reject")])
    won = [o for o in outcomes if isinstance(o, str)]
    lost = [o for o in outcomes if isinstance(o, psycopg.Error)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].diag.message_hint == "version_not_in_review"
    with tdb.connect(database_url) as conn:
        rows = conn.execute(
            "select action from public.audit_log where table_name = 'prudential_portfolio_versions' and row_id = %s",
            (version,),
        ).fetchall()
        decisions = [r["action"] for r in rows if r["action"] != "version_submitted"]
        assert decisions == [{"approved": "version_approved", "rejected": "version_rejected"}[won[0]]]
