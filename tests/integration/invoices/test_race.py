"""50 refund confirmations at once, on real threads with their own connections: 50 consecutive numbers."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from shared.platform import audit
from tests.support import db as tdb
from tests.support import invoices as tinv

CONFIRMATIONS = 50


def _organization(url: str, dossiers: int) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    with tdb.connect(url) as conn:
        org = tdb.make_org(conn, "Race")
        tinv.set_seller(conn, org)
        admin = tdb.make_user(conn)
        tdb.add_member(conn, org, admin, "admin")
        made = []
        for index in range(dossiers):
            company = tinv.make_buyer(conn, org, name=f"Client {index}")
            made.append(tinv.make_refundable_dossier(conn, org, company, None))
        conn.commit()
    return org, admin, made


@pytest.mark.race
def test_fifty_concurrent_confirmations_get_fifty_consecutive_numbers(database_url: str) -> None:
    org, admin, dossiers = _organization(database_url, CONFIRMATIONS)
    other_org, other_admin, other_dossiers = _organization(database_url, 1)
    start = threading.Barrier(CONFIRMATIONS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def confirm(dossier: uuid.UUID) -> None:
        try:
            with tdb.connect(database_url) as conn:
                tdb.as_user(conn, admin)
                start.wait(timeout=60)
                row = conn.execute(
                    "select public.dossier_command(%s, 'confirm_refund', %s::jsonb) as r",
                    (dossier, json.dumps(tinv.CONFIRM)),
                ).fetchone()
                conn.commit()
                assert row is not None
                with lock:
                    numbers.append(row["r"]["invoice"]["number"])
        except BaseException as exc:  # reported below, with the thread's own traceback
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(d,)) for d in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    year = dt.datetime.now(ZoneInfo("Europe/Paris")).year
    assert sorted(numbers) == [f"PROF-{year}-{n:04d}" for n in range(1, CONFIRMATIONS + 1)]
    with tdb.connect(database_url) as conn:
        stored = conn.execute(
            "select count(*) as n, count(distinct number) as distinct_numbers, max(sequence) as last"
            " from public.invoices where organization_id = %s",
            (org,),
        ).fetchone()
        assert stored == {"n": CONFIRMATIONS, "distinct_numbers": CONFIRMATIONS, "last": CONFIRMATIONS}
        statuses = conn.execute(
            "select count(*) as n from public.dossiers where id = any(%s) and status = 'refund_confirmed'", (dossiers,)
        ).fetchone()
        assert statuses == {"n": CONFIRMATIONS}
    # The 50 invoices were appended to the organization's hash chain concurrently: it still verifies.
    with psycopg.connect(database_url, prepare_threshold=None) as raw:
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        report = audit.verify(raw, org)
    assert report.ok and report.rows >= CONFIRMATIONS, report.mismatch
    with tdb.connect(database_url) as conn:
        tdb.as_user(conn, other_admin)
        other = conn.execute(
            "select public.dossier_command(%s, 'confirm_refund', %s::jsonb) as r",
            (other_dossiers[0], json.dumps(tinv.CONFIRM)),
        ).fetchone()
        assert other is not None and other["r"]["invoice"]["number"] == f"PROF-{year}-0001"
        conn.commit()
    _ = other_org


@pytest.mark.race
def test_two_payments_at_once_never_overpay(database_url: str) -> None:
    """Two admins record 600 € on a 1 080 € invoice at the same moment: one is taken, the other is
    refused against the balance it sees once the first committed (the dossier row serializes them)."""
    org, admin, (dossier,) = _organization(database_url, 1)
    with tdb.connect(database_url) as conn:
        second_admin = tdb.make_user(conn)
        tdb.add_member(conn, org, second_admin, "admin")
        tdb.as_user(conn, admin)
        conn.execute(
            "select public.dossier_command(%s, 'confirm_refund', %s::jsonb)", (dossier, json.dumps(tinv.CONFIRM))
        )
        conn.commit()
    payment = {"amount": "600.00", "paid_on": "2026-11-02", "method": "virement", "reference": "VIR"}
    start = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def pay(user: uuid.UUID) -> None:
        with tdb.connect(database_url) as conn:
            tdb.as_user(conn, user)
            start.wait(timeout=30)
            try:
                conn.execute(
                    "select public.dossier_command(%s, 'record_payment', %s::jsonb)", (dossier, json.dumps(payment))
                )
                conn.commit()
                outcome = "paid"
            except psycopg.Error as exc:
                conn.rollback()
                outcome = f"{exc.sqlstate}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=pay, args=(u,)) for u in (admin, second_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["PT422", "paid"]
    with tdb.connect(database_url) as conn:
        row = conn.execute(
            "select status, paid_amount, balance from public.invoices where dossier_id = %s", (dossier,)
        ).fetchone()
        assert row == {"status": "partially_paid", "paid_amount": Decimal("600.00"), "balance": Decimal("480.00")}
