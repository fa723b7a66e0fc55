"""From the client's acceptance to the paid invoice, through the dossier's commands: the rates frozen
at accept_audit (per-expert platform override, the partner's own share) are the invoice's rates."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.invoices.conftest import Billing
from tests.support import db as tdb

D = Decimal


def test_the_frozen_rates_make_the_invoice(billing: Billing) -> None:
    w = billing.world
    tdb.as_owner(billing.conn)
    billing.conn.execute("update public.expert_terms set platform_fee_rate = 0.35 where expert_id = %s",
                         (w.experts["expert_a"],))  # fmt: skip
    billing.conn.execute("update public.memberships set partner_share_rate = 0.15 where user_id = %s",
                         (w.users["partner_a"],))  # fmt: skip
    dossier = billing.dossier(
        status="audit_completed",
        audit_revision=1,
        audited_amount=D("10000.00"),
        proposed_client_fee_rate=D("0.25"),
        audit_amount=None,
        client_fee_rate=None,
        platform_fee_rate=None,
        rates_frozen_at=None,
        claimed_amount=None,
        granted_amount=None,
        decision=None,
        decided_on=None,
    )
    assert billing.command("client_a", dossier, "accept_audit", {"revision": 1})["status"] == "audit_accepted"
    # Changing the settings now does not change what the client accepted.
    tdb.as_owner(billing.conn)
    billing.conn.execute("update public.organizations set platform_fee_rate = 0.50 where id = %s", (w.org_a,))
    filed = {"filed_on": "2026-09-01", "administration": "douanes", "reference": "TICPE-42"}
    assert billing.command("expert_a", dossier, "file_claim", filed)["status"] == "claim_filed"
    result = {"decision": "accepte", "granted_amount": "10000.00", "decided_on": "2026-09-15"}
    assert billing.command("expert_a", dossier, "record_result", result)["status"] == "result_recorded"
    confirm = {"refund_amount": "9000.00", "refund_date": "2026-10-01", "payment_reference": "DGDDI-9"}
    invoice_id = billing.command("expert_a", dossier, "confirm_refund", confirm)["invoice"]["id"]
    invoice = billing.invoice(invoice_id)
    assert (invoice["client_fee_rate"], invoice["platform_fee_rate"]) == (D("0.2500"), D("0.3500"))
    # E = 9 000 × 0.25 = 2 250; HT = 2 250 × 0.35 = 787.50; TVA 157.50; partner 787.50 × 0.15 = 118.125 → 118.13
    assert (invoice["expert_fee"], invoice["invoice_ht"], invoice["vat"], invoice["invoice_ttc"]) == (
        D("2250.00"),
        D("787.50"),
        D("157.50"),
        D("945.00"),
    )
    share = billing.conn.execute(
        "select share_rate, amount from public.partner_commissions where invoice_id = %s", (invoice_id,)
    ).fetchone()
    assert share == {"share_rate": D("0.1500"), "amount": D("118.13")}
    paid = {"amount": "945.00", "paid_on": "2026-11-02", "method": "virement", "reference": "VIR-945"}
    assert billing.command("admin_a", dossier, "record_payment", paid)["status"] == "closed"
    events = billing.conn.execute(
        "select command from public.dossier_events where dossier_id = %s and command is not null order by id",
        (dossier,),
    ).fetchall()
    assert [e["command"] for e in events][-5:] == [
        "accept_audit",
        "file_claim",
        "record_result",
        "confirm_refund",
        "record_payment",
    ]
