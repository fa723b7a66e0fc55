"""Outgoing webhooks: endpoints under RLS, signed deliveries to a local receiver, retries, disabling."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from psycopg.types.json import Jsonb

from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.webhook_receiver import Receiver, webhook_receiver

CRON = "webhook-test-cron"


@dataclass
class Org:
    id: uuid.UUID
    owner: uuid.UUID
    admin: uuid.UUID
    client: uuid.UUID
    other_owner: uuid.UUID


@pytest.fixture
def org(committed: tdb.Conn, use: Callable[..., Settings]) -> Org:
    committed.execute("delete from public.webhook_deliveries; delete from public.webhook_endpoints;")
    committed.execute("delete from public.email_outbox; delete from public.email_batches;")
    use(cron_secret=Secret(CRON), webhooks_allow_private_hosts=True)
    org_id, other = tdb.make_org(committed, "Cabinet Hooks"), tdb.make_org(committed, "Autre Cabinet")
    people = {role: tdb.make_user(committed, f"{role}-{uuid.uuid4().hex[:6]}@example.test")
              for role in ("owner", "admin", "client", "other")}  # fmt: skip
    for role in ("owner", "admin", "client"):
        tdb.add_member(committed, org_id, people[role], role)
    tdb.add_member(committed, other, people["other"], "owner")
    return Org(org_id, people["owner"], people["admin"], people["client"], people["other"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver("whsec_placeholder") as running:
        yield running


def register(conn: tdb.Conn, org: Org, url: str, events: list[str], who: uuid.UUID | None = None) -> dict[str, Any]:
    with conn.transaction():
        tdb.as_user(conn, who or org.admin)
        row = conn.execute(
            "insert into public.webhook_endpoints (organization_id, url, event_types) values (%s, %s, %s)"
            " returning id, secret",
            (org.id, url, events),
        ).fetchone()
        tdb.as_owner(conn)
    assert row is not None
    return dict(row)


def emit(conn: tdb.Conn, org: Org, event: str, message_id: str | None = None) -> int:
    row = conn.execute(
        "select private.enqueue_webhooks(%s, %s, %s, %s) as n",
        (org.id, event, message_id or f"msg_{uuid.uuid4().hex}", Jsonb({"dossier_id": "d-1", "montant": "1 234,56 €"})),
    ).fetchone()
    assert row is not None
    return int(row["n"])


def run(client_for: Callable[[str], FlaskClient]) -> dict[str, int]:
    response = client_for("webhook_dispatch").post("/webhook-dispatch", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def deliveries(conn: tdb.Conn) -> list[dict[str, Any]]:
    return conn.execute(
        "select status, attempts, last_status_code, last_error, next_attempt_at - now() as wait"
        " from public.webhook_deliveries order by created_at"
    ).fetchall()


def test_endpoints_are_for_owners_and_admins_of_their_organization(committed: tdb.Conn, org: Org) -> None:
    register(committed, org, "https://hooks.example.test/a", ["invoice_issued"])
    for who, visible in ((org.owner, 1), (org.admin, 1), (org.client, 0), (org.other_owner, 0)):
        with committed.transaction(force_rollback=True):
            tdb.as_user(committed, who)
            assert committed.execute("select count(*) as n from public.webhook_endpoints").fetchone() == {"n": visible}
            assert committed.execute("select count(*) as n from public.webhook_deliveries").fetchone() == {"n": 0}
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        register(committed, org, "https://hooks.example.test/b", ["invoice_issued"], who=org.client)
    with pytest.raises(psycopg.Error) as error:
        register(committed, org, "https://hooks.example.test/c", ["no_such_event"])
    assert error.value.diag.sqlstate == "PT422"
    with pytest.raises(psycopg.errors.CheckViolation):
        register(committed, org, "ftp://hooks.example.test/c", ["invoice_issued"])


def test_a_subscribed_event_is_delivered_signed(
    committed: tdb.Conn, org: Org, receiver: Receiver, client_for: Callable[[str], FlaskClient]
) -> None:
    endpoint = register(committed, org, receiver.url, ["invoice_issued", "dossier_closed"])
    receiver.secret = endpoint["secret"]
    register(committed, org, "https://hooks.example.test/other", ["offer_made"])
    assert emit(committed, org, "invoice_issued", "msg_1") == 1
    assert emit(committed, org, "invoice_issued", "msg_1") == 0  # the same event again: nothing more
    assert emit(committed, org, "audit_started") == 0
    assert run(client_for) == {"succeeded": 1, "retrying": 0, "failed": 0, "lost": 0, "disabled": 0}
    assert receiver.rejected == 0 and receiver.ids == ["msg_1"]
    assert receiver.verified[0]["type"] == "invoice_issued"
    assert receiver.verified[0]["data"] == {"dossier_id": "d-1", "montant": "1 234,56 €"}
    assert [d["status"] for d in deliveries(committed)] == ["succeeded"]
    assert run(client_for)["succeeded"] == 0


def test_a_failing_receiver_is_retried_on_schedule_with_the_same_id(
    committed: tdb.Conn, org: Org, receiver: Receiver, client_for: Callable[[str], FlaskClient]
) -> None:
    receiver.secret = register(committed, org, receiver.url, ["*"])["secret"]
    emit(committed, org, "dossier_closed", "msg_retry")
    receiver.status = 503
    assert run(client_for)["retrying"] == 1
    first = deliveries(committed)[0]
    assert first["status"] == "pending" and first["last_status_code"] == 503 and first["attempts"] == 1
    assert 0 < first["wait"].total_seconds() <= 5
    committed.execute("update public.webhook_deliveries set next_attempt_at = now() - interval '1 second'")
    assert run(client_for)["retrying"] == 1
    assert 290 < deliveries(committed)[0]["wait"].total_seconds() <= 300
    receiver.status = 200
    committed.execute("update public.webhook_deliveries set next_attempt_at = now() - interval '1 second'")
    assert run(client_for)["succeeded"] == 1
    assert receiver.ids == ["msg_retry"] * 3


def test_an_endpoint_failing_for_three_days_is_disabled_and_admins_are_told(
    committed: tdb.Conn, org: Org, receiver: Receiver, client_for: Callable[[str], FlaskClient]
) -> None:
    endpoint = register(committed, org, receiver.url, ["*"])
    receiver.secret, receiver.status = endpoint["secret"], 500
    committed.execute(
        "update public.webhook_endpoints set failing_since = now() - interval '3 days 1 minute' where id = %s",
        (endpoint["id"],),
    )
    emit(committed, org, "claim_filed")
    emit(committed, org, "claim_refused")
    result = run(client_for)
    assert result["disabled"] == 1 and result["retrying"] == 2
    row = committed.execute("select enabled, disabled_reason from public.webhook_endpoints").fetchone()
    assert row == {"enabled": False, "disabled_reason": "failing for 3 days"}
    mail = committed.execute(
        "select to_address, subject, essential from public.email_outbox where event = 'webhook_disabled'"
        " order by to_address"
    ).fetchall()
    assert len(mail) == 2 and all(m["essential"] for m in mail)
    assert mail[0]["subject"] == "Point de terminaison webhook désactivé"
    emit(committed, org, "claim_filed")
    assert run(client_for)["succeeded"] + run(client_for)["retrying"] == 0  # nothing goes to a disabled endpoint


def test_private_addresses_are_refused_outside_the_local_stack(
    committed: tdb.Conn,
    org: Org,
    receiver: Receiver,
    client_for: Callable[[str], FlaskClient],
    use: Callable[..., Settings],
) -> None:
    receiver.secret = register(committed, org, receiver.url, ["*"])["secret"]
    use(cron_secret=Secret(CRON), webhooks_allow_private_hosts=False)
    emit(committed, org, "dossier_closed")
    assert run(client_for)["retrying"] == 1
    failed = deliveries(committed)[0]
    assert failed["last_status_code"] is None and "https" in failed["last_error"]
    assert receiver.ids == []


def test_admins_replay_a_delivery_others_cannot(
    committed: tdb.Conn, org: Org, receiver: Receiver, client_for: Callable[[str], FlaskClient]
) -> None:
    receiver.secret = register(committed, org, receiver.url, ["*"])["secret"]
    emit(committed, org, "dossier_closed", "msg_replay")
    run(client_for)
    delivery = committed.execute("select id from public.webhook_deliveries").fetchone()
    assert delivery is not None
    for who in (org.client, org.other_owner):
        with pytest.raises(psycopg.Error) as error, committed.transaction():
            tdb.as_user(committed, who)
            committed.execute("select public.replay_webhook_delivery(%s)", (delivery["id"],))
        assert error.value.diag.sqlstate == "PT404"
    with committed.transaction():
        tdb.as_user(committed, org.admin)
        committed.execute("select public.replay_webhook_delivery(%s)", (delivery["id"],))
        tdb.as_owner(committed)
    assert run(client_for)["succeeded"] == 1
    assert receiver.ids == ["msg_replay", "msg_replay"]
