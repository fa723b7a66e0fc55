"""The reminder sweep (`followup-sweep` and its use case) on FOLLOWUP.md's public examples, committed
in the test database as the cron finds them: Whit Monday, Ascension, the DST change, pauses, threshold
changes, the catch-up after a gap, quiet hours, preferences, and concurrent runs on real threads."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from shared.followup import service
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb

PARIS = ZoneInfo("Europe/Paris")
CRON = "followup-test-cron"
SIGNING = "followup-test-signing"


def at(text: str) -> datetime:
    """A Paris wall-clock instant, `2026-06-02 09:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@dataclass
class Office:
    org: uuid.UUID
    users: dict[str, uuid.UUID]
    company: uuid.UUID
    expert: uuid.UUID
    settings: Settings

    def dossier(self, conn: tdb.Conn, *, expert: bool = True) -> uuid.UUID:
        """A TICPE dossier of a new company of the same client user and partner (one per company and product)."""
        company = tdb.make_company(
            conn, self.org, name="Transport Dupont", users=(self.users["client"],), partner=self.users["partner"]
        )
        row = conn.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
            " values (%s, %s, 'ticpe', %s) returning id",
            (self.org, company, self.expert if expert else None),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def open(self, conn: tdb.Conn, dossier: uuid.UUID, code: str, when: str, subject: str = "") -> int:
        row = conn.execute(
            "select private.open_awaited_action(%s, %s, %s, %s) as id", (dossier, code, subject, at(when))
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def sweep(self, when: str) -> tuple[int, int, int]:
        return service.sweep_organization(str(self.org), at(when), self.settings)


@pytest.fixture
def office(committed: tdb.Conn, use: Callable[..., Settings]) -> Office:
    settings = use(cron_secret=Secret(CRON), signing_secret=Secret(SIGNING), public_base_url="https://api.example.test",
                   app_base_url="https://app.example.test")  # fmt: skip
    org = tdb.make_org(committed, "Cabinet Relances")
    users: dict[str, uuid.UUID] = {}
    for name, role in (
        ("owner", "owner"),
        ("admin", "admin"),
        ("expert", "expert"),
        ("client", "client"),
        ("partner", "partner"),
        ("viewer", "viewer"),
    ):
        users[name] = tdb.make_user(committed, f"{name}-{uuid.uuid4().hex[:8]}@example.test")
        tdb.add_member(committed, org, users[name], role)
    users["outsider"] = tdb.make_user(committed)
    company = tdb.make_company(
        committed, org, name="Transport Dupont", users=(users["client"],), partner=users["partner"]
    )
    expert = tdb.make_expert(committed, org, users["expert"])
    return Office(org, users, company, expert, settings)


def ledger(conn: tdb.Conn, action: int) -> list[tuple[str, str]]:
    rows = conn.execute(
        "select step, status from public.reminder_ledger where action_id = %s order by id", (action,)
    ).fetchall()
    return [(r["step"], r["status"]) for r in rows]


def mail(conn: tdb.Conn, action: int) -> list[dict[str, Any]]:
    return conn.execute(
        "select o.* from public.email_outbox o where o.id in (select m.outbox_id from public.reminder_messages m"
        " join public.reminder_ledger l on l.id = m.ledger_id where l.action_id = %s) order by o.created_at, o.id",
        (action,),
    ).fetchall()


def inbox(conn: tdb.Conn, dossier: uuid.UUID) -> list[dict[str, Any]]:
    return conn.execute(
        "select * from public.notifications where dossier_id = %s order by created_at, title", (dossier,)
    ).fetchall()


def test_the_whit_monday_request_reminds_escalates_and_goes_critical(committed: tdb.Conn, office: Office) -> None:
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "client_documents", "2026-05-22 19:10", "r1")
    u = office.users
    assert office.sweep("2026-06-01 17:45") == (0, 0, 0)
    assert office.sweep("2026-06-01 18:00") == (0, 0, 0)  # due at 18:00, leaves at the next opening
    assert office.sweep("2026-06-02 09:00") == (1, 1, 1)
    assert ledger(committed, action) == [("reminder", "sent")]
    [first] = mail(committed, action)
    assert first["recipient_id"] == u["client"] and first["subject"].startswith("[TICPE] Relance")
    assert "Transport Dupont" in first["text_body"] and "List-Unsubscribe" in first["headers"]
    assert first["idempotency_key"].startswith("reminder:") and not first["essential"]
    assert office.sweep("2026-06-02 09:15") == (0, 0, 0)
    assert office.sweep("2026-06-09 09:00") == (1, 3, 3)  # escalated: client, expert, partner
    reached = {m["recipient_id"] for m in mail(committed, action)[1:]}
    assert reached == {u["client"], u["expert"], u["partner"]}
    assert office.sweep("2026-06-16 09:00") == (1, 4, 4)  # critical: client, expert, owner, admin
    critical = mail(committed, action)[4:]
    assert {m["recipient_id"] for m in critical} == {u["client"], u["expert"], u["owner"], u["admin"]}
    assert all(m["essential"] and m["headers"] == {} for m in critical)
    assert ledger(committed, action) == [("reminder", "sent"), ("escalated", "sent"), ("critical", "sent")]
    statuses = Counter((n["recipient_id"], n["status"]) for n in inbox(committed, dossier))
    assert statuses[(u["client"], "replaced")] == 2 and statuses[(u["client"], "unread")] == 1
    assert office.sweep("2026-06-30 09:00") == (0, 0, 0)


def test_the_last_item_uploaded_closes_the_instance_and_nothing_more_leaves(
    committed: tdb.Conn, office: Office
) -> None:
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "client_documents", "2026-05-22 19:10", "r1")
    assert office.sweep("2026-06-02 09:00") == (1, 1, 1)
    committed.execute(
        "update public.email_outbox set status = 'queued', send_after = now() + interval '1 day'"
        " where id in (select outbox_id from public.reminder_messages m join public.reminder_ledger l"
        " on l.id = m.ledger_id where l.action_id = %s)",
        (action,),
    )
    close = "select private.close_awaited_action(%s, 'documents_provided', %s)"
    committed.execute(close, (action, at("2026-06-03 11:00")))
    assert [m["status"] for m in mail(committed, action)] == ["cancelled"]  # not yet sent: cancelled
    assert {n["status"] for n in inbox(committed, dossier)} == {"resolved"}
    for when in ("2026-06-09 09:00", "2026-06-16 09:00", "2026-07-01 09:00"):
        assert office.sweep(when) == (0, 0, 0)
    assert ledger(committed, action) == [("reminder", "sent")]


def test_the_catch_up_after_a_gap_sends_the_critical_step_once(committed: tdb.Conn, office: Office) -> None:
    dossiers = [office.dossier(committed) for _ in range(3)]
    actions = [office.open(committed, d, "client_documents", "2026-05-22 19:10", "r1") for d in dossiers]
    steps, reached, queued = office.sweep("2026-06-17 10:00")
    assert steps == 3 and reached == 12  # 3 dossiers × (client, expert, owner, admin)
    assert queued == 4  # one message per recipient grouping the three dossiers
    for action in actions:
        assert ledger(committed, action) == [("reminder", "skipped"), ("escalated", "skipped"), ("critical", "sent")]
    grouped = committed.execute(
        "select o.recipient_id, count(*) as n from public.email_outbox o join public.reminder_messages m"
        " on m.outbox_id = o.id where o.organization_id = %s group by o.recipient_id",
        (office.org,),
    ).fetchall()
    assert sorted(r["n"] for r in grouped) == [3, 3, 3, 3]
    # a grouped reminder links to the front end's dossier list (APP_BASE_URL)
    mail = committed.execute(
        "select text_body, headers from public.email_outbox where organization_id = %s limit 1", (office.org,)
    ).fetchone()
    assert mail is not None and "https://app.example.test/dossiers" in mail["text_body"]
    assert office.sweep("2026-06-17 10:00") == (0, 0, 0)
    assert office.sweep("2026-06-17 10:15") == (0, 0, 0)


def test_ascension_and_a_closed_friday_with_the_75_percent_notice(committed: tdb.Conn, office: Office) -> None:
    committed.execute(
        "insert into public.business_calendars (organization_id, closed_days) values (%s, '{2026-05-15}')",
        (office.org,),
    )
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "eligibility_review", "2026-05-13 17:00")
    row = committed.execute("select * from public.awaited_actions where id = %s", (action,)).fetchone()
    assert row is not None
    assert row["target_at"] == at("2026-05-18 17:00") and row["warning_at"] == at("2026-05-19 17:00")
    assert row["breach_at"] == at("2026-05-20 17:00")
    assert row["notice_at"] == at("2026-05-18 15:08")  # 75 % of 450 minutes: 338
    assert office.sweep("2026-05-18 15:00") == (0, 0, 0)
    assert office.sweep("2026-05-18 15:15") == (1, 2, 0)  # in-app only, to the owner and the admin
    notices = inbox(committed, dossier)
    assert {n["event"] for n in notices} == {"action_due_soon"}
    assert all("À traiter avant le 18/05/2026 17:00" in n["body"] for n in notices)
    assert office.sweep("2026-05-18 17:00") == (1, 2, 2)
    assert ledger(committed, action) == [("notice", "sent"), ("reminder", "sent")]
    assert Counter(n["status"] for n in inbox(committed, dossier)) == {"replaced": 2, "unread": 2}


def test_across_the_dst_change(committed: tdb.Conn, office: Office) -> None:
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "expert_next_step", "2026-03-27 17:00")
    row = committed.execute("select target_at from public.awaited_actions where id = %s", (action,)).fetchone()
    assert row is not None and row["target_at"] == at("2026-03-30 17:00")  # 60 + 390 minutes, CET → CEST
    assert office.sweep("2026-03-30 16:45")[0] == 1  # the expert's 75 % notice, left earlier
    assert ledger(committed, action) == [("notice", "sent")]
    assert office.sweep("2026-03-30 17:00") == (1, 1, 1)
    assert ledger(committed, action) == [("notice", "sent"), ("reminder", "sent")]


def test_a_paused_audit_sends_nothing_and_resumes_on_the_example(committed: tdb.Conn, office: Office) -> None:
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "audit", "2026-03-02 09:00")
    pause = "select private.pause_awaited_action(%s, 'waiting_on_client', %s)"
    committed.execute(pause, (action, at("2026-03-04 09:00")))
    assert office.sweep("2026-03-16 10:00") == (0, 0, 0)  # the unpaused clock would have been late
    resume = "select private.resume_awaited_action(%s, 'waiting_on_client', %s)"
    committed.execute(resume, (action, at("2026-03-18 09:00")))
    assert office.sweep("2026-03-23 10:45") == (0, 0, 0)
    assert office.sweep("2026-03-23 11:00") == (1, 1, 0)  # the expert's 75 % notice (10:53), in-app only
    assert office.sweep("2026-03-24 18:00") == (0, 0, 0)  # 7 d reached at 18:00, the reminder waits for 09:00
    assert office.sweep("2026-03-25 09:00") == (1, 1, 1)
    assert ledger(committed, action) == [("notice", "sent"), ("reminder", "sent")]


def test_a_threshold_change_moves_the_next_step(committed: tdb.Conn, office: Office) -> None:
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "eligibility_review", "2026-05-13 17:00")
    tdb.as_user(committed, office.users["admin"])
    committed.execute(
        "update public.awaited_action_rules set target = 2, warning = 3 where organization_id = %s"
        " and code = 'eligibility_review'",
        (office.org,),
    )
    tdb.as_owner(committed)
    assert office.sweep("2026-05-15 17:00") == (0, 0, 0) or ledger(committed, action) == [("notice", "sent")]
    assert ("reminder", "sent") not in ledger(committed, action)
    assert office.sweep("2026-05-18 17:00") == (1, 2, 2)
    assert ledger(committed, action)[-1] == ("reminder", "sent")
    committed.execute(
        "update public.awaited_action_rules set active = false"
        " where organization_id = %s and code = 'eligibility_review'",
        (office.org,),
    )
    assert office.sweep("2026-06-30 10:00") == (0, 0, 0)


def test_quiet_hours_hold_the_mail_not_the_app_and_urgent_passes(committed: tdb.Conn, office: Office) -> None:
    committed.execute(
        "insert into public.notification_settings (user_id, quiet_start, quiet_end) values (%s, '08:30', '10:00')",
        (office.users["client"],),
    )
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "client_documents", "2026-05-22 19:10", "r1")
    assert office.sweep("2026-06-02 09:00") == (1, 1, 1)
    [held] = mail(committed, action)
    assert held["send_after"] == at("2026-06-02 10:00")
    assert [n["status"] for n in inbox(committed, dossier)] == ["unread"]
    assert office.sweep("2026-06-16 09:00")[0] == 1
    urgent = [m for m in mail(committed, action) if m["recipient_id"] == office.users["client"]][-1]
    assert urgent["send_after"] == at("2026-06-16 09:00")


def test_email_switched_off_keeps_the_in_app_reminder(committed: tdb.Conn, office: Office) -> None:
    committed.execute(
        "insert into public.notification_preferences (user_id, event, channel, enabled)"
        " values (%s, 'reminder', 'email', false)",
        (office.users["client"],),
    )
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "client_documents", "2026-05-22 19:10", "r1")
    assert office.sweep("2026-06-02 09:00") == (1, 1, 0)
    assert mail(committed, action) == [] and len(inbox(committed, dossier)) == 1


def test_an_unusable_address_gets_the_app_only_and_fails_nothing(committed: tdb.Conn, office: Office) -> None:
    committed.execute("update auth.users set email = 'not an address' where id = %s", (office.users["client"],))
    dossier = office.dossier(committed)
    action = office.open(committed, dossier, "client_documents", "2026-05-22 19:10", "r1")
    assert office.sweep("2026-06-09 09:00") == (1, 3, 2)  # escalated: expert and partner by email too
    assert office.users["client"] not in {m["recipient_id"] for m in mail(committed, action)}
    assert office.users["client"] in {n["recipient_id"] for n in inbox(committed, dossier)}


@pytest.mark.race
def test_concurrent_sweeps_on_real_threads_send_nothing_twice(committed: tdb.Conn, office: Office) -> None:
    dossiers = [office.dossier(committed, expert=False) for _ in range(120)]
    actions = [office.open(committed, d, "client_documents", "2026-05-22 19:10", "r1") for d in dossiers]
    barrier = threading.Barrier(4)
    results: list[tuple[int, int, int]] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            for when in ("2026-06-02 09:00", "2026-06-02 09:00", "2026-06-09 09:00"):
                results.append(office.sweep(when))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sum(r[0] for r in results) == 240  # 120 reminders + 120 escalations, each exactly once
    sent = committed.execute(
        "select step, count(*) as n from public.reminder_ledger where action_id = any(%s) and status = 'sent'"
        " group by step",
        (actions,),
    ).fetchall()
    assert {r["step"]: r["n"] for r in sent} == {"reminder": 120, "escalated": 120}
    carried = committed.execute(
        "select m.ledger_id, o.recipient_id, count(*) as n from public.reminder_messages m"
        " join public.email_outbox o on o.id = m.outbox_id join public.reminder_ledger l on l.id = m.ledger_id"
        " where l.action_id = any(%s) group by m.ledger_id, o.recipient_id",
        (actions,),
    ).fetchall()
    assert len(carried) == 120 * 1 + 120 * 2 and {r["n"] for r in carried} == {1}  # escalated: client, partner
    notified = committed.execute(
        "select count(*) as n from public.notifications where dossier_id = any(%s)", (dossiers,)
    ).fetchone()
    assert notified is not None and notified["n"] == 120 + 120 * 2


def test_the_cron_function_needs_its_secret(office: Office, client_for: Callable[[str], FlaskClient]) -> None:
    app = client_for("followup_sweep")
    assert app.post("/followup-sweep", json={}).status_code == 401
    response = app.post("/followup-sweep", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"organizations", "failed", "steps_sent", "notifications", "emails_queued", "seconds"}
