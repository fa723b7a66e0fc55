"""`invitations`: owners and admins invite experts, client users and partners by email; the invited
person, signed in with that address, accepts with the token of the email. Listing goes through the Data
API (`invitations` under RLS: owners and admins of the organization)."""

from __future__ import annotations

import flask
import functions_framework

from shared.adapters.auth_admin import inviter_from_settings
from shared.invitations import service
from shared.invitations.models import AcceptIn, AcceptOut, InvitationIn, InvitationOut, RevokeOut
from shared.platform.http import Context, Router

router = Router("invitations", description="Invite people into an organization and accept invitations")


@router.post("/", body=InvitationIn, response=InvitationOut, status=201)
def create(ctx: Context) -> InvitationOut:
    """Invite one person (owners and admins); inviting the same address again replaces the previous token."""
    return service.invite(
        ctx.claims().raw, ctx.body, inviter=inviter_from_settings(ctx.settings), settings=ctx.settings
    )


@router.post("/accept", body=AcceptIn, response=AcceptOut)
def accept(ctx: Context) -> AcceptOut:
    """Join the organization of an invitation sent to the caller's address."""
    body: AcceptIn = ctx.body
    return service.accept(ctx.claims().raw, body.token)


@router.post("/{invitation_id}/revoke", response=RevokeOut)
def revoke(ctx: Context) -> RevokeOut:
    """Withdraw a pending invitation (owners and admins)."""
    return service.revoke(ctx.claims().raw, ctx.path_id("invitation_id"))


@functions_framework.http
def invitations(request: flask.Request) -> flask.Response:
    return router.serve(request)
