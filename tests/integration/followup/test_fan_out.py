"""Events fan out to in-app notifications, the outbox and Realtime in the transaction that records them:
recipients per audience, never the actor, preferences, essential mail, quiet hours, digest, suppression."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import World
from tests.support import db as tdb

PARIS = ZoneInfo("Europe/Paris")


def _dossier(conn: tdb.Conn, world: World, company: str = "ca1") -> uuid.UUID:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
        " values (%s, %s, 'ticpe', %s) returning id",
        (world.org_a, world.companies[company], world.experts["expert_a"]),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def _event(
    conn: tdb.Conn, world: World, dossier: uuid.UUID, kind: str, *, actor: uuid.UUID | None = None, **details: Any
) -> int:
    row = conn.execute(
        "insert into public.dossier_events (organization_id, dossier_id, type, command, to_status, actor_kind,"
        " actor_id, actor_role, title_fr, title_en, details, visibility)"
        " values (%s, %s, %s, %s, null, %s, %s, %s, 'Titre <b>', 'Title <b>', %s::jsonb, 'client') returning id",
        (
            world.org_a, dossier, kind, kind, "user" if actor else "system", actor, "client" if actor else "system",
            json.dumps(details),
        ),
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row["id"])


def _told(conn: tdb.Conn, key: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "select n.recipient_id::text as who, n.priority, n.event, n.email_digest, o.status as mail, o.send_after,"
        " o.template, o.locale from public.notifications n"
        " left join public.email_outbox o on o.idempotency_key = n.dedupe_key"
        " where n.dedupe_key like %s",
        (key + ":%",),
    ).fetchall()
    return {str(r["who"]): r for r in rows}


def test_audit_completed_tells_client_admins_and_partner_not_the_acting_expert(conn: tdb.Conn, world: World) -> None:
    u = world.users
    conn.execute("update public.client_companies set partner_user_id = %s where id = %s",
                 (u["partner_a"], world.companies["ca1"]))  # fmt: skip
    dossier = _dossier(conn, world)
    conn.execute(
        "insert into public.notification_settings (user_id, quiet_start, quiet_end, quiet_weekends)"
        " select x, '00:00', '00:00', false from unnest(%s::uuid[]) x",
        ([u["client_a"], u["owner_a"], u["admin_a"], u["partner_a"], u["expert_a"]],),
    )
    event = _event(conn, world, dossier, "complete_audit", actor=u["expert_a"])
    told = _told(conn, f"dossier_event:{event}")
    assert set(told) == {str(u[p]) for p in ("client_a", "owner_a", "admin_a", "partner_a")}
    assert told[str(u["client_a"])]["priority"] == "high"
    assert told[str(u["owner_a"])]["priority"] == "normal"
    assert all(t["mail"] == "queued" and t["template"] == "audit_completed" for t in told.values())
    broadcasts = conn.execute(
        "select topic, payload from realtime.messages where event = 'notifications' and topic = %s",
        (f"user:{u['client_a']}",),
    ).fetchall()
    assert len(broadcasts) == 1
    assert [n["event"] for n in broadcasts[0]["payload"]["notifications"]] == ["audit_completed"]


def test_every_writer_of_notifications_broadcasts_them_once_per_recipient(conn: tdb.Conn, world: World) -> None:
    # The reminder sweep and the digest insert notifications themselves: the broadcast is the table's.
    u = world.users
    dossier = _dossier(conn, world)
    conn.execute(
        "insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, body, link,"
        " priority, dedupe_key) select %s, r, 'documents_requested', %s, 'Relance', 'Pièces attendues', '/d', 'high',"
        " 'sweep-test:' || r || ':' || i from unnest(%s::uuid[]) r, generate_series(1, 2) i",
        (world.org_a, dossier, [u["client_a"], u["expert_a"]]),
    )
    rows = conn.execute(
        "select topic, payload from realtime.messages where event = 'notifications' and topic = any(%s)",
        ([f"user:{u['client_a']}", f"user:{u['expert_a']}", f"user:{u['owner_a']}"],),
    ).fetchall()
    assert sorted(r["topic"] for r in rows) == sorted([f"user:{u['client_a']}", f"user:{u['expert_a']}"])
    assert all(len(r["payload"]["notifications"]) == 2 for r in rows)


def test_preferences_essential_mail_and_suppression(conn: tdb.Conn, world: World) -> None:
    u = world.users
    dossier = _dossier(conn, world)
    conn.execute(
        "insert into public.notification_settings (user_id, locale, quiet_start, quiet_end, quiet_weekends)"
        " values (%s, 'en', '00:00', '00:00', false), (%s, 'fr', '00:00', '00:00', false)",
        (u["owner_a"], u["admin_a"]),
    )
    conn.execute(
        "insert into public.notification_preferences (user_id, event, channel, enabled) values"
        " (%s, 'dossier_submitted', 'email', false), (%s, 'dossier_submitted', 'in_app', false)",
        (u["owner_a"], u["admin_a"]),
    )
    event = _event(conn, world, dossier, "submit_eligibility", actor=u["client_a"])
    told = _told(conn, f"dossier_event:{event}")
    # the owner turned the email off: in-app only; the admin turned in-app off: email only
    assert str(u["owner_a"]) in told and told[str(u["owner_a"])]["mail"] is None
    assert str(u["admin_a"]) not in told
    mail = conn.execute(
        "select status, locale from public.email_outbox where idempotency_key = %s",
        (f"dossier_event:{event}:{u['admin_a']}",),
    ).fetchone()
    assert mail is not None and mail["status"] == "queued" and mail["locale"] == "fr"
    # an essential event cannot be switched off and goes to a suppressed address only because it is essential
    conn.execute("insert into public.email_suppressions (address, reason) select lower(email), 'bounced'"
                 " from auth.users where id = %s", (u["client_a"],))  # fmt: skip
    refund = _event(conn, world, dossier, "confirm_refund", actor=u["expert_a"])
    rejected = _event(conn, world, dossier, "review_document", actor=u["expert_a"], decision="rejected", reason="flou")
    validated = _event(conn, world, dossier, "review_document", actor=u["expert_a"], decision="validated")
    assert _told(conn, f"dossier_event:{refund}")[str(u["client_a"])]["mail"] in ("queued",)
    assert _told(conn, f"dossier_event:{rejected}")[str(u["client_a"])]["mail"] == "suppressed"
    assert _told(conn, f"dossier_event:{validated}") == {}


def test_digest_events_wait_for_the_digest_and_rerouting_a_statement_is_set_based(conn: tdb.Conn, world: World) -> None:
    u = world.users
    dossier = _dossier(conn, world)
    conn.execute(
        "insert into public.dossier_events (organization_id, dossier_id, type, actor_kind, actor_id, actor_role,"
        " title_fr, title_en, visibility)"
        " select %s, %s, 'document_uploaded', 'user', %s, 'client', 'Document déposé ' || g, 'Uploaded', 'client'"
        " from generate_series(1, 50) g",
        (world.org_a, dossier, u["client_a"]),
    )
    rows = conn.execute(
        "select count(*) as n, bool_and(email_digest) as digest from public.notifications"
        " where recipient_id = %s and event = 'document_uploaded'",
        (u["expert_a"],),
    ).fetchone()
    assert rows is not None and rows["n"] == 50 and rows["digest"]
    mails = conn.execute(
        "select count(*) as n from public.email_outbox where recipient_id = %s and event = 'document_uploaded'",
        (u["expert_a"],),
    ).fetchone()
    assert mails is not None and mails["n"] == 0


def test_offers_reach_the_offered_expert_and_client_choice_rules(conn: tdb.Conn, world: World) -> None:
    u = world.users
    dossier = _dossier(conn, world)
    conn.execute(
        "insert into public.marketplace_events (organization_id, dossier_id, expert_id, kind, actor_kind, detail)"
        " values (%s, %s, %s, 'offer_made', 'system', '{\"estimate\": \"1234.50\"}'),"
        "        (%s, %s, %s, 'offer_declined', 'system', '{}')",
        (world.org_a, dossier, world.experts["expert_a"], world.org_a, dossier, world.experts["expert_a"]),
    )
    offer = conn.execute(
        "select o.priority, m.essential, m.template_values from public.notifications o"
        " join public.email_outbox m on m.idempotency_key = o.dedupe_key"
        " where o.recipient_id = %s and o.event = 'offer_made'",
        (u["expert_a"],),
    ).fetchone()
    assert offer is not None and offer["priority"] == "high" and offer["essential"]
    assert offer["template_values"]["estimate"] == "1234.50" and offer["template_values"]["company"] == "A1"
    declined = conn.execute(
        "select array_agg(recipient_id::text) as who from public.notifications"
        " where event = 'offer_declined' and dossier_id = %s",
        (dossier,),
    ).fetchone()
    assert declined is not None
    # the organization lets clients choose (the default): the client is told as well as owners and admins
    assert set(declined["who"]) == {str(u["owner_a"]), str(u["admin_a"]), str(u["client_a"])}


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-03-04 21:30", "2026-03-05 08:00"),  # Wednesday night
        ("2026-03-05 07:59", "2026-03-05 08:00"),
        ("2026-03-05 12:00", "2026-03-05 12:00"),  # working hours: now
        ("2026-03-06 20:00", "2026-03-09 08:00"),  # Friday evening → Monday morning
        ("2026-03-07 11:00", "2026-03-09 08:00"),  # Saturday
        ("2026-03-28 23:00", "2026-03-30 08:00"),  # across the DST change
    ],
)
def test_quiet_hours_end(conn: tdb.Conn, local: str, expected: str) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=PARIS)
    row = conn.execute(
        "select private.quiet_hours_end(%s, 'Europe/Paris', '20:00', '08:00', true) as t", (at,)
    ).fetchone()
    assert row is not None
    assert row["t"].astimezone(PARIS) == datetime.fromisoformat(expected).replace(tzinfo=PARIS)


def test_urgent_passes_quiet_hours_and_in_app_does_not_wait(conn: tdb.Conn, world: World) -> None:
    u = world.users
    dossier = _dossier(conn, world)
    # everyone is in quiet time all day (a window covering every minute but 23:59)
    conn.execute(
        "insert into public.notification_settings (user_id, quiet_start, quiet_end, quiet_weekends)"
        " select x, '00:00', '23:59', true from unnest(%s::uuid[]) x",
        ([u["owner_a"], u["admin_a"], u["client_a"]],),
    )
    conn.execute(
        "insert into public.marketplace_events (organization_id, dossier_id, kind, actor_kind)"
        " values (%s, %s, 'assignment_failed', 'system')",
        (world.org_a, dossier),
    )
    rows = conn.execute(
        "select n.recipient_id, n.priority, o.send_after <= now() as now_ from public.notifications n"
        " join public.email_outbox o on o.idempotency_key = n.dedupe_key where n.event = 'assignment_failed'"
    ).fetchall()
    by_user = {r["recipient_id"]: r for r in rows}
    assert by_user[u["owner_a"]]["priority"] == "urgent" and by_user[u["owner_a"]]["now_"]
    assert by_user[u["client_a"]]["priority"] == "normal"
    local = conn.execute("select (now() at time zone 'Europe/Paris')::time < '23:59' as quiet").fetchone()
    assert local is not None
    assert by_user[u["client_a"]]["now_"] is (not local["quiet"])


def test_a_rolled_back_event_tells_nobody(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    with pytest.raises(RuntimeError), conn.transaction():
        _event(conn, world, dossier, "hold", actor=world.users["admin_a"])
        raise RuntimeError("rolled back")
    assert conn.execute(
        "select count(*) as n from public.notifications where dossier_id = %s", (dossier,)
    ).fetchone() == {"n": 0}
