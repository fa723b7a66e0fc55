"""The demo invoices (demo.sql then demo_invoices.sql) load twice without change, through the real commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest

from shared.platform.migrate import SQL_DIR, apply_migrations
from tests.support import db as tdb


@pytest.fixture
def demo_database(database_url: str) -> Iterator[str]:
    name = f"demo_inv_{uuid.uuid4().hex[:10]}"
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = database_url.rsplit("/", 1)[0] + f"/{name}"
    apply_migrations(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')


def test_the_demo_invoices_load_idempotently(demo_database: str) -> None:
    for _ in range(2):
        with psycopg.connect(demo_database) as conn:
            for seed in ("demo.sql", "demo_invoices.sql"):
                conn.execute((SQL_DIR / "seed" / seed).read_text(encoding="utf-8").encode())
    with tdb.connect(demo_database) as conn:
        rows = conn.execute(
            "select o.slug, i.number, i.status, i.invoice_ttc, i.balance, d.status as dossier_status,"
            " pc.status as commission from public.invoices i join public.organizations o on o.id = i.organization_id"
            " join public.dossiers d on d.id = i.dossier_id left join public.partner_commissions pc"
            " on pc.invoice_id = i.id order by o.slug, i.sequence"
        ).fetchall()
        summary = [(r["slug"], r["number"][-4:], r["status"], r["dossier_status"], r["commission"]) for r in rows]
        assert summary == [
            ("horizon", "0001", "paid", "closed", "due"),
            ("horizon", "0002", "partially_paid", "refund_confirmed", None),
            ("profitum", "0001", "paid", "closed", "due"),
            ("profitum", "0002", "partially_paid", "refund_confirmed", None),
        ]
        assert [r["invoice_ttc"] for r in rows[:2]] == [Decimal("1296.00"), Decimal("864.00")]
        assert rows[1]["balance"] == Decimal("564.00")
        audited = conn.execute(
            "select count(*) as n from public.audit_log where table_name in ('invoices', 'invoice_payments')"
        ).fetchone()
        assert audited == {"n": 12}  # per invoice: issued, and per payment: recorded + applied
