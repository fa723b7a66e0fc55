"""`assign`: the marketplace — search experts, rank candidates for a dossier, offer, accept, decline,
withdraw, propose, force, release; expert approval; assignment settings; reviews.

Every route runs in one transaction as the caller, so RLS and the database's transitions decide.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import flask
import functions_framework
from pydantic import BaseModel, ConfigDict

from shared.marketplace import service
from shared.marketplace.models import (
    AnswerIn,
    ApprovalIn,
    ApprovalOut,
    AssignmentOut,
    ExpertChoiceIn,
    ExpertPage,
    ForceIn,
    OfferList,
    OptionalReasonIn,
    PageQuery,
    ReasonIn,
    ReviewIn,
    ReviewOut,
    SearchQuery,
    SettingsIn,
    SettingsOut,
    SettingsQuery,
    TransitionOut,
)
from shared.platform import db
from shared.platform.http import Context, Router

router = Router("assign", description="Expert marketplace: search, ranked candidates, offers and assignment")


class OffersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["offered", "accepted", "declined", "expired", "withdrawn"] | None = None


def _logged(ctx: Context, result: TransitionOut) -> TransitionOut:
    """Adds the organization to the request's log line when the result names it."""
    if result.offer is not None:
        ctx.log["org"] = str(result.offer.organization_id)
    return result


# --- experts ----------------------------------------------------------------------------------------
@router.get("/experts", query=SearchQuery, response=ExpertPage)
def search_experts(ctx: Context) -> ExpertPage:
    """Search approved experts: filters, French full text, sort by match score for a dossier or by rating."""
    query = ctx.query(SearchQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.search(conn, query=query)


@router.post("/experts/{expert_id}/approval", body=ApprovalIn, response=ApprovalOut)
def set_approval(ctx: Context) -> ApprovalOut:
    """Approve, reject (reason required), suspend or reactivate an expert (owners and admins)."""
    body: ApprovalIn = ctx.body
    expert_id = ctx.path_id("expert_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.set_approval(conn, expert_id=expert_id, action=body.action, reason=body.reason)


# --- dossiers ---------------------------------------------------------------------------------------
@router.get("/dossiers/{dossier_id}", response=AssignmentOut)
def get_assignment(ctx: Context) -> AssignmentOut:
    """A dossier's assignment: status, expert, proposal, offers and history."""
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.assignment(conn, dossier_id=dossier_id)
    ctx.log["org"] = str(result.organization_id)
    return result


@router.get("/dossiers/{dossier_id}/candidates", query=PageQuery, response=ExpertPage)
def get_candidates(ctx: Context) -> ExpertPage:
    """Experts who may take the dossier now, best match first, each with its score breakdown."""
    dossier_id = ctx.path_id("dossier_id")
    page = ctx.query(PageQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.candidates(conn, dossier_id=dossier_id, page_size=page.page_size, after=page.after)


@router.post("/dossiers/{dossier_id}/pick", body=ExpertChoiceIn, response=TransitionOut, status=201)
def pick(ctx: Context) -> TransitionOut:
    """The client picks an expert: it becomes an offer (client_choice mode, or after an admin proposal)."""
    body: ExpertChoiceIn = ctx.body
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.pick(conn, dossier_id=dossier_id, expert_id=body.expert_id)
    return _logged(ctx, result)


@router.post("/dossiers/{dossier_id}/confirm", response=TransitionOut, status=201)
def confirm(ctx: Context) -> TransitionOut:
    """The client confirms the expert an admin proposed: it becomes an offer."""
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.confirm(conn, dossier_id=dossier_id)
    return _logged(ctx, result)


@router.post("/dossiers/{dossier_id}/propose", body=ExpertChoiceIn, response=TransitionOut)
def propose(ctx: Context) -> TransitionOut:
    """An admin proposes an eligible expert to the client."""
    body: ExpertChoiceIn = ctx.body
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.propose(conn, dossier_id=dossier_id, expert_id=body.expert_id)
    return _logged(ctx, result)


@router.post("/dossiers/{dossier_id}/force", body=ForceIn, response=TransitionOut)
def force(ctx: Context) -> TransitionOut:
    """An admin assigns an expert outside the rules; the reason is audited."""
    body: ForceIn = ctx.body
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.force(conn, dossier_id=dossier_id, expert_id=body.expert_id, reason=body.reason)
    return _logged(ctx, result)


@router.post("/dossiers/{dossier_id}/release", body=ReasonIn, response=TransitionOut)
def release(ctx: Context) -> TransitionOut:
    """An admin takes the dossier from its expert and puts it back into matching."""
    body: ReasonIn = ctx.body
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.release(conn, dossier_id=dossier_id, reason=body.reason)
    return _logged(ctx, result)


@router.post("/dossiers/{dossier_id}/auto-offer", response=TransitionOut)
def auto_offer(ctx: Context) -> TransitionOut:
    """An admin starts automatic offering: the best candidate not yet tried gets an offer."""
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.auto_offer(conn, dossier_id=dossier_id)
    return _logged(ctx, result)


@router.post("/dossiers/{dossier_id}/review", body=ReviewIn, response=ReviewOut, status=201)
def post_review(ctx: Context) -> ReviewOut:
    """The client rates the expert of a closed dossier (1–5, optional comment), once."""
    body: ReviewIn = ctx.body
    dossier_id = ctx.path_id("dossier_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.review(conn, dossier_id=dossier_id, body=body)


@router.route("PUT", "/dossiers/{dossier_id}/review", body=ReviewIn, response=ReviewOut)
def put_review(ctx: Context) -> ReviewOut:
    """The author edits their review, within 7 days."""
    body: ReviewIn = ctx.body
    dossier_id = ctx.path_id("dossier_id")
    claims = ctx.claims()
    with db.user_transaction(claims.raw) as conn:
        return service.edit_review(conn, dossier_id=dossier_id, body=body, user_id=UUID(claims.sub))


@router.post("/reviews/{review_id}/answer", body=AnswerIn, response=ReviewOut)
def answer_review(ctx: Context) -> ReviewOut:
    """The expert answers a review about them, publicly and once."""
    body: AnswerIn = ctx.body
    review_id = ctx.path_id("review_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.answer_review(conn, review_id=review_id, answer=body.answer)


# --- offers -----------------------------------------------------------------------------------------
@router.get("/offers", query=OffersQuery, response=OfferList)
def list_offers(ctx: Context) -> OfferList:
    """The offers the caller may see, newest first (an expert: the offers made to them)."""
    query = ctx.query(OffersQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        return service.offers(conn, status=query.status)


@router.post("/offers/{offer_id}/accept", response=TransitionOut)
def accept(ctx: Context) -> TransitionOut:
    """The expert accepts: the dossier becomes theirs (status expert_assigned), within their capacity."""
    offer_id = ctx.path_id("offer_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.accept(conn, offer_id=offer_id)
    return _logged(ctx, result)


@router.post("/offers/{offer_id}/decline", body=ReasonIn, response=TransitionOut)
def decline(ctx: Context) -> TransitionOut:
    """The expert declines, with a reason; in auto mode the next candidate is offered."""
    body: ReasonIn = ctx.body
    offer_id = ctx.path_id("offer_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.decline(conn, offer_id=offer_id, reason=body.reason)
    return _logged(ctx, result)


@router.post("/offers/{offer_id}/withdraw", body=OptionalReasonIn, response=TransitionOut)
def withdraw(ctx: Context) -> TransitionOut:
    """Staff, or the client who picked, withdraw an open offer."""
    body: OptionalReasonIn = ctx.body
    offer_id = ctx.path_id("offer_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.withdraw(conn, offer_id=offer_id, reason=body.reason)
    return _logged(ctx, result)


# --- settings ---------------------------------------------------------------------------------------
@router.get("/settings", query=SettingsQuery, response=SettingsOut)
def get_settings(ctx: Context) -> SettingsOut:
    """The organization's assignment mode, offer lifetime (minutes) and maximum attempts."""
    query = ctx.query(SettingsQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.settings(conn, organization_id=query.organization_id)
    ctx.log["org"] = str(result.organization_id)
    return result


@router.route("PUT", "/settings", body=SettingsIn, response=SettingsOut)
def put_settings(ctx: Context) -> SettingsOut:
    """Owners and admins change the assignment settings (fields left out keep their value)."""
    body: SettingsIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        result = service.update_settings(conn, changes=body)
    ctx.log["org"] = str(result.organization_id)
    return result


@functions_framework.http
def assign(request: flask.Request) -> flask.Response:
    return router.serve(request)
