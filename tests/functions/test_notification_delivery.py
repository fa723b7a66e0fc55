"""A fanned-out event reaches Resend through `email-dispatch`: the dispatcher renders the template rows in the
recipient's language (hostile values escaped, product tag, one-click unsubscribe on non-essential mail) and a
retry sends the very same frozen text under the same key."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.notifications import unsubscribe
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.resend_server import API_KEY, ResendStandIn, resend_stand_in

CRON = "delivery-test-cron"
SIGNING = "delivery-test-signing-secret"


@pytest.fixture
def stand_in() -> Iterator[ResendStandIn]:
    with resend_stand_in() as server:
        yield server


@pytest.fixture
def world(committed: tdb.Conn, stand_in: ResendStandIn, use: Callable[..., Settings]) -> dict[str, Any]:
    committed.execute("delete from public.email_outbox; delete from public.email_batches;")
    use(
        cron_secret=Secret(CRON),
        resend_api_key=Secret(API_KEY),
        resend_api_url=stand_in.url,
        signing_secret=Secret(SIGNING),
        public_base_url="https://api.example.test",
        app_base_url="https://app.example.test",
    )
    org = tdb.make_org(committed, "Cabinet <Fan-out>")
    client, expert_user, owner = (tdb.make_user(committed) for _ in range(3))
    tdb.add_member(committed, org, client, "client")
    tdb.add_member(committed, org, expert_user, "expert")
    tdb.add_member(committed, org, owner, "owner")
    company = tdb.make_company(committed, org, name="Transport <script>Dupont</script>", users=(client,))
    expert = tdb.make_expert(committed, org, expert_user)
    committed.execute(
        "insert into public.notification_settings (user_id, locale, quiet_start, quiet_end, quiet_weekends)"
        " values (%s, 'fr', '00:00', '00:00', false), (%s, 'en', '00:00', '00:00', false)",
        (client, owner),
    )
    row = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
        " values (%s, %s, 'ticpe', %s) returning id",
        (org, company, expert),
    ).fetchone()
    assert row is not None
    return {"org": org, "client": client, "owner": owner, "expert": expert_user, "dossier": row["id"]}


def _dispatch(client_for: Callable[[str], FlaskClient]) -> dict[str, Any]:
    response = client_for("email_dispatch").post("/email-dispatch", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def _complete_audit(conn: tdb.Conn, world: dict[str, Any]) -> None:
    conn.execute(
        "insert into public.dossier_events (organization_id, dossier_id, type, command, actor_kind, actor_id,"
        " actor_role,"
        " title_fr, title_en, visibility) values (%s, %s, 'complete_audit', 'complete_audit', 'user', %s, 'expert',"
        " 'Audit terminé : 12 000,00 €', 'Audit completed: €12,000.00', 'partner')",
        (world["org"], world["dossier"], world["expert"]),
    )


def test_a_fanned_out_event_is_rendered_per_language_and_sent(
    committed: tdb.Conn, world: dict[str, Any], stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    _complete_audit(committed, world)
    assert _dispatch(client_for)["sent"] == 1
    sent = {m["to"][0] if isinstance(m["to"], list) else m["to"]: m for m in stand_in.sent}
    addresses = {
        r["id"]: r["email"]
        for r in committed.execute(
            "select id, email from auth.users where id = any(%s)", ([world["client"], world["owner"]],)
        ).fetchall()
    }
    assert set(sent) == set(addresses.values())
    french = sent[addresses[world["client"]]]
    english = sent[addresses[world["owner"]]]
    assert french["subject"] == "[TICPE] Audit terminé – Transport <script>Dupont</script>"
    assert english["subject"] == "[TICPE] Audit completed – Transport <script>Dupont</script>"
    assert "<script>" not in french["html"] and "&lt;script&gt;" in french["html"]
    assert "Audit terminé : 12 000,00 €" in french["text"]
    assert f"https://app.example.test/dossiers/{world['dossier']}" in french["text"]
    # non-essential: a signed one-click unsubscribe link that turns this event's email off for this user
    header = french["headers"]["List-Unsubscribe"]
    assert french["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the email's own link leads to the front end; the unsubscribe link to the API that handles it
    assert header.startswith("<https://api.example.test/notifications/unsubscribe?token=")
    token = header.split("token=", 1)[1].rstrip(">")
    target = unsubscribe.read_token(SIGNING, token)
    assert target.user_id == uuid.UUID(str(world["client"])) and target.event == "audit_completed"
    frozen = committed.execute(
        "select subject, html, text_body from public.email_outbox where recipient_id = %s", (world["client"],)
    ).fetchone()
    assert frozen is not None and frozen["subject"] == french["subject"] and frozen["html"] == french["html"]


def test_a_retry_resends_the_frozen_text_under_the_same_key(
    committed: tdb.Conn, world: dict[str, Any], stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    _complete_audit(committed, world)
    stand_in.fail_next(500)
    assert _dispatch(client_for)["retrying"] == 1
    # a template change between the attempts does not matter: the batch's text was frozen when it was claimed
    committed.execute('update public.email_outbox set template_values = template_values || \'{"title": "X"}\'')
    committed.execute("update public.email_batches set next_attempt_at = now() - interval '1 second'")
    assert _dispatch(client_for)["sent"] == 1
    assert len(stand_in.sent) == 2
    assert all("X" not in m["subject"] for m in stand_in.sent)


def test_essential_mail_has_no_unsubscribe_link(
    committed: tdb.Conn, world: dict[str, Any], stand_in: ResendStandIn, client_for: Callable[[str], FlaskClient]
) -> None:
    committed.execute(
        "insert into public.dossier_events (organization_id, dossier_id, type, command, actor_kind, actor_id,"
        " actor_role,"
        " title_fr, title_en, visibility) values (%s, %s, 'confirm_refund', 'confirm_refund', 'user', %s, 'expert',"
        " 'Remboursement confirmé', 'Refund confirmed', 'partner')",
        (world["org"], world["dossier"], world["expert"]),
    )
    _dispatch(client_for)
    mails = stand_in.sent
    assert mails and all("List-Unsubscribe" not in (m.get("headers") or {}) for m in mails)
    assert all(m["subject"].startswith("[TICPE] ") for m in mails)
