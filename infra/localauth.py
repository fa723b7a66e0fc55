"""The local stack's token issuer: an ES256 key generated on first run under .local/keys/.

It stands in for Supabase Auth locally: `fintrack token EMAIL` mints an access token with the
same claims Supabase puts in one, and the functions verify it through an inline JWKS exactly as
they verify Supabase's tokens through its JWKS endpoint. The key is never committed.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

LOCAL_SUPABASE_URL = "http://127.0.0.1:54321"
LOCAL_ISSUER = f"{LOCAL_SUPABASE_URL}/auth/v1"
AUDIENCE = "authenticated"


class LocalIssuer:
    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._key: ec.EllipticCurvePrivateKey | None = None

    @property
    def key(self) -> ec.EllipticCurvePrivateKey:
        if self._key is None:
            path = self.keys_dir / "jwt-es256.pem"
            if not path.exists():
                self.keys_dir.mkdir(parents=True, exist_ok=True)
                pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(loaded, ec.EllipticCurvePrivateKey)
            self._key = loaded
        return self._key

    @property
    def kid(self) -> str:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return uuid.uuid5(uuid.NAMESPACE_OID, public.hex()).hex[:16]

    def jwks_json(self) -> str:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "ES256", "use": "sig"})
        return json.dumps({"keys": [jwk]})

    def mint(self, *, user_id: str, email: str, ttl: int = 3600, extra: dict[str, Any] | None = None) -> str:
        """An access token shaped like Supabase Auth's."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "sub": user_id,
            "email": email,
            "phone": "",
            "role": "authenticated",
            "aal": "aal1",
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
            "iat": now,
            "exp": now + ttl,
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
        }
        claims.update(extra or {})
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid})


def local_secret(keys_dir: Path, name: str) -> str:
    """A random local secret (signed URLs, cron calls), generated on first use and kept under keys_dir."""
    path = keys_dir / f"{name}.key"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    return path.read_text().strip()
