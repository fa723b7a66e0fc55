"""Marketplace use cases: search, ranked candidates, offers and assignment, approval, settings,
reviews and the scheduler's sweep.

Each runs in the transaction its caller opened (as the user, so RLS and the database's transitions
decide; the sweep as the service role, one organization per transaction); none commits.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.identity import service as identity
from shared.marketplace import repository
from shared.marketplace.models import (
    ApprovalOut,
    AssignmentOut,
    EventOut,
    ExpertCard,
    ExpertPage,
    OfferList,
    OfferOut,
    ReviewIn,
    ReviewOut,
    SearchQuery,
    SettingsIn,
    SettingsOut,
    TransitionOut,
)
from shared.platform import errors
from shared.platform.db import Connection


def _page(rows: list[dict[str, Any]], page_size: int) -> ExpertPage:
    items = [ExpertCard.model_validate(row) for row in rows]
    next_after = items[-1].expert_id if len(items) == page_size else None
    return ExpertPage(items=items, next_after=next_after)


def search(conn: Connection, *, query: SearchQuery) -> ExpertPage:
    """Approved experts of the caller's organization, filtered and sorted as asked."""
    rows = repository.search_experts(conn, params=query.model_dump())
    return _page(rows, query.page_size)


def candidates(conn: Connection, *, dossier_id: UUID, page_size: int, after: UUID | None) -> ExpertPage:
    """The experts who may take the dossier now, best match first, with "why this expert"."""
    rows = repository.candidates(conn, dossier_id=dossier_id, page_size=page_size, after=after)
    return _page(rows, page_size)


def _offer(conn: Connection, offer_id: UUID) -> OfferOut:
    row = repository.offer(conn, offer_id=offer_id)
    if row is None:  # the transition just returned it: only a broken policy could hide it
        raise errors.AppError("The offer is not visible after its creation")
    return OfferOut.model_validate(row)


def _after_offer(conn: Connection, offer_id: UUID) -> TransitionOut:
    offer = _offer(conn, offer_id)
    status = repository.dossier_status(conn, dossier_id=offer.dossier_id) or "expert_pending_acceptance"
    return TransitionOut(dossier_id=offer.dossier_id, dossier_status=status, offer=offer)


def pick(conn: Connection, *, dossier_id: UUID, expert_id: UUID) -> TransitionOut:
    """The client picks an expert from the ranked list: an offer is made to that expert."""
    return _after_offer(conn, repository.call(conn, "assignment_pick", dossier=dossier_id, expert=expert_id))


def confirm(conn: Connection, *, dossier_id: UUID) -> TransitionOut:
    """The client confirms the expert an admin proposed: an offer is made to that expert."""
    return _after_offer(conn, repository.call(conn, "assignment_confirm", dossier=dossier_id))


def propose(conn: Connection, *, dossier_id: UUID, expert_id: UUID) -> TransitionOut:
    """An admin proposes an eligible expert; the client confirms or picks another."""
    result = repository.call(conn, "assignment_propose", dossier=dossier_id, expert=expert_id)
    return TransitionOut(
        dossier_id=dossier_id,
        dossier_status=repository.dossier_status(conn, dossier_id=dossier_id) or "",
        proposed_expert_id=expert_id,
        score=result["score"],
        score_parts=result["parts"],
    )


def force(conn: Connection, *, dossier_id: UUID, expert_id: UUID, reason: str) -> TransitionOut:
    """An admin assigns an expert outside the rules, with a reason (audited)."""
    result = repository.call(conn, "assignment_force", dossier=dossier_id, expert=expert_id, reason=reason)
    return TransitionOut(
        dossier_id=dossier_id,
        dossier_status=result["status"],
        expert_id=expert_id,
        score=result["score"],
        score_parts=result["parts"],
        ineligibility=result["ineligibility"],
    )


def release(conn: Connection, *, dossier_id: UUID, reason: str) -> TransitionOut:
    """An admin takes the dossier from its expert and puts it back into matching (audited)."""
    step = repository.call(conn, "assignment_release", dossier=dossier_id, reason=reason)
    return _dossier_state(conn, dossier_id, next_step=step)


def auto_offer(conn: Connection, *, dossier_id: UUID) -> TransitionOut:
    """An admin asks the system to offer the dossier to the best candidate not yet tried."""
    offer_id = repository.call(conn, "assignment_auto_offer", dossier=dossier_id)
    if offer_id is None:
        return _dossier_state(conn, dossier_id, next_step="failed")
    return _after_offer(conn, offer_id)


def _dossier_state(conn: Connection, dossier_id: UUID, *, next_step: str | None = None) -> TransitionOut:
    row = _visible_dossier(conn, dossier_id)
    open_offer = next(iter(repository.offers(conn, dossier_id=dossier_id, status="offered")), None)
    return TransitionOut(
        dossier_id=dossier_id,
        dossier_status=row["status"],
        expert_id=row["expert_id"],
        offer=OfferOut.model_validate(open_offer) if open_offer else None,
        next=next_step,
    )


def accept(conn: Connection, *, offer_id: UUID) -> TransitionOut:
    """The expert accepts: the dossier is theirs, atomically and within their capacity."""
    result = repository.call(conn, "offer_accept", offer=offer_id)
    return TransitionOut(
        dossier_id=result["dossier_id"],
        dossier_status=result["dossier_status"],
        expert_id=result["expert_id"],
        offer=_offer(conn, offer_id),
    )


def decline(conn: Connection, *, offer_id: UUID, reason: str) -> TransitionOut:
    """The expert declines with a reason; in auto mode the next candidate is offered."""
    result = repository.call(conn, "offer_decline", offer=offer_id, reason=reason)
    return TransitionOut(
        dossier_id=result["dossier_id"],
        dossier_status=result["dossier_status"],
        offer=_offer(conn, offer_id),
        next=result["next"],
    )


def withdraw(conn: Connection, *, offer_id: UUID, reason: str | None) -> TransitionOut:
    """Staff (or the client who picked) withdraw an open offer; the dossier goes back to matching."""
    result = repository.call(conn, "offer_withdraw", offer=offer_id, reason=reason)
    return TransitionOut(
        dossier_id=result["dossier_id"], dossier_status=result["dossier_status"], offer=_offer(conn, offer_id)
    )


def _visible_dossier(conn: Connection, dossier_id: UUID) -> dict[str, Any]:
    row = repository.dossier(conn, dossier_id=dossier_id)
    if row is None:
        repository.call(conn, "require_followed_dossier", dossier=dossier_id)  # raises 403 or 404
        raise errors.NotFound("No such dossier", code="dossier_not_found")
    return row


def assignment(conn: Connection, *, dossier_id: UUID) -> AssignmentOut:
    """Where a dossier's assignment stands, its offers and its history, as the caller may see them."""
    row = _visible_dossier(conn, dossier_id)
    offers = [OfferOut.model_validate(o) for o in repository.offers(conn, dossier_id=dossier_id, status=None)]
    return AssignmentOut(
        dossier_id=dossier_id,
        organization_id=row["organization_id"],
        status=row["status"],
        expert_id=row["expert_id"],
        proposed_expert_id=row["proposed_expert_id"],
        assignment_mode=row["assignment_mode"],
        open_offer=next((o for o in offers if o.status == "offered"), None),
        offers=offers,
        events=[EventOut.model_validate(e) for e in repository.events(conn, dossier_id=dossier_id)],
    )


def offers(conn: Connection, *, status: str | None) -> OfferList:
    """The offers the caller may see (an expert: those made to them), newest first."""
    rows = repository.offers(conn, dossier_id=None, status=status)
    return OfferList(items=[OfferOut.model_validate(row) for row in rows])


def set_approval(conn: Connection, *, expert_id: UUID, action: str, reason: str | None) -> ApprovalOut:
    """Approve, reject (reason), suspend or reactivate an expert (audited; an event is recorded)."""
    status = repository.call(conn, "expert_set_approval", expert=expert_id, action=action, reason=reason)
    return ApprovalOut(expert_id=expert_id, approval_status=status)


def _organization(conn: Connection, organization_id: UUID | None) -> UUID:
    if organization_id is not None:
        return organization_id
    mine = identity.my_organization_ids(conn)
    if len(mine) != 1:
        raise errors.Unprocessable(
            "Choose an organization",
            code="organization_required",
            errors=[errors.field_error("organization_id", "missing", "needed when you belong to several")],
        )
    return mine[0]


def settings(conn: Connection, *, organization_id: UUID | None) -> SettingsOut:
    """The organization's assignment mode, offer lifetime and maximum attempts."""
    row = repository.settings(conn, organization_id=_organization(conn, organization_id))
    if row is None:
        raise errors.NotFound("No such organization", code="organization_not_found")
    return SettingsOut.model_validate(row)


def update_settings(conn: Connection, *, changes: SettingsIn) -> SettingsOut:
    """Owners and admins change their organization's assignment settings."""
    org = _organization(conn, changes.organization_id)
    values = changes.model_dump(exclude={"organization_id"})
    row = repository.update_settings(conn, organization_id=org, changes=values)
    if row is None:
        if repository.settings(conn, organization_id=org) is None:
            raise errors.NotFound("No such organization", code="organization_not_found")
        raise errors.Forbidden("Only owners and admins change these settings", code="forbidden")
    return SettingsOut.model_validate(row)


def review(conn: Connection, *, dossier_id: UUID, body: ReviewIn) -> ReviewOut:
    """The client rates the expert of a closed dossier, once."""
    _visible_dossier(conn, dossier_id)
    row = repository.create_review(conn, dossier_id=dossier_id, rating=body.rating, comment=body.comment)
    if row is None:
        raise errors.NotFound("No such dossier", code="dossier_not_found")
    return ReviewOut.model_validate(row)


def edit_review(conn: Connection, *, dossier_id: UUID, body: ReviewIn, user_id: UUID) -> ReviewOut:
    """The author changes their review, for 7 days."""
    row = repository.edit_review(conn, dossier_id=dossier_id, rating=body.rating, comment=body.comment)
    if row is not None:
        return ReviewOut.model_validate(row)
    existing = repository.review_by_dossier(conn, dossier_id=dossier_id)
    if existing is None:
        raise errors.NotFound("No review of this dossier", code="review_not_found")
    if existing["author_id"] != user_id:
        raise errors.Forbidden("Only the author edits a review", code="forbidden")
    raise errors.Conflict("A review can be edited for 7 days", code="review_locked")


def answer_review(conn: Connection, *, review_id: UUID, answer: str) -> ReviewOut:
    """The expert answers a review about them, publicly and once."""
    row = repository.answer_review(conn, review_id=review_id, answer=answer)
    if row is not None:
        return ReviewOut.model_validate(row)
    if repository.review(conn, review_id=review_id) is None:
        raise errors.NotFound("No such review", code="review_not_found")
    raise errors.Forbidden("Only the expert reviewed answers", code="forbidden")


def organizations(conn: Connection) -> list[UUID]:
    """Every organization, for the scheduler's loop (service role)."""
    return repository.organization_ids(conn)


def run_timeouts(conn: Connection, *, organization_id: UUID, batch: int = 500) -> dict[str, int]:
    """One organization's due offers, stale offers, starting absences and waiting auto dossiers."""
    return repository.run_timeouts(conn, organization_id=organization_id, batch=batch)
