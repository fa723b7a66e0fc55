"""Every dossier command of WORKFLOW.md owned by the dossier capability, and each of its refusals."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from tests.integration.dossiers.conftest import (
    Flow,
    walk_to_audit,
    walk_to_completed,
    walk_to_expert,
    walk_to_filed,
)
from tests.support import db as tdb

# --- the public example: a TICPE dossier walks the happy path ---------------------------------------


def test_a_ticpe_dossier_walks_the_happy_path_with_its_steps_percentages_and_one_event_each(flow: Flow) -> None:
    seen = [(flow.status(), flow.state()["step"], flow.state()["progress"])]

    def step() -> None:
        state = flow.state()
        seen.append((state["status"], state["step"], state["progress"]))

    walk_to_expert(flow)
    step()
    flow.upload("rib")
    flow.review_all()
    flow.run("expert_a", "start_audit")
    step()
    result = flow.run("expert_a", "complete_audit", {"amount": "12000.00", "client_fee_rate": "0.30"})
    assert (result["status"], result["step"], result["progress"], result["revision"]) == ("audit_completed", 5, 65, 1)
    step()
    flow.run("client_a", "accept_audit", {"revision": 1})
    step()
    flow.run(
        "expert_a",
        "file_claim",
        {"filed_on": "2026-01-15", "administration": "douanes", "reference": "TICPE-42"},
    )
    step()
    flow.run(
        "expert_a", "record_result", {"decision": "accepte", "granted_amount": "12000.00", "decided_on": "2026-03-01"}
    )
    step()
    assert seen == [
        ("pending_upload", 1, 0),
        ("expert_assigned", 3, 25),
        ("audit_in_progress", 4, 50),
        ("audit_completed", 5, 65),
        ("audit_accepted", 6, 70),
        ("claim_filed", 7, 80),
        ("result_recorded", 8, 85),
    ]
    commands = [e["command"] for e in flow.events() if e["command"] is not None]
    assert commands == [
        "submit_eligibility",
        "validate_eligibility",
        "offer",
        "accept_offer",
        "start_audit",
        "complete_audit",
        "accept_audit",
        "file_claim",
        "record_result",
    ]
    completed = next(e for e in flow.events() if e["command"] == "complete_audit")
    assert completed["title_fr"] == "Audit terminé : 12\u202f000,00\u00a0€"
    assert completed["title_en"] == "Audit completed: €12,000.00"
    assert completed["actor_role"] == "expert" and completed["actor_id"] == flow.users["expert_a"]
    assert completed["actor_name"] == "Expert"
    assert flow.state()["claimed_amount"] == Decimal("12000.00")  # the claim defaults to F


def test_every_status_change_is_an_event_with_from_and_to(flow: Flow) -> None:
    walk_to_audit(flow)
    events = [e for e in flow.events() if e["command"] is not None]
    for before, after in itertools.pairwise(events):
        assert before["to_status"] == after["from_status"]
    assert events[-1]["to_status"] == flow.status()


# --- eligibility ----------------------------------------------------------------------------------


def test_submit_needs_the_eligibility_documents(flow: Flow) -> None:
    flow.upload("kbis")
    refusal = flow.refused("client_a", "submit_eligibility")
    assert (refusal.status, refusal.code) == (409, "documents_missing")
    assert {p["document_type"] for p in refusal.detail["problems"]} == {"carte_grise", "facture_carburant"}
    assert flow.status() == "pending_upload"


def test_submit_refuses_a_rejected_document_and_an_admin_may_submit_for_the_client(flow: Flow) -> None:
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.market.sql(
        "insert into public.document_reviews (dossier_id, version_id, organization_id, state, reason, category)"
        " select %s, s.version_id, d.organization_id, 'rejected', 'Illisible', 'illisible'"
        " from public.dossiers d, private.dossier_document_states(%s, current_date) s"
        " where d.id = %s and s.document_type = 'kbis'",
        flow.dossier,
        flow.dossier,
        flow.dossier,
    )
    refusal = flow.refused("client_a", "submit_eligibility")
    assert refusal.detail["problems"] == [{"document_type": "kbis", "problem": "rejected"}]
    assert flow.refused("admin_a", "submit_eligibility").code == "documents_missing"


def test_validate_eligibility_validates_the_pending_eligibility_documents(flow: Flow) -> None:
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.run("client_a", "submit_eligibility")
    result = flow.run("admin_a", "validate_eligibility", {"note": "Conforme"})
    assert (result["status"], result["documents_validated"]) == ("admin_validated", 3)
    states = flow.market.rows(
        "select review_state from private.dossier_document_states(%s, current_date)", flow.dossier
    )
    assert {s["review_state"] for s in states} == {"validated"}


def test_reject_needs_a_reason_and_the_client_submits_again(flow: Flow) -> None:
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.run("client_a", "submit_eligibility")
    refusal = flow.refused("admin_a", "reject_eligibility")
    assert (refusal.status, refusal.code, refusal.detail) == (
        422,
        "validation_failed",
        {"field": "reason", "rule": "required"},
    )
    refusal = flow.refused("admin_a", "reject_eligibility", {"reason": "no"})
    assert refusal.detail == {"field": "reason", "rule": "length"}
    flow.run("admin_a", "reject_eligibility", {"reason": "Carte grise illisible"})
    assert (flow.status(), flow.state()["progress"]) == ("admin_rejected", 5)
    flow.run("client_a", "submit_eligibility")
    assert flow.status() == "pending_admin_validation"


def test_only_admins_validate_and_the_client_cannot(flow: Flow) -> None:
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.run("client_a", "submit_eligibility")
    for who in ("client_a", "viewer_a", "partner_a"):
        assert flow.refused(who, "validate_eligibility").status == 403
    for who in ("owner_b", "client_b", "client_a2", "outsider", "expert_a"):
        refusal = flow.refused(who, "validate_eligibility")
        assert (refusal.status, refusal.code) == (404, "dossier_not_found"), who
    flow.run("owner_a", "validate_eligibility")


# --- the audit --------------------------------------------------------------------------------------


def test_start_audit_needs_validated_documents_and_no_open_request(flow: Flow) -> None:
    walk_to_expert(flow)
    refusal = flow.refused("expert_a", "start_audit")
    assert (refusal.status, refusal.code) == (409, "documents_not_ready")
    assert {"document_type": "rib", "problem": "missing"} in refusal.detail["problems"]
    flow.upload("rib")
    assert {"document_type": "rib", "problem": "pending"} in flow.refused("expert_a", "start_audit").detail["problems"]
    flow.review_all()
    request = flow.market.row(
        "insert into public.document_requests (organization_id, dossier_id, due_date)"
        " select organization_id, id, current_date + 5 from public.dossiers where id = %s returning id",
        flow.dossier,
    )
    flow.market.sql(
        "insert into public.document_request_items (request_id, organization_id, dossier_id, document_type)"
        " select %s, organization_id, id, 'bilan' from public.dossiers where id = %s",
        request["id"],
        flow.dossier,
    )
    assert flow.refused("expert_a", "start_audit").code == "open_request"
    flow.market.sql(
        "update public.document_requests set status = 'completed', closed_at = now() where id = %s", request["id"]
    )
    flow.run("expert_a", "start_audit")


def test_start_audit_refuses_an_expired_kbis(flow: Flow) -> None:
    walk_to_expert(flow)
    flow.market.sql(
        "update public.document_versions v set issue_date = current_date - interval '4 months'"
        " from public.documents d where d.id = v.document_id and d.document_type = 'kbis'"
        " and d.client_company_id = %s",
        flow.company,
    )
    flow.upload("rib")
    flow.review_all()
    assert {"document_type": "kbis", "problem": "expired"} in flow.refused("expert_a", "start_audit").detail["problems"]


def test_complete_audit_checks_amount_and_fee_rate(flow: Flow) -> None:
    walk_to_audit(flow)
    cases = [
        ({}, {"field": "amount", "rule": "required"}),
        ({"amount": "0"}, {"field": "amount", "rule": "gt_zero"}),
        ({"amount": "-5"}, {"field": "amount", "rule": "gt_zero"}),
        ({"amount": "12.345"}, {"field": "amount", "rule": "decimals"}),
        ({"amount": "douze"}, {"field": "amount", "rule": "decimal"}),
        ({"amount": "100", "client_fee_rate": "0.35"}, {"field": "client_fee_rate", "rule": "range"}),
        ({"amount": "100", "client_fee_rate": "0.05"}, {"field": "client_fee_rate", "rule": "range"}),
        ({"amount": "100", "client_fee_rate": "30"}, {"field": "client_fee_rate", "rule": "fraction"}),
        ({"amount": "100", "client_fee_rate": "0.12345"}, {"field": "client_fee_rate", "rule": "decimals"}),
    ]
    for payload, expected in cases:
        refusal = flow.refused("expert_a", "complete_audit", payload)
        assert (refusal.status, refusal.detail) == (422, expected), payload
    assert flow.status() == "audit_in_progress"
    result = flow.run("expert_a", "complete_audit", {"amount": 8000})
    assert (Decimal(str(result["client_fee_rate"])), result["revision"]) == (Decimal("0.30"), 1)


def test_the_organization_minimum_fee_rate_per_product_applies(flow: Flow) -> None:
    walk_to_audit(flow)
    flow.market.sql(
        "insert into public.organization_product_fees (organization_id, product_code, min_client_fee_rate)"
        " values (%s, 'ticpe', 0.2000)",
        flow.market.world.org_a,
    )
    assert flow.refused("expert_a", "complete_audit", {"amount": "100", "client_fee_rate": "0.15"}).code == (
        "validation_failed"
    )
    flow.run("expert_a", "complete_audit", {"amount": "100", "client_fee_rate": "0.2"})


def test_accepting_a_stale_revision_is_a_conflict_and_the_latest_freezes_the_rates(flow: Flow) -> None:
    walk_to_completed(flow, "10000.00", "0.30")
    flow.run("client_a", "refuse_audit", {"reason": "Montant trop faible selon nous"})
    assert flow.status() == "audit_refused"
    revised = flow.run("expert_a", "revise_audit", {"amount": "11000.00", "client_fee_rate": "0.25"})
    assert (revised["revision"], revised["status"]) == (2, "audit_completed")
    refusal = flow.refused("client_a", "accept_audit", {"revision": 1})
    assert (refusal.status, refusal.code, refusal.detail) == (409, "stale_revision", {"latest_revision": 2})
    accepted = flow.run("client_a", "accept_audit", {"revision": 2})
    state = flow.state()
    assert state["status"] == "audit_accepted"
    assert (
        state["audit_amount"],
        state["client_fee_rate"],
        state["platform_fee_rate"],
        state["partner_share_rate"],
    ) == (
        Decimal("11000.00"),
        Decimal("0.2500"),
        Decimal("0.3000"),
        Decimal("0.1000"),  # A1 has a partner
    )
    assert state["rates_frozen_at"] is not None and accepted["revision"] == 2
    revisions = flow.market.rows(
        "select revision, status from public.dossier_audits where dossier_id = %s order by revision", flow.dossier
    )
    assert [(r["revision"], r["status"]) for r in revisions] == [(1, "refused"), (2, "accepted")]


def test_without_partner_the_share_is_zero_and_an_expert_override_sets_the_platform_rate(flow: Flow) -> None:
    flow.market.sql("update public.client_companies set partner_user_id = null where id = %s", flow.company)
    flow.market.sql("update public.expert_terms set platform_fee_rate = 0.25 where expert_id = %s", flow.expert)
    walk_to_completed(flow)
    flow.run("client_a", "accept_audit", {"revision": 1})
    state = flow.state()
    assert (state["platform_fee_rate"], state["partner_share_rate"]) == (Decimal("0.2500"), Decimal("0.0000"))


def test_accept_and_refuse_are_the_clients_and_revise_needs_a_change(flow: Flow) -> None:
    walk_to_completed(flow)
    assert flow.refused("expert_a", "accept_audit", {"revision": 1}).status == 403
    assert flow.refused("admin_a", "accept_audit", {"revision": 1}).status == 403
    assert flow.refused("client_a", "accept_audit").detail == {"field": "revision", "rule": "required"}
    assert flow.refused("client_a", "refuse_audit").detail == {"field": "reason", "rule": "required"}
    flow.run("client_a", "refuse_audit", {"reason": "Nous contestons le montant"})
    assert flow.refused("expert_a", "revise_audit").detail == {"field": "amount", "rule": "required_one_of"}
    assert flow.run("expert_a", "revise_audit", {"client_fee_rate": "0.20"})["revision"] == 2
    assert flow.state()["audited_amount"] == Decimal("12000.00")


# --- claim and result ------------------------------------------------------------------------------


def test_file_claim_checks_its_fields(flow: Flow) -> None:
    walk_to_completed(flow)
    flow.run("client_a", "accept_audit", {"revision": 1})
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    cases = [
        ({"administration": "douanes", "reference": "R"}, {"field": "filed_on", "rule": "required"}),
        (
            {"filed_on": tomorrow, "administration": "douanes", "reference": "R"},
            {"field": "filed_on", "rule": "not_future"},
        ),
        (
            {"filed_on": "2026-02-30", "administration": "douanes", "reference": "R"},
            {"field": "filed_on", "rule": "date"},
        ),
        (
            {"filed_on": "2026-01-15", "administration": "impots", "reference": "R"},
            {"field": "administration", "rule": "one_of"},
        ),
        (
            {"filed_on": "2026-01-15", "administration": "autre", "reference": "R"},
            {"field": "administration_name", "rule": "required"},
        ),
        ({"filed_on": "2026-01-15", "administration": "douanes"}, {"field": "reference", "rule": "required"}),
        (
            {"filed_on": "2026-01-15", "administration": "douanes", "reference": "R", "claimed_amount": "0"},
            {"field": "claimed_amount", "rule": "gt_zero"},
        ),
    ]
    for payload, expected in cases:
        refusal = flow.refused("expert_a", "file_claim", payload)
        assert (refusal.status, refusal.detail) == (422, expected), payload
    flow.run(
        "expert_a",
        "file_claim",
        {"filed_on": "2026-01-15", "administration": "autre", "administration_name": "Région", "reference": "R-1"},
    )
    assert (flow.state()["claim_administration_name"], flow.state()["claimed_amount"]) == (
        "Région",
        Decimal("12000.00"),
    )


def test_a_partial_result_without_reason_is_refused_and_refuse_leads_to_claim_refused(flow: Flow) -> None:
    walk_to_filed(flow, "10000.00")
    refusal = flow.refused(
        "expert_a", "record_result", {"decision": "partiel", "granted_amount": "8000.00", "decided_on": "2026-03-01"}
    )
    assert (refusal.status, refusal.detail) == (422, {"field": "reason", "rule": "required"})
    refusal = flow.refused(
        "expert_a", "record_result", {"decision": "accepte", "granted_amount": "9000.00", "decided_on": "2026-03-01"}
    )
    assert refusal.detail == {"field": "reason", "rule": "required"}
    refusal = flow.refused(
        "expert_a", "record_result", {"decision": "accepte", "granted_amount": "10000.00", "decided_on": "2026-01-01"}
    )
    assert refusal.detail == {"field": "decided_on", "rule": "not_before_filing"}
    refusal = flow.refused("expert_a", "record_result", {"decision": "accepte", "decided_on": "2026-03-01"})
    assert refusal.detail == {"field": "granted_amount", "rule": "required"}
    flow.run(
        "expert_a",
        "record_result",
        {"decision": "refuse", "decided_on": "2026-03-01", "reason": "Hors délai selon l'administration"},
    )
    assert (flow.status(), flow.state()["granted_amount"]) == ("claim_refused", Decimal("0.00"))
    # refiled, then granted in part with a reason
    flow.run("expert_a", "file_claim", {"filed_on": "2026-03-05", "administration": "douanes", "reference": "R-2"})
    flow.run(
        "expert_a",
        "record_result",
        {
            "decision": "partiel",
            "granted_amount": "8000.00",
            "decided_on": "2026-04-01",
            "reason": "Une partie prescrite",
        },
    )
    assert (flow.status(), flow.state()["granted_amount"]) == ("result_recorded", Decimal("8000.00"))


def test_close_refused_needs_a_reason_and_closes_with_outcome_refused(flow: Flow) -> None:
    walk_to_filed(flow)
    flow.run("expert_a", "record_result", {"decision": "refuse", "decided_on": "2026-03-01", "reason": "Rejet total"})
    assert flow.refused("client_a", "close_refused", {"reason": "Fin"}).status == 403
    assert flow.refused("expert_a", "close_refused").detail == {"field": "reason", "rule": "required"}
    result = flow.run("admin_a", "close_refused", {"reason": "Aucun recours possible"})
    state = flow.state()
    assert (result["status"], result["progress"], state["outcome"]) == ("closed", 100, "refused")
    assert state["closed_at"] is not None


# --- exceptions -------------------------------------------------------------------------------------


def test_hold_in_documents_requested_and_resume_returns_there(flow: Flow) -> None:
    walk_to_expert(flow)
    flow.put("documents_requested")
    assert flow.refused("client_a", "hold", {"reason": "Vacances"}).status == 403
    assert flow.refused("expert_a", "hold").detail == {"field": "reason", "rule": "required"}
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert flow.refused("expert_a", "hold", {"reason": "Attente", "resume_on": yesterday}).detail == {
        "field": "resume_on",
        "rule": "not_past",
    }
    held = flow.run("expert_a", "hold", {"reason": "Le client est injoignable"})
    assert (held["status"], held["step"], held["progress"], held["held_status"]) == (
        "on_hold",
        3,
        30,
        "documents_requested",
    )
    assert flow.refused("expert_a", "start_audit").code == "invalid_transition"
    resumed = flow.run("expert_a", "resume")
    assert (resumed["status"], flow.state()["held_status"]) == ("documents_requested", None)


def test_only_an_admin_or_the_holder_resumes(flow: Flow) -> None:
    walk_to_expert(flow)
    flow.run("admin_a", "hold", {"reason": "Contrôle interne"})
    assert flow.refused("expert_a", "resume").status == 403
    assert flow.refused("client_a", "resume").status == 403
    flow.run("owner_a", "resume")
    assert flow.status() == "expert_assigned"


def test_no_hold_during_an_open_offer(flow: Flow) -> None:
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.run("client_a", "submit_eligibility")
    flow.run("admin_a", "validate_eligibility")
    tdb.as_user(flow.conn, flow.users["client_a"])
    flow.conn.execute("select private.assignment_pick(%s, %s)", (flow.dossier, flow.expert))
    tdb.as_owner(flow.conn)
    refusal = flow.refused("admin_a", "hold", {"reason": "Attente"})
    assert (refusal.status, refusal.code, refusal.detail["current_status"]) == (
        409,
        "invalid_transition",
        "expert_pending_acceptance",
    )


def test_cancel_by_the_client_before_acceptance_withdraws_the_offer(flow: Flow) -> None:
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.run("client_a", "submit_eligibility")
    flow.run("admin_a", "validate_eligibility")
    tdb.as_user(flow.conn, flow.users["client_a"])
    flow.conn.execute("select private.assignment_pick(%s, %s)", (flow.dossier, flow.expert))
    tdb.as_owner(flow.conn)
    assert flow.refused("client_a", "cancel").detail == {"field": "reason", "rule": "required"}
    flow.run("client_a", "cancel", {"reason": "Nous abandonnons la démarche"})
    assert flow.status() == "cancelled"
    offers = flow.market.rows("select status from public.assignment_offers where dossier_id = %s", flow.dossier)
    assert [o["status"] for o in offers] == ["withdrawn"]
    assert flow.refused("client_a", "cancel", {"reason": "encore"}).code == "invalid_transition"


def test_the_client_cannot_cancel_after_accepting_the_audit_but_an_admin_can(flow: Flow) -> None:
    walk_to_completed(flow)
    flow.run("client_a", "accept_audit", {"revision": 1})
    assert flow.refused("client_a", "cancel", {"reason": "Trop long"}).status == 403
    flow.run("admin_a", "cancel", {"reason": "Demande du client par écrit"})
    assert flow.status() == "cancelled"
    opened = flow.market.row("select open_dossiers from public.expert_terms where expert_id = %s", flow.expert)
    assert opened["open_dossiers"] == 0


def test_cancel_cancels_open_document_requests(flow: Flow) -> None:
    walk_to_expert(flow)
    request = flow.market.row(
        "insert into public.document_requests (organization_id, dossier_id, due_date)"
        " select organization_id, id, current_date + 5 from public.dossiers where id = %s returning id",
        flow.dossier,
    )
    flow.market.sql(
        "insert into public.document_request_items (request_id, organization_id, dossier_id, document_type)"
        " select %s, organization_id, id, 'bilan' from public.dossiers where id = %s",
        request["id"],
        flow.dossier,
    )
    flow.put("documents_requested")
    flow.run("admin_a", "cancel", {"reason": "Doublon d'un autre dossier"})
    row = flow.market.row(
        "select r.status, i.state from public.document_requests r join public.document_request_items i"
        " on i.request_id = r.id where r.id = %s",
        request["id"],
    )
    assert (row["status"], row["state"]) == ("cancelled", "cancelled")


def test_override_keeps_the_invariants_and_is_audited(flow: Flow) -> None:
    assert flow.refused("client_a", "override", {"to_status": "closed", "reason": "x" * 5}).status == 403
    refusal = flow.refused("admin_a", "override", {"to_status": "audit_in_progress", "reason": "Reprise d'historique"})
    assert (refusal.status, refusal.code) == (409, "invariant_expert_required")
    assert flow.refused("admin_a", "override", {"to_status": "nowhere", "reason": "Reprise"}).detail == {
        "field": "to_status",
        "rule": "one_of",
    }
    assert flow.refused("admin_a", "override", {"to_status": "pending_upload", "reason": "Reprise"}).code == (
        "invalid_transition"
    )
    flow.run("admin_a", "override", {"to_status": "admin_validated", "reason": "Validé par téléphone"})
    assert flow.status() == "admin_validated"
    audit = flow.market.rows(
        "select actor_id, old_values, new_values from public.audit_log where table_name = 'dossiers' and row_id = %s",
        flow.dossier,
    )
    assert len(audit) == 1 and audit[0]["actor_id"] == flow.users["admin_a"]
    assert audit[0]["new_values"]["reason"] == "Validé par téléphone"
    assert (audit[0]["old_values"]["status"], audit[0]["new_values"]["status"]) == ("pending_upload", "admin_validated")


def test_override_to_closed_needs_a_paid_invoice_or_outcome_refused(flow: Flow) -> None:
    walk_to_expert(flow)
    assert flow.refused("admin_a", "override", {"to_status": "closed", "reason": "Reprise"}).code == (
        "invariant_close_outcome"
    )
    assert flow.refused("admin_a", "override", {"to_status": "admin_validated", "reason": "Reprise"}).code == (
        "invariant_expert_assigned"
    )
    flow.run("admin_a", "override", {"to_status": "closed", "reason": "Abandon constaté", "outcome": "refused"})
    assert (flow.status(), flow.state()["outcome"]) == ("closed", "refused")


def test_refund_confirmed_needs_an_invoice_through_override(flow: Flow) -> None:
    walk_to_filed(flow)
    refusal = flow.refused("admin_a", "override", {"to_status": "refund_confirmed", "reason": "Reprise"})
    assert refusal.code == "invariant_invoice_required"
