"""Reminder email of the regulatory reports due (`corep_report_due`, migration 0185).

The sweep returns these steps like any other (one row per ledger row and recipient); they are mailed
apart from the dossier reminders — one email per recipient per run listing their reports with the
reference and remittance dates, rendered by the ``corep_report_due`` template, linking to the
reporting calendar — and queued by the same statement, keyed by their first ledger row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb

from shared.followup.quiet import quiet_hours_end
from shared.notifications.render import Branding, RenderedEmail, render
from shared.platform.db import Connection

CODE = "corep_report_due"

MODULE_LABELS = {
    "corep_of": ("Fonds propres et exigences (COREP OF)", "Own funds and requirements (COREP OF)"),
    "corep_lr": ("Ratio de levier (COREP LR)", "Leverage ratio (COREP LR)"),
    "corep_lcr_da": (
        "Ratio de couverture des besoins de liquidité (COREP LCR)",
        "Liquidity coverage ratio (COREP LCR)",
    ),
    "corep_nsfr": ("Ratio de financement stable net (COREP NSFR)", "Net stable funding ratio (COREP NSFR)"),
}
STEP_TEXTS = {
    "reminder": ("Rappel", "Reminder"),
    "escalated": ("Rappel urgent", "Urgent reminder"),
    "critical": ("Déclaration en retard", "Report overdue"),
}
_STEP_RANK = {"reminder": 1, "escalated": 2, "critical": 3}


def reports_of(conn: Connection, action_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The report each action reminds of: module, basis, reference and remittance dates."""
    rows = conn.execute(
        "select action_id, module, basis, reference_date, remittance_date from public.corep_report_reminders"
        " where action_id = any(%s)",
        (sorted(set(action_ids)),),
    ).fetchall()
    return {int(r["action_id"]): r for r in rows}


def render_reports(
    step: str, lang: str, reports: list[dict[str, Any]], *, organization: Branding, name: str, link: str, today: date
) -> RenderedEmail:
    """One recipient's email listing their due reports (the highest step names it)."""
    items = [
        {
            "label_fr": MODULE_LABELS[r["module"]][0],
            "label_en": MODULE_LABELS[r["module"]][1],
            "basis": r["basis"],
            "reference_date": r["reference_date"],
            "remittance_date": r["remittance_date"],
            "late": r["remittance_date"] < today,
        }
        for r in reports
    ]
    return render(
        CODE,
        lang,
        {
            "reports": items,
            "late": all(i["late"] for i in items),
            "step_fr": STEP_TEXTS[step][0],
            "step_en": STEP_TEXTS[step][1],
        },
        organization=organization,
        recipient_name=name,
        link=link,
    )


def messages(
    conn: Connection, rows: list[dict[str, Any]], organization: Branding, base_url: str, now: datetime
) -> list[tuple[Any, ...]]:
    """The outbox rows (``repository.STAGE_COLUMNS`` order) of the report steps of one sweep run."""
    by_recipient: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["wants_email"]:
            by_recipient[row["recipient_id"]].append(row)
    if not by_recipient:
        return []
    reports = reports_of(conn, (int(r["action_id"]) for items in by_recipient.values() for r in items))
    base = base_url.rstrip("/")
    out: list[tuple[Any, ...]] = []
    for recipient, items in by_recipient.items():
        first = items[0]
        lang = "en" if first["locale"] == "en" else "fr"
        top = max(items, key=lambda r: _STEP_RANK[r["step"]])
        listed = sorted(
            (reports[int(r["action_id"])] for r in items),
            key=lambda r: (r["remittance_date"], r["module"], r["basis"]),
        )
        today = now.astimezone(_zone(first)).date()
        mail = render_reports(
            str(top["step"]),
            lang,
            listed,
            organization=organization,
            name=str(first["name"] or ""),
            link=f"{base}{first['link']}",
            today=today,
        )
        urgent = any(r["priority"] == "urgent" for r in items)
        send_after = (
            now
            if urgent
            else quiet_hours_end(
                now, str(first["time_zone"]), first["quiet_start"], first["quiet_end"], bool(first["quiet_weekends"])
            )
        )
        ledger_ids = sorted({int(r["ledger_id"]) for r in items})
        out.append(
            (
                f"reminder:{ledger_ids[0]}:{recipient}",
                recipient,
                first["email"],
                mail.subject,
                mail.html,
                mail.text,
                "report_due",
                True,  # a regulatory deadline: essential, no unsubscribe
                Jsonb({}),
                send_after,
                ledger_ids,
            )
        )
    return out


def _zone(row: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(row["time_zone"]))
