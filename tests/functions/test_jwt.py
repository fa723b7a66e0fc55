"""Every way a token can be wrong is a 401, on every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from flask.testing import FlaskClient

from shared.platform.settings import Secret, Settings
from tests.support.tokens import HS_SECRET, KeyPair, claims


@pytest.fixture
def me(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("me")


def _status(client: FlaskClient, token: str) -> tuple[int, str]:
    response = client.get("/", headers={"Authorization": f"Bearer {token}"})
    body = response.get_json()
    return response.status_code, body.get("code", "") if response.status_code != 200 else "ok"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_valid_es256_token_passes(me: FlaskClient, keys: KeyPair) -> None:
    assert _status(me, keys.token(uuid.uuid4())) == (200, "ok")


def test_alg_none_is_refused(me: FlaskClient) -> None:
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(uuid.uuid4()))}."
    assert _status(me, token) == (401, "invalid_token")


def test_expired_token_is_refused(me: FlaskClient, keys: KeyPair) -> None:
    past = int(time.time()) - 3600
    assert _status(me, keys.token(uuid.uuid4(), iat=past - 600, exp=past)) == (401, "token_expired")


@pytest.mark.parametrize(
    "override",
    [
        {"aud": "anon"},
        {"aud": "other"},
        {"iss": "https://evil.test/auth/v1"},
        {"iss": None},
        {"exp": None},
        {"sub": None},
    ],
)
def test_wrong_or_missing_claims_are_refused(me: FlaskClient, keys: KeyPair, override: dict[str, object]) -> None:
    assert _status(me, keys.token(uuid.uuid4(), **override)) == (401, "invalid_token")


def test_bad_signature_is_refused(me: FlaskClient) -> None:
    impostor = KeyPair(kid="test-key")  # same kid, another private key
    assert _status(me, impostor.token(uuid.uuid4())) == (401, "invalid_token")


def test_unknown_kid_is_refused(me: FlaskClient) -> None:
    assert _status(me, KeyPair(kid="other").token(uuid.uuid4())) == (401, "invalid_token")


def test_hs256_is_refused_when_only_jwks_is_configured(
    me: FlaskClient, keys: KeyPair, use: Callable[..., Settings]
) -> None:
    use(jwt_secret=Secret(""))
    token = jwt.encode(claims(uuid.uuid4()), HS_SECRET, algorithm="HS256")
    assert _status(me, token) == (401, "invalid_token")
    # The classic confusion attack: HS256 "signed" with the public key as the secret.
    public_pem = keys.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'test-key'})}.{_b64(claims(uuid.uuid4()))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert _status(me, forged) == (401, "invalid_token")


def test_legacy_hs256_is_accepted_when_configured(me: FlaskClient) -> None:
    assert _status(me, jwt.encode(claims(uuid.uuid4()), HS_SECRET, algorithm="HS256")) == (200, "ok")
    assert (
        _status(me, jwt.encode(claims(uuid.uuid4()), "not-the-secret-but-long-enough-32b!", algorithm="HS256"))[0]
        == 401
    )


def test_service_role_tokens_are_not_user_tokens(me: FlaskClient, keys: KeyPair) -> None:
    assert _status(me, keys.token(uuid.uuid4(), role="service_role")) == (401, "invalid_token")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer " + "x" * 5000,
        "Bearer WzFd.e30.AAAA",  # a header that is a JSON array
        "Bearer __8.e30.AAAA",  # a header that is not UTF-8
        "Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA",  # a fine header, a forged signature
    ],
)
def test_garbage_is_refused(me: FlaskClient, header: str) -> None:
    response = me.get("/", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


# --- the verifier's memory of tokens it has verified (shared/platform/auth.py) ---------------------
def test_a_remembered_token_still_expires(me: FlaskClient, keys: KeyPair) -> None:
    # Expired 8 s ago: still inside the 10 s leeway, so accepted (and remembered) now…
    now = int(time.time())
    token = keys.token(uuid.uuid4(), iat=now - 600, exp=now - 8)
    assert _status(me, token) == (200, "ok")
    assert _status(me, token) == (200, "ok")
    # …and refused as expired once the leeway is over, remembered or not.
    time.sleep(max(0.0, now + 2.5 - time.time()))
    assert _status(me, token) == (401, "token_expired")


def test_a_remembered_token_with_one_byte_changed_is_verified_anew(me: FlaskClient, keys: KeyPair) -> None:
    token = keys.token(uuid.uuid4())
    assert _status(me, token) == (200, "ok")
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert _status(me, f"{head}.{payload}.{flipped}") == (401, "invalid_token")
    # Another subject's payload under the remembered token's signature is not remembered either.
    other = keys.token(uuid.uuid4()).split(".")[1]
    assert _status(me, f"{head}.{other}.{signature}") == (401, "invalid_token")
    assert _status(me, token) == (200, "ok")


def test_remembered_claims_are_a_copy_for_each_request(settings: Settings, keys: KeyPair) -> None:
    from shared.platform.auth import TokenVerifier

    verifier = TokenVerifier(settings)
    token = keys.token(uuid.uuid4(), email="copy@example.test")
    first = verifier.verify(token)
    first.raw["role"] = "service_role"
    second = verifier.verify(token)
    assert second.raw["role"] == "authenticated" and second.email == "copy@example.test"
    assert second.sub == first.sub
