"""`fintrack match-score`: the stable contract acceptance checks use."""

from __future__ import annotations

import io
import json

import pytest

from infra import cli as fintrack
from shared.marketplace.cli import run

EXAMPLE = {
    "expert": {
        "level": "avance",
        "sectors": ["Transport et Logistique"],
        "departements": ["69"],
        "rating": 4.6,
        "completed": 12,
        "open": 3,
        "capacity": 10,
    },
    "client": {"sector": "Transport et Logistique", "departement": "69"},
}
EXPECTED = {
    "total": "86.40",
    "parts": {
        "level": "24.00",
        "sector": "15.00",
        "area": "15.00",
        "rating": "18.40",
        "experience": "7.00",
        "load": "7.00",
    },
}


def test_one_object_in_one_object_out() -> None:
    code, output = run(json.dumps(EXAMPLE))
    assert code == 0
    assert json.loads(output) == EXPECTED
    assert list(json.loads(output)["parts"]) == ["level", "sector", "area", "rating", "experience", "load"]


def test_an_array_keeps_its_order() -> None:
    national = {
        "expert": {**EXAMPLE["expert"], "departements": ["national"], "rating": None},
        "client": EXAMPLE["client"],
    }
    code, output = run(json.dumps([EXAMPLE, national, EXAMPLE]))
    assert code == 0
    totals = [item["total"] for item in json.loads(output)]
    assert totals == ["86.40", "70.00", "86.40"]
    assert run("[]") == (0, "[]")


def test_missing_numbers_take_the_marketplace_defaults() -> None:
    code, output = run('{"expert": {"level": "expert"}, "client": {}}')
    assert code == 0
    assert json.loads(output) == {
        "total": "60.00",
        "parts": {
            "level": "30.00",
            "sector": "8.00",
            "area": "0.00",
            "rating": "12.00",
            "experience": "0.00",
            "load": "10.00",
        },
    }


def test_decimals_are_read_exactly_not_as_floats() -> None:
    code, output = run('{"expert": {"level": "debutant", "rating": 4.1, "open": 1, "capacity": 3}, "client": {}}')
    assert code == 0
    assert json.loads(output)["parts"]["rating"] == "16.40"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{", "invalid JSON"),
        ("42", "input: expected an object"),
        ('[{"expert": {"level": "avance"}}, 3]', "[1]: expected an object"),
        ('{"client": {}}', "input.expert: Field required"),
        ('{"expert": {"level": "guru"}}', "input.expert.level"),
        ('{"expert": {"level": "avance", "rating": 6}}', "input.expert.rating"),
        ('{"expert": {"level": "avance", "open": -1}}', "input.expert.open"),
        ('{"expert": {"level": "avance", "capacity": "lots"}}', "input.expert.capacity"),
        ('{"expert": {"level": "avance", "rating": NaN}}', "invalid JSON"),
    ],
)
def test_bad_input_exits_2_with_one_line(text: str, where: str) -> None:
    code, output = run(text)
    assert code == 2
    assert output.startswith("error: ") and where in output
    assert "\n" not in output


def test_the_fintrack_command_reads_stdin_and_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(EXAMPLE)))
    assert fintrack.main(["match-score"]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED
    monkeypatch.setattr("sys.stdin", io.StringIO("nope"))
    assert fintrack.main(["match-score"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: invalid JSON")
