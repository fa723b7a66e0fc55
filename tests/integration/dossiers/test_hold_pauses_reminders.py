"""WORKFLOW.md's public example "Hold in documents_requested, resume → documents_requested; no reminder in
between", end to end: the expert's real request opens the client's clock, the hold pauses it, the
reminder sweep (months later, in working time) reminds nobody while held, and after the resume the
same sweep does remind, so the test can fail."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.integration.dossiers.conftest import Flow, walk_to_expert
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
