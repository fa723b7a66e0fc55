"""One-click unsubscribe links: a signed token naming the user and the event whose email it stops.

Signed with the deployment's signing secret through ``itsdangerous`` (the signer Flask itself uses),
so a token cannot be forged or altered to stop someone else's mail; it carries no expiry because an
unsubscribe link must keep working in an old email. The headers follow RFC 8058.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer

from shared.platform.errors import Unprocessable, field_error

_SALT = "notifications.unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    user_id: uuid.UUID
    event: str


def _serializer(secret: str) -> URLSafeSerializer:
    if not secret:
        raise RuntimeError("SIGNING_SECRET is not configured")
    return URLSafeSerializer(secret, salt=_SALT)


def make_token(secret: str, user_id: uuid.UUID, event: str) -> str:
    return str(_serializer(secret).dumps([str(user_id), event]))


def read_token(secret: str, token: str) -> Unsubscribe:
    """The user and event of a token; 422 naming ``token`` when it is not one of ours."""
    try:
        user, event = _serializer(secret).loads(token)
        return Unsubscribe(uuid.UUID(str(user)), str(event))
    except (BadData, ValueError, TypeError) as exc:
        raise Unprocessable(errors=[field_error("token", "invalid_signature", "This link is not valid")]) from exc


def headers(url: str) -> dict[str, str]:
    """The RFC 8058 headers that let a mail client unsubscribe in one click."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
