"""SQL of the email outbox: batches claimed under a lease, outcomes fenced by the attempt number."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from shared.adapters.mail import BATCH_LIMIT, Attachment, Email
from shared.platform.db import Connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Links:
    """Where one-click unsubscribe links point (the API) and the secret that signs them (none without a
    secret); where an email's own link leads (the front end: ``Settings.app_url``)."""

    base_url: str = ""
    secret: str = ""
    app_url: str = ""

    def unsubscribe_url(self, user_id: str, event: str) -> str | None:
        from shared.notifications import unsubscribe

        if not self.secret:
            return None
        token = unsubscribe.make_token(self.secret, uuid.UUID(user_id), event)
        return f"{self.base_url.rstrip('/')}/notifications/unsubscribe?token={token}"


@dataclass(frozen=True)
class Batch:
    id: str
    key: str
    attempt: int
    outbox_ids: tuple[str, ...]
    emails: tuple[Email, ...]


_RETAKE = """
update public.email_batches b
set status = 'sending', attempts = b.attempts + 1, locked_until = now() + make_interval(secs => %(lease)s)
where b.id = (select x.id from public.email_batches x
              where x.status in ('pending', 'sending') and x.next_attempt_at <= now()
                and (x.locked_until is null or x.locked_until < now())
              order by x.next_attempt_at, x.id limit 1 for update skip locked)
returning b.id::text as id, b.idempotency_key as key, b.attempts as attempt, b.sender
"""

_FREEZE = """
with due as (
  select o.id from public.email_outbox o
  where o.status = 'queued' and o.send_after <= now() and o.has_attachments = %(attached)s
  order by o.send_after, o.id limit %(limit)s for update skip locked
),
batch as (
  insert into public.email_batches (idempotency_key, sender, status, attempts, locked_until)
  select 'batch:' || gen_random_uuid(), %(sender)s, 'sending', 1, now() + make_interval(secs => %(lease)s)
  where exists (select 1 from due)
  returning id, idempotency_key, attempts, sender
),
frozen as (
  update public.email_outbox o set status = 'sending', batch_id = batch.id
  from batch, due where o.id = due.id
  returning o.id
)
select batch.id::text as id, batch.idempotency_key as key, batch.attempts as attempt, batch.sender,
       (select count(*) from frozen) as frozen
from batch
"""

_TO_RENDER = """
select id::text as id, event, template, template_values, locale, essential, user_id::text as user_id, organization,
       primary_color, legal_footer, recipient_name
from private.outbox_render_context(%s)
"""


def _render_templates(conn: Connection, batch_id: str, links: Links) -> None:
    """Render the batch's template rows (recipient's language, organization's footer, unsubscribe link for
    non-essential mail) and freeze the text in the rows, so a retry sends exactly the same message."""
    from psycopg.types.json import Jsonb

    from shared.notifications import unsubscribe
    from shared.notifications.render import Branding, render_outbox

    for row in conn.execute(_TO_RENDER, (batch_id,)).fetchall():
        url = (
            None if row["essential"] or row["user_id"] is None else links.unsubscribe_url(row["user_id"], row["event"])
        )
        values: dict[str, Any] = dict(row["template_values"] or {})
        link = values.get("link")
        mail = render_outbox(
            row["template"],
            row["locale"],
            values,
            organization=Branding(row["organization"], row["primary_color"], row["legal_footer"]),
            recipient_name=row["recipient_name"],
            link=f"{(links.app_url or links.base_url).rstrip('/')}{link}"
            if isinstance(link, str) and link.startswith("/")
            else None,
            unsubscribe_url=url,
        )
        conn.execute(
            "update public.email_outbox set subject = %s, html = %s, text_body = %s, headers = headers || %s"
            " where id = %s",
            (mail.subject, mail.html, mail.text, Jsonb(unsubscribe.headers(url) if url else {}), row["id"]),
        )


_MESSAGES = """
select id::text as id, to_address, subject, html, text_body, headers from public.email_outbox
where batch_id = %s and status = 'sending' order by id
"""


_ATTACHMENTS = """
select a.outbox_id::text as outbox_id, a.filename, a.content_type, a.content from public.email_attachments a
join public.email_outbox o on o.id = a.outbox_id
where o.batch_id = %s and o.status = 'sending' and o.has_attachments order by a.outbox_id, a.filename
"""


def claim(conn: Connection, *, lease_seconds: int, sender: str, links: Links | None = None) -> Batch | None:
    """A batch to send: one due for a retry or abandoned by a dead dispatcher, else up to 100 due
    messages frozen into a new batch with its own idempotency key and ``sender``; ``None`` when
    nothing is due."""
    row = conn.execute(_RETAKE, {"lease": lease_seconds}).fetchone()
    if row is None:
        # Freezing is serialised (for the rest of this short transaction): two dispatchers scanning the due
        # rows at once under SKIP LOCKED would each freeze part of the same hundred, sending half batches.
        conn.execute("select pg_advisory_xact_lock(hashtextextended('email_outbox:freeze', 0))")
        # A message with attachments goes alone (Resend's batch call takes none); those first, they are few.
        row = conn.execute(_FREEZE, {"lease": lease_seconds, "limit": 1, "sender": sender, "attached": True}).fetchone()
        if row is None:
            row = conn.execute(
                _FREEZE, {"lease": lease_seconds, "limit": BATCH_LIMIT, "sender": sender, "attached": False}
            ).fetchone()
    if row is None:
        return None
    _render_templates(conn, row["id"], links or Links())
    messages = conn.execute(_MESSAGES, (row["id"],)).fetchall()
    attached: dict[str, list[Attachment]] = {}
    for a in conn.execute(_ATTACHMENTS, (row["id"],)).fetchall():
        file = Attachment(a["filename"], a["content_type"], bytes(a["content"]))
        attached.setdefault(a["outbox_id"], []).append(file)
    emails = tuple(
        Email(
            message_id=m["id"],
            sender=row["sender"],
            to=m["to_address"],
            subject=m["subject"],
            html=m["html"],
            text=m["text_body"],
            headers=m["headers"],
            attachments=tuple(attached.get(m["id"], ())),
        )
        for m in messages
    )
    return Batch(
        id=row["id"], key=row["key"], attempt=row["attempt"], outbox_ids=tuple(m["id"] for m in messages), emails=emails
    )


def _finish_batch(conn: Connection, batch: Batch, status: str, error: str | None) -> bool:
    """Close a batch this dispatcher still holds (same attempt); False when another one took it."""
    cursor = conn.execute(
        "update public.email_batches set status = %s, finished_at = now(), locked_until = null, last_error = %s"
        " where id = %s and attempts = %s and status = 'sending'",
        (status, error, batch.id, batch.attempt),
    )
    return cursor.rowcount == 1


def record_sent(conn: Connection, batch: Batch, provider_ids: list[str]) -> bool:
    if not _finish_batch(conn, batch, "sent", None):
        return False
    conn.execute(
        "update public.email_outbox o set status = 'sent', sent_at = now(), resend_id = s.provider_id,"
        " last_error = null from unnest(%s::uuid[], %s::text[]) as s(id, provider_id) where o.id = s.id",
        (list(batch.outbox_ids), provider_ids),
    )
    return True


def record_failed(conn: Connection, batch: Batch, error: str) -> bool:
    if not _finish_batch(conn, batch, "failed", error):
        return False
    conn.execute(
        "update public.email_outbox set status = 'failed', last_error = %s where batch_id = %s and status = 'sending'",
        (error, batch.id),
    )
    return True


def record_retry(conn: Connection, batch: Batch, error: str, delay_seconds: float) -> bool:
    """The batch waits ``delay_seconds`` and keeps its messages and key; False when it was taken over."""
    cursor = conn.execute(
        "update public.email_batches set status = 'pending', locked_until = null, last_error = %s,"
        " next_attempt_at = now() + make_interval(secs => %s)"
        " where id = %s and attempts = %s and status = 'sending'",
        (error, delay_seconds, batch.id, batch.attempt),
    )
    return cursor.rowcount == 1


def record_event(
    conn: Connection,
    *,
    svix_id: str,
    event_type: str,
    resend_id: str | None,
    payload: str,
    delivery: str | None,
    suppress: str | None,
) -> bool:
    """Store a delivery event once per svix-id and apply it; False for a repeated delivery.

    The outbox row keeps the latest delivery; ``suppress`` (a reason) stops non-essential mail to
    the row's address."""
    row = conn.execute(
        "insert into public.email_events (svix_id, type, resend_id, outbox_id, payload)"
        " values (%s, %s, %s, (select id from public.email_outbox where resend_id = %s limit 1), %s::jsonb)"
        " on conflict (svix_id) do nothing returning outbox_id::text as outbox_id",
        (svix_id, event_type, resend_id, resend_id, payload),
    ).fetchone()
    if row is None:
        return False
    if delivery is not None and row["outbox_id"] is not None:
        address = conn.execute(
            "update public.email_outbox set delivery = %s, delivery_at = now() where id = %s returning to_address",
            (delivery, row["outbox_id"]),
        ).fetchone()
        if address is not None and suppress is not None:
            conn.execute(
                "insert into public.email_suppressions (address, reason) values (lower(%s), %s)"
                " on conflict (address) do nothing",
                (address["to_address"], suppress),
            )
    return True


def compose_digests(conn: Connection) -> int:
    row = conn.execute("select private.compose_digests() as n").fetchone()
    assert row is not None
    return int(row["n"])


def disable_email(conn: Connection, *, event: str) -> None:
    """The caller's email preference for ``event`` switched off (RLS: the caller's own row)."""
    conn.execute(
        "insert into public.notification_preferences (user_id, event, channel, enabled)"
        " values ((select auth.uid()), %s, 'email', false)"
        " on conflict (user_id, event, channel) do update set enabled = false",
        (event,),
    )


_PURGE = """
with notifications as (
  delete from public.notifications
  where status in ('read', 'archived', 'replaced', 'resolved') and read_at < now() - interval '180 days'
  returning 1
), events as (
  delete from public.email_events where received_at < now() - interval '12 months' returning 1
), emails as (
  delete from public.email_outbox
  where status in ('sent', 'failed', 'cancelled', 'suppressed') and created_at < now() - interval '12 months'
    and not exists (select 1 from public.email_events e where e.outbox_id = email_outbox.id
                    and e.received_at >= now() - interval '12 months')
  returning 1
)
select (select count(*) from notifications) as notifications, (select count(*) from emails) as emails,
       (select count(*) from events) as events
"""


def purge(conn: Connection) -> dict[str, int]:
    row = conn.execute(_PURGE).fetchone()
    assert row is not None
    return {key: int(value) for key, value in row.items()}


# --- outgoing webhooks --------------------------------------------------------------------------------
_CLAIM_DELIVERIES = """
update public.webhook_deliveries d
set status = 'delivering', attempts = d.attempts + 1, locked_until = now() + make_interval(secs => %(lease)s)
from public.webhook_endpoints e
where e.id = d.endpoint_id and d.id in (
  select x.id from public.webhook_deliveries x
  join public.webhook_endpoints y on y.id = x.endpoint_id and y.enabled
  where x.status in ('pending', 'delivering') and x.next_attempt_at <= now()
    and (x.locked_until is null or x.locked_until < now())
  order by x.next_attempt_at, x.id limit %(limit)s for update of x skip locked)
returning d.id::text as id, d.endpoint_id::text as endpoint_id, d.organization_id::text as organization_id,
          d.message_id, d.event_type, d.payload, d.attempts, e.url, e.secret
"""


def claim_deliveries(conn: Connection, *, limit: int, lease_seconds: int) -> list[dict[str, object]]:
    """Due deliveries of enabled endpoints, now held by this dispatcher with one more attempt."""
    return conn.execute(_CLAIM_DELIVERIES, {"limit": limit, "lease": lease_seconds}).fetchall()


def record_delivery(
    conn: Connection, *, delivery: dict[str, object], status_code: int | None, error: str | None, retry_in: float | None
) -> bool:
    """Settle one attempt (fenced by its number): succeeded, pending again after ``retry_in`` seconds,
    or failed for good when ``retry_in`` is None. False when another dispatcher took the delivery over."""
    if error is None:
        outcome, next_attempt = "succeeded", None
    else:
        outcome, next_attempt = ("pending", retry_in) if retry_in is not None else ("failed", None)
    cursor = conn.execute(
        "update public.webhook_deliveries set status = %s, locked_until = null, last_status_code = %s,"
        " last_error = %s, delivered_at = case when %s = 'succeeded' then now() end,"
        " next_attempt_at = case when %s::float8 is null then next_attempt_at"
        "                        else now() + make_interval(secs => %s::float8) end"
        " where id = %s and attempts = %s and status = 'delivering'",
        (outcome, status_code, error, outcome, next_attempt, next_attempt, delivery["id"], delivery["attempts"]),
    )
    return cursor.rowcount == 1


def endpoint_health(conn: Connection, *, endpoint_id: str, succeeded: bool, give_up_after_days: int) -> bool:
    """Track since when an endpoint fails; disable it once that is ``give_up_after_days`` old.
    True when this call disabled it."""
    if succeeded:
        conn.execute("update public.webhook_endpoints set failing_since = null where id = %s", (endpoint_id,))
        return False
    row = conn.execute(
        "update public.webhook_endpoints e"
        " set failing_since = coalesce(e.failing_since, now()),"
        "     enabled = e.enabled and coalesce(e.failing_since, now()) > now() - make_interval(days => %(days)s),"
        "     disabled_reason = case when e.enabled and coalesce(e.failing_since, now())"
        "                               <= now() - make_interval(days => %(days)s)"
        "                            then 'failing for ' || %(days)s || ' days' else e.disabled_reason end"
        " from (select id, enabled from public.webhook_endpoints where id = %(id)s for update) before"
        " where e.id = before.id returning before.enabled and not e.enabled as switched_off",
        {"id": endpoint_id, "days": give_up_after_days},
    ).fetchone()
    return row is not None and bool(row["switched_off"])


def organization_admins(conn: Connection, organization_id: str) -> list[dict[str, object]]:
    """Owners and admins of an organization with their address, name and language."""
    return conn.execute("select * from private.organization_admin_contacts(%s)", (organization_id,)).fetchall()


def enqueue_email(
    conn: Connection,
    *,
    organization_id: str,
    key: str,
    recipient_id: object,
    to: str,
    subject: str,
    html: str,
    text: str,
    event: str,
    essential: bool,
    headers: dict[str, str] | None = None,
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        "select private.enqueue_email(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (organization_id, key, recipient_id, to, subject, html, text, event, essential, Jsonb(headers or {})),
    )


def enqueue_attached(
    conn: Connection,
    *,
    organization_id: str,
    key: str,
    user_id: str,
    event: str,
    template: str,
    values: dict[str, Any],
    locale: str,
    attachments: tuple[Attachment, ...],
) -> bool:
    """A template message with attachments to a user (``private.enqueue_template_email``, 0201: rendered by
    the dispatcher in the recipient's language with the organization's footer and, non-essential, the
    unsubscribe link); nothing for a user who turned the event's email off or has no address;
    ``suppressed`` for a suppressed address. True when queued (and the attachments stored)."""
    from psycopg.types.json import Jsonb

    row = conn.execute(
        "select id::text as id, status from private.enqueue_template_email(%s, %s, %s, %s, %s, %s, %s)",
        (organization_id, key, user_id, event, template, Jsonb(values), locale),
    ).fetchone()
    if row is None or row["status"] != "queued":
        return False
    for a in attachments:
        conn.execute(
            "insert into public.email_attachments (outbox_id, filename, content_type, content) values (%s, %s, %s, %s)",
            (row["id"], a.filename, a.content_type, a.content),
        )
    return True
