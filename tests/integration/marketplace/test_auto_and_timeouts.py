"""Auto mode, offer timeouts, absences and hand-overs: the `assignment-timeouts` job's SQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.marketplace import service
from tests.integration.marketplace.conftest import Market, backdate
from tests.integration.marketplace.test_offers import act, dossier_row, refused
from tests.support import db as tdb


@pytest.fixture
def auto(market: Market) -> dict[str, uuid.UUID]:
    market.settings(assignment_mode="auto", max_offer_attempts=3)
    return {
        "e1": market.expert(name="Un", products={"ticpe": "expert"}),
        "e2": market.expert(name="Deux", products={"ticpe": "avance"}),
        "e3": market.expert(name="Trois", products={"ticpe": "intermediaire"}),
        "e4": market.expert(name="Quatre", products={"ticpe": "debutant"}),
        "dossier": market.dossier(),
    }


def sweep(market: Market, org: uuid.UUID | None = None) -> dict[str, int]:
    tdb.as_service(market.conn)
    return service.run_timeouts(market.conn, organization_id=org or market.world.org_a)


def offers(market: Market, dossier: uuid.UUID) -> list[dict[str, Any]]:
    return market.rows(
        "select id, expert_id, status, source, attempt, reason from public.assignment_offers"
        " where dossier_id = %s order by attempt, offered_at",
        dossier,
    )


def expire_open_offers(market: Market) -> None:
    """Time passes (inside one transaction now() stands still, so history is moved back instead)."""
    backdate(
        market.conn,
        "update public.dossiers set matching_started_at = matching_started_at - interval '10 days'"
        " where id in (select dossier_id from public.assignment_offers where status = 'offered')",
    )
    backdate(
        market.conn,
        "update public.assignment_offers set offered_at = offered_at - interval '3 days',"
        " expires_at = now() - interval '1 minute' where status = 'offered'",
    )


def test_validating_eligibility_in_auto_mode_offers_the_best_candidate(
    market: Market, auto: dict[str, uuid.UUID]
) -> None:
    fresh = market.dossier(
        product="ticpe",
        status="pending_admin_validation",
        company=market.company(users=[market.world.users["client_a"]]),
    )
    market.sql("update public.dossiers set status = 'admin_validated' where id = %s", fresh)
    rows = offers(market, fresh)
    assert [(r["expert_id"], r["source"], r["attempt"]) for r in rows] == [(auto["e1"], "auto", 1)]
    assert dossier_row(market, fresh)["status"] == "expert_pending_acceptance"


def test_declines_and_expiries_move_down_the_list_then_fail_after_max_attempts(
    market: Market, auto: dict[str, uuid.UUID]
) -> None:
    started = act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    assert started.offer is not None and started.offer.expert_id == auto["e1"]
    declined = act(market, auto["e1"], service.decline, offer_id=started.offer.id, reason="Indisponible")
    assert declined.next == "offered"
    second = offers(market, auto["dossier"])[-1]
    assert (second["expert_id"], second["attempt"], second["status"]) == (auto["e2"], 2, "offered")
    expire_open_offers(market)
    assert sweep(market)["expired"] == 1
    third = offers(market, auto["dossier"])[-1]
    assert (third["expert_id"], third["attempt"]) == (auto["e3"], 3)
    expire_open_offers(market)
    counts = sweep(market)
    assert (counts["expired"], counts["failed"], counts["offered"]) == (1, 1, 0)
    assert dossier_row(market, auto["dossier"])["status"] == "assignment_failed"
    assert [r["status"] for r in offers(market, auto["dossier"])] == ["declined", "expired", "expired"]
    failure = market.row(
        "select detail, client_visible from public.marketplace_events"
        " where dossier_id = %s and kind = 'assignment_failed'",
        auto["dossier"],
    )
    assert failure["detail"] == {"reason": "max_attempts", "attempts": 3} and not failure["client_visible"]
    # An admin may start a new round: the expert not yet tried is offered.
    restarted = act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    assert restarted.offer is not None and restarted.offer.expert_id == auto["e4"]


def test_nobody_left_flags_the_dossier_failed(market: Market, auto: dict[str, uuid.UUID]) -> None:
    market.settings(max_offer_attempts=10)
    for expert in ("e2", "e3", "e4"):
        market.sql("update public.expert_profiles set activity = 'paused' where id = %s", auto[expert])
    started = act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    declined = act(market, auto["e1"], service.decline, offer_id=started.offer.id, reason="Non")
    assert (declined.next, declined.dossier_status) == ("failed", "assignment_failed")
    reason = market.row(
        "select detail ->> 'reason' as reason from public.marketplace_events"
        " where dossier_id = %s and kind = 'assignment_failed'",
        auto["dossier"],
    )["reason"]
    assert reason == "no_candidate"


def test_the_sweep_is_idempotent(market: Market, auto: dict[str, uuid.UUID]) -> None:
    act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    expire_open_offers(market)
    first = sweep(market)
    assert (first["expired"], first["offered"]) == (1, 1)
    before = offers(market, auto["dossier"])
    assert all(v == 0 for v in sweep(market).values())
    assert offers(market, auto["dossier"]) == before


def test_client_choice_expiry_returns_the_dossier_to_the_client(market: Market, auto: dict[str, uuid.UUID]) -> None:
    market.settings(assignment_mode="client_choice")
    act(market, "client_a", service.pick, dossier_id=auto["dossier"], expert_id=auto["e3"])
    expire_open_offers(market)
    counts = sweep(market)
    assert (counts["expired"], counts["offered"]) == (1, 0)
    assert dossier_row(market, auto["dossier"])["status"] == "admin_validated"


def test_switching_to_auto_offers_waiting_dossiers(market: Market, auto: dict[str, uuid.UUID]) -> None:
    assert sweep(market)["offered"] == 1
    assert offers(market, auto["dossier"])[0]["expert_id"] == auto["e1"]


def test_offers_to_experts_who_became_ineligible_are_withdrawn(market: Market, auto: dict[str, uuid.UUID]) -> None:
    act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    market.sql("update public.expert_profiles set activity = 'paused' where id = %s", auto["e1"])
    counts = sweep(market)
    assert (counts["withdrawn"], counts["offered"]) == (1, 1)
    assert [(r["expert_id"], r["status"]) for r in offers(market, auto["dossier"])] == [
        (auto["e1"], "withdrawn"),
        (auto["e2"], "offered"),
    ]


def test_suspension_withdraws_open_offers_at_once(market: Market, auto: dict[str, uuid.UUID]) -> None:
    act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    act(market, "admin_a", service.set_approval, expert_id=auto["e1"], action="suspend", reason="Plaintes")
    assert [(r["expert_id"], r["status"]) for r in offers(market, auto["dossier"])] == [
        (auto["e1"], "withdrawn"),
        (auto["e2"], "offered"),
    ]


def _assign(market: Market, expert: uuid.UUID, dossier: uuid.UUID, status: str = "audit_in_progress") -> None:
    market.sql("update public.dossiers set expert_id = %s, status = %s where id = %s", expert, status, dossier)


def _absence(market: Market, expert: uuid.UUID, substitute: uuid.UUID | None = None) -> uuid.UUID:
    return market.row(
        "insert into public.expert_absences (expert_id, starts_at, ends_at, substitute_id)"
        " values (%s, now() - interval '1 minute', now() + interval '7 days', %s) returning id",
        expert,
        substitute,
    )["id"]


def test_an_absence_hands_open_dossiers_to_the_eligible_substitute(market: Market, auto: dict[str, uuid.UUID]) -> None:
    market.settings(assignment_mode="client_choice")
    _assign(market, auto["e1"], auto["dossier"])
    done = market.dossier(product="dfs", status="closed")
    _assign(market, auto["e1"], done, status="closed")
    absence = _absence(market, auto["e1"], substitute=auto["e2"])
    counts = sweep(market)
    assert (counts["absences"], counts["handed_over"], counts["returned"]) == (1, 1, 0)
    assert dossier_row(market, auto["dossier"]) == {
        "status": "audit_in_progress",
        "expert_id": auto["e2"],
        "resume_status": None,
    }
    assert dossier_row(market, done)["expert_id"] == auto["e1"]  # finished work stays with its expert
    event = market.row(
        "select expert_id, detail, client_visible from public.marketplace_events"
        " where kind = 'handed_over' and dossier_id = %s",
        auto["dossier"],
    )
    assert event["expert_id"] == auto["e2"] and event["detail"]["from"] == str(auto["e1"]) and event["client_visible"]
    assert market.row("select handed_over_at from public.expert_absences where id = %s", absence)["handed_over_at"]
    assert all(v == 0 for v in sweep(market).values())
    loads = {
        r["expert_id"]: r["open_dossiers"]
        for r in market.rows(
            "select expert_id, open_dossiers from public.expert_terms where expert_id = any(%s)",
            [auto["e1"], auto["e2"]],
        )
    }
    assert loads == {auto["e1"]: 0, auto["e2"]: 1}


def test_without_an_eligible_substitute_the_dossier_goes_back_to_matching(
    market: Market, auto: dict[str, uuid.UUID]
) -> None:
    full = market.expert(capacity=0)
    _assign(market, auto["e1"], auto["dossier"])
    _absence(market, auto["e1"], substitute=full)
    counts = sweep(market)
    assert (counts["handed_over"], counts["returned"]) == (0, 1)
    row = dossier_row(market, auto["dossier"])
    assert (row["expert_id"], row["resume_status"]) == (None, "audit_in_progress")
    # Auto mode: offered at once to the best available candidate (not the absent expert).
    open_offer = offers(market, auto["dossier"])[-1]
    assert (open_offer["expert_id"], open_offer["status"]) == (auto["e2"], "offered")
    accepted = act(market, auto["e2"], service.accept, offer_id=open_offer["id"])
    assert accepted.dossier_status == "audit_in_progress"  # the work resumes where it stood
    kinds = [
        r["kind"]
        for r in market.rows(
            "select kind from public.marketplace_events where dossier_id = %s order by id", auto["dossier"]
        )
    ]
    assert kinds == ["returned_to_matching", "offer_made", "offer_accepted"]


def test_open_offers_to_an_absent_expert_are_withdrawn(market: Market, auto: dict[str, uuid.UUID]) -> None:
    market.settings(assignment_mode="client_choice")
    act(market, "client_a", service.pick, dossier_id=auto["dossier"], expert_id=auto["e3"])
    _absence(market, auto["e3"])
    counts = sweep(market)
    assert counts["withdrawn"] + counts["absences"] >= 1
    assert [r["status"] for r in offers(market, auto["dossier"])] == ["withdrawn"]
    assert dossier_row(market, auto["dossier"])["status"] == "admin_validated"


def test_an_admins_explicit_call_refuses_what_is_not_ready(market: Market, auto: dict[str, uuid.UUID]) -> None:
    act(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"])
    assert refused(market, "admin_a", service.auto_offer, dossier_id=auto["dossier"]) == (409, "offer_already_open")
    assert refused(market, "client_a", service.auto_offer, dossier_id=auto["dossier"]) == (403, "forbidden")
    early = market.dossier(product="dfs", status="pending_upload")
    assert refused(market, "admin_a", service.auto_offer, dossier_id=early) == (409, "dossier_not_ready")
