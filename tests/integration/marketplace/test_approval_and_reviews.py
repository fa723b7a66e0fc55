"""Expert approval life cycle (audited, recorded as events) and client reviews with the rating."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pytest

from shared.marketplace import service
from shared.marketplace.models import ReviewIn
from tests.integration.marketplace.conftest import Market, backdate
from tests.integration.marketplace.test_offers import act, refused
from tests.support import db as tdb


def test_approve_reject_suspend_reactivate(market: Market) -> None:
    pending = market.world.experts["pending_a"]
    assert (
        act(market, "admin_a", service.set_approval, expert_id=pending, action="approve", reason=None).approval_status
        == "approved"
    )
    profile = market.row("select approved_at from public.expert_profiles where id = %s", pending)
    assert profile["approved_at"] is not None
    act(market, "owner_a", service.set_approval, expert_id=pending, action="suspend", reason="Retards répétés")
    assert refused(market, "admin_a", service.set_approval, expert_id=pending, action="approve", reason=None) == (
        409,
        "invalid_transition",
    )
    act(market, "admin_a", service.set_approval, expert_id=pending, action="reactivate", reason=None)
    kinds = [
        r["kind"]
        for r in market.rows("select kind from public.marketplace_events where expert_id = %s order by id", pending)
    ]
    assert kinds == ["expert_approved", "expert_suspended", "expert_reactivated"]
    audited = market.rows(
        "select actor_id, new_values ->> 'approval_status' as status from public.audit_log"
        " where table_name = 'expert_profiles' and row_id = %s and action = 'update' order by id",
        pending,
    )
    assert [(r["actor_id"], r["status"]) for r in audited] == [
        (market.world.users["admin_a"], "approved"),
        (market.world.users["owner_a"], "suspended"),
        (market.world.users["admin_a"], "approved"),
    ]


def test_rejection_needs_a_reason_and_refusals(market: Market) -> None:
    newcomer = market.expert(status="pending")
    assert refused(market, "admin_a", service.set_approval, expert_id=newcomer, action="reject", reason=" ") == (
        422,
        "reason_required",
    )
    assert refused(market, "admin_a", service.set_approval, expert_id=newcomer, action="suspend", reason="x") == (
        409,
        "invalid_transition",
    )
    assert refused(market, "viewer_a", service.set_approval, expert_id=newcomer, action="approve", reason=None) == (
        403,
        "forbidden",
    )
    assert refused(market, newcomer, service.set_approval, expert_id=newcomer, action="approve", reason=None) == (
        403,
        "forbidden",
    )
    assert refused(market, "owner_b", service.set_approval, expert_id=newcomer, action="approve", reason=None) == (
        404,
        "expert_not_found",
    )
    assert refused(market, "admin_a", service.set_approval, expert_id=uuid.uuid4(), action="approve", reason=None) == (
        404,
        "expert_not_found",
    )
    act(market, "admin_a", service.set_approval, expert_id=newcomer, action="reject", reason="Dossier incomplet")
    event = market.row("select detail from public.marketplace_events where expert_id = %s", newcomer)
    assert event["detail"] == {"from": "pending", "to": "rejected", "reason": "Dossier incomplet"}


def test_direct_updates_follow_the_same_life_cycle(market: Market) -> None:
    newcomer = market.expert(status="pending")
    tdb.as_user(market.conn, market.world.users["admin_a"])
    with pytest.raises(psycopg.errors.CheckViolation), market.conn.transaction():
        market.conn.execute("update public.expert_profiles set approval_status = 'rejected' where id = %s", (newcomer,))
    with pytest.raises(psycopg.Error, match="cannot go from pending to suspended"), market.conn.transaction():
        market.conn.execute(
            "update public.expert_profiles set approval_status = 'suspended' where id = %s", (newcomer,)
        )


@pytest.fixture
def closed(market: Market) -> dict[str, uuid.UUID]:
    expert = market.expert(name="Notée")
    dossier = market.dossier(status="closed")
    market.sql("update public.dossiers set expert_id = %s where id = %s", expert, dossier)
    return {"expert": expert, "dossier": dossier}


def _rating(market: Market, expert: uuid.UUID) -> tuple[Decimal | None, int]:
    row = market.row("select rating, review_count from public.expert_profiles where id = %s", expert)
    return row["rating"], row["review_count"]


def test_a_client_reviews_once_and_the_rating_follows(market: Market, closed: dict[str, uuid.UUID]) -> None:
    review = act(
        market,
        "client_a",
        service.review,
        dossier_id=closed["dossier"],
        body=ReviewIn(rating=4, comment="Très réactive"),
    )
    assert (review.rating, review.expert_id) == (4, closed["expert"])
    assert _rating(market, closed["expert"]) == (Decimal("4.0"), 1)
    assert refused(market, "client_a", service.review, dossier_id=closed["dossier"], body=ReviewIn(rating=5)) == (
        409,
        "already_reviewed",
    )
    other = market.dossier(market.company(users=[market.world.users["client_a"]]), status="closed")
    market.sql("update public.dossiers set expert_id = %s where id = %s", closed["expert"], other)
    act(market, "client_a", service.review, dossier_id=other, body=ReviewIn(rating=5))
    assert _rating(market, closed["expert"]) == (Decimal("4.5"), 2)
    act(
        market,
        "client_a",
        service.edit_review,
        dossier_id=other,
        body=ReviewIn(rating=2, comment="Finalement"),
        user_id=market.world.users["client_a"],
    )
    assert _rating(market, closed["expert"]) == (Decimal("3.0"), 2)
    match = market.row("select rating from private.expert_match where expert_id = %s", closed["expert"])
    assert match["rating"] == Decimal("3.0")


def test_review_refusals(market: Market, closed: dict[str, uuid.UUID]) -> None:
    open_dossier = market.dossier(product="dfs", status="expert_assigned")
    market.sql("update public.dossiers set expert_id = %s where id = %s", closed["expert"], open_dossier)
    assert refused(market, "client_a", service.review, dossier_id=open_dossier, body=ReviewIn(rating=5)) == (
        409,
        "dossier_not_closed",
    )
    assert refused(market, "admin_a", service.review, dossier_id=closed["dossier"], body=ReviewIn(rating=5)) == (
        403,
        "forbidden",
    )
    assert refused(market, "client_a2", service.review, dossier_id=closed["dossier"], body=ReviewIn(rating=5)) == (
        403,
        "forbidden",
    )
    assert refused(market, "client_b", service.review, dossier_id=closed["dossier"], body=ReviewIn(rating=5)) == (
        404,
        "dossier_not_found",
    )


def test_editable_for_seven_days_and_answered_once(market: Market, closed: dict[str, uuid.UUID]) -> None:
    review = act(market, "client_a", service.review, dossier_id=closed["dossier"], body=ReviewIn(rating=3))
    assert refused(market, "client_a", service.answer_review, review_id=review.id, answer="Merci") == (403, "forbidden")
    answered = act(market, closed["expert"], service.answer_review, review_id=review.id, answer="Merci !")
    assert answered.answer == "Merci !" and answered.answered_at is not None
    assert refused(market, closed["expert"], service.answer_review, review_id=review.id, answer="Encore") == (
        409,
        "already_answered",
    )
    assert refused(
        market,
        closed["expert"],
        service.edit_review,
        dossier_id=closed["dossier"],
        body=ReviewIn(rating=5),
        user_id=market.user_of(closed["expert"]),
    ) == (403, "forbidden")
    backdate(
        market.conn, "update public.expert_reviews set created_at = now() - interval '8 days' where id = %s", review.id
    )
    assert refused(
        market,
        "client_a",
        service.edit_review,
        dossier_id=closed["dossier"],
        body=ReviewIn(rating=5),
        user_id=market.world.users["client_a"],
    ) == (409, "review_locked")
    assert refused(market, "owner_b", service.answer_review, review_id=review.id, answer="x") == (
        404,
        "review_not_found",
    )
