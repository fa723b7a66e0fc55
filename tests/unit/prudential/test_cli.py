"""`fintrack prudential`: one object or an array in, canonical JSON out; bad input → exit 2, empty
stdout, one stderr line `<path>: <problem>`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.cli import main
from shared.prudential.numbers import canonical_json

ROOT = Path(__file__).resolve().parents[3]
DOC = {"id": "bank-1", "reference_date": "2025-12-31",
       "exposures": [{"id": "a", "class": "corporate", "amount": 1000000, "cqs": 3}],
       "own_funds": {"cet1_instruments": "150000"}}  # fmt: skip


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(text))
    code = main(["prudential", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_object_gives_one_result_in_canonical_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(monkeypatch, capsys, json.dumps(DOC))
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert out == canonical_json(result).decode() + "\n"
    assert set(result) == {"id", "rule_set", "reference_date", "exposures", "credit_risk", "trea", "capital",
                           "leverage", "lcr", "nsfr"}  # fmt: skip
    assert (result["id"], result["rule_set"], result["exposures"][0]["rwa"]) == ("bank-1", "CRR3-2025.1", "750000.00")
    assert result["capital"]["cet1_ratio"] == "0.200000" and result["lcr"] is None
    assert set(result["credit_risk"]["by_class"]) == {
        "central_government", "rgla", "pse", "mdb", "international_organisation", "institution", "corporate", "retail",
        "real_estate", "subordinated_debt", "equity", "covered_bond", "other_items", "in_default",
    }  # fmt: skip


def test_an_array_gives_an_array_in_the_same_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    second = {**DOC, "id": "bank-2", "reference_date": "2030-01-01"}
    code, out, _ = run(monkeypatch, capsys, json.dumps([DOC, second]), "--rule-set", "CRR3-2025.1")
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == ["bank-1", "bank-2"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("{", "input: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ('{"reference_date": "2025-01-01", "reference_date": "2025-01-02"}',
         "input: invalid JSON: duplicate key 'reference_date'"),
        ('{"reference_date": "2025-01-01", "exposures": [{"id": "a", "class": "mdb", "amount": NaN}]}',
         "input: invalid JSON: NaN is not a JSON number"),
        ("42", "input: must be a JSON object or an array of objects"),
        (json.dumps([DOC, DOC, DOC, {**DOC, "exposures": [{"id": "x", "class": "corporate", "cqs": 7}]}]),
         "[3].exposures[0].cqs: must be an integer 1..6"),
        (json.dumps([DOC, 5]), "[1]: must be a JSON object"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, line: str
) -> None:
    assert run(monkeypatch, capsys, text) == (2, "", line + "\n")


def test_an_unknown_rule_set_is_bad_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, capsys, json.dumps(DOC), "--rule-set", "CRR2-2019.1") == (
        2, "", "--rule-set: unknown rule set 'CRR2-2019.1'\n",
    )  # fmt: skip


def test_the_installed_command_keeps_the_contract() -> None:
    ok = subprocess.run([str(ROOT / ".venv" / "bin" / "fintrack"), "prudential"], input=json.dumps(DOC),
                        capture_output=True, text=True, check=False, cwd=ROOT)  # fmt: skip
    assert ok.returncode == 0 and json.loads(ok.stdout)["credit_risk"]["rwa"] == "750000.00"
    bad = subprocess.run([str(ROOT / ".venv" / "bin" / "fintrack"), "prudential"], input='{"reference_date": 1}',
                         capture_output=True, text=True, check=False, cwd=ROOT)  # fmt: skip
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "reference_date: must be a date YYYY-MM-DD\n")
