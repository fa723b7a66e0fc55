"""SQL of the scheduled reports: subscriptions, the ledger of sent periods, the daily queues."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.platform.db import Connection

_ORGANIZATIONS = """
select s.organization_id::text as id, (private.organization_calendar(s.organization_id)).time_zone as time_zone,
       array_agg(distinct s.kind order by s.kind) as kinds
from public.report_subscriptions s
where s.active
group by s.organization_id
order by s.organization_id
"""


def organizations(conn: Connection) -> list[dict[str, Any]]:
    """Organizations with an active subscription: their calendar's time zone and subscribed kinds."""
    return conn.execute(_ORGANIZATIONS).fetchall()


def take(conn: Connection, *, organization_id: str, kind: str, start: dt.date, end: dt.date, key: str) -> str | None:
    """The period's ledger row, taken by this run; None when another run (before or now) took it.
    A concurrent run waits here on the unique key until the first one commits, then gets None."""
    row = conn.execute(
        "insert into public.scheduled_reports (organization_id, kind, period_start, period_end, idempotency_key)"
        " values (%s, %s, %s, %s, %s) on conflict do nothing returning id::text as id",
        (organization_id, kind, start, end, key),
    ).fetchone()
    return None if row is None else str(row["id"])


def record(conn: Connection, *, report_id: str, messages: int) -> None:
    conn.execute("update public.scheduled_reports set messages = %s where id = %s", (messages, report_id))


def recipients(conn: Connection, *, organization_id: str, kind: str) -> list[dict[str, Any]]:
    """Active subscribers of ``kind`` still members of the organization."""
    return conn.execute(
        "select s.recipient_id::text as user_id, s.locale from public.report_subscriptions s"
        " where s.organization_id = %s and s.kind = %s and s.active"
        " and exists (select 1 from public.memberships m where m.organization_id = s.organization_id"
        "             and m.user_id = s.recipient_id)"
        " order by s.recipient_id",
        (organization_id, kind),
    ).fetchall()


_QUEUES = """
select (select count(*) from public.dossiers d
        where d.organization_id = %(org)s and d.status = 'pending_admin_validation')::int as eligibility,
       (select count(*) from public.expert_profiles e
        where e.organization_id = %(org)s and e.approval_status = 'pending')::int as experts,
       (select count(*) from public.awaited_actions a
        where a.organization_id = %(org)s and a.closed_at is null and a.warning_at <= now())::int as at_risk
"""


def queues(conn: Connection, *, organization_id: str) -> dict[str, int]:
    """Today's queues: dossiers awaiting eligibility review, experts awaiting approval, open awaited
    actions at risk or breached (past their warning threshold)."""
    row = conn.execute(_QUEUES, {"org": organization_id}).fetchone()
    assert row is not None
    return {k: int(v) for k, v in row.items()}
