"""`me`: who the caller is — memberships with organization names and roles, and companies."""

from __future__ import annotations

import flask
import functions_framework

from shared.identity import service
from shared.identity.models import MeOut
from shared.platform.http import Context, Router

router = Router("me", description="The authenticated caller's identity")


@router.get("/", response=MeOut)
def get_me(ctx: Context) -> MeOut:
    """The caller's user id, email, memberships and companies."""
    claims = ctx.claims()
    return service.me(claims=claims.raw, user_id=claims.sub, email=claims.email)


@functions_framework.http
def me(request: flask.Request) -> flask.Response:
    return router.serve(request)
