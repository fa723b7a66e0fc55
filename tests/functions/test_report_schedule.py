"""The scheduled reports (`report-schedule` and its use case) on data committed as the cron finds it:
sent once per period (reruns and two runs at once on real threads), nothing without data, only the
latest period after downtime, each recipient's own view, and the attachment reaching Resend's single
send and the local `.eml`."""

from __future__ import annotations

import base64
import email
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from shared.adapters.mail import FileMailer, ResendMailer
from shared.adapters.storage import storage_from_settings
from shared.notifications import repository as outbox_repository
from shared.notifications import service as notifications
from shared.platform.settings import Secret, Settings
from shared.reports import service
from tests.support import db as tdb
from tests.support.resend_server import API_KEY, ResendStandIn, resend_stand_in

PARIS = ZoneInfo("Europe/Paris")
CRON = "reports-test-cron"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@dataclass
class Office:
    org: uuid.UUID
    users: dict[str, uuid.UUID]
    expert: uuid.UUID
    settings: Settings

    def subscribe(self, conn: tdb.Conn, user: str, kind: str, locale: str = "fr") -> None:
        conn.execute(
            "insert into public.report_subscriptions (organization_id, kind, recipient_id, locale)"
            " values (%s, %s, %s, %s)",
            (self.org, kind, self.users[user], locale),
        )

    def activity(self, conn: tdb.Conn, opened: str, closed: str | None) -> None:
        """An awaited action of a dossier of the organization's expert, opened (and closed) then."""
        company = tdb.make_company(conn, self.org, name=f"Transport {uuid.uuid4().hex[:6]}")
        row = conn.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
            " values (%s, %s, 'ticpe', %s) returning id",
            (self.org, company, self.expert),
        ).fetchone()
        assert row is not None
        action = conn.execute(
            "select private.open_awaited_action(%s, 'document_review', 'r', %s) as id", (row["id"], at(opened))
        ).fetchone()
        assert action is not None
        if closed is not None:
            conn.execute("select private.close_awaited_action(%s, 'done', %s)", (action["id"], at(closed)))

    def run(self, when: str) -> list[int]:
        """The organization's run as the cron does it, for its subscribed kinds."""
        with tdb.connect(self.settings.database_url.value) as conn:
            row = conn.execute(
                "select array_agg(distinct kind) as kinds from public.report_subscriptions"
                " where organization_id = %s and active",
                (self.org,),
            ).fetchone()
        assert row is not None
        return service.run_organization(
            str(self.org), "Europe/Paris", row["kinds"] or [], now=at(when),
            storage=storage_from_settings(self.settings),
        )  # fmt: skip

    def ledger(self, conn: tdb.Conn) -> list[tuple[str, str, int]]:
        rows = conn.execute(
            "select idempotency_key, kind, messages from public.scheduled_reports where organization_id = %s"
            " order by kind, period_start",
            (self.org,),
        ).fetchall()
        return [(r["idempotency_key"], r["kind"], r["messages"]) for r in rows]

    def mail(self, conn: tdb.Conn) -> list[dict[str, Any]]:
        return conn.execute(
            "select o.*, (select count(*) from public.email_attachments a where a.outbox_id = o.id) as files"
            " from public.email_outbox o where o.organization_id = %s and o.event = 'scheduled_report'"
            " order by o.idempotency_key",
            (self.org,),
        ).fetchall()


@pytest.fixture
def stand_in() -> Iterator[ResendStandIn]:
    with resend_stand_in() as server:
        yield server


@pytest.fixture
def office(committed: tdb.Conn, use: Callable[..., Settings], tmp_path: Path) -> Office:
    settings = use(cron_secret=Secret(CRON), signing_secret=Secret("reports-signing"),
                   public_base_url="https://api.example.test", storage_dir=str(tmp_path / "storage"))  # fmt: skip
    org = tdb.make_org(committed, "Cabinet <Rapports> & Fils")
    committed.execute("update public.organizations set legal_footer = 'SAS Rapports – RCS Paris' where id = %s", (org,))
    users: dict[str, uuid.UUID] = {}
    for name, role in (("owner", "owner"), ("admin", "admin"), ("expert", "expert"), ("client", "client")):
        users[name] = tdb.make_user(committed, f"{name}-{uuid.uuid4().hex[:8]}@example.test")
        tdb.add_member(committed, org, users[name], role)
    expert = tdb.make_expert(committed, org, users["expert"])
    return Office(org, users, expert, settings)


def test_a_daily_report_is_queued_once_with_its_attachment_and_the_queues(committed: tdb.Conn, office: Office) -> None:
    office.activity(committed, "2026-03-09 09:00", "2026-03-09 15:00")  # closed on the 9th
    office.activity(committed, "2026-01-05 09:00", None)  # still open, long past its warning: at risk
    office.subscribe(committed, "owner", "daily")
    office.subscribe(committed, "admin", "daily", "en")
    office.subscribe(committed, "client", "daily")  # clients do not read KPIs: nothing for them
    assert office.run("2026-03-10 06:55") == [2]  # before 07:00: the 8th (the open action is activity)
    assert office.run("2026-03-10 07:05") == [2]
    assert office.run("2026-03-10 07:20") == []  # a rerun takes nothing
    keys = [k for k, _, _ in office.ledger(committed)]
    assert keys == [f"report:{office.org}:daily:2026-03-08", f"report:{office.org}:daily:2026-03-09"]
    mail = [m for m in office.mail(committed) if ":2026-03-09:" in m["idempotency_key"]]
    assert {m["recipient_id"] for m in mail} == {office.users["owner"], office.users["admin"]}
    for m in mail:
        assert m["status"] == "queued" and m["template"] == "scheduled_report" and m["has_attachments"]
        assert m["files"] == 1 and m["essential"] is False
        values = m["template_values"]
        assert values["closed"] == 1 and values["start"] == values["end"] == "2026-03-09"
        assert values["queues"] == {"eligibility": 0, "experts": 0, "at_risk": 1}
        assert values["file_name"].endswith(".xlsx")
    assert {m["locale"] for m in mail} == {"fr", "en"}


def test_no_data_in_the_period_sends_nothing(committed: tdb.Conn, office: Office) -> None:
    office.activity(committed, "2026-03-02 09:00", "2026-03-02 10:00")
    office.subscribe(committed, "owner", "weekly")
    assert office.run("2026-03-16 08:00") == [0]  # the week of 9 March had nothing
    assert office.mail(committed) == []
    assert office.run("2026-03-09 08:00") == [1]  # the week of 2 March had the action


def test_after_downtime_only_the_latest_period_is_sent(committed: tdb.Conn, office: Office) -> None:
    office.activity(committed, "2026-01-12 09:00", "2026-01-12 11:00")
    office.activity(committed, "2026-02-10 09:00", "2026-02-10 11:00")
    office.activity(committed, "2026-03-10 09:00", "2026-03-10 11:00")
    office.subscribe(committed, "owner", "monthly")
    # the cron was down since January: on 3 April only March leaves, once
    assert office.run("2026-04-03 10:00") == [1]
    assert office.run("2026-04-03 10:15") == []
    assert office.ledger(committed) == [(f"report:{office.org}:monthly:2026-03-01", "monthly", 1)]


def test_a_recipient_who_turned_the_reports_off_gets_none(committed: tdb.Conn, office: Office) -> None:
    office.activity(committed, "2026-03-09 09:00", "2026-03-09 15:00")
    office.subscribe(committed, "owner", "daily")
    office.subscribe(committed, "admin", "daily")
    committed.execute(
        "insert into public.notification_preferences (user_id, event, channel, enabled)"
        " values (%s, 'scheduled_report', 'email', false)",
        (office.users["admin"],),
    )
    assert office.run("2026-03-10 07:05") == [1]
    assert [m["recipient_id"] for m in office.mail(committed)] == [office.users["owner"]]


@pytest.mark.race
def test_two_runs_at_once_send_a_period_once(committed: tdb.Conn, office: Office) -> None:
    office.activity(committed, "2026-03-09 09:00", "2026-03-09 15:00")
    office.subscribe(committed, "owner", "daily")
    office.subscribe(committed, "admin", "daily", "en")
    office.subscribe(committed, "expert", "weekly")  # the week of 2 March: no data, nothing sent
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(office.run("2026-03-10 07:05"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(sum(r) for r in results) == [0, 2]
    assert len(office.ledger(committed)) == 2
    assert len(office.mail(committed)) == 2


def _only_mine(conn: tdb.Conn, office: Office) -> None:
    """Other tests' committed mail stays out of this dispatch (cancelled)."""
    conn.execute(
        "update public.email_outbox set status = 'cancelled' where status = 'queued' and organization_id <> %s",
        (office.org,),
    )
    conn.execute("update public.email_batches set status = 'failed' where status in ('pending', 'sending')")


def test_the_report_reaches_resend_through_the_single_send(
    committed: tdb.Conn, office: Office, stand_in: ResendStandIn
) -> None:
    office.activity(committed, "2026-03-09 09:00", "2026-03-09 15:00")
    office.subscribe(committed, "owner", "daily")
    assert office.run("2026-03-10 07:05") == [1]
    _only_mine(committed, office)
    links = outbox_repository.Links("https://api.example.test", "reports-signing", "https://app.example.test")
    mailer = ResendMailer(API_KEY, stand_in.url)
    out = notifications.dispatch(mailer, sender="Rapports <r@example.test>", links=links)
    assert out.sent == 1 and out.failed == 0
    assert len(stand_in.singles) == 1 and len(stand_in.deliveries) == 1
    [sent] = stand_in.sent
    [attachment] = sent["attachments"]
    assert attachment["filename"].endswith(".xlsx") and attachment["content_type"] == XLSX
    assert base64.b64decode(attachment["content"])[:2] == b"PK"  # a zip: the XLSX file
    assert sent["subject"].startswith("Rapport quotidien de suivi – Cabinet <Rapports> & Fils – 09/03/2026")
    assert "Cabinet &lt;Rapports&gt; &amp; Fils" in sent["html"] and "SAS Rapports – RCS Paris" in sent["html"]
    assert "List-Unsubscribe" in sent["headers"]
    [row] = office.mail(committed)
    assert row["status"] == "sent" and row["resend_id"]
    # a resend of the same batch and key (a dispatcher that died after Resend accepted) sends nothing more
    batch = committed.execute("select idempotency_key from public.email_batches where id = %s", (row["batch_id"],))
    key = batch.fetchone()
    assert key is not None
    mailer.send(
        notifications_email(committed, row["id"]), idempotency_key=key["idempotency_key"]
    )  # same payload, same key
    assert len(stand_in.deliveries) == 1


def notifications_email(conn: tdb.Conn, outbox_id: object) -> Any:
    """The frozen message of an outbox row, as the dispatcher sent it."""
    from shared.adapters.mail import Attachment, Email

    m = conn.execute("select * from public.email_outbox where id = %s", (outbox_id,)).fetchone()
    assert m is not None
    files = conn.execute(
        "select filename, content_type, content from public.email_attachments where outbox_id = %s", (outbox_id,)
    ).fetchall()
    return Email(
        message_id=str(m["id"]), sender="Rapports <r@example.test>", to=m["to_address"], subject=m["subject"],
        html=m["html"], text=m["text_body"], headers=m["headers"],
        attachments=tuple(Attachment(f["filename"], f["content_type"], bytes(f["content"])) for f in files),
    )  # fmt: skip


def test_the_local_eml_carries_the_attachment(committed: tdb.Conn, office: Office, tmp_path: Path) -> None:
    office.activity(committed, "2026-03-09 09:00", "2026-03-09 15:00")
    office.subscribe(committed, "admin", "daily", "en")
    assert office.run("2026-03-10 07:05") == [1]
    _only_mine(committed, office)
    out = notifications.dispatch(FileMailer(tmp_path / "mail"), sender="r@example.test")
    assert out.sent == 1
    [row] = office.mail(committed)
    message = email.message_from_bytes((tmp_path / "mail" / f"{row['id']}.eml").read_bytes())
    assert message["Subject"].startswith("Daily follow-up report")
    parts = [p for p in message.walk() if p.get_filename()]
    assert len(parts) == 1 and parts[0].get_content_type() == XLSX
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes) and payload[:2] == b"PK"


def test_only_the_scheduler_may_run_it(office: Office, client_for: Callable[[str], FlaskClient]) -> None:
    app = client_for("report_schedule")
    assert app.post("/report-schedule", json={}).status_code == 401
    response = app.post("/report-schedule", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200, response.get_json()
    assert set(response.get_json()) == {"reports", "messages", "empty", "failed"}
