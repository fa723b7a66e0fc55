"""Use case of the scheduled reports (FOLLOWUP.md "Scheduled reports"): the `report-schedule` cron.

Per organization in its own transaction, per subscribed kind: the most recent period whose 07:00 has
passed in the organization's time zone (``period.due_period``); its ledger row
``report:<org>:<kind>:<period start>`` taken or the kind skipped (a rerun or a concurrent run sends
nothing twice); per recipient, the KPI report as that recipient may see it (the ``kpi-report`` export,
XLSX), queued with the report attached in the same transaction — nothing when the period holds no
follow-up activity for them. Daily reports add today's queues to the body.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from shared.adapters.mail import Attachment
from shared.adapters.storage import Storage
from shared.exports import service as exports
from shared.exports.requests import ExportIn, KpiPeriodIn
from shared.followup import service as followup
from shared.notifications import service as notifications
from shared.platform import db
from shared.platform.errors import AppError
from shared.reports import period as periods
from shared.reports import repository
from shared.reports.models import EVENT, KINDS, Period, ScheduleOut

logger = logging.getLogger(__name__)


def _figures(rows: list[dict[str, Any]]) -> dict[str, int] | None:
    """The organization line's headline figures; None when the period holds no activity."""
    line = next((r for r in rows if r["dimension"] == "organization"), None)
    if line is None or not any(int(line[k] or 0) for k in ("closed", "open", "breaches")):
        return None
    return {k: int(line[k] or 0) for k in ("closed", "on_time", "breaches", "open")}


def _report_for(
    conn: db.Connection, *, organization_id: str, recipient: dict[str, Any], report: Period, storage: Storage
) -> tuple[dict[str, int], Attachment] | None:
    """As the recipient (RLS): the period's figures and KPI report file; None without data or access."""
    with db.acting_as(conn, recipient["user_id"]):
        try:
            followup.check_kpi_access(conn, organization_id)
        except AppError:
            return None
        figures = _figures(followup.kpi_rows(conn, organization_id, report.start, report.end))
        if figures is None:
            return None
        period = KpiPeriodIn(organization_id=uuid.UUID(organization_id), start=report.start, end=report.end)
        request = ExportIn(document="kpi-report", format="xlsx", lang=recipient["locale"], period=period)
        file = exports.produce(conn, request=request, storage=storage)
    return figures, Attachment(file.file_name, file.content_type, file.data)


def _send_kind(conn: db.Connection, *, organization_id: str, report: Period, storage: Storage) -> int | None:
    """Queue one kind's report; None when its period was already taken, else the messages queued."""
    key = periods.key(organization_id, report)
    report_id = repository.take(
        conn, organization_id=organization_id, kind=report.kind, start=report.start, end=report.end, key=key
    )
    if report_id is None:
        return None
    queues = repository.queues(conn, organization_id=organization_id) if report.kind == "daily" else None
    messages = 0
    for recipient in repository.recipients(conn, organization_id=organization_id, kind=report.kind):
        made = _report_for(conn, organization_id=organization_id, recipient=recipient, report=report, storage=storage)
        if made is None:
            continue
        figures, attachment = made
        values: dict[str, object] = {
            "kind": report.kind, "start": report.start.isoformat(), "end": report.end.isoformat(),
            "file_name": attachment.filename, "queues": queues, **figures,
        }  # fmt: skip
        if notifications.queue_attached_email(
            conn, organization_id=organization_id, key=f"{key}:{recipient['user_id']}", user_id=recipient["user_id"],
            event=EVENT, template=EVENT, values=values, locale=recipient["locale"], attachments=(attachment,),
        ):  # fmt: skip
            messages += 1
    repository.record(conn, report_id=report_id, messages=messages)
    return messages


def run_organization(organization_id: str, time_zone: str, kinds: list[str], *, now: dt.datetime,
                     storage: Storage) -> list[int]:  # fmt: skip
    """One organization's due reports in its own transaction: the messages queued per report taken."""
    sent: list[int] = []
    with db.service_transaction() as conn:
        for kind in KINDS:
            if kind in kinds:
                report = periods.due_period(kind, now, time_zone)
                messages = _send_kind(conn, organization_id=organization_id, report=report, storage=storage)
                if messages is not None:
                    sent.append(messages)
    return sent


def run(*, storage: Storage, now: dt.datetime | None = None) -> ScheduleOut:
    """Queue every report due at ``now`` (default: the database's clock), each organization on its own."""
    out = ScheduleOut()
    with db.service_transaction() as conn:
        if now is None:
            row = conn.execute("select now() as now").fetchone()
            assert row is not None
            now = row["now"]
        organizations = repository.organizations(conn)
    assert now is not None
    for organization in organizations:
        try:
            sent = run_organization(
                organization["id"], organization["time_zone"], organization["kinds"], now=now, storage=storage
            )
        except Exception:  # one organization's failure must not stop the others (retried next run)
            logger.exception("scheduled reports of organization %s failed", organization["id"])
            out.failed += 1
            continue
        out.reports += len(sent)
        out.messages += sum(sent)
        out.empty += sum(1 for m in sent if m == 0)
    return out
