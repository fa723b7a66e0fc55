"""What the email dispatcher and the delivery webhook answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Waits before the next try of a batch after a 429, a 5xx or a transport error (FOLLOWUP.md); a
# longer `retry-after` wins. After the last one the batch fails. All fit in the key's 24 hours.
RETRY_DELAYS_SECONDS: tuple[int, ...] = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)

DELIVERY_EVENTS = {
    "email.delivered": "delivered",
    "email.delivery_delayed": "delivery_delayed",
    "email.bounced": "bounced",
    "email.complained": "complained",
    "email.failed": "failed",
    "email.suppressed": "suppressed",
}


class DispatchOut(BaseModel):
    """What one dispatcher run did."""

    batches: int
    sent: int
    retrying: int
    failed: int
    lost: int


class EmailEventOut(BaseModel):
    """What the webhook recorded: ``duplicate`` when that svix-id was already received."""

    recorded: bool
    duplicate: bool
    delivery: str | None


class UnsubscribeQuery(BaseModel):
    """The signed token of an unsubscribe link; mail clients POST to the link itself (RFC 8058)."""

    token: str = Field(min_length=1, max_length=500)


class UnsubscribeOut(BaseModel):
    """The event whose email the user no longer receives."""

    event: str
    channel: str = "email"
    enabled: bool = False


class DigestOut(BaseModel):
    """How many daily digests a run queued (users with nothing unread get none)."""

    digests: int


class CleanupOut(BaseModel):
    """What the daily clean-up removed."""

    notifications: int
    emails: int
    events: int


class WebhookRunOut(BaseModel):
    """What one webhook dispatcher run did."""

    succeeded: int
    retrying: int
    failed: int
    lost: int
    disabled: int
