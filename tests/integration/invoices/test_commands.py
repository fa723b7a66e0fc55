"""confirm_refund, record_payment, credit notes and declared payments, through the dossier's commands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.integration.invoices.conftest import Billing
from tests.support import db as tdb
from tests.support.invoices import CONFIRM

D = Decimal


def _year() -> int:
    return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=1))).year


def test_confirm_refund_issues_the_invoice_with_the_waterfall(billing: Billing) -> None:
    dossier = billing.dossier(partner_share_rate=D("0.10"))
    result = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)
    assert result["status"] == "refund_confirmed" and result["step"] == 8 and result["progress"] == 95
    number = result["invoice"]["number"]
    assert number == f"PROF-{_year()}-0001"
    invoice = billing.invoice(result["invoice"]["id"])
    figures = {k: invoice[k] for k in ("refund_amount", "expert_fee", "invoice_ht", "vat", "invoice_ttc", "expert_net")}
    assert figures == {
        "refund_amount": D("10000.00"),
        "expert_fee": D("3000.00"),
        "invoice_ht": D("900.00"),
        "vat": D("180.00"),
        "invoice_ttc": D("1080.00"),
        "expert_net": D("2100.00"),
    }
    assert invoice["status"] == "issued" and invoice["balance"] == D("1080.00")
    assert invoice["due_date"] == invoice["issue_date"] + dt.timedelta(days=30)
    assert invoice["seller"]["legal_name"] == "Profitum SAS" and invoice["buyer"]["city"] == "Lyon"
    row = billing.dossier_row(dossier)
    assert (row["status"], row["refunded_amount"], row["invoice_id"]) == (
        "refund_confirmed",
        D("10000.00"),
        invoice["id"],
    )
    commission = billing.conn.execute(
        "select share_rate, base_ht, amount, status from public.partner_commissions where invoice_id = %s",
        (invoice["id"],),
    ).fetchone()
    assert commission == {"share_rate": D("0.1000"), "base_ht": D("900.00"), "amount": D("90.00"), "status": "pending"}
    event = billing.conn.execute(
        "select title_fr, actor_role from public.dossier_events where dossier_id = %s and command = 'confirm_refund'",
        (dossier,),
    ).fetchone()
    assert event is not None and number in event["title_fr"] and event["actor_role"] == "expert"
    assert "10\u202f000,00\u00a0€" in event["title_fr"]
    audit = billing.conn.execute(
        "select action, details from public.audit_log where table_name = 'invoices' and row_id = %s", (invoice["id"],)
    ).fetchall()
    assert [a["action"] for a in audit] == ["invoice_issued"]
    assert audit[0]["details"]["platform_net"] == 810.0 or str(audit[0]["details"]["platform_net"]) == "810.00"


def test_the_public_example_1234_50_rounds_half_up(billing: Billing) -> None:
    dossier = billing.dossier()
    result = billing.command("admin_a", dossier, "confirm_refund", {**CONFIRM, "refund_amount": "1234.50"})
    invoice = billing.invoice(result["invoice"]["id"])
    assert (invoice["expert_fee"], invoice["invoice_ht"], invoice["vat"], invoice["invoice_ttc"]) == (
        D("370.35"),
        D("111.11"),
        D("22.22"),
        D("133.33"),
    )
    assert invoice["expert_net"] == D("259.24")


def test_overseas_clients_pay_the_overseas_vat_rate(billing: Billing) -> None:
    w = billing.world
    from tests.support.invoices import make_buyer, make_refundable_dossier

    company = make_buyer(billing.conn, w.org_a, name="Rhum Martinique", departement="972")
    dossier = make_refundable_dossier(billing.conn, w.org_a, company, w.experts["expert_a"])
    result = billing.command("admin_a", dossier, "confirm_refund", CONFIRM)
    invoice = billing.invoice(result["invoice"]["id"])
    assert (invoice["vat_rate"], invoice["vat"], invoice["invoice_ttc"]) == (D("0.0850"), D("76.50"), D("976.50"))


def test_missing_data_refuses_naming_every_field(billing: Billing) -> None:
    tdb.as_owner(billing.conn)
    billing.conn.execute(
        "update public.organizations set siren = null, siret = null where id = %s", (billing.world.org_a,)
    )
    billing.conn.execute("update public.client_companies set address = '' where id = %s", (billing.buyer_a,))
    dossier = billing.dossier(client_fee_rate=None)
    state, hint, detail = billing.refused(
        lambda: billing.command("expert_a", dossier, "confirm_refund", {"refund_date": "2026-10-01"})
    )
    assert (state, hint) == ("PT422", "validation_failed")
    fields = {e["field"]: e["rule"] for e in detail["errors"]}
    assert fields == {
        "refund_amount": "required",
        "payment_reference": "required",
        "organization.siren": "required",
        "client_company.address": "required",
        "dossier.client_fee_rate": "required",
    }
    row = billing.dossier_row(dossier)
    assert row["status"] == "result_recorded" and row["invoice_id"] is None
    assert billing.conn.execute(
        "select count(*) as n from public.invoice_counters where organization_id = %s", (billing.world.org_a,)
    ).fetchone() == {"n": 0}


def test_invalid_payloads_are_refused_with_their_rule(billing: Billing) -> None:
    dossier = billing.dossier()
    cases = [
        ({**CONFIRM, "refund_amount": "0"}, "refund_amount", "positive_amount"),
        ({**CONFIRM, "refund_amount": "12.345"}, "refund_amount", "positive_amount"),
        ({**CONFIRM, "refund_date": "2999-01-01"}, "refund_date", "not_future"),
        ({**CONFIRM, "refund_date": "2026-08-01"}, "refund_date", "after_decision"),
        ({**CONFIRM, "refund_date": "01/10/2026"}, "refund_date", "date"),
        ({**CONFIRM, "payment_reference": "  "}, "payment_reference", "length"),
    ]
    for payload, field, rule in cases:
        state, _, detail = billing.refused(lambda p=payload: billing.command("expert_a", dossier, "confirm_refund", p))
        assert state == "PT422"
        assert [(e["field"], e["rule"]) for e in detail["errors"]] == [(field, rule)], payload


def test_who_may_confirm_a_refund(billing: Billing) -> None:
    dossier = billing.dossier()
    for who, expected in (("client_a", "PT403"), ("viewer_a", "PT403"), ("partner_a", "PT403"), ("owner_b", "PT404")):
        state, _, _ = billing.refused(lambda w=who: billing.command(w, dossier, "confirm_refund", CONFIRM))
        assert state == expected, who
    early = billing.dossier(product="urssaf", status="claim_filed")
    state, hint, detail = billing.refused(lambda: billing.command("expert_a", early, "confirm_refund", CONFIRM))
    assert (state, hint, detail["current_status"]) == ("PT409", "invalid_transition", "claim_filed")


def test_payments_move_the_invoice_and_close_the_dossier_at_balance_zero(billing: Billing) -> None:
    dossier = billing.dossier(partner_share_rate=D("0.10"))
    invoice_id = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)["invoice"]["id"]
    payment = {"amount": "500.00", "paid_on": "2026-11-02", "method": "virement", "reference": "VIR-1"}
    first = billing.command("admin_a", dossier, "record_payment", payment)
    assert first["status"] == "refund_confirmed"
    assert first["invoice"]["status"] == "partially_paid" and first["invoice"]["balance"] == 580.0
    state, _, detail = billing.refused(
        lambda: billing.command("admin_a", dossier, "record_payment", {**payment, "amount": "580.01"})
    )
    assert state == "PT422" and detail["errors"][0] == {
        "field": "amount",
        "rule": "at_most_balance",
        "message": "The amount cannot exceed the balance of 580,00\u00a0€",
    }
    state, _, detail = billing.refused(
        lambda: billing.command("admin_a", dossier, "record_payment", {**payment, "method": "especes"})
    )
    assert state == "PT422" and detail["errors"][0]["field"] == "method"
    for who, expected in (("expert_a", "PT403"), ("client_a", "PT403"), ("viewer_a", "PT403")):
        state, _, _ = billing.refused(lambda w=who: billing.command(w, dossier, "record_payment", payment))
        assert state == expected, who
    last = billing.command("owner_a", dossier, "record_payment", {**payment, "amount": "580", "method": "cheque"})
    assert last["status"] == "closed" and last["progress"] == 100
    invoice = billing.invoice(invoice_id)
    assert (invoice["status"], invoice["paid_amount"], invoice["balance"]) == ("paid", D("1080.00"), D("0.00"))
    row = billing.dossier_row(dossier)
    assert (row["outcome"], row["closed_at"] is not None) == ("paid", True)
    due = billing.conn.execute("select status from public.partner_commissions where invoice_id = %s", (invoice_id,))
    assert due.fetchone() == {"status": "due"}
    state, _, _ = billing.refused(lambda: billing.command("admin_a", dossier, "record_payment", payment))
    assert state == "PT409"
    actions = billing.conn.execute(
        "select action from public.audit_log where organization_id = %s"
        " and table_name in ('invoices', 'invoice_payments') order by id",
        (billing.world.org_a,),
    ).fetchall()
    assert [a["action"] for a in actions] == [
        "invoice_issued",
        "payment_recorded",
        "invoice_payment_applied",
        "payment_recorded",
        "invoice_payment_applied",
    ]


def test_credit_notes_have_their_own_series_and_cancel_a_fully_credited_invoice(billing: Billing) -> None:
    dossier = billing.dossier(partner_share_rate=D("0.10"))
    invoice_id = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)["invoice"]["id"]
    for who, expected in (("client_a", "PT403"), ("expert_a", "PT403"), ("viewer_a", "PT403"), ("owner_b", "PT404")):
        state, _, _ = billing.refused(
            lambda w=who: billing.rpc(w, "issue_credit_note", invoice_id, {"reason": "Erreur"})
        )
        assert state == expected, who
    state, _, detail = billing.refused(lambda: billing.rpc("admin_a", "issue_credit_note", invoice_id, {"reason": "x"}))
    assert state == "PT422" and detail["errors"][0]["field"] == "reason"
    state, _, detail = billing.refused(
        lambda: billing.rpc("admin_a", "issue_credit_note", invoice_id, {"reason": "Trop", "amount_ht": "900.01"})
    )
    assert state == "PT422" and detail["errors"][0]["rule"] == "at_most_balance"
    partial = billing.rpc(
        "admin_a", "issue_credit_note", invoice_id, {"reason": "Remise commerciale", "amount_ht": "100"}
    )
    year = _year()
    assert partial["credit_note"]["number"] == f"AV-{year}-0001"
    assert (partial["credit_note"]["vat"], partial["credit_note"]["amount_ttc"]) == (20.0, 120.0)
    assert partial["invoice"]["status"] == "issued" and partial["invoice"]["balance"] == 960.0
    full = billing.rpc("owner_a", "issue_credit_note", invoice_id, {"reason": "Facture annulée"})
    assert full["credit_note"]["number"] == f"AV-{year}-0002" and full["credit_note"]["is_full"] is True
    assert (full["credit_note"]["amount_ht"], full["credit_note"]["amount_ttc"]) == (800.0, 960.0)
    invoice = billing.invoice(invoice_id)
    assert (invoice["status"], invoice["credited_amount"], invoice["balance"]) == ("cancelled", D("1080.00"), D("0.00"))
    commission = billing.conn.execute(
        "select status from public.partner_commissions where invoice_id = %s", (invoice_id,)
    )
    assert commission.fetchone() == {"status": "cancelled"}
    state, hint, _ = billing.refused(
        lambda: billing.rpc("admin_a", "issue_credit_note", invoice_id, {"reason": "Encore"})
    )
    assert (state, hint) == ("PT409", "invoice_settled")
    payment = {"amount": "1", "paid_on": "2026-11-02", "method": "virement", "reference": "V"}
    state, hint, _ = billing.refused(lambda: billing.command("admin_a", dossier, "record_payment", payment))
    assert (state, hint) == ("PT409", "invoice_cancelled")


def test_a_full_credit_note_is_refused_once_the_invoice_is_partly_paid(billing: Billing) -> None:
    dossier = billing.dossier()
    invoice_id = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)["invoice"]["id"]
    payment = {"amount": "80", "paid_on": "2026-11-02", "method": "prelevement", "reference": "P-1"}
    billing.command("admin_a", dossier, "record_payment", payment)
    state, _, detail = billing.refused(
        lambda: billing.rpc("admin_a", "issue_credit_note", invoice_id, {"reason": "Tout"})
    )
    assert state == "PT422" and detail["errors"][0]["rule"] == "required_after_payment"
    settled = billing.rpc("admin_a", "issue_credit_note", invoice_id, {"reason": "Geste", "amount_ht": "833.33"})
    assert settled["invoice"]["status"] == "paid" and settled["invoice"]["balance"] == 0.0
    row = billing.dossier_row(dossier)  # settled by the credit note: the dossier closes as a payment would
    assert (row["status"], row["outcome"]) == ("closed", "paid")


def test_clients_only_declare_a_payment(billing: Billing) -> None:
    dossier = billing.dossier()
    invoice_id = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)["invoice"]["id"]
    for who, expected in (("admin_a", "PT403"), ("expert_a", "PT403"), ("client_b", "PT404"), ("partner_a", "PT404")):
        state, _, _ = billing.refused(
            lambda w=who: billing.rpc(w, "declare_invoice_payment", invoice_id, {"paid_on": "2026-11-03"})
        )
        assert state == expected, who
    state, _, detail = billing.refused(
        lambda: billing.rpc("client_a", "declare_invoice_payment", invoice_id, {"paid_on": "2999-01-01"})
    )
    assert state == "PT422" and detail["errors"][0]["rule"] == "not_future"
    declared = billing.rpc(
        "client_a", "declare_invoice_payment", invoice_id, {"paid_on": "2026-11-03", "reference": "VIR"}
    )
    assert declared["invoice"]["status"] == "issued"
    event = billing.conn.execute(
        "select type, actor_role, visibility, title_fr from public.dossier_events where id = %s",
        (declared["event_id"],),
    ).fetchone()
    assert event is not None and (event["type"], event["actor_role"], event["visibility"]) == (
        "payment_declared",
        "client",
        "client",
    )
    assert "1\u202f080,00\u00a0€" in event["title_fr"]
    assert billing.dossier_row(dossier)["status"] == "refund_confirmed"
    assert billing.invoice(invoice_id)["paid_amount"] == D("0.00")


def test_issued_invoices_are_immutable_for_every_role(billing: Billing) -> None:
    dossier = billing.dossier()
    invoice_id = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)["invoice"]["id"]
    tdb.as_owner(billing.conn)
    for sql in (
        "update public.invoices set invoice_ht = 1 where id = %s",
        "update public.invoices set number = 'PROF-2026-9999' where id = %s",
        "update public.invoices set status = 'paid' where id = %s",
        "delete from public.invoices where id = %s",
    ):
        for role in (tdb.as_owner, tdb.as_service):
            role(billing.conn)
            state, _, _ = billing.refused(lambda s=sql: billing.conn.execute(s, (invoice_id,)))
            assert state in ("42501", "23514"), sql
    for who in ("admin_a", "client_a", "expert_a"):
        tdb.as_user(billing.conn, billing.world.users[who])
        state, _, _ = billing.refused(
            lambda: billing.conn.execute("update public.invoices set vat = 0 where id = %s", (invoice_id,))
        )
        assert state == "42501", who
    assert billing.invoice(invoice_id)["vat"] == Decimal("180.00")
