"""Who calls the simulator, and the transaction they act in.

A caller is a signed-in user (their transaction runs as them, under RLS) or an anonymous visitor (their
transaction runs as ``anon``; they reach their draft only through the token-keyed functions of
migration 0046). Visitors are rate-limited per address: ``ANONYMOUS_STARTS_PER_HOUR`` new drafts
(default 20) and ``ANONYMOUS_CALLS_PER_10_MINUTES`` calls (default 600), counted in Postgres.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from shared.platform import db, ratelimit
from shared.platform.auth import Claims
from shared.platform.db import Connection
from shared.platform.errors import Unauthorized
from shared.platform.settings import get_settings

STARTS_WINDOW = dt.timedelta(hours=1)
CALLS_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Caller:
    """Who acts: a verified user (with their claims), or an anonymous visitor known by the hash of
    their address and, once they have a draft, of its resume token."""

    user_id: uuid.UUID | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    token_hash: str | None = None
    address_hash: str = ""

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


def caller(*, claims: Claims | None, resume_token: str | None, address: str, starting: bool = False) -> Caller:
    """The caller of a simulation request: the signed-in user when a token was verified, else a visitor
    holding a draft's resume token (not needed to start one). Neither → 401."""
    if claims is not None:
        return Caller(user_id=uuid.UUID(claims.sub), claims=claims.raw)
    if not resume_token and not starting:
        raise Unauthorized("Sign in, or send the draft's X-Resume-Token", code="missing_token")
    return Caller(token_hash=hash_token(resume_token) if resume_token else None, address_hash=hash_token(address)[:32])


@contextmanager
def session(who: Caller) -> Iterator[Connection]:
    """The caller's transaction: as the user, or as ``anon`` for a visitor (one call counted)."""
    if not who.anonymous:
        with db.user_transaction(who.claims) as conn:
            yield conn
        return
    with db.anon_transaction() as conn:
        if who.token_hash is not None:
            _limit(conn, who, "calls", get_settings().anonymous_call_limit, CALLS_WINDOW)
        yield conn


def _limit(conn: Connection, who: Caller, kind: str, limit: int, window: dt.timedelta) -> None:
    ratelimit.hit(conn, bucket=f"simulate-{kind}:{who.address_hash}", limit=limit, window=window)


def limit_starts(conn: Connection, who: Caller) -> None:
    """Count one new anonymous draft for the visitor's address (429 past the hourly limit)."""
    _limit(conn, who, "starts", get_settings().anonymous_start_limit, STARTS_WINDOW)


def new_resume_token() -> tuple[str, str]:
    """An opaque token for the visitor and the hash we keep (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
