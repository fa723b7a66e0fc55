"""Verification against a JWKS endpoint over real HTTP (as with Supabase's), keys fetched once."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient

from shared.platform.settings import Secret, Settings
from tests.support.tokens import KeyPair, claims


class _Jwks:
    def __init__(self, document: str) -> None:
        self.document = document
        self.hits = 0


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, _Jwks, KeyPair, rsa.RSAPrivateKey]]:
    es = KeyPair(kid="es-key")
    rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rs.public_key()))
    rs_jwk.update({"kid": "rs-key", "alg": "RS256", "use": "sig"})
    state = _Jwks(json.dumps({"keys": [*json.loads(es.jwks_json())["keys"], rs_jwk]}))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/auth/v1/.well-known/jwks.json":
                self.send_error(404)
                return
            state.hits += 1
            body = state.document.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state, es, rs
    server.shutdown()
    server.server_close()


def test_es256_and_rs256_from_the_jwks_endpoint_fetched_once(
    jwks_server: tuple[str, _Jwks, KeyPair, rsa.RSAPrivateKey],
    use: Callable[..., Settings],
    client_for: Callable[[str], FlaskClient],
) -> None:
    url, state, es, rs = jwks_server
    use(supabase_url=url, jwks_json="", jwt_issuer="", jwt_secret=Secret(""))
    me = client_for("me")
    issuer = f"{url}/auth/v1"
    for _ in range(3):
        token = es.token(uuid.uuid4(), iss=issuer)
        assert me.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    rs_token = jwt.encode(claims(uuid.uuid4(), iss=issuer), rs, algorithm="RS256", headers={"kid": "rs-key"})
    assert me.get("/", headers={"Authorization": f"Bearer {rs_token}"}).status_code == 200
    assert state.hits == 1  # cached
    wrong_issuer = es.token(uuid.uuid4())  # the static test issuer, not this project's
    assert me.get("/", headers={"Authorization": f"Bearer {wrong_issuer}"}).status_code == 401
    unknown = KeyPair(kid="rotated-away").token(uuid.uuid4(), iss=issuer)
    assert me.get("/", headers={"Authorization": f"Bearer {unknown}"}).status_code == 401
