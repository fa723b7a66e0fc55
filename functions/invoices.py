"""`invoices`: the platform's invoices to clients — list, detail, Factur-X download, credit notes,
declared payments, XLSX export — and the two commands that bill a dossier (confirm the refund, which
issues the invoice; record a payment, which closes the dossier at balance 0), also served by the
`dossier` function.

Every route runs as the caller: RLS decides what they see, the database's commands what they may do.
A Factur-X PDF is rendered once (right after the invoice or credit note is issued, else at its first
download), stored through the Storage port and handed out as a URL valid 15 minutes.
"""

from __future__ import annotations

import logging
from uuid import UUID

import flask
import functions_framework

from shared.adapters.storage import content_disposition, storage_from_settings
from shared.dossiers.models import CommandOut
from shared.invoices import service
from shared.invoices.models import (
    CommissionList,
    CommissionQuery,
    ConfirmRefundIn,
    CreditNoteIn,
    DeclarePaymentIn,
    DownloadOut,
    ExportQuery,
    InvoiceDetail,
    InvoicePage,
    ListQuery,
    RecordPaymentIn,
)
from shared.platform import db
from shared.platform.http import Context, Router

router = Router("invoices", description="Invoices, credit notes and payments (Factur-X)")
logger = logging.getLogger(__name__)


def _render_after_issue(ctx: Context, *, invoice_id: str | None = None, credit_note_id: str | None = None) -> None:
    """Store the new document now, in its own transaction (the issuing one has committed and released
    its counter lock); a failure leaves it to the first download, the invoice stands."""
    storage, files = storage_from_settings(ctx.settings), service.invoices_storage(ctx.settings)
    try:
        with db.user_transaction(ctx.claims().raw) as conn:
            if invoice_id:
                service.invoice_pdf(conn, storage, invoice_id=UUID(invoice_id), files=files)
            if credit_note_id:
                service.credit_note_pdf(conn, storage, credit_note_id=UUID(credit_note_id), files=files)
    except Exception:  # the document is rendered again at its first download
        logger.warning("document of %s rendered later", invoice_id or credit_note_id, exc_info=True)


@router.get("/", query=ListQuery, response=InvoicePage)
def list_invoices(ctx: Context) -> InvoicePage:
    """The invoices the caller may see, newest first (status, dossier, company, issue dates; keyset pages)."""
    query = ctx.query(ListQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.list_invoices(conn, query=query)


@router.get("/export", query=ExportQuery)
def export_invoices(ctx: Context) -> flask.Response:
    """Every invoice the caller may see as an XLSX list with totals (status, issue dates, lang)."""
    query = ctx.query(ExportQuery)
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        file = service.export_xlsx(conn, storage, query=query)
    response = flask.Response(file.data, status=200, mimetype=file.content_type)
    response.headers["Content-Disposition"] = content_disposition(file.file_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{file.sha256}"'
    return response


@router.get("/commissions", query=CommissionQuery, response=CommissionList)
def list_commissions(ctx: Context) -> CommissionList:
    """Partner commissions: a partner sees theirs (pending until the invoice is paid, then due), staff all."""
    query = ctx.query(CommissionQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.commissions(conn, query=query)


@router.post("/dossiers/{dossier_id}/confirm-refund", body=ConfirmRefundIn, response=CommandOut)
def confirm_refund(ctx: Context) -> CommandOut:
    """The expert or an admin confirms the refund (R, date, reference): the invoice is issued with it."""
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        answer = service.confirm_refund(conn, dossier_id=dossier_id, body=ctx.body)
    _render_after_issue(ctx, invoice_id=answer.result["invoice"]["id"])
    return answer


@router.post("/dossiers/{dossier_id}/record-payment", body=RecordPaymentIn, response=CommandOut)
def record_payment(ctx: Context) -> CommandOut:
    """An admin records a payment (≤ balance); at balance 0 the invoice is paid and the dossier closed."""
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.record_payment(conn, dossier_id=dossier_id, body=ctx.body)


@router.get("/credit-notes/{credit_note_id}/document", response=DownloadOut)
def credit_note_document(ctx: Context) -> DownloadOut:
    """A URL valid 15 minutes to the credit note's Factur-X PDF."""
    credit_note_id = ctx.path_id("credit_note_id")
    storage, files = storage_from_settings(ctx.settings), service.invoices_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        stored = service.credit_note_pdf(conn, storage, credit_note_id=credit_note_id, files=files)
    return service.download(stored, files)


@router.get("/{invoice_id}", response=InvoiceDetail)
def get_invoice(ctx: Context) -> InvoiceDetail:
    """An invoice with its parties, figures, credit notes and payments."""
    invoice_id = ctx.path_id("invoice_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.detail(conn, invoice_id=invoice_id)


@router.get("/{invoice_id}/document", response=DownloadOut)
def invoice_document(ctx: Context) -> DownloadOut:
    """A URL valid 15 minutes to the invoice's Factur-X PDF (PDF/A-3 with its EN 16931 XML)."""
    invoice_id = ctx.path_id("invoice_id")
    storage, files = storage_from_settings(ctx.settings), service.invoices_storage(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        stored = service.invoice_pdf(conn, storage, invoice_id=invoice_id, files=files)
    return service.download(stored, files)


@router.post("/{invoice_id}/credit-notes", body=CreditNoteIn, status=201)
def issue_credit_note(ctx: Context) -> dict[str, object]:
    """An admin issues a credit note (AV-YYYY-NNNN): the whole unpaid invoice, or an amount HT."""
    invoice_id = ctx.path_id("invoice_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        answer = service.issue_credit_note(conn, invoice_id=invoice_id, body=ctx.body)
    _render_after_issue(ctx, credit_note_id=answer["credit_note"]["id"])
    return answer


@router.post("/{invoice_id}/declare-payment", body=DeclarePaymentIn, status=201)
def declare_payment(ctx: Context) -> dict[str, object]:
    """The client declares "paiement effectué": the admins see it on the timeline; nothing changes state."""
    invoice_id = ctx.path_id("invoice_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.declare_payment(conn, invoice_id=invoice_id, body=ctx.body)


@functions_framework.http
def invoices(request: flask.Request) -> flask.Response:
    return router.serve(request)
