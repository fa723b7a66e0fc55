"""`notifications` (one-click unsubscribe) and `notifications-cleanup` through their WSGI apps."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared.notifications import unsubscribe
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb

SECRET = "unsubscribe-test-secret"
CRON = "cleanup-test-cron"


@pytest.fixture
def configured(use: Callable[..., Settings]) -> Settings:
    return use(signing_secret=Secret(SECRET), cron_secret=Secret(CRON))


def post(client_for: Callable[[str], FlaskClient], token: str) -> TestResponse:
    return client_for("notifications").post(
        f"/notifications/unsubscribe?token={token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def test_a_signed_link_turns_that_events_email_off(
    configured: Settings, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    user = tdb.make_user(committed)
    response = post(client_for, unsubscribe.make_token(SECRET, user, "document_uploaded"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"event": "document_uploaded", "channel": "email", "enabled": False}
    rows = committed.execute(
        "select event, channel, enabled from public.notification_preferences where user_id = %s", (user,)
    ).fetchall()
    assert rows == [{"event": "document_uploaded", "channel": "email", "enabled": False}]
    assert post(client_for, unsubscribe.make_token(SECRET, user, "document_uploaded")).status_code == 200


def test_essential_mail_and_forged_links_are_refused(
    configured: Settings, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    user = tdb.make_user(committed)
    essential = post(client_for, unsubscribe.make_token(SECRET, user, "invoice_issued"))
    assert essential.status_code == 422
    forged = post(client_for, unsubscribe.make_token("another-secret", user, "document_uploaded"))
    assert forged.status_code == 422
    assert forged.get_json()["errors"][0]["field"] == "token"
    missing = client_for("notifications").post("/notifications/unsubscribe")
    assert missing.status_code == 422
    unknown = post(client_for, unsubscribe.make_token(SECRET, user, "no_such_event"))
    assert unknown.status_code == 422
    assert committed.execute(
        "select count(*) as n from public.notification_preferences where user_id = %s", (user,)
    ).fetchone() == {"n": 0}


def test_cleanup_removes_only_what_is_past_retention(
    configured: Settings, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    org = tdb.make_org(committed, "Cabinet Purge")
    user = tdb.make_user(committed)
    for key, status, age in (("old-read", "read", "200 days"), ("new-read", "read", "10 days"),
                             ("old-unread", "unread", "400 days")):  # fmt: skip
        committed.execute(
            "insert into public.notifications (organization_id, recipient_id, event, title, status, dedupe_key,"
            " created_at, read_at) values (%s, %s, 'reminder', 'Relance', %s, %s, now() - %s::interval,"
            " case when %s = 'read' then now() - %s::interval end)",
            (org, user, status, f"{key}:{uuid.uuid4()}", age, status, age),
        )
    assert client_for("notifications_cleanup").post("/notifications-cleanup", json={}).status_code == 401
    response = client_for("notifications_cleanup").post(
        "/notifications-cleanup", json={}, headers={"X-Cron-Secret": CRON}
    )
    assert response.status_code == 200
    assert response.get_json()["notifications"] >= 1
    left = committed.execute(
        "select status from public.notifications where recipient_id = %s order by status", (user,)
    ).fetchall()
    assert left == [{"status": "read"}, {"status": "unread"}]
