"""Signing keys and tokens for tests: an ES256 JWKS like Supabase's, and a legacy HS256 secret."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "http://127.0.0.1:54321/auth/v1"
HS_SECRET = "test-legacy-jwt-secret-with-at-least-32-bytes!"


class KeyPair:
    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwks_json(self) -> str:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": self.kid, "alg": "ES256", "use": "sig"})
        return json.dumps({"keys": [jwk]})

    def token(self, subject: uuid.UUID | str, *, email: str = "", **overrides: Any) -> str:
        return jwt.encode(
            claims(subject, email=email, **overrides),
            self.private,
            algorithm="ES256",
            headers={"kid": self.kid},
        )


def claims(subject: uuid.UUID | str, *, email: str = "", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "authenticated",
        "sub": str(subject),
        "email": email,
        "role": "authenticated",
        "iat": now,
        "exp": now + 600,
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}
