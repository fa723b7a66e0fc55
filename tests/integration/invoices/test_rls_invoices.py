"""RLS of the invoicing tables as every role, with row counts (a denied read is silent).

Organization A: invoice 1 (client_a's company, expert_a, partner_a's share; one payment, one credit
note) and invoice 2 (client_a2's company, no expert, no partner); organization B: one invoice.
"""

from __future__ import annotations

import pytest
from psycopg import errors as pg_errors

from tests.integration.invoices.conftest import Billing
from tests.support import db as tdb
from tests.support import invoices as tinv

TABLES = ["invoices", "credit_notes", "invoice_payments", "partner_commissions", "invoice_counters"]

EXPECTED = {
    #            inv cn pay partner counters
    "owner_a": (2, 1, 1, 1, 2),
    "admin_a": (2, 1, 1, 1, 2),
    "viewer_a": (2, 1, 1, 1, 2),
    "expert_a": (1, 1, 1, 0, 0),
    "pending_a": (0, 0, 0, 0, 0),
    "client_a": (1, 1, 1, 0, 0),
    "client_a2": (1, 0, 0, 0, 0),
    "partner_a": (0, 0, 0, 1, 0),
    "owner_b": (1, 0, 0, 0, 1),
    "client_b": (1, 0, 0, 0, 0),
    "expert_b": (1, 0, 0, 0, 0),
    "operator": (0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0),
}


@pytest.fixture
def invoiced(billing: Billing) -> Billing:
    w = billing.world
    first = billing.dossier(partner_share_rate="0.10")
    invoice = billing.command("expert_a", first, "confirm_refund", tinv.CONFIRM)["invoice"]["id"]
    payment = {"amount": "100", "paid_on": "2026-11-02", "method": "virement", "reference": "VIR-1"}
    billing.command("admin_a", first, "record_payment", payment)
    billing.rpc("admin_a", "issue_credit_note", invoice, {"reason": "Remise", "amount_ht": "10"})
    company2 = tinv.make_buyer(billing.conn, w.org_a, name="A2 facturable", users=(w.users["client_a2"],))
    second = tinv.make_refundable_dossier(billing.conn, w.org_a, company2, None)
    billing.command("admin_a", second, "confirm_refund", tinv.CONFIRM)
    billing.command("expert_b", billing.dossier("b"), "confirm_refund", tinv.CONFIRM)
    return billing


def _counts(billing: Billing) -> tuple[int, ...]:
    seen = []
    for table in TABLES:
        row = billing.conn.execute(
            f"select count(*) as n from public.{table} where organization_id = any(%s)",  # noqa: S608 (fixed names)
            (list(billing.world.orgs),),
        ).fetchone()
        assert row is not None
        seen.append(int(row["n"]))
    return tuple(seen)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_exactly_its_rows(invoiced: Billing, persona: str) -> None:
    tdb.as_user(invoiced.conn, invoiced.world.users[persona])
    seen = _counts(invoiced)
    assert seen == EXPECTED[persona], dict(zip(TABLES, seen, strict=True))


def test_service_role_sees_everything(invoiced: Billing) -> None:
    tdb.as_service(invoiced.conn)
    assert _counts(invoiced) == (3, 1, 1, 1, 3)


@pytest.mark.parametrize("table", TABLES)
def test_anon_is_refused_every_table(invoiced: Billing, table: str) -> None:
    tdb.as_anon(invoiced.conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), invoiced.conn.transaction():
        invoiced.conn.execute(f"select count(*) from public.{table}")  # noqa: S608


@pytest.mark.parametrize("table", TABLES)
def test_no_api_role_writes_directly(invoiced: Billing, table: str) -> None:
    for persona in ("owner_a", "admin_a", "client_a", "expert_a", "partner_a"):
        tdb.as_user(invoiced.conn, invoiced.world.users[persona])
        with pytest.raises(pg_errors.InsufficientPrivilege), invoiced.conn.transaction():
            invoiced.conn.execute(f"delete from public.{table}")  # noqa: S608
