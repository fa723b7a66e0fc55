"""The adaptive questionnaire: which questions are shown, what to ask next, what is still missing."""

from __future__ import annotations

from shared.simulation.engine import ignored_answers, missing_required, next_question, visible_questions
from shared.simulation.models import RuleSet

ALWAYS = [
    "GENERAL_001", "GENERAL_002", "GENERAL_003", "GENERAL_004", "RECOUVR_001",
    "ENERGIE_ELEC_FACTURES", "ENERGIE_GAZ_FACTURES", "TICPE_001",
]  # fmt: skip

COMPLETE = {
    "GENERAL_001": "Commerce et Distribution",
    "GENERAL_002": "Moins de 100 000€",
    "GENERAL_003": "Aucun",
    "GENERAL_004": "Non",
    "RECOUVR_001": "Non",
    "ENERGIE_ELEC_FACTURES": "Non",
    "ENERGIE_GAZ_FACTURES": "Non",
    "TICPE_001": "Non",
}


def _shown(rule_set: RuleSet, answers: dict[str, object]) -> list[str]:
    return [q.code for q in visible_questions(rule_set, answers)]


def test_without_answers_only_unconditional_questions_are_shown(rule_set: RuleSet) -> None:
    assert _shown(rule_set, {}) == ALWAYS


def test_each_condition_shows_its_questions_in_order(rule_set: RuleSet) -> None:
    answers = {
        "GENERAL_001": "Transport et Logistique",
        "GENERAL_004": "Oui",
        "ENERGIE_ELEC_FACTURES": "Oui",
        "ENERGIE_GAZ_FACTURES": "oui",
        "TICPE_001": True,
    }
    assert _shown(rule_set, answers) == [q.code for q in rule_set.questions]  # all 14, questionnaire order


def test_no_answers_hide_the_dependent_questions(rule_set: RuleSet) -> None:
    shown = _shown(rule_set, {"GENERAL_004": "Non", "TICPE_001": "Non", "GENERAL_001": "Autre secteur"})
    assert not {"FONCIER_001", "TICPE_003", "TICPE_002", "DFS_001"} & set(shown)


def test_next_question_is_the_first_shown_unanswered_one(rule_set: RuleSet) -> None:
    first = next_question(rule_set, {})
    assert first is not None and first.code == "GENERAL_001"
    after_owner = next_question(rule_set, {code: COMPLETE[code] for code in ALWAYS[:3]} | {"GENERAL_004": "Oui"})
    assert after_owner is not None and after_owner.code == "FONCIER_001"
    conditional_then_unconditional = next_question(rule_set, {**COMPLETE, "GENERAL_004": "Oui", "FONCIER_001": 10})
    assert conditional_then_unconditional is None  # a conditional question does not end the flow early
    vehicle_types = next_question(rule_set, {**COMPLETE, "TICPE_001": "Oui", "TICPE_002": 100})
    assert vehicle_types is not None and vehicle_types.code == "TICPE_003"


def test_nothing_left_to_ask_when_complete(rule_set: RuleSet) -> None:
    assert next_question(rule_set, COMPLETE) is None
    assert missing_required(rule_set, COMPLETE) == []


def test_missing_required_lists_shown_unanswered_questions(rule_set: RuleSet) -> None:
    assert missing_required(rule_set, {}) == ALWAYS
    draft = {**COMPLETE, "TICPE_001": "Oui", "TICPE_003": ["Véhicules légers"], "RECOUVR_001": None}
    assert missing_required(rule_set, draft) == ["RECOUVR_001", "TICPE_002"]


def test_answers_to_hidden_questions_are_listed_as_ignored(rule_set: RuleSet) -> None:
    answers = {**COMPLETE, "FONCIER_001": 1200, "DFS_001": 4, "ENERGIE_GAZ_MONTANT": 90}
    assert ignored_answers(rule_set, answers) == ["FONCIER_001", "ENERGIE_GAZ_MONTANT", "DFS_001"]
    assert ignored_answers(rule_set, {**answers, "GENERAL_004": "Oui"}) == ["ENERGIE_GAZ_MONTANT", "DFS_001"]
