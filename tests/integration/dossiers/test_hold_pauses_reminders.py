"""WORKFLOW.md's public example "Hold in documents_requested, resume → documents_requested; no reminder in
between", end to end: the expert's real request opens the client's clock, the hold pauses it, the
reminder sweep (months later, in working time) reminds nobody while held, and after the resume the
same sweep does remind, so the test can fail."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.integration.dossiers.conftest import Flow, walk_to_audit, walk_to_expert
from tests.support import db as tdb


def _working_instant(flow: Flow, org: object) -> datetime:
    """An instant about three months ahead, inside the organization's working time."""
    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=90)
    while True:
        at = datetime.combine(day, time(10, 0), ZoneInfo("Europe/Paris"))
        row = flow.conn.execute(
            "select private.in_working_time(private.organization_calendar(%s), %s) as ok", (org, at)
        ).fetchone()
        if row is not None and row["ok"]:
            return at
        day += timedelta(days=1)


def _reminders(flow: Flow) -> int:
    row = flow.conn.execute(
        "select count(*) as n from public.reminder_ledger l join public.awaited_actions a on a.id = l.action_id"
        " where a.dossier_id = %s and l.status = 'sent'",
        (flow.dossier,),
    ).fetchone()
    assert row is not None
    return int(row["n"])


def _sweep(flow: Flow, org: object, at: datetime) -> None:
    tdb.as_service(flow.conn)
    flow.conn.execute("select count(*) from private.sweep_awaited_actions(%s, %s)", (org, at)).fetchone()
    tdb.as_owner(flow.conn)


def test_hold_in_documents_requested_pauses_reminders_and_resume_returns_there(flow: Flow) -> None:
    walk_to_expert(flow)
    flow.run("expert_a", "request_documents", {"items": [{"document_type": "rib"}]})
    org = flow.state()["organization_id"]
    later = _working_instant(flow, org)

    held = flow.run("expert_a", "hold", {"reason": "Le client est en congés"})
    assert (held["status"], held["held_status"]) == ("on_hold", "documents_requested")
    _sweep(flow, org, later)
    assert _reminders(flow) == 0  # clocks paused: no reminder while held

    resumed = flow.run("expert_a", "resume")
    assert resumed["status"] == "documents_requested" and flow.state()["held_status"] is None
    _sweep(flow, org, later)
    assert _reminders(flow) >= 1  # running again: the overdue request is reminded


def test_the_late_party_s_own_command_settles_the_reminders_it_received(flow: Flow) -> None:
    """The expert, reminded in-app that the audit is late, completes it: their own command closes the
    awaited action, and its reminders become `resolved` in the same transaction (the server's status,
    which a signed-in user may not set directly)."""
    walk_to_audit(flow)
    org = flow.state()["organization_id"]
    _sweep(flow, org, _working_instant(flow, org))
    assert _reminders(flow) >= 1
    reminded = flow.market.rows(
        "select id from public.notifications where dossier_id = %s and recipient_id = %s and status = 'unread'"
        " and split_part(dedupe_key, ':', 1) = 'reminder'",
        flow.dossier,
        flow.users["expert_a"],
    )
    assert reminded
    done = flow.run("expert_a", "complete_audit", {"amount": "12000.00"})
    assert done["status"] == "audit_completed"
    statuses = flow.market.rows(
        "select status from public.notifications where id = any(%s)", [r["id"] for r in reminded]
    )
    assert {s["status"] for s in statuses} == {"resolved"}
