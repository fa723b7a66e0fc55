"""`fintrack simulate`: the acceptance contract, through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "simulate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_one_object_in_one_object_out() -> None:
    done = _run(json.dumps({"TICPE_001": "Oui", "TICPE_003": ["Camions de plus de 7,5 tonnes"], "TICPE_002": 5000}))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rule_set"] == "FR-2025.1"
    assert result["products"]["ticpe"]["amount"] == "12000.00" and result["products"]["ticpe"]["priority"] == 1
    assert result["total"] == "12000.00"
    assert set(result["products"]["ticpe"]) == {"eligible", "amount", "priority", "reason", "benefits", "explanation"}


def test_an_array_in_an_array_out() -> None:
    done = _run(json.dumps([{"GENERAL_003": "1 à 5"}, {"GENERAL_003": 25}]), "--rule-set", "FR-2025.1")
    assert done.returncode == 0, done.stderr
    assert [r["products"]["urssaf"]["amount"] for r in json.loads(done.stdout)] == ["10500.00", "87500.00"]


def test_bad_input_exits_2_with_one_line() -> None:
    for stdin, args in (
        ("{not json", ()),
        (json.dumps({"GENERAL_003": -1}), ()),
        ("[1]", ()),
        (json.dumps({}), ("--rule-set", "XX-1999.1")),
    ):
        done = _run(stdin, *args)
        assert done.returncode == 2, (stdin, args)
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
