"""SQL of the invoicing capability, run in the caller's transaction: RLS decides what a list or a
detail shows, the security-definer functions of migration 0067 decide what a command may do. Database
refusals become domain errors once (PTxxx, the field errors of a 422 kept from its JSON detail)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from shared.platform import dberrors, errors
from shared.platform.db import Connection

Row = dict[str, Any]


@contextmanager
def translated() -> Iterator[None]:
    """Database refusals as domain errors: a 422's field errors come from its detail
    (``{"errors": [...]}`` or ``{"field", "rule"}``), anything else as every capability translates it."""
    try:
        yield
    except psycopg.Error as exc:
        if exc.sqlstate == "PT422":
            try:
                detail = json.loads(exc.diag.message_detail or "{}")
            except ValueError:
                detail = {}
            message = exc.diag.message_primary or "Invalid fields"
            items = detail.get("errors") if isinstance(detail, dict) else None
            if not isinstance(items, list):
                field = str(detail.get("field", "body")) if isinstance(detail, dict) else "body"
                rule = str(detail.get("rule", "invalid")) if isinstance(detail, dict) else "invalid"
                items = [errors.field_error(field, rule, message)]
            raise errors.Unprocessable(
                message, code=exc.diag.message_hint or "validation_failed", errors=items
            ) from exc
        error = dberrors.to_app_error(exc)
        if error is None:
            raise
        raise error from exc


_INVOICE_COLUMNS = """
  i.id, i.organization_id, i.dossier_id, i.client_company_id, i.expert_id, i.number, i.issue_date, i.due_date,
  i.issued_at, i.seller, i.buyer, i.buyer ->> 'name' as client_name, i.product_code, i.refund_amount, i.refunded_on,
  i.refund_reference, i.client_fee_rate, i.expert_fee, i.platform_fee_rate, i.invoice_ht, i.vat_rate, i.vat,
  i.invoice_ttc, i.expert_net, i.status, i.paid_amount, i.credited_amount, i.balance, i.document_path,
  i.document_sha256, i.document_path is not null as has_document,
  pc.amount as partner_commission,
  -- the platform's net only for staff (the partner's share is theirs to read; RLS hides it from others)
  case when i.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
       or (select auth.role()) = 'service_role'
    then i.invoice_ht - coalesce(pc.amount, 0) end as platform_net
"""

_LIST = f"""
select {_INVOICE_COLUMNS}
from public.invoices i
left join public.partner_commissions pc on pc.invoice_id = i.id
where (%(status)s::text is null or i.status = %(status)s)
  and (%(dossier)s::uuid is null or i.dossier_id = %(dossier)s)
  and (%(company)s::uuid is null or i.client_company_id = %(company)s)
  and (%(from)s::date is null or i.issue_date >= %(from)s)
  and (%(to)s::date is null or i.issue_date <= %(to)s)
  and (%(after)s::uuid is null or (i.issued_at, i.id) < (
        select a.issued_at, a.id from public.invoices a where a.id = %(after)s))
order by i.issued_at desc, i.id desc
limit %(limit)s
"""  # noqa: S608 (a constant column list; every value is a parameter)


def list_invoices(
    conn: Connection,
    *,
    status: str | None = None,
    dossier_id: UUID | None = None,
    client_company_id: UUID | None = None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    after: UUID | None = None,
    limit: int | None = 50,
) -> list[Row]:
    """The invoices the caller may see, newest first; ``limit`` None for every row (exports)."""
    params = {
        "status": status,
        "dossier": dossier_id,
        "company": client_company_id,
        "from": issued_from,
        "to": issued_to,
        "after": after,
        "limit": limit,
    }
    with translated():
        return conn.execute(_LIST, params).fetchall()


def invoice(conn: Connection, *, invoice_id: UUID) -> Row | None:
    with translated():
        row: Row | None = conn.execute(
            f"select {_INVOICE_COLUMNS} from public.invoices i"  # noqa: S608 (a constant column list)
            " left join public.partner_commissions pc on pc.invoice_id = i.id where i.id = %(id)s",
            {"id": invoice_id},
        ).fetchone()
    return row


def credit_notes(conn: Connection, *, invoice_id: UUID) -> list[Row]:
    with translated():
        return conn.execute(
            "select * from public.credit_notes where invoice_id = %(id)s order by issued_at, number",
            {"id": invoice_id},
        ).fetchall()


def credit_note(conn: Connection, *, credit_note_id: UUID) -> Row | None:
    with translated():
        row: Row | None = conn.execute(
            "select c.*, i.number as invoice_number, i.issue_date as invoice_issue_date, i.seller, i.buyer,"
            " i.product_code from public.credit_notes c join public.invoices i on i.id = c.invoice_id"
            " where c.id = %(id)s",
            {"id": credit_note_id},
        ).fetchone()
    return row


def payments(conn: Connection, *, invoice_id: UUID) -> list[Row]:
    with translated():
        return conn.execute(
            "select * from public.invoice_payments where invoice_id = %(id)s order by paid_on, recorded_at",
            {"id": invoice_id},
        ).fetchall()


def issue_credit_note(conn: Connection, *, invoice_id: UUID, payload: dict[str, Any]) -> dict[str, Any]:
    with translated():
        row = conn.execute(
            "select public.issue_credit_note(%(id)s, %(p)s) as r", {"id": invoice_id, "p": Jsonb(payload)}
        ).fetchone()
    assert row is not None
    result: dict[str, Any] = row["r"]
    return result


def declare_payment(conn: Connection, *, invoice_id: UUID, payload: dict[str, Any]) -> dict[str, Any]:
    with translated():
        row = conn.execute(
            "select public.declare_invoice_payment(%(id)s, %(p)s) as r", {"id": invoice_id, "p": Jsonb(payload)}
        ).fetchone()
    assert row is not None
    result: dict[str, Any] = row["r"]
    return result


def organization(conn: Connection, *, organization_id: UUID) -> Row | None:
    """The branding of an organization (its members read it under RLS)."""
    with translated():
        row: Row | None = conn.execute(
            "select id, name, primary_color, legal_footer, logo_path, time_zone,"
            " (now() at time zone time_zone)::date as today from public.organizations where id = %(id)s",
            {"id": organization_id},
        ).fetchone()
    return row


def organization_of_caller(conn: Connection) -> Row | None:
    """The caller's first organization (the one an export is branded with when it spans none)."""
    with translated():
        row: Row | None = conn.execute(
            "select o.id, o.name, o.primary_color, o.legal_footer, o.logo_path, o.time_zone,"
            " (now() at time zone o.time_zone)::date as today from public.organizations o"
            " order by o.created_at limit 1"
        ).fetchone()
    return row


def attach_document(conn: Connection, *, table: str, row_id: UUID, path: str, sha256: str) -> bool:
    """Record a rendered document once (as the service, after the caller's access was checked)."""
    query = {
        "invoices": "update public.invoices set document_path = %(p)s, document_sha256 = %(s)s"
        " where id = %(id)s and document_path is null",
        "credit_notes": "update public.credit_notes set document_path = %(p)s, document_sha256 = %(s)s"
        " where id = %(id)s and document_path is null",
    }[table]
    with translated():
        return conn.execute(query, {"p": path, "s": sha256, "id": row_id}).rowcount == 1


def lock_document(conn: Connection, *, row_id: UUID) -> None:
    """Serialize the first rendering of one document (until the transaction ends): two first downloads
    at once must not store two different files under one key."""
    with translated():
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%(id)s, 7260067))", {"id": str(row_id)})


def stored_document(conn: Connection, *, table: str, row_id: UUID) -> Row | None:
    """The document path and hash recorded for a row (after a concurrent attach)."""
    query = {
        "invoices": "select document_path, document_sha256 from public.invoices where id = %(id)s",
        "credit_notes": "select document_path, document_sha256 from public.credit_notes where id = %(id)s",
    }[table]
    with translated():
        row: Row | None = conn.execute(query, {"id": row_id}).fetchone()
    return row
