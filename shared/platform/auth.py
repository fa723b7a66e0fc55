"""Verification of Supabase access tokens (JWT), locally, on every request.

Asymmetric keys (ES256/RS256) come from Supabase's JWKS endpoint, cached, or from an inline JWKS
(the local stack); the legacy HS256 secret is a separate branch, used only when configured. The
algorithm is taken from a fixed allow-list, never trusted from the token; ``aud``, ``iss`` and
``exp`` are enforced.

A front end sends the same access token with every request until it refreshes it (an hour); checking
its signature costs about as much as a simple command's SQL. A verifier therefore remembers, for at
most ``VERIFIED_TTL_SECONDS`` and ``VERIFIED_CACHE_SIZE`` tokens, the exact token strings it has
fully verified and their claims; a remembered token is accepted again only while it has not
expired (the same ``exp`` rule, leeway included). A changed byte is another string, verified anew;
``nbf`` and ``iat`` only become truer with time; the short lifetime bounds how long a signing key
removed from the JWKS keeps validating tokens it signed (PyJWT's key cache keeps it 10 minutes).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from shared.platform.errors import Unauthorized
from shared.platform.settings import Settings

ASYMMETRIC = ("ES256", "RS256")
LEEWAY_SECONDS = 10
VERIFIED_TTL_SECONDS = 60
VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Claims:
    """The verified payload of an access token."""

    sub: str
    email: str | None
    raw: dict[str, Any]


class TokenVerifier:
    """Verifies tokens for one configuration; thread-safe, keys cached."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._jwks_client: jwt.PyJWKClient | None = None
        self._static_keys: dict[str, jwt.PyJWK] = {}
        # token → (remembered until, its claims): see the module's docstring
        self._verified: OrderedDict[str, tuple[float, Claims]] = OrderedDict()
        if settings.jwks_json:
            for key in jwt.PyJWKSet.from_json(settings.jwks_json).keys:
                self._static_keys[str(key.key_id or "")] = key

    @property
    def _has_asymmetric(self) -> bool:
        return bool(self._static_keys) or bool(self._settings.jwks_endpoint)

    def _asymmetric_key(self, token: str, kid: str | None) -> jwt.PyJWK:
        if self._static_keys:
            key = self._static_keys.get(kid or "") or (
                next(iter(self._static_keys.values())) if len(self._static_keys) == 1 and not kid else None
            )
            if key is None:
                raise Unauthorized("Unknown signing key", code="invalid_token")
            return key
        with self._lock:
            if self._jwks_client is None:
                self._jwks_client = jwt.PyJWKClient(
                    self._settings.jwks_endpoint, cache_jwk_set=True, lifespan=600, timeout=5
                )
        try:
            return self._jwks_client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as exc:
            raise Unauthorized("Unknown signing key", code="invalid_token") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("Malformed token", code="invalid_token") from exc

    def verify(self, token: str) -> Claims:
        """Return the claims of a valid token, else raise :class:`Unauthorized`."""
        now = time.time()
        with self._lock:
            remembered = self._verified.get(token)
        if remembered is not None and now < remembered[0]:
            claims = remembered[1]
            return Claims(sub=claims.sub, email=claims.email, raw=dict(claims.raw))
        claims = self._verify(token)
        exp = claims.raw["exp"]
        until = min(now + VERIFIED_TTL_SECONDS, float(exp) + LEEWAY_SECONDS)
        with self._lock:
            self._verified[token] = (until, claims)
            self._verified.move_to_end(token)
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return Claims(sub=claims.sub, email=claims.email, raw=dict(claims.raw))

    def _verify(self, token: str) -> Claims:
        header = _unverified_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(kid, str | None):
            raise Unauthorized("Malformed token", code="invalid_token")
        if alg in ASYMMETRIC and self._has_asymmetric:
            jwk = self._asymmetric_key(token, kid)
            # A key verifies only its own algorithm: an RS256 header naming an EC key (or the reverse)
            # is refused by PyJWT as such, instead of reaching the wrong verifier.
            key, algorithms = jwk.key, [jwk.algorithm_name]
            if jwk.algorithm_name not in ASYMMETRIC:
                raise Unauthorized("Token algorithm not accepted", code="invalid_token")
        elif alg == "HS256" and self._settings.jwt_secret:
            key, algorithms = self._settings.jwt_secret.value, ["HS256"]
        else:
            raise Unauthorized("Token algorithm not accepted", code="invalid_token")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._settings.jwt_audience,
                issuer=self._settings.issuer or None,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub", "aud", "iss"] if self._settings.issuer else ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token expired", code="token_expired") from exc
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            # PyJWTError covers what PyJWT means to raise; a key or signature the cryptography backend
            # cannot use (wrong key type, garbled DER) surfaces as TypeError or ValueError.
            raise Unauthorized("Invalid token", code="invalid_token") from exc
        if payload.get("role", "authenticated") != "authenticated":
            raise Unauthorized("Token is not a user token", code="invalid_token")
        email = payload.get("email")
        if not _is_uuid(payload["sub"]) or not isinstance(email, str | None):
            raise Unauthorized("Token subject is not a user id", code="invalid_token")
        return Claims(sub=str(payload["sub"]), email=email, raw=payload)


def _unverified_header(token: str) -> dict[str, Any]:
    """The token's header, only to choose the key: ``jwt.decode`` then checks the whole token
    (sparing it a second parse of the whole token)."""
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise Unauthorized("Malformed token", code="invalid_token") from exc
    if not isinstance(header, dict):
        raise Unauthorized("Malformed token", code="invalid_token")
    return header


def _is_uuid(value: object) -> bool:
    """Supabase user ids are UUIDs; functions parse ``sub`` as one."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


@lru_cache(maxsize=8)
def verifier_for(settings: Settings) -> TokenVerifier:
    """One verifier (and key cache) per settings."""
    return TokenVerifier(settings)


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer ...`` header."""
    if not header:
        raise Unauthorized("Missing bearer token", code="missing_token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'", code="missing_token")
    return token.strip()
