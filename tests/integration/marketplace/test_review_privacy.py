"""Who sees what of a review (migration 0038) and who declared an absence (migration 0037)."""

from __future__ import annotations

import uuid

import pytest
from psycopg import errors as pg_errors

from shared.marketplace import service
from shared.marketplace.models import ReviewIn
from tests.integration.marketplace.conftest import Market
from tests.integration.marketplace.test_offers import act
from tests.support import db as tdb

PUBLIC = "select id, rating, comment, answer, expert_id, dossier_id from public.expert_reviews where id = %s"
PARTIES = "select author_id, client_company_id from public.expert_review_parties where review_id = %s"

# persona: (rows of the public part, rows of the parties view)
EXPECTED = {
    "owner_a": (1, 1),
    "admin_a": (1, 1),
    "viewer_a": (1, 1),
    "client_a": (1, 1),  # the author
    "client_a2": (1, 0),  # another client of the organization
    "expert_a": (1, 0),
    "partner_a": (1, 0),
    "owner_b": (0, 0),
    "outsider": (0, 0),
}


@pytest.fixture
def reviewed(market: Market) -> uuid.UUID:
    w = market.world
    dossier = market.dossier(w.companies["ca1"], product="dfs", status="closed")
    market.sql("update public.dossiers set expert_id = %s where id = %s", w.experts["expert_a"], dossier)
    review = act(market, "client_a", service.review, dossier_id=dossier, body=ReviewIn(rating=4, comment="Bien"))
    return review.id


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_members_read_the_public_part_and_only_staff_and_the_author_read_who_and_for_whom(
    market: Market, reviewed: uuid.UUID, persona: str
) -> None:
    w = market.world
    tdb.as_user(market.conn, w.users[persona])
    public = market.conn.execute(PUBLIC, (reviewed,)).fetchall()
    parties = market.conn.execute(PARTIES, (reviewed,)).fetchall()
    assert (len(public), len(parties)) == EXPECTED[persona]
    if parties:
        assert parties[0] == {"author_id": w.users["client_a"], "client_company_id": w.companies["ca1"]}


@pytest.mark.parametrize("column", ["author_id", "client_company_id", "*"])
def test_the_private_columns_are_refused_to_signed_in_users(market: Market, reviewed: uuid.UUID, column: str) -> None:
    for persona in ("client_a2", "owner_a", "client_a"):
        tdb.as_user(market.conn, market.world.users[persona])
        with pytest.raises(pg_errors.InsufficientPrivilege), market.conn.transaction():
            market.conn.execute(f"select {column} from public.expert_reviews where id = %s", (reviewed,))  # noqa: S608


def test_the_service_role_and_anon(market: Market, reviewed: uuid.UUID) -> None:
    tdb.as_service(market.conn)
    row = market.conn.execute("select author_id from public.expert_reviews where id = %s", (reviewed,)).fetchone()
    assert row == {"author_id": market.world.users["client_a"]}
    assert len(market.conn.execute(PARTIES, (reviewed,)).fetchall()) == 0  # no JWT subject, no staff role
    tdb.as_anon(market.conn)
    for query in (PUBLIC, PARTIES):
        with pytest.raises(pg_errors.InsufficientPrivilege), market.conn.transaction():
            market.conn.execute(query, (reviewed,))


def test_the_author_still_edits_and_the_expert_still_answers(market: Market, reviewed: uuid.UUID) -> None:
    w = market.world
    dossier = market.row("select dossier_id from public.expert_reviews where id = %s", reviewed)["dossier_id"]
    edited = act(
        market,
        "client_a",
        service.edit_review,
        dossier_id=dossier,
        body=ReviewIn(rating=5),
        user_id=w.users["client_a"],
    )
    assert edited.rating == 5
    answered = act(market, "expert_a", service.answer_review, review_id=reviewed, answer="Merci")
    assert answered.answer == "Merci"


ABSENCE = (
    "insert into public.expert_absences (expert_id, starts_at, ends_at, created_by)"
    " values (%s, now() + interval '1 day', now() + interval '2 days', %s) returning id"
)


@pytest.mark.parametrize("persona", ["expert_a", "admin_a"])
def test_an_absence_is_declared_by_its_caller_whatever_was_sent(market: Market, persona: str) -> None:
    w = market.world
    caller, someone_else = w.users[persona], w.users["owner_a"]
    tdb.as_user(market.conn, caller)
    absence = market.conn.execute(ABSENCE, (w.experts["expert_a"], someone_else)).fetchone()
    assert absence is not None
    market.conn.execute(
        "update public.expert_absences set created_by = %s, note = 'x' where id = %s", (someone_else, absence["id"])
    )
    tdb.as_owner(market.conn)
    row = market.row("select created_by, note from public.expert_absences where id = %s", absence["id"])
    assert row == {"created_by": caller, "note": "x"}


def test_the_service_role_may_name_who_it_acts_for(market: Market) -> None:
    w = market.world
    tdb.as_service(market.conn)
    absence = market.conn.execute(ABSENCE, (w.experts["expert_a"], w.users["admin_a"])).fetchone()
    assert absence is not None
    tdb.as_owner(market.conn)
    assert market.row("select created_by from public.expert_absences where id = %s", absence["id"]) == {
        "created_by": w.users["admin_a"]
    }
