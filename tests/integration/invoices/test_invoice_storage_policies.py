"""The Factur-X files in the private `invoices` bucket (migration 0128): storage.objects row counts as
every role follow the invoices' read rule (staff, the client company, the expert; never a partner or
another organization), and no API role writes or deletes them."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg import errors as pg_errors

from tests.integration.invoices.conftest import Billing
from tests.support import db as tdb
from tests.support import invoices as tinv

# invoice 1 and its credit note (A1: client_a, expert_a, partner_a's share), invoice 2 (A2: client_a2,
# no expert), organization B's invoice: one file each
EXPECTED = {
    "owner_a": 3,
    "admin_a": 3,
    "viewer_a": 3,
    "expert_a": 2,
    "pending_a": 0,
    "client_a": 2,
    "client_a2": 1,
    "partner_a": 0,
    "owner_b": 1,
    "client_b": 1,
    "expert_b": 1,
    "operator": 0,
    "outsider": 0,
}


@pytest.fixture
def filed(billing: Billing) -> dict[str, Any]:
    w = billing.world
    first = billing.dossier(partner_share_rate="0.10")
    invoice = billing.command("expert_a", first, "confirm_refund", tinv.CONFIRM)["invoice"]["id"]
    billing.rpc("admin_a", "issue_credit_note", invoice, {"reason": "Remise", "amount_ht": "10"})
    company2 = tinv.make_buyer(billing.conn, w.org_a, name="A2 facturable", users=(w.users["client_a2"],))
    second = tinv.make_refundable_dossier(billing.conn, w.org_a, company2, None)
    billing.command("admin_a", second, "confirm_refund", tinv.CONFIRM)
    billing.command("expert_b", billing.dossier("b"), "confirm_refund", tinv.CONFIRM)
    tdb.as_owner(billing.conn)
    paths = {}
    for table in ("invoices", "credit_notes"):
        rows = billing.conn.execute(
            f"select id, organization_id, number from public.{table} where organization_id = any(%s)",  # noqa: S608
            (list(w.orgs),),
        ).fetchall()
        for row in rows:
            path = f"{row['organization_id']}/invoices/{row['number']}.pdf"
            billing.conn.execute(
                f"update public.{table} set document_path = %s, document_sha256 = %s where id = %s",  # noqa: S608
                (path, "0" * 64, row["id"]),
            )
            billing.conn.execute("insert into storage.objects (bucket_id, name) values ('invoices', %s)", (path,))
            paths[row["number"]] = path
    # a file in the bucket that no invoice records: nobody's but the service's
    stray = f"{w.org_a}/invoices/PROF-1999-0001.pdf"
    billing.conn.execute("insert into storage.objects (bucket_id, name) values ('invoices', %s)", (stray,))
    return paths


def _count(billing: Billing) -> int:
    row = billing.conn.execute("select count(*) as n from storage.objects where bucket_id = 'invoices'").fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_reads_exactly_the_invoice_files_it_may(
    billing: Billing, filed: dict[str, Any], persona: str
) -> None:
    tdb.as_user(billing.conn, billing.world.users[persona])
    assert _count(billing) == EXPECTED[persona]


def test_the_service_role_reads_every_file(billing: Billing, filed: dict[str, Any]) -> None:
    tdb.as_service(billing.conn)
    assert _count(billing) == 5


def test_the_bucket_is_private(billing: Billing) -> None:
    row = billing.conn.execute("select public from storage.buckets where id = 'invoices'").fetchone()
    assert row is not None and row["public"] is False


@pytest.mark.parametrize("persona", ["owner_a", "admin_a", "client_a", "expert_a"])
def test_no_api_role_writes_or_deletes_an_invoice_file(billing: Billing, filed: dict[str, Any], persona: str) -> None:
    path = next(iter(filed.values()))
    with pytest.raises(pg_errors.InsufficientPrivilege), billing.conn.transaction(force_rollback=True):
        tdb.as_user(billing.conn, billing.world.users[persona])
        billing.conn.execute(
            "insert into storage.objects (bucket_id, name) values ('invoices', %s)", (path.replace(".pdf", "-x.pdf"),)
        )
    tdb.as_owner(billing.conn)
    delete = "delete from storage.objects where name = %s"
    update = "update storage.objects set metadata = '{}' where name = %s"
    for statement in (delete, update):
        with billing.conn.transaction(force_rollback=True):
            tdb.as_user(billing.conn, billing.world.users[persona])
            assert billing.conn.execute(statement, (path,)).rowcount == 0
        tdb.as_owner(billing.conn)
