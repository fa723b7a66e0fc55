"""A local HTTP server that answers like Resend's batch API, for tests and benchmarks.

``POST /emails/batch`` with a bearer key and an ``Idempotency-Key``: the first request of a key
sends (recorded in ``deliveries``) and answers ids; a repeat of the same key and payload answers the
same ids without sending; the same key with another payload is a 409. ``POST /emails`` (the single
send, which alone takes attachments) answers ``{"id": ...}`` under the same key rules; its message is
recorded as a delivery of one (``singles`` lists the keys sent that way). ``fail_next(status, n,
retry_after)`` makes the next ``n`` requests fail with that status (429 carries ``retry-after``);
``down_until`` makes every request fail with 500 until a monotonic instant.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "re_test_local_key"


@dataclass
class ResendStandIn:
    url: str = ""
    deliveries: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    requests: int = 0
    singles: list[str] = field(default_factory=list)
    down_until: float = 0.0
    _answers: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    _failures: list[tuple[int, float | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, count: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [email for _, batch in self.deliveries for email in batch]

    def answer(
        self, key: str | None, auth: str | None, body: bytes, *, single: bool = False
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.requests += 1
            if auth != f"Bearer {API_KEY}":
                return 401, {}, {"statusCode": 401, "name": "missing_api_key", "message": "Missing API key"}
            if time.monotonic() < self.down_until:
                return 500, {}, {"statusCode": 500, "name": "application_error", "message": "down"}
            if self._failures:
                status, retry_after = self._failures.pop(0)
                headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
                name = "rate_limit_exceeded" if status == 429 else "application_error"
                return status, headers, {"statusCode": status, "name": name, "message": "planned failure"}
            batch = json.loads(body)
            if single:
                if not isinstance(batch, dict) or not batch.get("to"):
                    return 422, {}, {"statusCode": 422, "name": "validation_error", "message": "one email"}
                batch = [batch]
            elif not isinstance(batch, list) or not 1 <= len(batch) <= 100:
                return 422, {}, {"statusCode": 422, "name": "validation_error", "message": "1 to 100 emails"}
            digest = json.dumps(batch, sort_keys=True)
            if key is not None and key in self._answers:
                seen_digest, ids = self._answers[key]
                if seen_digest != digest:
                    return 409, {}, {"statusCode": 409, "name": "invalid_idempotent_request", "message": "reused"}
                return 200, {}, {"id": ids[0]} if single else {"data": [{"id": i} for i in ids]}
            ids = [str(uuid.uuid4()) for _ in batch]
            if key is not None:
                self._answers[key] = (digest, ids)
            self.deliveries.append((key or "", batch))
            if single:
                self.singles.append(key or "")
                return 200, {}, {"id": ids[0]}
            return 200, {}, {"data": [{"id": i} for i in ids]}


class _Handler(BaseHTTPRequestHandler):
    stand_in: ResendStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path not in ("/emails/batch", "/emails"):
            status, headers, payload = 404, {}, {"statusCode": 404, "name": "not_found", "message": self.path}
        else:
            status, headers, payload = self.stand_in.answer(
                self.headers.get("Idempotency-Key"),
                self.headers.get("Authorization"),
                body,
                single=self.path == "/emails",
            )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def resend_stand_in() -> Iterator[ResendStandIn]:
    """A running stand-in on a free localhost port, stopped afterwards."""
    stand_in = ResendStandIn()
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
