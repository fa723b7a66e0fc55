"""`invoice_payment` (FOLLOWUP.md): the issued invoice opens the client's action, its clock starting once
the due date has passed; payment in full closes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.integration.invoices.conftest import Billing
from tests.support import db as tdb
from tests.support.invoices import CONFIRM

PARIS = ZoneInfo("Europe/Paris")


def _action(billing: Billing, invoice: object) -> dict[str, object]:
    tdb.as_owner(billing.conn)
    row = billing.conn.execute(
        "select * from public.awaited_actions where code = 'invoice_payment' and subject = %s", (str(invoice),)
    ).fetchone()
    assert row is not None
    return dict(row)


def test_an_issued_invoice_is_chased_the_morning_after_its_due_date_until_paid(billing: Billing) -> None:
    dossier = billing.dossier()
    invoice = billing.command("expert_a", dossier, "confirm_refund", CONFIRM)["invoice"]
    tdb.as_owner(billing.conn)
    due = billing.conn.execute(
        "select due_date, balance from public.invoices where id = %s", (invoice["id"],)
    ).fetchone()
    assert due is not None
    action = _action(billing, invoice["id"])
    start = datetime.combine(due["due_date"] + timedelta(days=1), datetime.min.time(), PARIS)
    assert action["opened_at"] == start and action["closed_at"] is None
    row = billing.conn.execute(
        "select private.business_due(private.organization_calendar(%s), %s, 0) as at", (billing.world.org_a, start)
    ).fetchone()
    assert row is not None and action["target_at"] == row["at"]  # the next working opening
    assert action["target_at"].astimezone(PARIS).strftime("%H:%M") in ("09:00", "14:00")
    payment = {"amount": str(due["balance"]), "paid_on": "2026-11-02", "method": "virement", "reference": "V"}
    billing.command("admin_a", dossier, "record_payment", payment)
    closed = _action(billing, invoice["id"])
    assert closed["closed_at"] is not None and closed["next_step_at"] is None


def test_the_public_example_invoice_due_monday_2_march(billing: Billing) -> None:
    dossier = billing.dossier()
    tdb.as_owner(billing.conn)
    row = billing.conn.execute(
        "select private.open_awaited_action(%s, 'invoice_payment', 'inv-example',"
        " ('2026-03-03'::timestamp at time zone 'Europe/Paris')) as id",
        (dossier,),
    ).fetchone()
    assert row is not None
    action = billing.conn.execute("select * from public.awaited_actions where id = %s", (row["id"],)).fetchone()
    assert action is not None
    assert action["target_at"] == datetime(2026, 3, 3, 9, 0, tzinfo=PARIS)  # Tue 03-03 09:00
    assert action["notice_at"] is None  # the client is chased; no 75 % notice for experts and admins
