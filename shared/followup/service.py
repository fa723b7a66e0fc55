"""Use cases of the follow-up: the reminder sweep, the staff queue, a dossier's SLA, the rules.

The sweep takes each organization with something due in its own transaction: the SQL function claims
the due instances ``FOR UPDATE SKIP LOCKED``, records the ledger, writes the in-app reminders and
returns one row per (ledger row, recipient); here each recipient gets one email for the run grouping
their dossiers, rendered by the notification templates and queued in one statement, in the same
transaction. Safe to run several times at once: the unique (instance, step) ledger key decides.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb

from shared.followup import report_mail, repository
from shared.followup.mail import Item, ReminderMail
from shared.followup.models import (
    AwaitedActionOut,
    DossierSlaOut,
    KpiQuery,
    KpiRow,
    KpisOut,
    QueueOut,
    RuleOut,
    RulePatch,
    RulesOut,
    SweepOut,
)
from shared.followup.quiet import quiet_hours_end
from shared.notifications import unsubscribe
from shared.notifications.render import Branding
from shared.platform import db
from shared.platform.errors import Forbidden, NotFound, Unprocessable, field_error
from shared.platform.settings import Settings

logger = logging.getLogger(__name__)

SWEEP_WORKERS = 2  # organizations swept at once (the functions run on 2 vCPUs)
SWEEP_STATEMENT_TIMEOUT = "120s"  # one organization's run may hold tens of thousands of due instances
_STEP_RANK = {"reminder": 1, "escalated": 2, "critical": 3}
_STATE_RANK = {"on_track": 0, "late": 1, "at_risk": 2, "breached": 3}


def _send_after(items: list[dict[str, Any]], now: datetime, known: dict[tuple[Any, ...], datetime]) -> datetime:
    """Urgent mail leaves at once; the rest waits for the end of the recipient's quiet hours (``known``:
    the ends already computed in this run, most recipients sharing their quiet hours)."""
    if any(r["priority"] == "urgent" for r in items):
        return now
    first = items[0]
    key = (str(first["time_zone"]), first["quiet_start"], first["quiet_end"], bool(first["quiet_weekends"]))
    end = known.get(key)
    if end is None:
        end = known[key] = quiet_hours_end(now, *key)
    return end


def _messages(
    rows: Iterable[dict[str, Any]], mailer: ReminderMail, settings: Settings, now: datetime
) -> list[tuple[Any, ...]]:
    """One email per recipient for this run, grouping their dossiers (the highest step names the mail)."""
    by_recipient: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["wants_email"]:
            by_recipient[row["recipient_id"]].append(row)
    messages: list[tuple[Any, ...]] = []
    quiet_ends: dict[tuple[Any, ...], datetime] = {}
    secret = settings.signing_secret.value
    base = settings.public_base_url.rstrip("/")  # the API: one-click unsubscribe
    app = settings.app_url  # the front end: the reminder's own link
    for recipient, items in by_recipient.items():
        first = items[0]
        lang = "en" if first["locale"] == "en" else "fr"
        top = max(items, key=lambda r: _STEP_RANK[r["step"]])
        essential = any(r["essential"] for r in items)
        unsubscribe_url = None
        headers: dict[str, str] = {}
        if not essential and secret:
            user = recipient if isinstance(recipient, uuid.UUID) else uuid.UUID(str(recipient))
            token = unsubscribe.make_token(secret, user, str(first["event"]))
            unsubscribe_url = f"{base}/notifications/unsubscribe?token={token}"
            headers = unsubscribe.headers(unsubscribe_url)
        zone = ZoneInfo(str(first["time_zone"]))
        mail = mailer.render(
            str(top["step"]),
            lang,
            [
                Item(
                    r["product_code"],
                    str(r["company"]),
                    str(r["label_en" if lang == "en" else "label_fr"]),
                    r["due_at"].astimezone(zone),
                )
                for r in items
            ],
            name=str(first["name"] or ""),
            link=f"{app}{first['link']}" if len(items) == 1 else f"{app}/dossiers",
            unsubscribe_url=unsubscribe_url,
        )
        ledger_ids = sorted({int(r["ledger_id"]) for r in items})
        messages.append(
            (
                # The first ledger row it carries names the message: a rerun of the same rows queues nothing.
                f"reminder:{ledger_ids[0]}:{recipient}",
                recipient,
                first["email"],
                mail.subject,
                mail.html,
                mail.text,
                "critical_reminder" if top["step"] == "critical" else top["event"],
                essential,
                Jsonb(headers),
                _send_after(items, now, quiet_ends),
                ledger_ids,
            )
        )
    return messages


def sweep_organization(organization_id: str, at: datetime, settings: Settings) -> tuple[int, int, int]:
    """One organization's sweep in its own transaction: (steps sent, recipients reached, emails queued)."""
    with db.service_transaction() as conn:
        conn.execute("select set_config('statement_timeout', %s, true)", (SWEEP_STATEMENT_TIMEOUT,))
        rows = repository.sweep_organization(conn, organization_id, at)
        if not rows:
            return 0, 0, 0
        brand = repository.branding(conn, organization_id) or {}
        mailer = ReminderMail(
            Branding(
                str(brand.get("name") or ""),
                str(brand.get("primary_color") or "#1F4E79"),
                str(brand.get("legal_footer") or ""),
            )
        )
        # the regulatory reports due (0185) are mailed apart, with their own template
        reports = [r for r in rows if r["code"] == report_mail.CODE]
        others = [r for r in rows if r["code"] != report_mail.CODE] if reports else rows
        outgoing = _messages(others, mailer, settings, at)
        if reports:
            outgoing += report_mail.messages(conn, reports, mailer.organization, settings.public_base_url, at)
        queued = repository.queue_emails(conn, organization_id, outgoing)
        return len({r["ledger_id"] for r in rows}), len(rows), queued


def sweep(settings: Settings, *, now: datetime | None = None, workers: int = SWEEP_WORKERS) -> SweepOut:
    """Every organization with a step due at ``now`` (default: the current instant), each in its own
    transaction; ``workers`` organizations at a time (one renders while another's SQL runs)."""
    started = time.perf_counter()
    at = now or datetime.now(UTC)
    with db.service_transaction() as conn:
        organizations = repository.organizations_due(conn, at)

    def one(organization_id: str) -> tuple[int, int, int] | None:
        """One organization; a failure is logged and rolled back, the others carry on (retried next run)."""
        try:
            return sweep_organization(organization_id, at, settings)
        except Exception:
            logger.exception("reminder sweep of organization %s failed", organization_id)
            return None

    workers = max(1, min(workers, len(organizations), settings.db_pool_max))
    if workers == 1:
        outcomes = [one(o) for o in organizations]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="followup-sweep") as pool:
            outcomes = list(pool.map(one, organizations))
    results = [r for r in outcomes if r is not None]
    return SweepOut(
        organizations=len(organizations),
        failed=len(outcomes) - len(results),
        steps_sent=sum(r[0] for r in results),
        notifications=sum(r[1] for r in results),
        emails_queued=sum(r[2] for r in results),
        seconds=round(time.perf_counter() - started, 3),
    )


# --- reading the SLA -----------------------------------------------------------------------------------


def _actions(rows: Iterable[dict[str, Any]]) -> list[AwaitedActionOut]:
    return [AwaitedActionOut(**row) for row in rows]


def staff_queue(claims: dict[str, Any], *, limit: int) -> QueueOut:
    """The caller's "à traiter avant …" list: open running actions they may see, next threshold first."""
    with db.user_transaction(claims) as conn:
        return QueueOut(items=_actions(repository.queue(conn, limit)))


def worst_state(actions: list[AwaitedActionOut]) -> str | None:
    states = [a.state for a in actions if a.state in _STATE_RANK]
    return max(states, key=lambda s: _STATE_RANK[s]) if states else None


def dossier_sla(conn: db.Connection, dossier_id: str) -> DossierSlaOut | None:
    """A dossier's open actions and worst state, in the caller's transaction (None: not visible)."""
    rows = repository.dossier_actions(conn, dossier_id)
    if rows is None:
        return None
    actions = _actions(rows)
    return DossierSlaOut(state=worst_state(actions), actions=actions)


def dossier_followup(claims: dict[str, Any], dossier_id: str) -> DossierSlaOut:
    with db.user_transaction(claims) as conn:
        found = dossier_sla(conn, dossier_id)
    if found is None:
        raise NotFound("No such dossier", code="dossier_not_found")
    return found


# --- rules (thresholds, recipients, priority as data) ----------------------------------------------------


def list_rules(claims: dict[str, Any], organization_id: str) -> RulesOut:
    with db.user_transaction(claims) as conn:
        if not repository.is_member(conn, organization_id):
            raise NotFound("No such organization", code="organization_not_found")
        return RulesOut(items=[RuleOut(**r) for r in repository.rules(conn, organization_id)])


def update_rule(claims: dict[str, Any], organization_id: str, code: str, patch: RulePatch) -> RuleOut:
    """Owners and admins tune an action; open instances are recomputed in the same transaction."""
    changes = patch.model_dump(exclude_unset=True, exclude={"no_breach"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if patch.no_breach:
        if patch.breach is not None:
            raise Unprocessable(errors=[field_error("breach", "conflicts_with_no_breach", "Leave breach out")])
        changes["breach"] = None
    if not changes:
        raise Unprocessable(errors=[field_error("body", "empty", "Nothing to change")])
    with db.user_transaction(claims) as conn:
        if not repository.is_member(conn, organization_id):
            raise NotFound("No such organization", code="organization_not_found")
        current = next((r for r in repository.rules(conn, organization_id) if r["code"] == code), None)
        if current is None:
            raise NotFound("No such awaited action", code="awaited_action_not_found")
        merged = {**current, **changes}
        if merged["warning"] < merged["target"]:
            raise Unprocessable(errors=[field_error("warning", "below_target", "The warning comes after the target")])
        if merged["breach"] is not None and merged["breach"] < merged["warning"]:
            raise Unprocessable(errors=[field_error("breach", "below_warning", "The breach comes after the warning")])
        row = repository.update_rule(conn, organization_id, code, changes)
        if row is None:
            raise Forbidden("Only owners and admins change the follow-up rules", code="forbidden")
        return RuleOut(**row)


# --- KPIs (on-time rate and breaches per organization, expert, product) -----------------------------------

KPI_MAX_DAYS = 366


def check_kpi_access(conn: db.Connection, organization_id: str) -> None:
    """In the caller's transaction: 404 for a non-member, 403 for a member who is not an owner, admin or
    (approved or not) expert of the organization."""
    if not repository.is_member(conn, organization_id):
        raise NotFound("No such organization", code="organization_not_found")
    if not repository.may_read_kpis(conn, organization_id):
        raise Forbidden("Owners, admins and experts read the follow-up KPIs", code="forbidden")


def kpi_rows(conn: db.Connection, organization_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """The KPI rows the caller may see, in their transaction (exports render them)."""
    return repository.kpis(conn, organization_id, start, end)


def kpis(claims: dict[str, Any], organization_id: str, query: KpiQuery) -> KpisOut:
    """The period's KPIs: owners and admins see their organization's, an expert those of their dossiers."""
    if query.end < query.start:
        raise Unprocessable(errors=[field_error("query.end", "before_start", "The period ends before it starts")])
    if (query.end - query.start).days >= KPI_MAX_DAYS:
        raise Unprocessable(errors=[field_error("query.end", "too_long", f"At most {KPI_MAX_DAYS} days")])
    with db.user_transaction(claims) as conn:
        check_kpi_access(conn, organization_id)
        rows = kpi_rows(conn, organization_id, query.start, query.end)
    return KpisOut(start=query.start, end=query.end, items=[KpiRow(**r) for r in rows])
