"""A document request's due date counts business days on its organization's calendar (WORKFLOW.md:
"due date default 5 business days (1–30)"): working days, public holidays and closed dates, from the
organization's local date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.documents import Docs


def _today(docs: Docs) -> date:
    row = docs.conn.execute("select private.organization_today(%s) as d", (docs.world.org_a,)).fetchone()
    assert row is not None
    return row["d"]


def test_organization_today_is_the_local_date_of_its_calendar(docs: Docs) -> None:
    assert _today(docs) == datetime.now(ZoneInfo("Europe/Paris")).date()
    docs.conn.execute(
        "insert into public.business_calendars (organization_id, time_zone) values (%s, 'Pacific/Kiritimati')",
        (docs.world.org_a,),
    )
    assert _today(docs) == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_public_holidays_and_weekends_are_not_business_days(docs: Docs) -> None:
    def add(start: date, days: int) -> date:
        row = docs.conn.execute(
            "select private.add_organization_business_days(%s, %s, %s) as d", (docs.world.org_a, start, days)
        ).fetchone()
        assert row is not None
        return row["d"]

    # Thursday 2026-04-02: Friday 3 counts, Easter Monday 6 April is a holiday in France.
    assert add(date(2026, 4, 2), 2) == date(2026, 4, 7)
    # Friday 2026-12-18 + 5: 21, 22, 23, 24, (25 Christmas) 28.
    assert add(date(2026, 12, 18), 5) == date(2026, 12, 28)
    assert add(date(2026, 12, 18), 0) == date(2026, 12, 18)


def test_a_request_is_due_after_the_organizations_closed_days(docs: Docs) -> None:
    today = _today(docs)
    closed = [today + timedelta(days=n) for n in range(1, 11)]  # the next ten days: no business day
    docs.conn.execute(
        "insert into public.business_calendars (organization_id, closed_days) values (%s, %s)",
        (docs.world.org_a, closed),
    )
    result = docs.command(
        "expert_a", "urssaf", "request_documents", {"items": [{"document_type": "rib"}], "due_in_business_days": 1}
    )
    due = date.fromisoformat(result["due_date"])
    first_open = today + timedelta(days=11)
    while first_open.isoweekday() > 5:
        first_open += timedelta(days=1)
    assert due == first_open
    row = docs.conn.execute(
        "select due_date from public.document_requests where id = %s", (result["request_id"],)
    ).fetchone()
    assert row is not None and row["due_date"] == due


def test_organization_b_keeps_its_own_calendar(docs: Docs) -> None:
    today = _today(docs)
    docs.conn.execute(
        "insert into public.business_calendars (organization_id, closed_days) values (%s, %s)",
        (docs.world.org_a, [today + timedelta(days=n) for n in range(1, 11)]),
    )
    result = docs.command(
        "expert_b", "b", "request_documents", {"items": [{"document_type": "rib"}], "due_in_business_days": 1}
    )
    due = date.fromisoformat(result["due_date"])
    assert due <= today + timedelta(days=4)  # one business day, whatever the weekday and holidays
