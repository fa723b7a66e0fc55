"""`fintrack sla elapsed|due`: the stable contract acceptance checks use."""

from __future__ import annotations

import io
import json

import pytest

from infra import cli as fintrack
from shared.followup.cli import run

CALENDAR = {
    "time_zone": "Europe/Paris",
    "working_days": [1, 2, 3, 4, 5],
    "hours": [["09:00", "12:30"], ["14:00", "18:00"]],
    "public_holidays": "FR",
    "closed_days": [],
}


def test_elapsed_across_the_dst_change() -> None:
    item = {"calendar": CALENDAR, "start": "2026-03-27T17:00:00+01:00", "end": "2026-03-30T10:00:00+02:00"}
    assert run("elapsed", json.dumps(item)) == (0, '{"business_minutes": 120}')


def test_elapsed_minus_pauses_for_an_array_in_order() -> None:
    paused = {
        "calendar": CALENDAR,
        "start": "2026-03-02T09:00:00+01:00",
        "end": "2026-03-24T18:00:00+01:00",
        "pauses": [["2026-03-04T09:00:00+01:00", "2026-03-18T09:00:00+01:00"]],
    }
    utc = {
        "calendar": {**CALENDAR, "public_holidays": None},
        "start": "2026-03-02T08:00:00Z",
        "end": "2026-03-02T08:30:59Z",
    }
    code, output = run("elapsed", json.dumps([paused, utc]))
    assert code == 0
    assert json.loads(output) == [{"business_minutes": 3150}, {"business_minutes": 30}]


def test_due_after_whit_monday_in_the_calendars_zone_with_seconds() -> None:
    item = {"calendar": CALENDAR, "start": "2026-05-22T17:10:00Z", "business_minutes": 2250}
    assert run("due", json.dumps(item)) == (0, '{"due": "2026-06-01T18:00:00+02:00"}')
    closed = {"calendar": {**CALENDAR, "closed_days": ["2026-05-15"]}, "start": "2026-05-13T17:00:00+02:00"}
    code, output = run("due", json.dumps([{**closed, "business_minutes": n * 450} for n in (1, 2, 3)]))
    assert code == 0
    assert [d["due"] for d in json.loads(output)] == [
        "2026-05-18T17:00:00+02:00",
        "2026-05-19T17:00:00+02:00",
        "2026-05-20T17:00:00+02:00",
    ]


def test_zero_minutes_outside_working_time_is_the_next_opening() -> None:
    item = {"calendar": CALENDAR, "start": "2026-06-01T18:00:00+02:00", "business_minutes": 0}
    assert run("due", json.dumps(item)) == (0, '{"due": "2026-06-02T09:00:00+02:00"}')


def test_an_omitted_calendar_field_takes_the_default() -> None:
    item = {"calendar": {}, "start": "2026-03-27T17:00:00+01:00", "end": "2026-03-30T10:00:00+02:00"}
    assert run("elapsed", json.dumps(item)) == (0, '{"business_minutes": 120}')


START, END = "2026-03-02T09:00:00+01:00", "2026-03-02T10:00:00+01:00"


@pytest.mark.parametrize(
    ("action", "item", "message"),
    [
        ("elapsed", 3, "input: must be an object"),
        ("elapsed", {"start": START, "end": END}, "calendar: is required"),
        ("elapsed", {"calendar": CALENDAR, "end": END}, "start: is required"),
        ("elapsed", {"calendar": CALENDAR, "start": START, "end": END, "x": 1}, "x: unknown field"),
        ("elapsed", {"calendar": CALENDAR, "start": "2026-03-02T09:00:00", "end": END}, "start: must include a UTC"),
        ("elapsed", {"calendar": CALENDAR, "start": "yesterday", "end": END}, "start: must be an ISO-8601"),
        ("elapsed", {"calendar": CALENDAR, "start": END, "end": START}, "end: must not be before start"),
        ("elapsed", {"calendar": {"time_zone": "Paris"}, "start": START, "end": END}, "calendar.time_zone: unknown"),
        ("elapsed", {"calendar": {"working_days": [8]}, "start": START, "end": END}, "calendar.working_days:"),
        ("elapsed", {"calendar": {"working_days": ["1"]}, "start": START, "end": END}, "calendar.working_days:"),
        ("elapsed", {"calendar": {"hours": [["9:00", "12:00"]]}, "start": START, "end": END}, "calendar.hours[0][0]:"),
        ("elapsed", {"calendar": {"hours": [["12:00", "09:00"]]}, "start": START, "end": END}, "calendar.hours[0]:"),
        ("elapsed", {"calendar": {"hours": [["09:00"]]}, "start": START, "end": END}, "calendar.hours[0]: must be"),
        ("elapsed", {"calendar": {"public_holidays": "BE"}, "start": START, "end": END}, "calendar.public_holidays:"),
        (
            "elapsed",
            {"calendar": {"closed_days": ["2026-13-01"]}, "start": START, "end": END},
            "calendar.closed_days[0]",
        ),
        ("elapsed", {"calendar": CALENDAR, "start": START, "end": END, "pauses": [[END, START]]}, "pauses[0][1]:"),
        ("elapsed", {"calendar": CALENDAR, "start": START, "end": END, "pauses": [START]}, "pauses[0]: must be"),
        ("due", {"calendar": CALENDAR, "start": START}, "business_minutes: is required"),
        ("due", {"calendar": CALENDAR, "start": START, "business_minutes": -1}, "business_minutes: must be"),
        ("due", {"calendar": CALENDAR, "start": START, "business_minutes": 1.5}, "business_minutes: must be"),
        ("due", {"calendar": CALENDAR, "start": START, "business_minutes": True}, "business_minutes: must be"),
        (
            "due",
            {"calendar": {"working_days": []}, "start": START, "business_minutes": 1},
            "calendar: not enough working time",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_field(action: str, item: object, message: str) -> None:
    code, output = run(action, json.dumps(item))
    assert code == 2
    assert output.startswith(message)
    assert "\n" not in output
    valid = {"calendar": {}, "start": START, **({"end": END} if action == "elapsed" else {"business_minutes": 0})}
    code, output = run(action, json.dumps([valid, item]))
    assert code == 2 and "[1]" in output


def test_invalid_json_and_the_fintrack_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("due", "{")[0] == 2
    assert run("due", "[" * 100_000)[0] == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"calendar": CALENDAR, "start": START, "end": END})))
    assert fintrack.main(["sla", "elapsed"]) == 0
    assert json.loads(capsys.readouterr().out) == {"business_minutes": 60}
    monkeypatch.setattr("sys.stdin", io.StringIO('{"calendar": {}}'))
    assert fintrack.main(["sla", "due"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "start: is required\n"
