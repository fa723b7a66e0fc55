"""Outgoing webhooks: signing per the Standard Webhooks specification and posting to a receiver.

Signing uses the ``standardwebhooks`` package (the specification's reference implementation), so a
receiver verifies with any Standard Webhooks or Svix library. Posting refuses, unless the local
stack allows it, addresses a customer must not make us call: anything that is not ``https``, and
hosts that resolve to loopback, private, link-local or reserved addresses (a registered URL must not
reach into our own network). Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Attempt:
    """What the receiver answered: its HTTP status, or ``None`` with an error when none came back."""

    status: int | None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt: ...


def sign(secret: str, message_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``."""
    from standardwebhooks import Webhook

    signature = Webhook(secret).sign(message_id, timestamp, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def refusal(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` may not be called, or ``None``."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        return "the URL must use https"
    if not parts.hostname:
        return "the URL has no host"
    if allow_private:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        return f"the host {parts.hostname} does not resolve"
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            return f"the host {parts.hostname} resolves to a non-public address"
    return None


class HttpxSender:
    """Posts with httpx, no redirects, a short timeout; never raises for a receiver's failure."""

    def __init__(self, *, allow_private: bool = False, timeout: float = TIMEOUT_SECONDS) -> None:
        self.allow_private = allow_private
        self.timeout = timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        import httpx

        reason = refusal(url, allow_private=self.allow_private)
        if reason is not None:
            return Attempt(status=None, error=reason)
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=self.timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            return Attempt(status=None, error=f"{type(exc).__name__}: could not reach the endpoint")
        return Attempt(status=response.status_code, error=None if 200 <= response.status_code < 300 else "non-2xx")
