"""Sending email: a small port with a Resend adapter, a file adapter for the local stack and a
memory adapter for unit tests.

A message with attachments (the scheduled reports) goes alone through :meth:`Mailer.send` (Resend's
single send; its batch call takes no attachments), under its batch's key like any batch.
A batch is sent under one idempotency key: sending the same batch again with the same key must not
send anything twice (Resend keeps keys for 24 hours). Vendor errors become :class:`MailRetryable`
(429, 5xx, transport: try again later, with the same key) or :class:`MailRejected` (any other 4xx:
trying again cannot help), raised ``from`` the SDK's exception.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from shared.platform.settings import Settings

BATCH_LIMIT = 100  # Resend's batch call takes at most 100 messages


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Email:
    """One message; ``message_id`` is ours (the outbox row), used to name local files."""

    message_id: str
    sender: str
    to: str
    subject: str
    html: str
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


class MailError(Exception):
    """Sending failed; ``message`` is safe to store and show to admins."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MailRetryable(MailError):
    """Try again later with the same key; ``retry_after`` seconds when the provider said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MailRejected(MailError):
    """The provider refused the batch for good (bad address, bad key, invalid content)."""


class Mailer(Protocol):
    def send_batch(self, emails: Sequence[Email], *, idempotency_key: str) -> list[str]:
        """Send up to :data:`BATCH_LIMIT` messages; the provider's ids, in the same order."""
        ...

    def send(self, email: Email, *, idempotency_key: str) -> str:
        """Send one message, with its attachments; the provider's id."""
        ...


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


class ResendMailer:
    """Resend through its Python SDK (``resend.Batch.send``)."""

    def __init__(self, api_key: str, api_url: str = "https://api.resend.com") -> None:
        import resend

        # The SDK reads these module-level values on every call; one configuration per process.
        resend.api_key = api_key
        resend.api_url = api_url.rstrip("/")

    def __repr__(self) -> str:
        return "ResendMailer()"

    def send_batch(self, emails: Sequence[Email], *, idempotency_key: str) -> list[str]:
        import resend
        from resend.exceptions import ResendError

        if not 1 <= len(emails) <= BATCH_LIMIT:
            raise ValueError(f"a batch holds 1 to {BATCH_LIMIT} messages")
        params: list[Any] = [
            {
                "from": e.sender,
                "to": [e.to],
                "subject": e.subject,
                "html": e.html,
                "text": e.text,
                "headers": dict(e.headers),
            }
            for e in emails
        ]
        try:
            answer = resend.Batch.send(params, {"idempotency_key": idempotency_key})
        except ResendError as exc:
            raise _translate(exc) from exc
        ids = [str(item["id"]) for item in answer["data"]]
        if len(ids) != len(emails):
            raise MailRetryable(f"Resend answered {len(ids)} ids for {len(emails)} messages")
        return ids

    def send(self, email: Email, *, idempotency_key: str) -> str:
        import base64

        import resend
        from resend.exceptions import ResendError

        params: Any = {
            "from": email.sender,
            "to": [email.to],
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
            "headers": dict(email.headers),
            "attachments": [
                {
                    "filename": a.filename,
                    "content": base64.b64encode(a.content).decode("ascii"),
                    "content_type": a.content_type,
                }
                for a in email.attachments
            ],
        }
        try:
            answer = resend.Emails.send(params, {"idempotency_key": idempotency_key})
        except ResendError as exc:
            raise _translate(exc) from exc
        if not answer.get("id"):
            raise MailRetryable("Resend answered no id")
        return str(answer["id"])


def _translate(exc: Any) -> MailError:
    """A Resend SDK error as :class:`MailRetryable` (429, 5xx, a request of the key in flight) or
    :class:`MailRejected` (any other 4xx)."""
    status = int(exc.code) if str(exc.code).isdigit() else 500
    text = f"Resend {status} {exc.error_type}: {exc.message}"[:500]
    # Another request with this key is still in flight: it will settle, ask again later.
    in_flight = status == 409 and exc.error_type == "concurrent_idempotent_requests"
    if status == 429 or status >= 500 or in_flight:
        return MailRetryable(text, _retry_after(exc.headers))
    return MailRejected(text)


def to_eml(email: Email) -> bytes:
    """The message as an RFC 5322 file with a text and an HTML part, then its attachments."""
    from datetime import UTC, datetime

    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=email.message_id)
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        main, _, sub = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=main, subtype=sub, filename=attachment.filename)
    return bytes(message)


class FileMailer:
    """The local stack's mail: ``<directory>/<message_id>.eml``; a resent batch rewrites the same files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"FileMailer({str(self.directory)!r})"

    def send_batch(self, emails: Sequence[Email], *, idempotency_key: str) -> list[str]:
        self.directory.mkdir(parents=True, exist_ok=True)
        for email in emails:
            target = self.directory / f"{email.message_id}.eml"
            partial = target.with_suffix(".eml.part")
            partial.write_bytes(to_eml(email))
            partial.replace(target)
        return [f"file:{email.message_id}" for email in emails]

    def send(self, email: Email, *, idempotency_key: str) -> str:
        return self.send_batch([email], idempotency_key=idempotency_key)[0]


class MemoryMailer:
    """Records batches and single sends; answers a repeated key with the first answer, like Resend."""

    def __init__(self) -> None:
        self.batches: dict[str, list[Email]] = {}
        self.singles: dict[str, Email] = {}
        self._lock = threading.Lock()

    def send_batch(self, emails: Sequence[Email], *, idempotency_key: str) -> list[str]:
        with self._lock:
            sent = self.batches.setdefault(idempotency_key, list(emails))
        return [f"memory:{idempotency_key}:{index}" for index in range(len(sent))]

    def send(self, email: Email, *, idempotency_key: str) -> str:
        with self._lock:
            self.singles.setdefault(idempotency_key, email)
        return f"memory:{idempotency_key}"

    @property
    def sent(self) -> list[Email]:
        return [email for batch in self.batches.values() for email in batch] + list(self.singles.values())


def mailer_from_settings(settings: Settings) -> Mailer:
    """Resend when an API key is configured, else files under ``mail_dir``."""
    if settings.resend_api_key:
        return ResendMailer(settings.resend_api_key.value, settings.resend_api_url)
    return FileMailer(Path(settings.mail_dir))
