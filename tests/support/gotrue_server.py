"""A local stand-in for Supabase Auth's admin invite endpoint (`POST /auth/v1/invite`), answering like
GoTrue: the created user, 422 `email_exists` for a registered address, 401 without the service role key."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SERVICE_KEY = "service-role-key-for-tests"


@dataclass
class GoTrueStandIn:
    url: str = ""
    invites: list[dict[str, Any]] = field(default_factory=list)
    registered: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        if parts.path != "/auth/v1/invite":
            return 404, {"code": 404, "error_code": "not_found", "msg": parts.path}
        if headers.get("Authorization") != f"Bearer {SERVICE_KEY}" or headers.get("apikey") != SERVICE_KEY:
            return 401, {"code": 401, "error_code": "no_authorization", "msg": "This endpoint requires a Bearer token"}
        payload = json.loads(body)
        email = str(payload.get("email", "")).lower()
        with self._lock:
            if email in self.registered:
                return 422, {
                    "code": 422,
                    "error_code": "email_exists",
                    "msg": "A user with this email address has already been registered",
                }
            self.registered.add(email)
            redirect = parse_qs(parts.query).get("redirect_to", [""])[0]
            self.invites.append({"email": email, "data": payload.get("data"), "redirect_to": redirect})
        user_id = str(uuid.uuid4())
        return 200, {
            "id": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "invited_at": "2026-12-06T01:00:00Z",
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": payload.get("data") or {},
            "created_at": "2026-12-06T01:00:00Z",
            "updated_at": "2026-12-06T01:00:00Z",
        }


class _Handler(BaseHTTPRequestHandler):
    stand_in: GoTrueStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.stand_in.answer(self.path, self.headers, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def gotrue_stand_in() -> Iterator[GoTrueStandIn]:
    stand_in = GoTrueStandIn()
    handler = type("Handler", (_Handler,), {"stand_in": stand_in})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
