"""PROF-YYYY-NNNN: per organization and year of issue in its time zone, from a locked counter row."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.invoices.commission import Rates, compute
from tests.integration.invoices.conftest import Billing
from tests.support import db as tdb
from tests.support import invoices as tinv


def _issue(billing: Billing, dossier: uuid.UUID, issued_at: str) -> dict[str, object]:
    tdb.as_owner(billing.conn)
    row = billing.conn.execute(
        "select number, issue_date, due_date, year, sequence from private.issue_invoice(%s, 10000, '2026-01-02',"
        " 'REF', %s::timestamptz)",
        (dossier, issued_at),
    ).fetchone()
    assert row is not None
    return dict(row)


def test_the_year_is_the_organization_s_at_the_moment_of_issue(billing: Billing) -> None:
    first = _issue(billing, billing.dossier(), "2026-12-31T23:30:00Z")  # 2027-01-01 00:30 in Paris
    assert (first["number"], first["issue_date"]) == ("PROF-2027-0001", dt.date(2027, 1, 1))
    second = _issue(billing, billing.dossier(product="urssaf"), "2026-12-31T22:30:00Z")  # still 2026 in Paris
    assert second["number"] == "PROF-2026-0001"


def test_due_date_is_issue_plus_thirty_days(billing: Billing) -> None:
    issued = _issue(billing, billing.dossier(), "2026-01-31T10:00:00+01:00")
    assert (issued["issue_date"], issued["due_date"]) == (dt.date(2026, 1, 31), dt.date(2026, 3, 2))


def test_each_organization_has_its_own_series(billing: Billing) -> None:
    a1 = _issue(billing, billing.dossier(), "2026-05-01T10:00:00Z")
    a2 = _issue(billing, billing.dossier(product="urssaf"), "2026-05-02T10:00:00Z")
    b1 = _issue(billing, billing.dossier("b"), "2026-05-03T10:00:00Z")
    assert [a1["number"], a2["number"], b1["number"]] == ["PROF-2026-0001", "PROF-2026-0002", "PROF-2026-0001"]


@settings(max_examples=150, deadline=None)
@given(
    refund=st.decimals(min_value=0, max_value=10**9, places=2),
    c=st.decimals(min_value=0, max_value=1, places=4),
    p=st.decimals(min_value=0, max_value=1, places=4),
    a=st.decimals(min_value=0, max_value=1, places=4),
    t=st.decimals(min_value=0, max_value=1, places=4),
)
def test_sql_and_python_compute_the_same_waterfall(
    database_url: str, refund: Decimal, c: Decimal, p: Decimal, a: Decimal, t: Decimal
) -> None:
    expected = compute(refund, Rates(client_fee_rate=c, platform_fee_rate=p, partner_share_rate=a, vat_rate=t))
    with tdb.connect(database_url) as conn:
        row = conn.execute("select * from private.commission(%s, %s, %s, %s, %s)", (refund, c, p, a, t)).fetchone()
    assert row is not None
    assert {k: str(v) for k, v in row.items()} == expected.as_json()


# --- committed transactions: a rolled-back invoice leaves no gap -------------------------------------
@pytest.fixture
def committed_org(database_url: str) -> Iterator[tuple[str, uuid.UUID, uuid.UUID, uuid.UUID]]:
    """An organization with an expert and an invoiceable company, committed (left in the test database)."""
    with tdb.connect(database_url) as conn:
        org = tdb.make_org(conn, "Numbering")
        tinv.set_seller(conn, org)
        admin = tdb.make_user(conn)
        tdb.add_member(conn, org, admin, "admin")
        company = tinv.make_buyer(conn, org)
        conn.commit()
    yield database_url, org, company, admin


def test_a_rolled_back_invoice_leaves_no_gap(committed_org: tuple[str, uuid.UUID, uuid.UUID, uuid.UUID]) -> None:
    url, org, company, admin = committed_org
    with tdb.connect(url) as conn:
        dossiers = [tinv.make_refundable_dossier(conn, org, company, None, product=p) for p in ("ticpe", "urssaf")]
        conn.commit()
    payload = json.dumps(tinv.CONFIRM)
    with tdb.connect(url) as conn:
        tdb.as_user(conn, admin)
        row = conn.execute(
            "select public.dossier_command(%s, 'confirm_refund', %s::jsonb) as r", (dossiers[0], payload)
        )
        assert row.fetchone()["r"]["invoice"]["number"].endswith("-0001")  # type: ignore[index]
        conn.rollback()
    with tdb.connect(url) as conn:
        tdb.as_user(conn, admin)
        second = conn.execute(
            "select public.dossier_command(%s, 'confirm_refund', %s::jsonb) as r", (dossiers[1], payload)
        )
        assert second.fetchone()["r"]["invoice"]["number"].endswith("-0001")  # type: ignore[index]
        conn.commit()
    with tdb.connect(url) as conn:
        numbers = conn.execute("select number from public.invoices where organization_id = %s", (org,)).fetchall()
        assert [n["number"][-4:] for n in numbers] == ["0001"]
