"""Opening the follow-up reminders of the due COREP reports (issue 14 item 7, migration 0185).

Each next due report of every filing plan — organization × module × basis × reference date, with its
remittance date on the competent authority's calendar (``shared.reporting.calendar``) — gets one
awaited action ``corep_report_due``. The remittance dates are computed here (the authority's public
holidays come from the ``holidays`` package); ``private.open_corep_report_actions`` then opens, in
one statement, the instances still missing (a report already reminded or already exported is
skipped, so a rerun or an overlapping run opens nothing twice). The `followup-sweep` cron runs it
before each sweep; the export of the report's package closes the instance in its own transaction.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from functools import lru_cache

from psycopg.types.json import Jsonb

from shared.platform import db
from shared.reporting import calendar, repository

logger = logging.getLogger(__name__)

AHEAD = 2  # the next due reports of each plan that get their reminder (as the calendar lists them)


@lru_cache(maxsize=256)
def _next(module: str, today: date, country: str, count: int) -> tuple[tuple[date, date], ...]:
    """(reference, remittance) pairs, cached: plans share their modules and authorities."""
    return tuple(calendar.next_reference_dates(module, today, country, count))


def due_reports(plans: list[dict[str, object]], today: date, count: int = AHEAD) -> list[dict[str, str]]:
    """The due reports of ``plans`` as ``private.open_corep_report_actions`` reads them."""
    return [
        {
            "organization_id": str(plan["organization_id"]),
            "module": str(plan["module"]),
            "basis": str(plan["basis"]),
            "reference_date": reference.isoformat(),
            "remittance_date": remittance.isoformat(),
        }
        for plan in plans
        for reference, remittance in _next(str(plan["module"]), today, str(plan["country"]), count)
    ]


def open_due_reports(*, now: datetime | None = None, count: int = AHEAD) -> int:
    """Open the missing reminders of every organization's next due reports; the number opened."""
    at = now or datetime.now(UTC)
    with db.service_transaction() as conn:
        plans = repository.plans(conn, organization_id=None)
        reports = due_reports(plans, at.astimezone(UTC).date(), count)
        row = conn.execute(
            "select private.open_corep_report_actions(%s, %s) as opened", (Jsonb(reports), at)
        ).fetchone()
    opened = int(row["opened"]) if row else 0
    if opened:
        logger.info("opened %d COREP report reminders", opened)
    return opened
