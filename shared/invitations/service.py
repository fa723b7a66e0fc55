"""Use cases of invitations: invite (create the invitation, then the account or the email), accept, revoke.

The token is 32 random bytes (``secrets``), sent only to the invited address; the database keeps its
SHA-256, so a leaked table cannot be used to join. The invitation is committed before anyone is contacted:
if Supabase Auth is down, inviting again renews it (the previous token stops working).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from pathlib import Path
from typing import Any

from shared.adapters.auth_admin import Inviter
from shared.adapters.mail import Email, FileMailer
from shared.invitations import repository
from shared.invitations.models import AcceptOut, InvitationIn, InvitationOut, RevokeOut
from shared.notifications.render import Branding, render
from shared.platform import db
from shared.platform.settings import Settings

ROLE_LABELS = {
    "expert": ("expert", "an expert"),
    "client": ("utilisateur client", "a client user"),
    "partner": ("partenaire", "a partner"),
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_url(settings: Settings, token: str) -> str:
    return f"{settings.app_url}/invitations/accept?token={token}"


def _email(settings: Settings, invitation: dict[str, Any], branding: Branding, token: str) -> Email:
    role_fr, role_en = ROLE_LABELS[str(invitation["role"])]
    mail = render(
        "invitation",
        str(invitation["locale"]),
        {
            "inviter": invitation["inviter"] or "",
            "company": invitation["company"] or "",
            "role_fr": role_fr,
            "role_en": role_en,
            "expires_at": dt.datetime.fromisoformat(str(invitation["expires_at"])),
            "accept_url": accept_url(settings, token),
        },
        organization=branding,
    )
    return Email(
        message_id=f"invitation-{invitation['id']}",
        sender=settings.mail_from,
        to=str(invitation["email"]),
        subject=mail.subject,
        html=mail.html,
        text=mail.text,
    )


def invite(claims: dict[str, Any], body: InvitationIn, *, inviter: Inviter, settings: Settings) -> InvitationOut:
    """Create the invitation as the caller (owners and admins only), then have the account created by
    Supabase Auth (which emails a new account) or email our invitation (an existing account, the local stack)."""
    token = secrets.token_urlsafe(32)
    with db.user_transaction(claims) as conn:
        invitation = repository.create(
            conn,
            organization_id=body.organization_id,
            email=body.email,
            role=body.role,
            company_id=body.company_id,
            token_sha256=token_hash(token),
            locale=body.locale,
        )
        org = repository.branding(conn, body.organization_id)
    branding = Branding(org["name"], org["primary_color"], org["legal_footer"])
    outcome = inviter.invite(
        str(invitation["email"]),
        redirect_to=accept_url(settings, token),
        data={"invitation_id": str(invitation["id"]), "organization_id": str(body.organization_id)},
    )
    email = _email(settings, invitation, branding, token)
    delivery = "supabase_invite"
    if outcome == "existing" or not settings.supabase_service_role_key:
        delivery = "email"
        if settings.resend_api_key:
            with db.user_transaction(claims) as conn:
                repository.queue_email(
                    conn, invitation_id=str(invitation["id"]), subject=email.subject, html=email.html, text=email.text
                )
        else:
            FileMailer(Path(settings.mail_dir)).send_batch([email], idempotency_key=email.message_id)
    return InvitationOut(**{k: invitation[k] for k in InvitationOut.model_fields if k in invitation}, delivery=delivery)


def accept(claims: dict[str, Any], token: str) -> AcceptOut:
    """The signed-in caller joins with the invitation of ``token``; 404 unknown, 409 used, revoked or
    expired, 403 meant for another address."""
    with db.user_transaction(claims) as conn:
        return AcceptOut(**repository.accept(conn, token_hash(token)))


def revoke(claims: dict[str, Any], invitation_id: uuid.UUID) -> RevokeOut:
    with db.user_transaction(claims) as conn:
        return RevokeOut(**repository.revoke(conn, invitation_id))
