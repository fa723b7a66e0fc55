"""The COREP reporting calendar: reference dates, remittance dates and the state of each due report.

Frequencies and remittance dates are those of Commission Implementing Regulation (EU) 2021/451,
Art. 3: monthly reports (LCR, module ``corep_lcr_da``) by the 15th calendar day after the reference
date; quarterly reports (own funds, leverage, NSFR) by 12 May, 11 August, 11 November and
11 February; a remittance date falling on a Saturday, a Sunday or a public holiday of the competent
authority's member state moves to the next working day (Art. 3(2)).

The state of a due report comes from the organization's data: ``no_calculation`` (no version of the
plan's portfolio at that reference date, or none calculated), ``draft``, ``in_review``, ``approved``
(the approved calculation exists) and ``exported`` (its package has been produced).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

__all__ = ["FREQUENCY", "DueReport", "next_reference_dates", "remittance_date", "state_of"]

#: module → reporting frequency (ITS 2021/451 Art. 3(1) and Annex XII for the LCR).
FREQUENCY = {"corep_of": "quarterly", "corep_lr": "quarterly", "corep_lcr_da": "monthly", "corep_nsfr": "quarterly"}
# quarter-end month → (remittance month, day) — the remittance of December falls in the next year
_QUARTERLY = {3: (5, 12), 6: (8, 11), 9: (11, 11), 12: (2, 11)}
_MONTHLY_DAYS = 15


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _is_working_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays(country, years=day.year)


def remittance_date(module: str, reference: date, country: str) -> date:
    """When the report of ``reference`` is due at the authority of ``country`` (ISO alpha-2)."""
    if FREQUENCY[module] == "monthly":
        due = reference + timedelta(days=_MONTHLY_DAYS)
    else:
        if (reference.month not in _QUARTERLY) or reference != _month_end(reference.year, reference.month):
            raise ValueError(f"{reference.isoformat()} is not a quarter end")
        month, day = _QUARTERLY[reference.month]
        due = date(reference.year + (1 if reference.month == 12 else 0), month, day)
    while not _is_working_day(due, country):
        due += timedelta(days=1)
    return due


def reference_dates(module: str, start: date, end: date) -> list[date]:
    """The reference dates of ``module`` between ``start`` and ``end`` inclusive."""
    months = range(1, 13) if FREQUENCY[module] == "monthly" else (3, 6, 9, 12)
    out = []
    for year in range(start.year, end.year + 1):
        for month in months:
            day = _month_end(year, month)
            if start <= day <= end:
                out.append(day)
    return out


def next_reference_dates(module: str, today: date, country: str, count: int = 2) -> list[tuple[date, date]]:
    """``count`` (reference date, remittance date) pairs whose remittance is today or later, the
    earliest first — the reports still to be filed."""
    out: list[tuple[date, date]] = []
    start = date(today.year - 1, 1, 1)
    end = date(today.year + 2, 12, 31)
    for reference in reference_dates(module, start, end):
        due = remittance_date(module, reference, country)
        if due >= today:
            out.append((reference, due))
        if len(out) == count:
            break
    return out


@dataclass(frozen=True)
class DueReport:
    module: str
    basis: str
    reference_date: date
    remittance_date: date
    state: str
    version_id: str | None
    calculation_id: str | None
    days_left: int
    organization_id: str | None = None


def state_of(version_status: str | None, calculation_id: str | None, approved: bool, exported: bool) -> str:
    """The state of one due report from its version (if any) and what has been done with it."""
    if exported:
        return "exported"
    if approved:
        return "approved"
    if version_status is None or calculation_id is None:
        return "no_calculation"
    if version_status == "in_review":
        return "in_review"
    return "draft"
