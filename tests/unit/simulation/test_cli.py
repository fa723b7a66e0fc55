"""`fintrack simulate`: JSON in, the result contract out; every problem is exit 2 and one line."""

from __future__ import annotations

import json

import pytest

from shared.simulation.cli import run

URSSAF = '{"GENERAL_003": "1 à 5"}'


def test_one_object_gives_one_result() -> None:
    code, output = run("FR-2025.1", URSSAF)
    assert code == 0
    result = json.loads(output)
    assert set(result) == {"rule_set", "products", "total"}
    assert result["products"]["urssaf"]["amount"] == "10500.00" and result["total"] == "10500.00"


def test_an_array_gives_an_array_in_the_same_order() -> None:
    code, output = run("FR-2025.1", f'[{URSSAF}, {{}}, {{"GENERAL_003": 25}}]')
    assert code == 0
    assert [r["total"] for r in json.loads(output)] == ["10500.00", "0.00", "87500.00"]
    assert run("FR-2025.1", "[]") == (0, "[]")


def test_json_decimals_are_read_exactly() -> None:
    code, output = run("FR-2025.1", '{"GENERAL_004": "Oui", "FONCIER_001": 3456.78}')
    assert code == 0 and json.loads(output)["products"]["foncier"]["amount"] == "691.36"


def test_null_answers_are_unanswered() -> None:
    code, output = run("FR-2025.1", '{"GENERAL_003": null}')
    assert code == 0 and json.loads(output)["products"]["urssaf"]["eligible"] is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{}, {"GENERAL_003": 200000}]', "error: answers[1].GENERAL_003: out_of_bounds: must be between 0 and 100000"),
        ('{"GENERAL_003": true}', "error: answers.GENERAL_003: wrong_type: expected a tranche or a whole number"),
        ('{"NOPE": 1}', "error: answers.NOPE: unknown_question: no question NOPE in rule set FR-2025.1"),
        ('{"GENERAL_001": "Pêche"}', "error: answers.GENERAL_001: not_in_choices: 'Pêche' is not one of"),
        ("{not json", "error: invalid JSON: "),
        ("", "error: invalid JSON: "),
        ('{"FONCIER_001": NaN}', "error: invalid JSON: NaN is not a number JSON allows"),
        ('"GENERAL_003"', "error: answers: expected a JSON object or an array of objects, got a string"),
        ("42", "error: answers: expected a JSON object or an array of objects, got a number"),
        ("null", "error: answers: expected a JSON object or an array of objects, got null"),
        ("[{}, [1]]", "error: answers[1]: expected a JSON object of question code → answer, got an array"),
        ('{"GENERAL_001": "Pê\\nche"}', "error: answers.GENERAL_001: not_in_choices: 'Pê\\nche' is not one of"),
    ],
)
def test_bad_input_exits_2_with_one_line(text: str, message: str) -> None:
    code, output = run("FR-2025.1", text)
    assert code == 2
    assert output.startswith(message)
    assert "\n" not in output


def test_an_unknown_rule_set_exits_2() -> None:
    assert run("FR-2099.1", URSSAF) == (2, "error: unknown rule set 'FR-2099.1'")
    assert run("../../etc/passwd", URSSAF) == (2, "error: unknown rule set '../../etc/passwd'")


def test_output_is_deterministic() -> None:
    text = '[{"GENERAL_001": "Transport et Logistique", "DFS_001": 5, "GENERAL_003": "6 à 20"}]'
    assert run("FR-2025.1", text) == run("FR-2025.1", text)
