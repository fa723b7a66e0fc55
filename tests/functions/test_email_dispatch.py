"""`email-dispatch` and `email-events` through their WSGI apps, against a local Resend stand-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.adapters.mail import ResendMailer
from shared.notifications import service
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.resend_server import API_KEY, ResendStandIn, resend_stand_in

CRON = "dispatch-test-cron"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"a-test-secret-of-32-bytes-length").decode()


class Crash(BaseException):
    """A dispatcher dying mid-run: nothing below it gets to record anything."""


@pytest.fixture
def stand_in() -> Iterator[ResendStandIn]:
    with resend_stand_in() as server:
        yield server


@pytest.fixture
def outbox(committed: tdb.Conn, stand_in: ResendStandIn, use: Callable[..., Settings]) -> tdb.Conn:
    committed.execute("delete from public.email_outbox; delete from public.email_batches;")
    committed.execute("delete from public.email_suppressions; delete from public.email_events;")
    use(
        cron_secret=Secret(CRON),
        resend_api_key=Secret(API_KEY),
        resend_api_url=stand_in.url,
        resend_webhook_secret=Secret(WEBHOOK_SECRET),
    )
    return committed


@pytest.fixture
def org(committed: tdb.Conn) -> uuid.UUID:
    return tdb.make_org(committed, "Cabinet Mail")


def enqueue(conn: tdb.Conn, org: uuid.UUID, n: int, *, prefix: str = "k", essential: bool = False) -> list[str]:
    rows = conn.execute(
        "select private.enqueue_email(%s, %s || ':' || i, null, 'user' || i || '@example.test',"
        " '[TICPE] Documents demandés – Transport Dupont', '<p>Bonjour</p>', 'Bonjour', 'documents_requested',"
        " %s)::text as id from generate_series(1, %s) i",
        (org, prefix, essential, n),
    ).fetchall()
    return [r["id"] for r in rows]


def run(client_for: Callable[[str], FlaskClient]) -> dict[str, Any]:
    response = client_for("email_dispatch").post("/email-dispatch", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def statuses(conn: tdb.Conn) -> Counter[str]:
    return Counter(r["status"] for r in conn.execute("select status from public.email_outbox").fetchall())


def make_due(conn: tdb.Conn) -> None:
    """As if the waits were over (the test does not sleep through minutes of back-off)."""
    conn.execute("update public.email_batches set next_attempt_at = now() - interval '1 second'")


def test_only_the_scheduler_may_run_it(outbox: tdb.Conn, client_for: Callable[[str], FlaskClient]) -> None:
    assert client_for("email_dispatch").post("/email-dispatch", json={}).status_code == 401


def test_queued_mail_leaves_in_batches_of_100_once(
    outbox: tdb.Conn, org: uuid.UUID, stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    enqueue(outbox, org, 250)
    assert run(client_for) == {"batches": 3, "sent": 3, "retrying": 0, "failed": 0, "lost": 0}
    assert sorted(len(batch) for _, batch in stand_in.deliveries) == [50, 100, 100]
    assert statuses(outbox) == {"sent": 250}
    assert outbox.execute("select count(distinct resend_id) as n from public.email_outbox").fetchone() == {"n": 250}
    assert run(client_for)["batches"] == 0
    assert len(stand_in.sent) == 250


def test_a_repeated_idempotency_key_queues_nothing(outbox: tdb.Conn, org: uuid.UUID) -> None:
    first = enqueue(outbox, org, 3)
    assert enqueue(outbox, org, 3) == first
    assert statuses(outbox) == {"queued": 3}


def test_429_waits_at_least_its_retry_after_then_resends_the_same_key(
    outbox: tdb.Conn, org: uuid.UUID, stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    enqueue(outbox, org, 5)
    stand_in.fail_next(429, retry_after=600)
    assert run(client_for)["retrying"] == 1
    batch = outbox.execute(
        "select idempotency_key, status, attempts, next_attempt_at - now() as wait from public.email_batches"
    ).fetchone()
    assert batch is not None and batch["status"] == "pending" and batch["attempts"] == 1
    assert 590 <= batch["wait"].total_seconds() <= 600
    assert run(client_for)["batches"] == 0  # not due yet
    make_due(outbox)
    assert run(client_for)["sent"] == 1
    assert [key for key, _ in stand_in.deliveries] == [batch["idempotency_key"]]
    assert statuses(outbox) == {"sent": 5}


def test_5xx_backs_off_one_minute_then_five(
    outbox: tdb.Conn, org: uuid.UUID, stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    enqueue(outbox, org, 1)
    stand_in.fail_next(500, count=2)
    waits = []
    for _ in range(2):
        make_due(outbox)
        assert run(client_for)["retrying"] == 1
        row = outbox.execute("select next_attempt_at - now() as wait from public.email_batches").fetchone()
        assert row is not None
        waits.append(round(row["wait"].total_seconds() / 60))
    assert waits == [1, 5]
    make_due(outbox)
    assert run(client_for)["sent"] == 1


def test_a_batch_fails_after_the_last_retry_and_other_4xx_fail_at_once(
    outbox: tdb.Conn,
    org: uuid.UUID,
    stand_in: ResendStandIn,
    client_for: Callable[[str], FlaskClient],
    use: Callable[..., Settings],
) -> None:
    enqueue(outbox, org, 2)
    stand_in.fail_next(503, count=6)
    outcomes = []
    for _ in range(6):
        make_due(outbox)
        result = run(client_for)
        outcomes.append("failed" if result["failed"] else "retrying")
    assert outcomes == ["retrying"] * 5 + ["failed"]
    assert statuses(outbox) == {"failed": 2}
    use(
        cron_secret=Secret(CRON),
        resend_api_key=Secret("re_revoked"),
        resend_api_url=stand_in.url,
        resend_webhook_secret=Secret(WEBHOOK_SECRET),
    )
    enqueue(outbox, org, 1, prefix="other")
    assert run(client_for)["failed"] == 1
    row = outbox.execute("select last_error from public.email_outbox where idempotency_key = 'other:1'").fetchone()
    assert row is not None and "401" in row["last_error"] and "re_revoked" not in row["last_error"]


class SendThenCrash(ResendMailer):
    def send_batch(self, emails: Any, *, idempotency_key: str) -> list[str]:
        super().send_batch(emails, idempotency_key=idempotency_key)
        raise Crash


def test_a_dispatcher_dying_after_resend_accepted_sends_nothing_twice(
    outbox: tdb.Conn, org: uuid.UUID, stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    enqueue(outbox, org, 7)
    with pytest.raises(Crash):
        service.send_one_batch(SendThenCrash(API_KEY, stand_in.url), sender="x <x@example.test>")
    assert statuses(outbox) == {"sending": 7}
    assert run(client_for)["batches"] == 0  # its lease still holds
    outbox.execute("update public.email_batches set locked_until = now() - interval '1 second'")
    assert run(client_for)["sent"] == 1
    assert len(stand_in.deliveries) == 1 and len(stand_in.sent) == 7
    assert {e["from"] for e in stand_in.sent} == {"x <x@example.test>"}  # the batch keeps its sender
    assert statuses(outbox) == {"sent": 7}


@pytest.mark.race
def test_two_dispatchers_at_once_send_every_message_exactly_once(
    outbox: tdb.Conn, org: uuid.UUID, stand_in: ResendStandIn
) -> None:
    enqueue(outbox, org, 600)
    mailer = ResendMailer(API_KEY, stand_in.url)
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def dispatcher() -> None:
        barrier.wait()
        results.append(service.dispatch(mailer, sender="x <x@example.test>"))

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # SKIP LOCKED may split a claim between dispatchers (more, smaller batches), never duplicate one
    assert sum(r.sent for r in results) == len(stand_in.deliveries) >= 6
    assert all(len(batch) <= 100 for _, batch in stand_in.deliveries)
    assert sum(r.lost for r in results) == 0
    delivered = Counter(email["to"][0] for email in stand_in.sent)
    assert len(delivered) == 600 and set(delivered.values()) == {1}
    assert statuses(outbox) == {"sent": 600}


def test_suppressed_addresses_get_essential_mail_only(
    outbox: tdb.Conn, org: uuid.UUID, stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    outbox.execute("insert into public.email_suppressions (address, reason) values ('user1@example.test', 'bounced')")
    enqueue(outbox, org, 1, prefix="news")
    enqueue(outbox, org, 1, prefix="invoice", essential=True)
    run(client_for)
    assert statuses(outbox) == {"suppressed": 1, "sent": 1}
    assert [e["to"] for e in stand_in.sent] == [["user1@example.test"]]


# --- delivery events ------------------------------------------------------------------------------
def signed(
    body: bytes, *, svix_id: str | None = None, at: int | None = None, secret: str = WEBHOOK_SECRET
) -> dict[str, str]:
    svix_id = svix_id or f"msg_{uuid.uuid4().hex}"
    timestamp = str(at if at is not None else int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{svix_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"svix-id": svix_id, "svix-timestamp": timestamp, "svix-signature": "v1," + base64.b64encode(mac).decode()}


def event(kind: str, resend_id: str, **data: Any) -> bytes:
    return json.dumps(
        {"type": kind, "created_at": "2026-12-05T10:00:00Z", "data": {"email_id": resend_id, **data}}
    ).encode()


@pytest.fixture
def sent_message(outbox: tdb.Conn, org: uuid.UUID, client_for: Callable[[str], FlaskClient]) -> str:
    enqueue(outbox, org, 1)
    run(client_for)
    row = outbox.execute("select resend_id from public.email_outbox").fetchone()
    assert row is not None
    return str(row["resend_id"])


def post_event(client_for: Callable[[str], FlaskClient], body: bytes, headers: dict[str, str]) -> Any:
    return client_for("email_events").post(
        "/email-events", data=body, headers={**headers, "Content-Type": "application/json"}
    )


def test_a_signed_delivery_is_recorded_once(
    sent_message: str, outbox: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    body = event("email.delivered", sent_message)
    headers = signed(body)
    first = post_event(client_for, body, headers)
    assert first.status_code == 200 and first.get_json() == {
        "recorded": True,
        "duplicate": False,
        "delivery": "delivered",
    }
    again = post_event(client_for, body, headers)
    assert again.get_json()["duplicate"] is True
    assert outbox.execute("select delivery from public.email_outbox").fetchone() == {"delivery": "delivered"}
    assert outbox.execute("select count(*) as n from public.email_events").fetchone() == {"n": 1}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body + b" ", headers),
        lambda body, headers: (body, signed(body, at=int(time.time()) - 301)),
        lambda body, headers: (body, signed(body, secret="whsec_" + base64.b64encode(b"x" * 32).decode())),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "svix-signature"}),
    ],
    ids=["tampered body", "stale timestamp", "other secret", "no signature"],
)
def test_an_unverifiable_event_is_refused(
    sent_message: str, outbox: tdb.Conn, client_for: Callable[[str], FlaskClient], tamper: Any
) -> None:
    body = event("email.bounced", sent_message, bounce={"type": "Permanent"})
    bad_body, bad_headers = tamper(body, signed(body))
    response = post_event(client_for, bad_body, bad_headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_signature"
    assert outbox.execute("select count(*) as n from public.email_suppressions").fetchone() == {"n": 0}


@pytest.mark.parametrize(
    ("kind", "data", "suppressed"),
    [
        ("email.bounced", {"bounce": {"type": "Permanent"}}, True),
        ("email.bounced", {"bounce": {"type": "Transient"}}, False),
        ("email.complained", {}, True),
        ("email.opened", {}, False),
    ],
)
def test_hard_bounces_and_complaints_suppress_the_address(
    sent_message: str,
    outbox: tdb.Conn,
    client_for: Callable[[str], FlaskClient],
    kind: str,
    data: dict[str, Any],
    suppressed: bool,
) -> None:
    body = event(kind, sent_message, **data)
    assert post_event(client_for, body, signed(body)).status_code == 200
    found = outbox.execute("select address from public.email_suppressions").fetchall()
    assert found == ([{"address": "user1@example.test"}] if suppressed else [])


def test_events_are_refused_when_no_secret_is_configured(
    sent_message: str, client_for: Callable[[str], FlaskClient], use: Callable[..., Settings]
) -> None:
    use(resend_webhook_secret=Secret(""))
    body = event("email.delivered", sent_message)
    assert post_event(client_for, body, signed(body)).status_code == 401
