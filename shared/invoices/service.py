"""Invoicing use cases: list and read invoices, their Factur-X documents (rendered once, stored through
the Storage port, downloaded through signed URLs after the caller's access was checked under RLS),
credit notes, declared payments, the XLSX list. Commands that move the dossier (confirm_refund,
record_payment) run through the dossier's command entry point."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from shared.adapters.storage import S3Storage, Storage, storage_from_settings
from shared.dossiers import service as dossier_service
from shared.dossiers.models import CommandOut
from shared.exports.service import branding
from shared.invoices import render, repository
from shared.invoices.models import (
    CommissionList,
    CommissionOut,
    CommissionQuery,
    ConfirmRefundIn,
    CreditNoteIn,
    CreditNoteOut,
    DeclarePaymentIn,
    DownloadOut,
    ExportQuery,
    InvoiceDetail,
    InvoiceDocument,
    InvoiceOut,
    InvoicePage,
    ListQuery,
    Party,
    PaymentOut,
    RecordPaymentIn,
)
from shared.platform import db, errors
from shared.platform.db import Connection
from shared.platform.settings import Settings

BUCKET = "invoices"  # the private bucket of migration 0128 (its storage.objects branch names it)


@lru_cache(maxsize=4)
def invoices_storage(settings: Settings) -> Storage:
    """Where the Factur-X PDFs live: on S3 (Supabase Storage's S3 endpoint or AWS) the `invoices`
    bucket of the configured endpoint, whose storage.objects policies follow the invoices' read rule;
    locally the dev server's storage directory. Logos stay in the general storage."""
    if settings.storage_backend == "s3":
        if not (settings.s3_endpoint_url and settings.s3_region):
            raise ValueError("STORAGE_BACKEND=s3 needs S3_ENDPOINT_URL and S3_REGION")
        return S3Storage(
            BUCKET,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id.value or None,
            settings.s3_secret_access_key.value or None,
        )
    return storage_from_settings(settings)


Row = dict[str, Any]
DOWNLOAD_TTL = 900  # seconds: signed URLs are valid 15 minutes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _not_found(kind: str = "invoice") -> errors.NotFound:
    return errors.NotFound(f"No such {kind.replace('_', ' ')}", code=f"{kind}_not_found")


def _out(row: Row) -> InvoiceOut:
    return InvoiceOut.model_validate({k: row[k] for k in InvoiceOut.model_fields})


# --- reading ----------------------------------------------------------------------------------------
def list_invoices(conn: Connection, *, query: ListQuery) -> InvoicePage:
    rows = repository.list_invoices(
        conn,
        status=query.status,
        dossier_id=query.dossier_id,
        client_company_id=query.client_company_id,
        issued_from=query.issued_from,
        issued_to=query.issued_to,
        after=query.after,
        limit=query.limit + 1,
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return InvoicePage(items=[_out(r) for r in rows], next_after=rows[-1]["id"] if more else None)


def _invoice(conn: Connection, invoice_id: UUID) -> Row:
    row = repository.invoice(conn, invoice_id=invoice_id)
    if row is None:
        raise _not_found()
    return row


def detail(conn: Connection, *, invoice_id: UUID) -> InvoiceDetail:
    row = _invoice(conn, invoice_id)
    notes = [CreditNoteOut.model_validate(n) for n in repository.credit_notes(conn, invoice_id=invoice_id)]
    paid = [PaymentOut.model_validate(p) for p in repository.payments(conn, invoice_id=invoice_id)]
    return InvoiceDetail(
        **_out(row).model_dump(),
        seller=row["seller"],
        buyer=row["buyer"],
        refunded_on=row["refunded_on"],
        refund_reference=row["refund_reference"],
        credit_notes=notes,
        payments=paid,
    )


def commissions(conn: Connection, *, query: CommissionQuery) -> CommissionList:
    rows = repository.commissions(conn, status=query.status)
    return CommissionList(items=[CommissionOut.model_validate(r) for r in rows])


# --- documents --------------------------------------------------------------------------------------
def invoice_document(row: Row) -> InvoiceDocument:
    """The invoice as issued (the stored document never changes, so it shows no later payment)."""
    return InvoiceDocument(
        number=row["number"],
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        seller=Party.from_json(row["seller"], seller=True),
        buyer=Party.from_json(row["buyer"], seller=False),
        product_code=row["product_code"],
        refund_amount=row["refund_amount"],
        refunded_on=row["refunded_on"],
        refund_reference=row["refund_reference"],
        client_fee_rate=row["client_fee_rate"],
        expert_fee=row["expert_fee"],
        platform_fee_rate=row["platform_fee_rate"],
        expert_net=row["expert_net"],
        invoice_ht=row["invoice_ht"],
        vat_rate=row["vat_rate"],
        vat=row["vat"],
        invoice_ttc=row["invoice_ttc"],
        legal_footer=str(row["seller"].get("legal_footer") or ""),
    )


def credit_note_document(row: Row) -> InvoiceDocument:
    return InvoiceDocument(
        number=row["number"],
        issue_date=row["issue_date"],
        seller=Party.from_json(row["seller"], seller=True),
        buyer=Party.from_json(row["buyer"], seller=False),
        product_code=row["product_code"],
        invoice_ht=row["amount_ht"],
        vat_rate=row["vat_rate"],
        vat=row["vat"],
        invoice_ttc=row["amount_ttc"],
        is_credit_note=True,
        corrected_number=row["invoice_number"],
        corrected_issue_date=row["invoice_issue_date"],
        reason=row["reason"],
    )


@dataclass(frozen=True, slots=True)
class StoredDocument:
    key: str
    sha256: str
    file_name: str


def _store(
    conn: Connection,
    storage: Storage,
    *,
    table: str,
    row: Row,
    document: InvoiceDocument,
    lang: str,
    files: Storage | None = None,
) -> StoredDocument:
    """The row's Factur-X PDF in storage: the recorded one, or rendered, stored and recorded now.
    ``storage`` holds the organization's logo; ``files`` (default ``storage``) receives the PDF."""
    file_name = f"{row['number']}.pdf"
    if row.get("document_path"):
        return StoredDocument(row["document_path"], row["document_sha256"], file_name)
    repository.lock_document(conn, row_id=row["id"])
    stored = repository.stored_document(conn, table=table, row_id=row["id"])
    if stored is not None and stored["document_path"]:  # rendered meanwhile by a concurrent request
        return StoredDocument(stored["document_path"], stored["document_sha256"], file_name)
    organization = repository.organization(conn, organization_id=row["organization_id"])
    if organization is None:
        raise _not_found("organization")
    data = render.invoice_pdf(document, branding(organization, storage), lang)
    key = f"{row['organization_id']}/invoices/{file_name}"
    digest = hashlib.sha256(data).hexdigest()
    (files or storage).put(key, data, "application/pdf")
    # The caller's right to the row was checked under RLS; recording the file is the system's part.
    db.elevate(conn)
    if not repository.attach_document(conn, table=table, row_id=row["id"], path=key, sha256=digest):
        raise errors.Conflict("The document was stored meanwhile; retry", code="retry")
    return StoredDocument(key, digest, file_name)


def invoice_pdf(
    conn: Connection, storage: Storage, *, invoice_id: UUID, lang: str = "fr", files: Storage | None = None
) -> StoredDocument:
    row = _invoice(conn, invoice_id)
    document = invoice_document(row)
    return _store(conn, storage, table="invoices", row=row, document=document, lang=lang, files=files)


def credit_note_pdf(
    conn: Connection, storage: Storage, *, credit_note_id: UUID, lang: str = "fr", files: Storage | None = None
) -> StoredDocument:
    row = repository.credit_note(conn, credit_note_id=credit_note_id)
    if row is None:
        raise _not_found("credit_note")
    document = credit_note_document(row)
    return _store(conn, storage, table="credit_notes", row=row, document=document, lang=lang, files=files)


def download(stored: StoredDocument, storage: Storage) -> DownloadOut:
    url = storage.signed_url(stored.key, expires_in=DOWNLOAD_TTL, filename=stored.file_name)
    return DownloadOut(url=url, expires_in=DOWNLOAD_TTL, file_name=stored.file_name, sha256=stored.sha256)


# --- commands ---------------------------------------------------------------------------------------
def confirm_refund(conn: Connection, *, dossier_id: UUID, body: ConfirmRefundIn) -> CommandOut:
    """The dossier's `confirm_refund` command (it issues the invoice), through the dossier service."""
    return dossier_service.run(conn, dossier_id=dossier_id, command="confirm_refund", body=body)


def record_payment(conn: Connection, *, dossier_id: UUID, body: RecordPaymentIn) -> CommandOut:
    return dossier_service.run(conn, dossier_id=dossier_id, command="record_payment", body=body)


def issue_credit_note(conn: Connection, *, invoice_id: UUID, body: CreditNoteIn) -> dict[str, Any]:
    payload = body.model_dump(mode="json", exclude_none=True)
    return repository.issue_credit_note(conn, invoice_id=invoice_id, payload=payload)


def declare_payment(conn: Connection, *, invoice_id: UUID, body: DeclarePaymentIn) -> dict[str, Any]:
    payload = body.model_dump(mode="json", exclude_none=True)
    return repository.declare_payment(conn, invoice_id=invoice_id, payload=payload)


# --- the XLSX list ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExportFile:
    data: bytes
    file_name: str
    content_type: str = XLSX

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def export_xlsx(conn: Connection, storage: Storage, *, query: ExportQuery) -> ExportFile:
    from shared.invoices.xlsx import invoice_list_xlsx

    rows = repository.list_invoices(
        conn, status=query.status, issued_from=query.issued_from, issued_to=query.issued_to, limit=None
    )
    organization = (
        repository.organization(conn, organization_id=rows[0]["organization_id"])
        if rows
        else repository.organization_of_caller(conn)
    )
    if organization is None:
        raise _not_found("organization")
    day: dt.date = organization["today"]
    split = any(r["platform_net"] is not None for r in rows)
    data = invoice_list_xlsx(rows, branding(organization, storage), day, query.lang, with_split=split)
    prefix = "factures" if query.lang == "fr" else "invoices"
    return ExportFile(data=data, file_name=f"{prefix}-{day.isoformat()}.xlsx")
