"""Reminders of the due COREP reports through the follow-up engine (issue 14 item 7, migrations 0185–0186):
one awaited action per plan × reference date opened idempotently (also by two runs at once), the
sweep sending each step once to the prudential analysts and approvers (owners and admins once the
remittance day has passed) in French or English, across two sweeps and two concurrent sweeps on real
threads, the export of the report's package closing it and cancelling what had not left, who reads
the reminders (row counts per role) and the calendar showing their state."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from shared.followup import service
from shared.platform.settings import Secret, Settings
from shared.reporting import reminders
from tests.support import db as tdb
from tests.support.prudential import Bank, make_bank
from tests.support.tokens import KeyPair

PARIS = ZoneInfo("Europe/Paris")
LEI = "529900T8BM49AURSDO55"
CRON = "corep-reminder-cron"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.fixture
def cfg(use: Callable[..., Settings], tmp_path: Path) -> Settings:
    return use(
        storage_dir=str(tmp_path / "storage"),
        signing_secret=Secret("corep-reminder-signing-secret-32b!!"),
        cron_secret=Secret(CRON),
    )


@pytest.fixture
def bank(committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient], cfg: Settings) -> Bank:
    return make_bank(committed, keys, client_for("prudential"))


def plan(bank: Bank, module: str = "corep_of", basis: str = "CON") -> str:
    portfolio = bank.portfolio()
    made = bank.post(
        "owner",
        "/corep/plans",
        {"organization_id": str(bank.org), "module": module, "basis": basis, "portfolio_id": portfolio,
         "country": "FR"},
    )  # fmt: skip
    assert made.status_code == 201, made.json
    return portfolio


def actions(conn: tdb.Conn, org: uuid.UUID) -> list[dict[str, Any]]:
    return conn.execute(
        "select a.*, k.module, k.basis, k.reference_date, k.remittance_date from public.awaited_actions a"
        " join public.corep_report_reminders k on k.action_id = a.id where a.organization_id = %s"
        " order by k.reference_date",
        (org,),
    ).fetchall()


def mail(conn: tdb.Conn, action: int) -> list[dict[str, Any]]:
    return conn.execute(
        "select o.* from public.email_outbox o where o.id in (select m.outbox_id from public.reminder_messages m"
        " join public.reminder_ledger l on l.id = m.ledger_id where l.action_id = %s) order by o.created_at, o.id",
        (action,),
    ).fetchall()


def ledger(conn: tdb.Conn, action: int) -> list[tuple[str, str]]:
    rows = conn.execute(
        "select step, status from public.reminder_ledger where action_id = %s order by id", (action,)
    ).fetchall()
    return [(r["step"], r["status"]) for r in rows]


def sweep(bank: Bank, when: str) -> tuple[int, int, int]:
    return service.sweep_organization(str(bank.org), at(when), SETTINGS[0])


SETTINGS: list[Settings] = []


@pytest.fixture(autouse=True)
def _settings(cfg: Settings) -> Any:
    SETTINGS.insert(0, cfg)
    yield
    SETTINGS.remove(cfg)


@pytest.mark.race
def test_opening_is_idempotent_even_for_two_runs_at_once(bank: Bank, committed: tdb.Conn) -> None:
    plan(bank)
    reminders.open_due_reports(now=at("2027-04-20 09:00"))
    reminders.open_due_reports(now=at("2027-04-20 09:00"))
    opened = actions(committed, bank.org)
    assert [(a["module"], str(a["reference_date"]), str(a["remittance_date"])) for a in opened] == [
        ("corep_of", "2027-03-31", "2027-05-12"),
        ("corep_of", "2027-06-30", "2027-08-11"),
    ]
    first = opened[0]
    assert first["subject"] == "corep_of:CON:2027-03-31" and first["dossier_id"] is None
    assert first["conversation_id"] is None and first["closed_at"] is None
    # 20 business days before the end of 12 May 2027 (Ascension on the 6th): 5 before, the morning of, after
    assert first["target_at"] == at("2027-05-04 18:00")
    assert first["warning_at"] == at("2027-05-11 18:00")
    assert first["breach_at"] == at("2027-05-12 18:00")

    # a later run, two at once on real threads: nothing more is opened
    plan(bank, "corep_lr")
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        counts.append(reminders.open_due_reports(now=at("2027-04-21 10:00")))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(a["module"] for a in actions(committed, bank.org)) == {"corep_of": 2, "corep_lr": 2}
    assert sum(counts) >= 2
    assert reminders.open_due_reports(now=at("2027-04-21 10:00")) == 0


@pytest.mark.race
def test_each_step_leaves_once_across_sweeps_and_concurrent_sweeps(bank: Bank, committed: tdb.Conn) -> None:
    plan(bank)
    committed.execute(
        "insert into public.notification_settings (user_id, locale) values (%s, 'en')", (bank.users["approver"],)
    )
    reminders.open_due_reports(now=at("2027-04-20 09:00"))
    action = int(actions(committed, bank.org)[0]["id"])
    u = bank.users
    team = {u["analyst"], u["analyst2"], u["approver"], u["approver2"]}
    assert sweep(bank, "2027-05-04 17:45") == (0, 0, 0)
    assert sweep(bank, "2027-05-05 09:00") == (1, 4, 4)
    assert sweep(bank, "2027-05-05 09:15") == (0, 0, 0)
    sent = mail(committed, action)
    assert {m["recipient_id"] for m in sent} == team
    assert all(m["event"] == "report_due" and m["essential"] and m["headers"] == {} for m in sent)
    french = next(m for m in sent if m["recipient_id"] == u["analyst"])
    assert french["subject"] == (
        "Rappel : Fonds propres et exigences (COREP OF) au 31/03/2027 à remettre avant le 12/05/2027"
    )
    assert f"/reporting/calendar?organization_id={bank.org}" in french["text_body"]
    assert "Ouvrir le calendrier des remises" in french["html"]
    english = next(m for m in sent if m["recipient_id"] == u["approver"])
    assert english["subject"].startswith("Reminder: Own funds and requirements (COREP OF) at ")
    inbox = committed.execute(
        "select recipient_id, event, title, body, link from public.notifications where organization_id = %s"
        " and event = 'report_due'",
        (bank.org,),
    ).fetchall()
    assert {n["recipient_id"] for n in inbox} == team
    assert all("COREP OF CON – 31/03/2027 → 12/05/2027" in n["body"] for n in inbox)

    # the remittance morning: two sweeps at once send the urgent step once
    outcomes: list[tuple[int, int, int]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        outcomes.append(sweep(bank, "2027-05-12 09:00"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [(0, 0, 0), (1, 4, 4)]
    # the day has passed: owners and admins too, once
    assert sweep(bank, "2027-05-13 09:00") == (1, 6, 6)
    assert sweep(bank, "2027-05-13 10:00") == (0, 0, 0)
    late = mail(committed, action)[8:]
    assert {m["recipient_id"] for m in late} == team | {u["owner"], u["admin"]}
    assert next(m for m in late if m["recipient_id"] == u["owner"])["subject"].startswith(
        "Déclaration en retard : Fonds propres et exigences (COREP OF) au 31/03/2027 à remettre depuis le"
    )
    assert ledger(committed, action) == [("reminder", "sent"), ("escalated", "sent"), ("critical", "sent")]
    states = Counter(
        r["status"]
        for r in committed.execute(
            "select status from public.notifications where recipient_id = %s and event = 'report_due'",
            (u["analyst"],),
        ).fetchall()
    )
    assert states == {"replaced": 2, "unread": 1}
    for who in ("viewer", "expert", "client", "partner", "stranger"):
        assert not [m for m in mail(committed, action) if m["recipient_id"] == u[who]]


def corep_input(reference: str) -> dict[str, Any]:
    return {
        "id": "Q1-2027",
        "reference_date": reference,
        "exposures": [
            {"id": "c1", "class": "corporate", "amount": "1000000", "cqs": 2},
            {"id": "r1", "class": "retail", "amount": "50000.10"},
        ],
        "own_funds": {"cet1_instruments": "200000", "at1_instruments": "10000"},
        "requirements": {"p2r": "0.02"},
    }


def test_exporting_the_package_closes_the_reminder_and_cancels_what_had_not_left(
    bank: Bank, committed: tdb.Conn
) -> None:
    portfolio = plan(bank)
    reminders.open_due_reports(now=at("2027-04-20 09:00"))
    first, _ = actions(committed, bank.org)
    action = int(first["id"])
    assert sweep(bank, "2027-05-05 09:00") == (1, 4, 4)
    committed.execute(
        "update public.email_outbox set status = 'queued', send_after = now() + interval '1 day'"
        " where id in (select outbox_id from public.reminder_messages m join public.reminder_ledger l"
        " on l.id = m.ledger_id where l.action_id = %s)",
        (action,),
    )
    version = bank.version(portfolio, corep_input("2027-03-31"))
    calc = bank.calculate(version)["id"]
    assert bank.post("analyst", f"/versions/{version}/submit", {}).status_code == 200
    assert bank.post("approver", f"/versions/{version}/approve", {}).status_code == 200
    # the workbook is no filing: the reminder stays open
    assert bank.get("viewer", f"/calculations/{calc}/corep/workbook").status_code == 200
    assert actions(committed, bank.org)[0]["closed_at"] is None
    got = bank.get("viewer", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR")
    assert got.status_code == 200, got.json["errors"]  # type: ignore[index]
    closed, still = actions(committed, bank.org)
    assert closed["close_reason"] == "exported" and closed["next_step_at"] is None
    assert still["closed_at"] is None  # the next quarter's report is still awaited
    assert {m["status"] for m in mail(committed, action)} == {"cancelled"}
    assert {
        r["status"]
        for r in committed.execute(
            "select n.status from public.notifications n where n.organization_id = %s and n.event = 'report_due'",
            (bank.org,),
        ).fetchall()
    } == {"resolved"}
    for when in ("2027-05-12 09:00", "2027-05-13 09:00", "2027-06-01 09:00"):
        assert sweep(bank, when) == (0, 0, 0)
    assert ledger(committed, action) == [("reminder", "sent")]
    # a closed reminder is never opened again
    assert reminders.open_due_reports(now=at("2027-04-22 09:00")) == 0
    assert len(actions(committed, bank.org)) == 2


def test_a_report_already_exported_and_a_dropped_plan_are_not_reminded(bank: Bank, committed: tdb.Conn) -> None:
    portfolio = plan(bank)
    version = bank.version(portfolio, corep_input("2027-03-31"))
    calc = bank.calculate(version)["id"]
    assert bank.post("analyst", f"/versions/{version}/submit", {}).status_code == 200
    assert bank.post("approver", f"/versions/{version}/approve", {}).status_code == 200
    assert bank.get("viewer", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR").status_code == 200
    reminders.open_due_reports(now=at("2027-04-20 09:00"))
    assert [str(a["reference_date"]) for a in actions(committed, bank.org)] == ["2027-06-30"]
    committed.execute("delete from public.corep_filing_plans where organization_id = %s", (bank.org,))
    reminders.open_due_reports(now=at("2027-04-21 09:00"))
    [dropped] = actions(committed, bank.org)
    assert dropped["close_reason"] == "not_filed"


def test_who_reads_the_report_reminders(bank: Bank, committed: tdb.Conn, database_url: str) -> None:
    plan(bank)
    reminders.open_due_reports(now=at("2027-04-20 09:00"))
    expected = {
        "owner": 2, "admin": 2, "analyst": 2, "approver": 2, "viewer": 2,
        "expert": 0, "client": 0, "partner": 0, "stranger": 0,
    }  # fmt: skip
    with tdb.connect(database_url) as conn:
        for who, count in expected.items():
            with conn.transaction():
                tdb.as_user(conn, bank.users[who])
                table = conn.execute(
                    "select count(*) as n from public.corep_report_reminders where organization_id = %s", (bank.org,)
                ).fetchone()
                through = conn.execute(
                    "select count(*) as n from private.corep_report_reminders(%s)", (bank.org,)
                ).fetchone()
                assert (who, table and table["n"], through and through["n"]) == (who, count, count)
                # nobody writes them through the Data API
                with pytest.raises(Exception, match="permission denied"), conn.transaction():
                    conn.execute("delete from public.corep_report_reminders where organization_id = %s", (bank.org,))
        with conn.transaction():
            tdb.as_anon(conn)
            with pytest.raises(Exception, match="permission denied"), conn.transaction():
                conn.execute("select count(*) from public.corep_report_reminders")


def test_the_calendar_shows_each_reports_reminder(bank: Bank, committed: tdb.Conn) -> None:
    plan(bank)
    before = bank.get("viewer", "/corep/calendar").json["items"]  # type: ignore[index]
    assert [i["reminder"] for i in before] == [None, None]
    reminders.open_due_reports()
    items = bank.get("analyst", "/corep/calendar").json["items"]  # type: ignore[index]
    assert len(items) == 2
    for item in items:
        reminder = item["reminder"]
        assert reminder is not None and reminder["state"] in ("on_track", "late", "at_risk", "breached")
        assert reminder["last_step"] is None and reminder["closed_at"] is None
    assert bank.get("stranger", "/corep/calendar").json["items"] == []  # type: ignore[index]
    # the rule is data: owners and admins tune it through the follow-up rules
    row = committed.execute(
        "select target, warning, breach, target_recipients, breach_recipients from public.awaited_action_rules"
        " where organization_id = %s and code = 'corep_report_due'",
        (bank.org,),
    ).fetchone()
    assert row is not None and (row["target"], row["warning"], row["breach"]) == (15, 19, 20)
    assert row["target_recipients"] == ["R", "V"] and row["breach_recipients"] == ["R", "V", "A"]


def test_owners_see_the_report_reminders_in_their_queue_and_tune_the_rule(
    bank: Bank, client_for: Callable[[str], FlaskClient]
) -> None:
    plan(bank)
    reminders.open_due_reports()
    followup = client_for("followup")
    queue = followup.get("/followup/queue", headers=bank.headers("owner"))
    assert queue.status_code == 200, queue.get_json()
    mine = [i for i in queue.get_json()["items"] if i["code"] == "corep_report_due"]
    assert len(mine) == 2 and all(i["dossier_id"] is None for i in mine)
    assert {i["subject"].split(":")[0] for i in mine} == {"corep_of"}
    rule = f"/followup/organizations/{bank.org}/rules/corep_report_due"
    tuned = followup.patch(
        rule, json={"target": 13, "target_recipients": ["R", "V", "A"]}, headers=bank.headers("admin")
    )
    assert tuned.status_code == 200, tuned.get_json()
    assert tuned.get_json()["target_recipients"] == ["R", "V", "A"]
    refused = followup.patch(rule, json={"target_recipients": ["X"]}, headers=bank.headers("admin"))
    assert refused.status_code == 422


def test_the_followup_sweep_cron_opens_the_reminders(
    bank: Bank, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    plan(bank, "corep_lcr_da")
    sweep_app = client_for("followup_sweep")
    assert sweep_app.post("/followup-sweep", json={}).status_code == 401
    ran = sweep_app.post("/followup-sweep", json={}, headers={"X-Cron-Secret": CRON})
    assert ran.status_code == 200, ran.get_json()
    opened = actions(committed, bank.org)
    assert [a["module"] for a in opened] == ["corep_lcr_da", "corep_lcr_da"]  # the next two monthly reports
    assert all(a["remittance_date"] > a["reference_date"] for a in opened)
    assert sweep_app.post("/followup-sweep", json={}, headers={"X-Cron-Secret": CRON}).status_code == 200
    assert len(actions(committed, bank.org)) == 2
