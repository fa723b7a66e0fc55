"""Use cases of the email outbox: dispatching queued mail, recording delivery events.

The dispatcher claims one batch per short transaction, sends it outside any transaction, then
records the outcome fenced by the batch's attempt number. A message with attachments is a batch of its
own, sent through the single send under the batch's key. Sending happens at least once per batch
and Resend's idempotency key makes it exactly once: a dispatcher that dies after Resend accepted a
batch leaves a lease that expires, and whoever takes the batch over resends the same key and gets
the same ids back. Safe to run several times at once.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from shared.adapters import webhook
from shared.adapters.mail import Attachment, Mailer, MailRejected, MailRetryable
from shared.adapters.webhook import WebhookSender
from shared.notifications import repository, unsubscribe
from shared.notifications.models import (
    DELIVERY_EVENTS,
    RETRY_DELAYS_SECONDS,
    CleanupOut,
    DigestOut,
    DispatchOut,
    EmailEventOut,
    UnsubscribeOut,
    WebhookRunOut,
)
from shared.notifications.render import Branding, render
from shared.platform import db
from shared.platform.errors import Unauthorized, Unprocessable, field_error
from shared.platform.settings import Settings

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120  # longer than one batch call (the SDK's timeout is 30 s)
TIME_BUDGET_SECONDS = 50.0  # no new batch is claimed after this; the schedule runs every minute
MAX_BATCHES_PER_RUN = 20


def retry_delay(attempt: int, retry_after: float | None) -> float | None:
    """Seconds before the next try after failed attempt ``attempt`` (1-based); None: give up."""
    if attempt > len(RETRY_DELAYS_SECONDS):
        return None
    return max(float(RETRY_DELAYS_SECONDS[attempt - 1]), retry_after or 0.0)


def send_one_batch(mailer: Mailer, *, sender: str, links: repository.Links | None = None) -> str | None:
    """Claim, send and record one batch: ``sent``, ``retrying``, ``failed``, ``lost``; None if idle."""
    with db.service_transaction() as conn:
        batch = repository.claim(conn, lease_seconds=LEASE_SECONDS, sender=sender, links=links)
    if batch is None:
        return None
    if not batch.emails:  # every message of an old batch was settled elsewhere
        with db.service_transaction() as conn:
            return "sent" if repository.record_sent(conn, batch, []) else "lost"
    try:
        if len(batch.emails) == 1 and batch.emails[0].attachments:  # alone, through the single send
            ids = [mailer.send(batch.emails[0], idempotency_key=batch.key)]
        else:
            ids = mailer.send_batch(batch.emails, idempotency_key=batch.key)
    except MailRetryable as exc:
        delay = retry_delay(batch.attempt, exc.retry_after)
        with db.service_transaction() as conn:
            if delay is None:
                return "failed" if repository.record_failed(conn, batch, exc.message) else "lost"
            return "retrying" if repository.record_retry(conn, batch, exc.message, delay) else "lost"
    except MailRejected as exc:
        logger.warning("email batch %s rejected: %s", batch.id, exc.message)
        with db.service_transaction() as conn:
            return "failed" if repository.record_failed(conn, batch, exc.message) else "lost"
    with db.service_transaction() as conn:
        return "sent" if repository.record_sent(conn, batch, ids) else "lost"


def dispatch(
    mailer: Mailer,
    *,
    sender: str,
    budget_seconds: float = TIME_BUDGET_SECONDS,
    links: repository.Links | None = None,
    max_batches: int = MAX_BATCHES_PER_RUN,
) -> DispatchOut:
    """Send due mail batch after batch until none is due, the budget is spent or the quota reached."""
    counts = {"batches": 0, "sent": 0, "retrying": 0, "failed": 0, "lost": 0}
    deadline = time.monotonic() + budget_seconds
    for _ in range(max_batches):
        if time.monotonic() > deadline:
            break
        outcome = send_one_batch(mailer, sender=sender, links=links)
        if outcome is None:
            break
        counts["batches"] += 1
        counts[outcome] += 1
    return DispatchOut(**counts)


def receive_event(*, secret: str, raw_body: bytes, headers: dict[str, str]) -> EmailEventOut:
    """Verify a Resend (Svix-signed) delivery event on its raw body and record it once."""
    import resend

    if not secret:
        raise Unauthorized("Delivery events are not accepted: no webhook secret is configured", code="no_secret")
    try:
        body = raw_body.decode("utf-8")
        event = resend.Webhooks.verify(
            {
                "payload": body,
                "headers": {
                    "id": headers.get("svix-id", ""),
                    "timestamp": headers.get("svix-timestamp", ""),
                    "signature": headers.get("svix-signature", ""),
                },
                "webhook_secret": secret,
            }
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unauthorized("The delivery event's signature does not verify", code="invalid_signature") from exc
    event_type = event.get("type")
    data = event.get("data")
    if not isinstance(event_type, str) or not isinstance(data, dict):
        raise Unprocessable(errors=[field_error("type", "required", "An event has a type and an object of data")])
    delivery = DELIVERY_EVENTS.get(event_type)
    suppress = None
    if delivery == "complained":
        suppress = "complained"
    elif delivery == "bounced":
        bounce = data.get("bounce")
        kind = bounce.get("type") if isinstance(bounce, dict) else None
        suppress = None if isinstance(kind, str) and kind.lower() == "transient" else "bounced"
    resend_id = data.get("email_id")
    with db.service_transaction() as conn:
        recorded = repository.record_event(
            conn,
            svix_id=headers["svix-id"],
            event_type=event_type,
            resend_id=resend_id if isinstance(resend_id, str) else None,
            payload=json.dumps(event),
            delivery=delivery,
            suppress=suppress,
        )
    return EmailEventOut(recorded=recorded, duplicate=not recorded, delivery=delivery)


def unsubscribe_from(*, secret: str, token: str) -> UnsubscribeOut:
    """Turn off the email of the token's event for the token's user, acting as that user (the signed
    token is their one-click consent); essential email cannot be turned off (422)."""
    target = unsubscribe.read_token(secret, token)
    with db.user_transaction({"sub": str(target.user_id), "aud": "authenticated"}) as conn:
        repository.disable_email(conn, event=target.event)
    return UnsubscribeOut(event=target.event)


def queue_attached_email(
    conn: db.Connection,
    *,
    organization_id: str,
    key: str,
    user_id: str,
    event: str,
    template: str,
    values: dict[str, object],
    locale: str,
    attachments: tuple[Attachment, ...],
) -> bool:
    """In the caller's (service) transaction: one templated message with attachments; for a non-essential
    event, none when the user turned its email off or the address is suppressed. True when queued."""
    return repository.enqueue_attached(
        conn, organization_id=organization_id, key=key, user_id=user_id, event=event, template=template,
        values=dict(values), locale=locale, attachments=attachments,
    )  # fmt: skip


def compose_digests() -> DigestOut:
    """Queue the daily digests that are due (08:30 local on working days), once per user, organization and day."""
    with db.service_transaction() as conn:
        return DigestOut(digests=repository.compose_digests(conn))


def clean_up() -> CleanupOut:
    """Read notifications after 180 days, the delivery log (mail and its events) after 12 months."""
    with db.service_transaction() as conn:
        return CleanupOut(**repository.purge(conn))


# --- outgoing webhooks --------------------------------------------------------------------------------
# Waits after a failed attempt (Standard Webhooks' recommended schedule), then the delivery fails.
WEBHOOK_RETRY_SECONDS: tuple[int, ...] = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
WEBHOOK_GIVE_UP_DAYS = 3
WEBHOOK_BATCH = 20


def _notify_endpoint_disabled(conn: db.Connection, delivery: dict[str, object], settings: Settings) -> None:
    """Tell the organization's owners and admins that an endpoint was switched off (essential mail)."""
    for admin in repository.organization_admins(conn, str(delivery["organization_id"])):
        lang = str(admin["locale"])
        title = "Point de terminaison webhook désactivé" if lang == "fr" else "Webhook endpoint disabled"
        body = (
            f"{delivery['url']} échoue depuis {WEBHOOK_GIVE_UP_DAYS} jours : plus rien ne lui est envoyé. "
            "Corrigez-le puis réactivez-le pour reprendre les envois."
            if lang == "fr"
            else f"{delivery['url']} has been failing for {WEBHOOK_GIVE_UP_DAYS} days: nothing is sent to it any more. "
            "Fix it, then enable it again to resume deliveries."
        )
        mail = render(
            "webhook_disabled",
            lang,
            {"title": title, "body": body, "company": ""},
            organization=Branding(str(admin["organization"]), str(admin["primary_color"]), str(admin["legal_footer"])),
            recipient_name=str(admin["name"]),
        )
        repository.enqueue_email(
            conn,
            organization_id=str(delivery["organization_id"]),
            key=f"webhook-disabled:{delivery['endpoint_id']}:{delivery['id']}:{admin['user_id']}",
            recipient_id=admin["user_id"],
            to=str(admin["email"]),
            subject=mail.subject,
            html=mail.html,
            text=mail.text,
            event="webhook_disabled",
            essential=True,
        )


def deliver_webhooks(
    sender: WebhookSender, settings: Settings, *, budget_seconds: float = TIME_BUDGET_SECONDS
) -> WebhookRunOut:
    """Post due deliveries, signed, one claimed group at a time, until none is due or the budget is spent."""
    counts = {"succeeded": 0, "retrying": 0, "failed": 0, "lost": 0, "disabled": 0}
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        with db.service_transaction() as conn:
            claimed = repository.claim_deliveries(conn, limit=WEBHOOK_BATCH, lease_seconds=LEASE_SECONDS)
        if not claimed:
            break
        for delivery in claimed:
            body = json.dumps(
                {
                    "type": delivery["event_type"],
                    "timestamp": datetime.now(UTC).isoformat(),
                    "data": delivery["payload"],
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            headers = webhook.sign(str(delivery["secret"]), str(delivery["message_id"]), datetime.now(UTC), body)
            attempt = sender.post(str(delivery["url"]), body, headers)
            attempts = int(str(delivery["attempts"]))
            retry_in = (
                None
                if attempt.succeeded or attempts > len(WEBHOOK_RETRY_SECONDS)
                else WEBHOOK_RETRY_SECONDS[attempts - 1]
            )
            with db.service_transaction() as conn:
                if not repository.record_delivery(
                    conn,
                    delivery=delivery,
                    status_code=attempt.status,
                    error=None if attempt.succeeded else (attempt.error or "failed"),
                    retry_in=float(retry_in) if retry_in is not None else None,
                ):
                    counts["lost"] += 1
                    continue
                if repository.endpoint_health(
                    conn,
                    endpoint_id=str(delivery["endpoint_id"]),
                    succeeded=attempt.succeeded,
                    give_up_after_days=WEBHOOK_GIVE_UP_DAYS,
                ):
                    counts["disabled"] += 1
                    _notify_endpoint_disabled(conn, delivery, settings)
            counts["succeeded" if attempt.succeeded else ("retrying" if retry_in is not None else "failed")] += 1
    return WebhookRunOut(**counts)
