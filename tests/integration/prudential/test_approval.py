"""Four-eyes approval in the database: the transitions, each refusal, the hash-chained audit rows, and
an approved version frozen for every role, the service role included."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import World
from tests.integration.prudential.conftest import Desk, document, sha
from tests.support import db as tdb


def _call(conn: tdb.Conn, user: uuid.UUID, action: str, version: uuid.UUID, comment: str | None = None) -> Any:
    tdb.as_user(conn, user)
    row = conn.execute(f"select public.{action}_portfolio_version(%s, %s) as out", (version, comment)).fetchone()
    tdb.as_owner(conn)
    assert row is not None
    return row["out"]


def _refused(conn: tdb.Conn, call: Callable[[], Any]) -> tuple[str | None, str | None]:
    """(SQLSTATE, hint) of the refusal; the transaction carries on after it."""
    with pytest.raises(psycopg.Error) as caught, conn.transaction():
        call()
    tdb.as_owner(conn)
    return caught.value.sqlstate, caught.value.diag.message_hint


def _status(conn: tdb.Conn, version: uuid.UUID) -> str:
    row = conn.execute("select status from public.prudential_portfolio_versions where id = %s", (version,)).fetchone()
    assert row is not None
    return str(row["status"])


@pytest.fixture
def computed(desk: Desk, world: World) -> uuid.UUID:
    """Version 2 of A's portfolio (by analyst_a) with a current calculation of its input."""
    desk.calculation(desk.ids["va2"], world.users["analyst_a"])
    return desk.ids["va2"]


def test_submit_needs_a_current_calculation(conn: tdb.Conn, world: World, desk: Desk) -> None:
    u = world.users
    assert _refused(conn, lambda: _call(conn, u["analyst_a"], "submit", desk.ids["va2"])) == (
        "PT409",
        "calculation_required",
    )
    desk.calculation(desk.ids["va2"], u["analyst_a"])
    conn.execute(
        "update public.prudential_portfolio_versions set input = '{\"changed\": true}', input_sha256 = repeat('c', 64)"
        " where id = %s",
        (desk.ids["va2"],),
    )  # the input changed after the calculation: it no longer counts
    assert _refused(conn, lambda: _call(conn, u["analyst_a"], "submit", desk.ids["va2"])) == (
        "PT409",
        "calculation_required",
    )


def test_submit_then_approve_by_someone_else_freezes_and_audits(
    conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID
) -> None:
    u = world.users
    assert _call(conn, u["analyst_a"], "submit", computed, "Q4 figures")["status"] == "in_review"
    assert _call(conn, u["approver_a"], "approve", computed, "OK")["status"] == "approved"
    row = conn.execute(
        "select submitted_by, decided_by, calculation_id from public.prudential_portfolio_versions where id = %s",
        (computed,),
    ).fetchone()
    assert row is not None and (row["submitted_by"], row["decided_by"]) == (u["analyst_a"], u["approver_a"])
    audit = conn.execute(
        "select action, actor_id, details, chain_seq, prev_hash, row_hash from public.audit_log"
        " where table_name = 'prudential_portfolio_versions' and row_id = %s order by chain_seq",
        (computed,),
    ).fetchall()
    assert [a["action"] for a in audit] == ["version_submitted", "version_approved"]
    assert [a["actor_id"] for a in audit] == [u["analyst_a"], u["approver_a"]]
    first, second = (a["details"] for a in audit)
    assert (first["from"], first["to"], first["comment"]) == ("draft", "in_review", "Q4 figures")
    assert (second["from"], second["to"], second["comment"]) == ("in_review", "approved", "OK")
    assert second["rule_set"] == "CRR3-2025.1"
    assert second["input_sha256"] == sha(document(amount="2000000"))
    assert second["result_sha256"] == sha({"id": None})
    assert second["calculation_id"] == str(row["calculation_id"])
    assert audit[1]["prev_hash"] == audit[0]["row_hash"] and audit[1]["chain_seq"] == audit[0]["chain_seq"] + 1


def test_the_submitter_cannot_approve(conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID) -> None:
    u = world.users
    _call(conn, u["approver_a"], "submit", computed)  # an approver submitting someone else's draft
    assert _refused(conn, lambda: _call(conn, u["approver_a"], "approve", computed)) == ("PT403", "self_approval")
    assert _refused(conn, lambda: _call(conn, u["approver_a"], "reject", computed, "no")) == ("PT403", "self_approval")
    assert _status(conn, computed) == "in_review"


def test_an_author_cannot_approve(conn: tdb.Conn, world: World, desk: Desk) -> None:
    u = world.users
    version = desk.version(desk.ids["pa"], u["approver_a"])  # written by an approver
    desk.calculation(version, u["approver_a"])
    _call(conn, u["analyst_a"], "submit", version)
    assert _refused(conn, lambda: _call(conn, u["approver_a"], "approve", version)) == ("PT403", "approver_is_author")
    assert _call(conn, u["approver_a2"], "approve", version)["status"] == "approved"


def test_whoever_edited_the_draft_cannot_approve(conn: tdb.Conn, world: World, desk: Desk) -> None:
    u = world.users
    version = desk.ids["va2"]
    edited = document(amount="2500000")
    tdb.as_user(conn, u["approver_a2"])
    conn.execute(
        "update public.prudential_portfolio_versions set input = %s, input_sha256 = %s where id = %s",
        (json.dumps(edited), sha(edited), version),
    )
    tdb.as_owner(conn)
    desk.calculation(version, u["analyst_a"])
    _call(conn, u["analyst_a"], "submit", version)
    assert _refused(conn, lambda: _call(conn, u["approver_a2"], "approve", version)) == ("PT403", "approver_is_author")
    assert _call(conn, u["approver_a"], "approve", version)["status"] == "approved"


def test_reject_needs_a_comment_and_opens_the_next_draft(
    conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID
) -> None:
    u = world.users
    _call(conn, u["analyst_a"], "submit", computed)
    for blank in (None, "", "   "):
        assert _refused(conn, lambda b=blank: _call(conn, u["approver_a"], "reject", computed, b)) == (  # type: ignore[misc]
            "PT422",
            "comment_required",
        )
    out = _call(conn, u["approver_a"], "reject", computed, "Own funds missing")
    assert out["status"] == "rejected"
    new = conn.execute(
        "select version, status, input_sha256, based_on_version_id, created_by, source"
        " from public.prudential_portfolio_versions where id = %s",
        (out["new_version_id"],),
    ).fetchone()
    assert new is not None
    assert (new["version"], new["status"], new["source"]) == (3, "draft", "revision")
    assert new["based_on_version_id"] == computed and new["created_by"] == u["analyst_a"]
    assert new["input_sha256"] == sha(document(amount="2000000"))
    row = conn.execute(
        "select decision_comment from public.prudential_portfolio_versions where id = %s", (computed,)
    ).fetchone()
    assert row is not None and row["decision_comment"] == "Own funds missing"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("analyst_a", ("PT403", "forbidden")),
        ("viewer_a", ("PT403", "forbidden")),
        ("expert_a", ("PT404", "version_not_found")),
        ("client_a", ("PT404", "version_not_found")),
        ("owner_b", ("PT404", "version_not_found")),
    ],
)
def test_who_may_not_decide(
    conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID, persona: str, expected: tuple[str, str]
) -> None:
    _call(conn, world.users["analyst_a"], "submit", computed)
    assert _refused(conn, lambda: _call(conn, world.users[persona], "approve", computed)) == expected
    assert _refused(conn, lambda: _call(conn, world.users[persona], "reject", computed, "x")) == expected


def test_only_writers_submit_and_only_drafts(conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID) -> None:
    u = world.users
    assert _refused(conn, lambda: _call(conn, u["viewer_a"], "submit", computed)) == ("PT403", "forbidden")
    _call(conn, u["analyst_a"], "submit", computed)
    assert _refused(conn, lambda: _call(conn, u["analyst_a2"], "submit", computed)) == ("PT409", "version_not_draft")
    assert _refused(conn, lambda: _call(conn, u["owner_a"], "approve", desk.ids["va1"])) == (
        "PT409",
        "version_not_in_review",
    )


def test_a_version_in_review_cannot_be_edited(conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID) -> None:
    _call(conn, world.users["analyst_a"], "submit", computed)
    tdb.as_service(conn)
    assert _refused(
        conn,
        lambda: conn.execute("update public.prudential_portfolio_versions set input = '{}' where id = %s", (computed,)),
    ) == ("PT409", "version_not_draft")


APPROVED_CHANGES = {
    "edit the input": "update public.prudential_portfolio_versions set input = '{}' where id = %(v)s",
    "reopen it": "update public.prudential_portfolio_versions set status = 'draft' where id = %(v)s",
    "delete it": "delete from public.prudential_portfolio_versions where id = %(v)s",
    "delete its portfolio": "delete from public.prudential_portfolios where id = %(p)s",
    "change its calculation": "update public.prudential_calculations set status = 'superseded' where id = %(c)s",
    "delete its calculation": "delete from public.prudential_calculations where id = %(c)s",
}


@pytest.mark.parametrize("change", sorted(APPROVED_CHANGES))
@pytest.mark.parametrize("role", ["service_role", "owner_a", "superuser"])
def test_an_approved_version_is_frozen_for_everyone(
    conn: tdb.Conn, world: World, desk: Desk, computed: uuid.UUID, change: str, role: str
) -> None:
    u = world.users
    _call(conn, u["analyst_a"], "submit", computed)
    _call(conn, u["approver_a"], "approve", computed)
    row = conn.execute(
        "select calculation_id from public.prudential_portfolio_versions where id = %s", (computed,)
    ).fetchone()
    assert row is not None
    params = {"v": computed, "p": desk.ids["pa"], "c": row["calculation_id"]}
    if role == "service_role":
        tdb.as_service(conn)
    elif role == "owner_a":
        tdb.as_user(conn, u["owner_a"])
    try:
        with conn.transaction():
            affected = conn.execute(APPROVED_CHANGES[change], params).rowcount
        outcome = f"{affected} rows"
    except psycopg.Error as exc:
        outcome = exc.sqlstate or "error"
    tdb.as_owner(conn)
    # the trigger's refusal; for a member, no update right or (delete) no row the policy lets them touch
    allowed = {"PT409"} if role != "owner_a" else {"PT409", "42501", "0 rows"}
    assert outcome in allowed
    assert _status(conn, computed) == "approved"
