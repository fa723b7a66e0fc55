"""`dossier`: the dossier workflow — list, detail, timeline, what may happen now, and its commands
(eligibility, audit, claim, result, close, hold/resume, cancel, override); an expert's open offers
with the dossier's brief; the statuses with their step, progress and labels.

Every route runs in one transaction as the caller, so RLS and the database's state machine decide.
Command bodies are checked by their pydantic model first (422 before any SQL).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import flask
import functions_framework
from pydantic import BaseModel

from shared.dossiers import service
from shared.dossiers.models import (
    AcceptAuditIn,
    AllowedCommands,
    CommandOut,
    CompleteAuditIn,
    DossierDetail,
    DossierPage,
    EmptyIn,
    FileClaimIn,
    HoldIn,
    LangQuery,
    ListQuery,
    NoteIn,
    OfferBriefList,
    OverrideIn,
    ReasonIn,
    RecordResultIn,
    ReviseAuditIn,
    StatusList,
    Timeline,
)
from shared.invoices.models import ConfirmRefundIn, RecordPaymentIn
from shared.platform import db
from shared.platform.http import Context, Router

router = Router("dossier", description="Dossier workflow: list, detail, timeline and commands")

# The commands of this function, their body and what they do (documents and invoices have theirs).
COMMANDS: dict[str, tuple[type[BaseModel], str]] = {
    "submit_eligibility": (EmptyIn, "The client (or an admin) submits the eligibility documents for review"),
    "validate_eligibility": (NoteIn, "An admin validates the eligibility (and its pending documents)"),
    "reject_eligibility": (ReasonIn, "An admin rejects the eligibility, with a reason"),
    "start_audit": (EmptyIn, "The expert starts the audit (documents validated and valid, no open request)"),
    "complete_audit": (CompleteAuditIn, "The expert completes the audit: final amount F and fee rate c"),
    "accept_audit": (AcceptAuditIn, "The client accepts the latest revision; F, c, p and a are frozen"),
    "refuse_audit": (ReasonIn, "The client refuses the audit, with a reason"),
    "revise_audit": (ReviseAuditIn, "The expert revises a refused audit (new F and/or c)"),
    "file_claim": (FileClaimIn, "The expert files the claim with the administration"),
    "record_result": (RecordResultIn, "The expert records the administration's decision"),
    "close_refused": (ReasonIn, "The expert or an admin closes a refused claim"),
    "hold": (HoldIn, "An admin, or the expert on their dossier, puts it on hold"),
    "resume": (EmptyIn, "An admin or the holder resumes a held dossier where it was"),
    "cancel": (ReasonIn, "An admin (before closing) or the client (before accepting the audit) cancels"),
    "override": (OverrideIn, "An admin sets a status, with a reason, without breaking the invariants"),
    # invoicing (shared.invoices; also served by the `invoices` function)
    "confirm_refund": (ConfirmRefundIn, "The expert or an admin confirms the refund; the invoice is issued with it"),
    "record_payment": (RecordPaymentIn, "An admin records an invoice payment; at balance 0 the dossier closes"),
}


def _id(ctx: Context) -> UUID:
    """The path's dossier id (the Router has already refused one that is not a UUID)."""
    return ctx.path_id("dossier_id")


@router.get("/statuses", query=LangQuery, response=StatusList)
def get_statuses(ctx: Context) -> StatusList:
    """Every dossier status with its step, progress, labels and who acts next."""
    query = ctx.query(LangQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.statuses(conn, lang=query.lang)


@router.get("/dossiers", query=ListQuery, response=DossierPage)
def list_dossiers(ctx: Context) -> DossierPage:
    """The dossiers the caller may see: filters, "waiting on me", keyset pages (newest first)."""
    query = ctx.query(ListQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.list_dossiers(conn, query=query, last=True)


@router.get("/dossiers/{dossier_id}", query=LangQuery, response=DossierDetail)
def get_dossier(ctx: Context) -> DossierDetail:
    """Everything on one screen: company, product, step, amounts, expert, checklist, next action, timeline."""
    query = ctx.query(LangQuery)
    dossier_id = _id(ctx)
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.detail(conn, dossier_id=dossier_id, lang=query.lang)
    ctx.log["org"] = str(result.organization_id)
    return result


@router.get("/dossiers/{dossier_id}/timeline", query=LangQuery, response=Timeline)
def get_timeline(ctx: Context) -> Timeline:
    """The events the caller may see, oldest first (the marketplace's included)."""
    query = ctx.query(LangQuery)
    dossier_id = _id(ctx)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.timeline(conn, dossier_id=dossier_id, lang=query.lang)


@router.get("/dossiers/{dossier_id}/commands", response=AllowedCommands)
def get_commands(ctx: Context) -> AllowedCommands:
    """What may happen to the dossier now, and who may do it."""
    dossier_id = _id(ctx)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.allowed(conn, dossier_id=dossier_id)


@router.get("/offers", response=OfferBriefList)
def get_offers(ctx: Context) -> OfferBriefList:
    """The caller's open offers (an expert), each with the dossier's brief."""
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.offers(conn)


def _command_route(command: str, body: type[BaseModel], summary: str) -> Callable[[Context], CommandOut]:
    def handle(ctx: Context) -> CommandOut:
        dossier_id = _id(ctx)
        with db.user_transaction(ctx.claims().raw) as conn:
            result = service.run(conn, dossier_id=dossier_id, command=command, body=ctx.body, last=True)
        return result

    handle.__name__ = f"command_{command}"
    handle.__doc__ = summary
    return handle


for _command, (_body, _summary) in COMMANDS.items():
    router.post(f"/dossiers/{{dossier_id}}/{_command.replace('_', '-')}", body=_body, response=CommandOut)(
        _command_route(_command, _body, _summary)
    )


@functions_framework.http
def dossier(request: flask.Request) -> flask.Response:
    return router.serve(request)
