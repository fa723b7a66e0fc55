"""A local webhook receiver that verifies Standard Webhooks signatures, for tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    secret: str
    url: str = ""
    status: int = 204
    verified: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    ids: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        from standardwebhooks import Webhook
        from standardwebhooks.webhooks import WebhookVerificationError

        with self._lock:
            try:
                payload = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                self.rejected += 1
                return 401
            self.verified.append(payload)
            self.ids.append(headers["webhook-id"])
            return self.status


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = self.receiver.receive(body, {k.lower(): v for k, v in self.headers.items()})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def webhook_receiver(secret: str) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"receiver": receiver}))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/fintrack"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
