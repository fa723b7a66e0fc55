"""Types of the scheduled reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

Kind = Literal["daily", "weekly", "monthly"]
KINDS: tuple[Kind, ...] = ("daily", "weekly", "monthly")
EVENT = "scheduled_report"  # the notification event (0200): not essential, each recipient may switch it off


@dataclass(frozen=True)
class Period:
    """Local dates, both included."""

    kind: Kind
    start: dt.date
    end: dt.date


class ScheduleOut(BaseModel):
    """One run: reports taken (ledger rows), messages queued, periods without data, organizations failed."""

    reports: int = 0
    messages: int = 0
    empty: int = 0
    failed: int = 0
