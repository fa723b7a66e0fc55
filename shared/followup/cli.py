"""``fintrack sla elapsed|due``: business-time arithmetic on a calendar given as JSON.

``elapsed`` reads ``{"calendar": {...}, "start": ISO-8601, "end": ISO-8601, "pauses": [[s, e], ...]}``
and prints ``{"business_minutes": N}``; ``due`` reads ``{"calendar": {...}, "start": ...,
"business_minutes": N}`` and prints ``{"due": ISO-8601 in the calendar's time zone}``. One object
gives one object, an array gives an array in the same order. Any problem gives exit code 2, nothing
on standard output and one line ``<path>: <problem>`` naming the field, e.g.
``[1].calendar.hours[0][1]: must be a time HH:MM``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from shared.followup.calendar import (
    DEFAULT_HOURS,
    DEFAULT_TIME_ZONE,
    DEFAULT_WORKING_DAYS,
    Calendar,
    CalendarError,
    business_minutes,
    due,
)

USAGE_ERROR = 2
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_CALENDAR_KEYS = {"time_zone", "working_days", "hours", "public_holidays", "closed_days"}


class InputError(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: object, path: str, allowed: set[str], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(path or "input", "must be an object")
    for key in value:
        if key not in allowed:
            raise InputError(_join(path, key), "unknown field")
    for key in required:
        if value.get(key) is None:
            raise InputError(_join(path, key), "is required")
    return value


def _instant(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(path, "must be an ISO-8601 date-time string with a UTC offset")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(path, "must be an ISO-8601 date-time with a UTC offset") from None
    if instant.tzinfo is None:
        raise InputError(path, "must include a UTC offset (e.g. +01:00 or Z)")
    return instant


def _day(value: object, path: str) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InputError(path, "must be a date YYYY-MM-DD")


def _minute_of_day(value: object, path: str) -> int:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise InputError(path, "must be a time HH:MM (00:00 to 24:00)")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _calendar(value: object, path: str) -> Calendar:
    raw = _object(value, path, _CALENDAR_KEYS, ())
    zone = raw.get("time_zone", DEFAULT_TIME_ZONE)
    if not isinstance(zone, str):
        raise InputError(_join(path, "time_zone"), "must be an IANA time zone name such as Europe/Paris")
    days = raw.get("working_days", list(DEFAULT_WORKING_DAYS))
    if not isinstance(days, list) or any(type(d) is not int for d in days):
        raise InputError(_join(path, "working_days"), "must be an array of ISO weekday numbers 1..7")
    hours_value = raw.get("hours")
    windows: list[tuple[int, int]] = list(DEFAULT_HOURS)
    if hours_value is not None:
        if not isinstance(hours_value, list):
            raise InputError(_join(path, "hours"), 'must be an array of ["HH:MM", "HH:MM"] windows')
        windows = []
        for index, window in enumerate(hours_value):
            where = f"{_join(path, 'hours')}[{index}]"
            if not isinstance(window, list) or len(window) != 2:
                raise InputError(where, 'must be a ["HH:MM", "HH:MM"] pair')
            windows.append((_minute_of_day(window[0], f"{where}[0]"), _minute_of_day(window[1], f"{where}[1]")))
    region = raw.get("public_holidays", "FR")
    if region is not None and not isinstance(region, str):
        raise InputError(_join(path, "public_holidays"), 'must be "FR", "FR-<subdivision>" or null')
    closed_value = raw.get("closed_days") or []
    if not isinstance(closed_value, list):
        raise InputError(_join(path, "closed_days"), "must be an array of dates YYYY-MM-DD")
    closed = {_day(day, f"{_join(path, 'closed_days')}[{index}]") for index, day in enumerate(closed_value)}
    try:
        return Calendar(
            time_zone=zone,
            working_days=frozenset(days),
            hours=tuple(windows),
            public_holidays=region,
            closed_days=frozenset(closed),
        )
    except CalendarError as exc:
        raise InputError(_join(path, exc.field), exc.message) from None


def _elapsed(value: object, path: str) -> dict[str, object]:
    raw = _object(value, path, {"calendar", "start", "end", "pauses"}, ("calendar", "start", "end"))
    calendar = _calendar(raw["calendar"], _join(path, "calendar"))
    start, end = _instant(raw["start"], _join(path, "start")), _instant(raw["end"], _join(path, "end"))
    if end < start:
        raise InputError(_join(path, "end"), "must not be before start")
    pauses = []
    pauses_value = raw.get("pauses") or []
    if not isinstance(pauses_value, list):
        raise InputError(_join(path, "pauses"), "must be an array of [start, end] pairs")
    for index, pause in enumerate(pauses_value):
        where = f"{_join(path, 'pauses')}[{index}]"
        if not isinstance(pause, list) or len(pause) != 2:
            raise InputError(where, "must be a [start, end] pair")
        pause_start, pause_end = _instant(pause[0], f"{where}[0]"), _instant(pause[1], f"{where}[1]")
        if pause_end < pause_start:
            raise InputError(f"{where}[1]", "must not be before the pause's start")
        pauses.append((pause_start, pause_end))
    return {"business_minutes": business_minutes(calendar, start, end, pauses)}


def _due(value: object, path: str) -> dict[str, object]:
    required = ("calendar", "start", "business_minutes")
    raw = _object(value, path, set(required), required)
    calendar = _calendar(raw["calendar"], _join(path, "calendar"))
    start = _instant(raw["start"], _join(path, "start"))
    minutes = raw["business_minutes"]
    if type(minutes) is not int or not 0 <= minutes <= 10_000_000:
        raise InputError(_join(path, "business_minutes"), "must be a whole number from 0 to 10000000")
    try:
        instant = due(calendar, start, minutes)
    except CalendarError as exc:
        raise InputError(_join(path, exc.field), exc.message) from None
    return {"due": instant.isoformat(timespec="seconds")}


ACTIONS: dict[str, Callable[[object, str], dict[str, object]]] = {"elapsed": _elapsed, "due": _due}


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def run(action: str, text: str) -> tuple[int, str]:
    """Exit code and output: ``(0, JSON)`` or ``(2, "<path>: <problem>")`` on one line."""
    compute = ACTIONS[action]
    try:
        document = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        return USAGE_ERROR, " ".join(f"input: invalid JSON: {exc}".split())
    try:
        if isinstance(document, list):
            output: Any = [compute(item, f"[{index}]") for index, item in enumerate(document)]
        else:
            output = compute(document, "")
    except InputError as exc:
        return USAGE_ERROR, " ".join(str(exc).split())
    return 0, json.dumps(output)
