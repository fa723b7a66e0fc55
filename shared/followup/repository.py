"""SQL of the follow-up: the sweep's work list and run, queued reminder mail, SLA states, rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.platform.db import Connection

_STATE_COLUMNS = (
    "id, dossier_id::text, code, subject, label_fr, label_en, late_party, priority, state, paused, pause_reason,"
    " opened_at, closed_at, target_at, warning_at, breach_at, act_before"
)
RULE_COLUMNS = (
    "code, label_fr, label_en, late_party, clock, target, warning, breach, target_recipients, warning_recipients,"
    " breach_recipients, priority, active, updated_at"
)


def organizations_due(conn: Connection, at: datetime) -> list[str]:
    rows = conn.execute("select o::text as id from private.organizations_with_due_actions(%s) o", (at,)).fetchall()
    return [str(r["id"]) for r in rows]


def sweep_organization(conn: Connection, organization_id: str, at: datetime) -> list[dict[str, Any]]:
    return conn.execute("select * from private.sweep_awaited_actions(%s, %s)", (organization_id, at)).fetchall()


def branding(conn: Connection, organization_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "select name, primary_color, legal_footer from public.organizations where id = %s", (organization_id,)
    ).fetchone()


_STAGE = (
    "create temp table if not exists reminder_mail_stage (key text, recipient_id uuid, to_address text, subject text,"
    " html text, text_body text, event text, essential boolean, headers jsonb, send_after timestamptz,"
    " ledger_ids bigint[]) on commit drop"
)
STAGE_COLUMNS = (
    "key",
    "recipient_id",
    "to_address",
    "subject",
    "html",
    "text_body",
    "event",
    "essential",
    "headers",
    "send_after",
    "ledger_ids",
)


def queue_emails(conn: Connection, organization_id: str, messages: list[tuple[Any, ...]]) -> int:
    """Queue one run's reminder mail (rows in STAGE_COLUMNS order) through COPY, in two statements: the
    outbox rows (a repeated key queues nothing; non-essential mail to a suppressed address is recorded,
    not sent) and the links to the ledger rows each message carries."""
    if not messages:
        return 0
    conn.execute(_STAGE)
    conn.execute("truncate reminder_mail_stage")
    with conn.cursor().copy(f"copy reminder_mail_stage ({', '.join(STAGE_COLUMNS)}) from stdin") as copy:
        for message in messages:
            copy.write_row(message)
    row = conn.execute(
        "with inserted as ("
        " insert into public.email_outbox (organization_id, idempotency_key, recipient_id, to_address, subject, html,"
        "  text_body, event, essential, headers, send_after, status)"
        " select %(org)s, m.key, m.recipient_id, m.to_address, m.subject, m.html, m.text_body, m.event, m.essential,"
        "  m.headers, m.send_after,"
        "  case when not m.essential and exists (select 1 from public.email_suppressions s"
        "   where s.address = lower(m.to_address)) then 'suppressed' else 'queued' end"
        " from reminder_mail_stage m"
        " on conflict (idempotency_key) do nothing returning id, idempotency_key"
        "), linked as ("
        " insert into public.reminder_messages (ledger_id, outbox_id, organization_id)"
        " select l.ledger_id, i.id, %(org)s from inserted i join reminder_mail_stage m on m.key = i.idempotency_key"
        " cross join lateral unnest(m.ledger_ids) l(ledger_id) on conflict do nothing"
        ") select count(*) as n from inserted",
        {"org": organization_id},
    ).fetchone()
    return int(row["n"]) if row else 0


def queue(conn: Connection, limit: int) -> list[dict[str, Any]]:
    return conn.execute(f"select {_STATE_COLUMNS} from public.awaited_action_queue(%s)", (limit,)).fetchall()  # noqa: S608


def dossier_actions(conn: Connection, dossier_id: str) -> list[dict[str, Any]] | None:
    """The open awaited actions of a dossier the caller sees (None: no such dossier for them)."""
    if conn.execute("select 1 from public.dossiers where id = %s", (dossier_id,)).fetchone() is None:
        return None
    return conn.execute(
        f"select {_STATE_COLUMNS} from public.awaited_action_states"  # noqa: S608
        " where dossier_id = %s and closed_at is null order by act_before nulls first, priority, id",
        (dossier_id,),
    ).fetchall()


def rules(conn: Connection, organization_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        f"select {RULE_COLUMNS} from public.awaited_action_rules where organization_id = %s order by code",  # noqa: S608
        (organization_id,),
    ).fetchall()


def is_member(conn: Connection, organization_id: str) -> bool:
    row = conn.execute("select %s::uuid in (select private.my_organization_ids()) as ok", (organization_id,)).fetchone()
    return bool(row and row["ok"])


def update_rule(conn: Connection, organization_id: str, code: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply ``changes`` under RLS (owners and admins only); None when no row was visible and writable."""
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    return conn.execute(
        f"update public.awaited_action_rules set {assignments}"  # noqa: S608 (columns from a fixed model)
        f" where organization_id = %(organization_id)s and code = %(code)s returning {RULE_COLUMNS}",
        {**changes, "organization_id": organization_id, "code": code},
    ).fetchone()


def kpis(conn: Connection, organization_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """The period's KPIs the caller may see (owners and admins: the organization; experts: their dossiers)."""
    return conn.execute("select * from public.followup_kpis(%s, %s, %s)", (organization_id, start, end)).fetchall()


def may_read_kpis(conn: Connection, organization_id: str) -> bool:
    row = conn.execute(
        "select %(org)s::uuid in (select private.my_organization_ids_with_role(array['owner', 'admin']))"
        " or exists (select 1 from public.expert_profiles e where e.organization_id = %(org)s"
        "  and e.id in (select private.my_expert_profile_ids())) as ok",
        {"org": organization_id},
    ).fetchone()
    return bool(row and row["ok"])
