"""Offers and assignment, every transition and its refusal, through the service as each role."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from shared.marketplace import service
from shared.platform import errors
from tests.integration.marketplace.conftest import Market, backdate
from tests.support import db as tdb


@pytest.fixture
def scene(market: Market) -> dict[str, uuid.UUID]:
    """Three ticpe experts of organization A (best first) and a dossier of company A1 ready for one."""
    return {
        "e1": market.expert(name="Un", products={"ticpe": "expert"}),
        "e2": market.expert(name="Deux", products={"ticpe": "avance"}),
        "e3": market.expert(name="Trois", products={"ticpe": "intermediaire"}),
        "dossier": market.dossier(),
    }


def act(market: Market, who: str | uuid.UUID, use_case: Callable[..., Any], **arguments: Any) -> Any:
    user = market.world.users[who] if isinstance(who, str) else market.user_of(who)
    tdb.as_user(market.conn, user)
    return use_case(market.conn, **arguments)


def refused(market: Market, who: str | uuid.UUID, use_case: Callable[..., Any], **arguments: Any) -> tuple[int, str]:
    with pytest.raises(errors.AppError) as caught, market.conn.transaction():
        act(market, who, use_case, **arguments)
    return caught.value.status, caught.value.code


def dossier_row(market: Market, dossier: uuid.UUID) -> dict[str, Any]:
    return market.row("select status, expert_id, resume_status from public.dossiers where id = %s", dossier)


def test_client_pick_then_expert_accept_assigns_atomically(market: Market, scene: dict[str, uuid.UUID]) -> None:
    picked = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e2"])
    assert picked.dossier_status == "expert_pending_acceptance"
    offer = picked.offer
    assert offer is not None and offer.status == "offered" and offer.source == "client_choice"
    assert offer.score_parts["level"] == "24.00" and offer.score == sum(
        __import__("decimal").Decimal(v) for v in offer.score_parts.values()
    )
    accepted = act(market, scene["e2"], service.accept, offer_id=offer.id)
    assert (accepted.dossier_status, accepted.expert_id) == ("expert_assigned", scene["e2"])
    assert dossier_row(market, scene["dossier"])["expert_id"] == scene["e2"]
    terms = market.row(
        "select open_dossiers, last_assigned_at, cardinality(recent_assignments) as recent"
        " from public.expert_terms where expert_id = %s",
        scene["e2"],
    )
    assert terms["open_dossiers"] == 1 and terms["last_assigned_at"] is not None and terms["recent"] == 1
    kinds = [
        r["kind"]
        for r in market.rows(
            "select kind from public.marketplace_events where dossier_id = %s order by id", scene["dossier"]
        )
    ]
    assert kinds == ["offer_made", "offer_accepted"]


@pytest.mark.parametrize(
    ("who", "expert", "status", "code"),
    [
        ("client_a2", "e1", 403, "forbidden"),  # a client of another company of the organization
        ("expert_a", "e1", 403, "forbidden"),
        ("admin_a", "e1", 403, "forbidden"),  # staff propose or force; clients pick
        ("viewer_a", "e1", 403, "forbidden"),
        ("client_b", "e1", 404, "dossier_not_found"),
        ("outsider", "e1", 404, "dossier_not_found"),
        ("client_a", "other_org", 404, "expert_not_found"),
        ("client_a", "unknown", 404, "expert_not_found"),
        ("client_a", "pending", 409, "expert_not_eligible"),
    ],
)
def test_pick_refusals(
    market: Market, scene: dict[str, uuid.UUID], who: str, expert: str, status: int, code: str
) -> None:
    experts = {
        **scene,
        "other_org": market.world.experts["expert_b"],
        "unknown": uuid.uuid4(),
        "pending": market.expert(status="pending"),
    }
    assert refused(market, who, service.pick, dossier_id=scene["dossier"], expert_id=experts[expert]) == (status, code)


def test_one_open_offer_per_dossier_and_only_ready_dossiers(market: Market, scene: dict[str, uuid.UUID]) -> None:
    act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"])
    assert refused(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e2"]) == (
        409,
        "offer_already_open",
    )
    early = market.dossier(product="dfs", status="pending_upload")
    market.link(scene["e1"], "dfs")
    assert refused(market, "client_a", service.pick, dossier_id=early, expert_id=scene["e1"]) == (
        409,
        "dossier_not_ready",
    )
    assert refused(market, "client_a", service.pick, dossier_id=uuid.uuid4(), expert_id=scene["e1"]) == (
        404,
        "dossier_not_found",
    )


def test_ineligible_experts_are_refused_for_each_rule(market: Market, scene: dict[str, uuid.UUID]) -> None:
    reasons = {
        "paused": market.expert(activity="paused"),
        "not_qualified": market.expert(products={"urssaf": "expert"}),
        "no_capacity": market.expert(capacity=0),
        "not_approved": market.expert(status="suspended"),
    }
    inactive = market.expert()
    market.conn.execute("update public.expert_products set active = false where expert_id = %s", (inactive,))
    reasons["not_qualified_inactive_link"] = inactive
    away = market.expert()
    market.conn.execute(
        "insert into public.expert_absences (expert_id, starts_at, ends_at)"
        " values (%s, now() - interval '1 hour', now() + interval '1 hour')",
        (away,),
    )
    reasons["out_of_office"] = away
    for why, expert in reasons.items():
        assert refused(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=expert) == (
            409,
            "expert_not_eligible",
        ), why
    assert market.rows("select 1 from public.assignment_offers where dossier_id = %s", scene["dossier"]) == []


def test_decline_needs_a_reason_and_returns_the_dossier_to_the_client(
    market: Market, scene: dict[str, uuid.UUID]
) -> None:
    offer = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"]).offer
    assert refused(market, scene["e1"], service.decline, offer_id=offer.id, reason="  ") == (422, "reason_required")
    assert refused(market, scene["e2"], service.decline, offer_id=offer.id, reason="non") == (403, "forbidden")
    assert refused(market, "client_a", service.decline, offer_id=offer.id, reason="non") == (403, "forbidden")
    assert refused(market, "client_b", service.decline, offer_id=offer.id, reason="non") == (404, "offer_not_found")
    declined = act(market, scene["e1"], service.decline, offer_id=offer.id, reason="Trop de dossiers en cours")
    assert (declined.dossier_status, declined.next) == ("admin_validated", "waiting")
    assert declined.offer is not None and declined.offer.reason == "Trop de dossiers en cours"
    page = act(market, "client_a", service.candidates, dossier_id=scene["dossier"], page_size=20, after=None)
    assert scene["e1"] not in [c.expert_id for c in page.items]
    assert [c.expert_id for c in page.items][:2] == [scene["e2"], scene["e3"]]
    assert refused(market, scene["e1"], service.accept, offer_id=offer.id) == (409, "offer_declined")


def test_expired_withdrawn_and_accepted_offers_cannot_be_accepted(market: Market, scene: dict[str, uuid.UUID]) -> None:
    offer = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"]).offer
    backdate(
        market.conn,
        "update public.assignment_offers set offered_at = now() - interval '3 days',"
        " expires_at = now() - interval '1 day' where id = %s",
        offer.id,
    )
    assert refused(market, scene["e1"], service.accept, offer_id=offer.id) == (409, "offer_expired")
    backdate(
        market.conn, "update public.assignment_offers set expires_at = now() + interval '1 day' where id = %s", offer.id
    )
    act(market, "client_a", service.withdraw, offer_id=offer.id, reason="Finalement non")
    assert dossier_row(market, scene["dossier"])["status"] == "admin_validated"
    assert refused(market, scene["e1"], service.accept, offer_id=offer.id) == (409, "offer_withdrawn")
    second = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e2"]).offer
    act(market, scene["e2"], service.accept, offer_id=second.id)
    assert refused(market, scene["e2"], service.accept, offer_id=second.id) == (409, "offer_accepted")
    assert refused(market, scene["e2"], service.accept, offer_id=uuid.uuid4()) == (404, "offer_not_found")


def test_who_may_withdraw(market: Market, scene: dict[str, uuid.UUID]) -> None:
    offer = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"]).offer
    assert refused(market, scene["e1"], service.withdraw, offer_id=offer.id, reason=None) == (403, "forbidden")
    assert refused(market, "viewer_a", service.withdraw, offer_id=offer.id, reason=None) == (403, "forbidden")
    assert refused(market, "owner_b", service.withdraw, offer_id=offer.id, reason=None) == (404, "offer_not_found")
    assert act(market, "admin_a", service.withdraw, offer_id=offer.id, reason=None).offer.status == "withdrawn"


def test_admin_mode_propose_confirm_or_pick_another(market: Market, scene: dict[str, uuid.UUID]) -> None:
    market.settings(assignment_mode="admin")
    assert refused(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"]) == (
        409,
        "assignment_mode",
    )
    assert refused(market, "client_a", service.confirm, dossier_id=scene["dossier"]) == (409, "no_proposal")
    assert refused(market, "client_a", service.propose, dossier_id=scene["dossier"], expert_id=scene["e2"]) == (
        403,
        "forbidden",
    )
    ineligible = market.expert(activity="paused")
    assert refused(market, "admin_a", service.propose, dossier_id=scene["dossier"], expert_id=ineligible) == (
        409,
        "expert_not_eligible",
    )
    proposed = act(market, "admin_a", service.propose, dossier_id=scene["dossier"], expert_id=scene["e2"])
    assert proposed.proposed_expert_id == scene["e2"] and proposed.score_parts is not None
    confirmed = act(market, "client_a", service.confirm, dossier_id=scene["dossier"])
    assert confirmed.offer is not None and (confirmed.offer.expert_id, confirmed.offer.source) == (
        scene["e2"],
        "admin_proposal",
    )
    act(market, "client_a", service.withdraw, offer_id=confirmed.offer.id, reason="Je préfère un autre expert")
    act(market, "admin_a", service.propose, dossier_id=scene["dossier"], expert_id=scene["e2"])
    other = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e3"])
    assert other.offer is not None and other.offer.expert_id == scene["e3"]
    assert (
        market.row("select proposed_expert_id from public.dossiers where id = %s", scene["dossier"])[
            "proposed_expert_id"
        ]
        is None
    )


def test_force_needs_a_reason_is_audited_and_may_break_the_rules(market: Market, scene: dict[str, uuid.UUID]) -> None:
    act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"])
    full = market.expert(capacity=0, status="pending")
    assert refused(market, "client_a", service.force, dossier_id=scene["dossier"], expert_id=full, reason="x") == (
        403,
        "forbidden",
    )
    assert refused(market, "admin_a", service.force, dossier_id=scene["dossier"], expert_id=full, reason=" ") == (
        422,
        "reason_required",
    )
    assert refused(
        market,
        "admin_a",
        service.force,
        dossier_id=scene["dossier"],
        expert_id=market.world.experts["expert_b"],
        reason="x",
    ) == (404, "expert_not_found")
    forced = act(
        market,
        "admin_a",
        service.force,
        dossier_id=scene["dossier"],
        expert_id=full,
        reason="Client historique de cet expert",
    )
    assert (forced.dossier_status, forced.expert_id, forced.ineligibility) == ("expert_assigned", full, "not_approved")
    audit = market.row(
        "select actor_id, new_values from public.audit_log where table_name = 'dossiers' and row_id = %s",
        scene["dossier"],
    )
    assert audit["actor_id"] == market.world.users["admin_a"]
    assert audit["new_values"]["reason"] == "Client historique de cet expert" and audit["new_values"]["forced"]
    assert market.row("select open_dossiers from public.expert_terms where expert_id = %s", full)["open_dossiers"] == 1
    statuses = [
        r["status"]
        for r in market.rows("select status from public.assignment_offers where dossier_id = %s", scene["dossier"])
    ]
    assert statuses == ["withdrawn"]
    assert refused(
        market, "admin_a", service.force, dossier_id=scene["dossier"], expert_id=scene["e2"], reason="x"
    ) == (409, "already_assigned")


def test_capacity_is_enforced_on_accept(market: Market, scene: dict[str, uuid.UUID]) -> None:
    solo = market.expert(capacity=1)
    first = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=solo).offer
    other = market.dossier(market.company(users=[market.world.users["client_a"]]))
    second = act(market, "client_a", service.pick, dossier_id=other, expert_id=solo).offer
    act(market, solo, service.accept, offer_id=first.id)
    assert refused(market, solo, service.accept, offer_id=second.id) == (409, "capacity_reached")
    assert market.row("select open_dossiers from public.expert_terms where expert_id = %s", solo)["open_dossiers"] == 1


def test_release_puts_the_dossier_back_and_the_next_expert_resumes_the_work(
    market: Market, scene: dict[str, uuid.UUID]
) -> None:
    offer = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"]).offer
    act(market, scene["e1"], service.accept, offer_id=offer.id)
    market.sql("update public.dossiers set status = 'audit_in_progress' where id = %s", scene["dossier"])
    assert refused(market, "client_a", service.release, dossier_id=scene["dossier"], reason="x") == (403, "forbidden")
    released = act(market, "admin_a", service.release, dossier_id=scene["dossier"], reason="Expert injoignable")
    assert (released.dossier_status, released.expert_id) == ("awaiting_reassignment", None)
    assert (
        market.row("select open_dossiers from public.expert_terms where expert_id = %s", scene["e1"])["open_dossiers"]
        == 0
    )
    again = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e2"]).offer
    accepted = act(market, scene["e2"], service.accept, offer_id=again.id)
    assert accepted.dossier_status == "audit_in_progress"
    assert refused(market, "admin_a", service.release, dossier_id=market.dossier(product="dfs"), reason="x") == (
        409,
        "not_assigned",
    )


def test_the_assignment_view_follows_each_role(market: Market, scene: dict[str, uuid.UUID]) -> None:
    offer = act(market, "client_a", service.pick, dossier_id=scene["dossier"], expert_id=scene["e1"]).offer
    view = act(market, scene["e1"], service.assignment, dossier_id=scene["dossier"])
    assert view.open_offer is not None and view.open_offer.id == offer.id
    assert act(market, "client_a", service.assignment, dossier_id=scene["dossier"]).assignment_mode == "client_choice"
    assert refused(market, scene["e2"], service.assignment, dossier_id=scene["dossier"]) == (403, "forbidden")
    assert refused(market, "client_b", service.assignment, dossier_id=scene["dossier"]) == (404, "dossier_not_found")
    inbox = act(market, scene["e1"], service.offers, status="offered")
    assert [o.id for o in inbox.items] == [offer.id]
    assert act(market, scene["e2"], service.offers, status=None).items == []
