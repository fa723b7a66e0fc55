"""Documents under real concurrency: threads, each with its own connection and transaction against
the real database, released together by a barrier, then committed.

- concurrent uploads of one reusable type end with distinct version numbers and one current version;
- a review racing a replacement never deadlocks and leaves one consistent state.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.support import db as tdb

pytestmark = [pytest.mark.slow, pytest.mark.race]

THREADS = 8


def _together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Runs ``work(i)`` in ``count`` threads started at once; returns results or the exceptions raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _as(database_url: str, user: uuid.UUID, query: str, *params: object) -> Any:
    with tdb.connect(database_url) as conn, conn.transaction():
        tdb.as_user(conn, user)
        row = conn.execute(query, params).fetchone()
        return None if row is None else next(iter(row.values()))


@pytest.fixture
def desk(committed: tdb.Conn) -> dict[str, Any]:
    org = tdb.make_org(committed, "Course aux documents")
    client, expert_user = tdb.make_user(committed), tdb.make_user(committed)
    tdb.add_member(committed, org, client, "client")
    tdb.add_member(committed, org, expert_user, "expert")
    company = tdb.make_company(committed, org, users=(client,))
    expert = tdb.make_expert(committed, org, expert_user)
    row = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
        " values (%s, %s, 'urssaf', 'expert_assigned', %s) returning id",
        (org, company, expert),
    ).fetchone()
    assert row is not None
    return {"client": client, "expert": expert_user, "dossier": row["id"]}


@pytest.fixture
def committed(database_url: str) -> Any:
    with tdb.connect(database_url) as connection:
        connection.autocommit = True
        yield connection


def _begin(url: str, desk: dict[str, Any], document_type: str) -> dict[str, Any]:
    result: dict[str, Any] = _as(
        url,
        desk["client"],
        "select private.document_begin_upload(%s, %s, 'f.pdf', 100, current_date - 1, null, null, null) as r",
        desk["dossier"],
        document_type,
    )
    return result


def _complete(url: str, desk: dict[str, Any], version: str) -> dict[str, Any]:
    result: dict[str, Any] = _as(
        url,
        desk["client"],
        "select private.document_complete_upload(%s, 100, %s, 'pdf') as r",
        version,
        hashlib.sha256(version.encode()).hexdigest(),
    )
    return result


def test_concurrent_uploads_of_a_reusable_type_get_distinct_versions_and_one_current(
    database_url: str, committed: tdb.Conn, desk: dict[str, Any]
) -> None:
    started = _together(THREADS, lambda _: _begin(database_url, desk, "kbis"))
    assert not [r for r in started if isinstance(r, Exception)], started
    assert len({r["document_id"] for r in started}) == 1  # one Kbis per company
    assert sorted(r["version"] for r in started) == list(range(1, THREADS + 1))
    done = _together(THREADS, lambda i: _complete(database_url, desk, started[i]["version_id"]))
    assert not [r for r in done if isinstance(r, Exception)], done
    rows = committed.execute(
        "select state, count(*) as n from public.document_versions where document_id = %s group by state",
        (started[0]["document_id"],),
    ).fetchall()
    assert {r["state"]: r["n"] for r in rows} == {"uploaded": 1, "replaced": THREADS - 1}


def test_a_review_racing_a_replacement_leaves_one_consistent_state(
    database_url: str, committed: tdb.Conn, desk: dict[str, Any]
) -> None:
    _as(
        database_url,
        desk["expert"],
        "select public.dossier_command(%s, 'request_documents', %s::jsonb)",
        desk["dossier"],
        json.dumps({"items": [{"document_type": "rib"}]}),
    )
    first = _begin(database_url, desk, "rib")
    _complete(database_url, desk, first["version_id"])
    second = _begin(database_url, desk, "rib")
    review = json.dumps({"version_id": first["version_id"], "decision": "reject", "reason": "Illisible"})

    def work(i: int) -> Any:
        if i == 0:
            return _complete(database_url, desk, second["version_id"])
        return _as(
            database_url,
            desk["expert"],
            "select public.dossier_command(%s, 'review_document', %s::jsonb)",
            desk["dossier"],
            review,
        )

    completed, reviewed = _together(2, work)
    assert not isinstance(completed, Exception), completed
    if isinstance(reviewed, Exception):  # the replacement won: the old version can no longer be reviewed
        assert isinstance(reviewed, psycopg.Error) and reviewed.diag.message_hint == "version_replaced"
    state = committed.execute(
        "select d.status, i.state as item from public.dossiers d"
        " join public.document_request_items i on i.dossier_id = d.id where d.id = %s",
        (desk["dossier"],),
    ).fetchone()
    # whichever came first, the RIB's current version (v2) is pending and the dossier has its documents
    assert state == {"status": "documents_received", "item": "uploaded"}
