"""The `simulate` function's request and response bodies."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.simulation.models import QuestionType, Rule, RuleSet

Lang = Literal["fr", "en"]

RuleSetVersion = Field(default=None, pattern=r"^[A-Z]{2}-\d{4}\.\d+$", description="default: the rule set in effect")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartIn(_In):
    """Start (or resume) a draft: for a company you may simulate for, or anonymously for an organization."""

    client_company_id: UUID | None = None
    organization: str | None = Field(
        default=None, min_length=1, max_length=100, description="organization slug or id (anonymous visitors)"
    )
    rule_set: str | None = RuleSetVersion


class AnswersIn(_In):
    answers: dict[str, Any] = Field(max_length=100, description="question code → answer; null clears an answer")


class AbandonIn(_In):
    reason: str = Field(min_length=3, max_length=500)


class ClaimIn(_In):
    resume_token: str = Field(min_length=20, max_length=200)
    client_company_id: UUID


class RuleSetIn(_In):
    organization_id: UUID | None = Field(default=None, description="null: a platform rule set (operators only)")
    rule_set: RuleSet


class QuestionnaireQuery(_In):
    organization: str = Field(min_length=1, max_length=100, description="organization slug (see `me`) or id")
    rule_set: str | None = RuleSetVersion
    lang: Lang = Field(default="fr", description="language of the labels: fr (default) or en")


class QuestionOut(BaseModel):
    """A question as a front end shows it. ``options`` are the accepted values (French, as the rule set
    defines them); ``shown_when`` is the display condition itself, to re-evaluate as the user types."""

    code: str
    order: int
    label: str = Field(description="in the language asked for; French when the rule set has no translation")
    label_en: str
    type: QuestionType
    unit: str | None = None
    options: list[str] = []
    tranche_values: dict[str, str] | None = None
    min: str | None = None
    max: str | None = None
    required: bool
    shown_when: Rule | None = Field(
        description="null: always shown; else a rule ({question, operator, value}, or {all|any: [...]})"
        " over the answers of earlier questions: the question is shown while it holds"
    )


class SimulationOut(BaseModel):
    """A simulation: its answers, the questions shown, what comes next and the results so far."""

    id: UUID
    status: str
    rule_set: str
    organization_id: UUID
    client_company_id: UUID | None
    answers: dict[str, Any]
    questions: list[QuestionOut]
    next_question: QuestionOut | None
    missing: list[str]
    ignored: list[str]
    progress: dict[str, int]
    preview: dict[str, Any]
    abandon_reason: str | None
    updated_at: str
    resume_token: str | None = Field(default=None, description="anonymous drafts only, returned once")
    prefilled_from: UUID | None = Field(
        default=None,
        description="on start: the company's last completed simulation whose answers pre-fill this draft",
    )


class DossierOutcome(BaseModel):
    """What a completion did to one dossier of the company."""

    product: str
    dossier_id: UUID
    amount: str | None = Field(description="this simulation's estimate (no_longer_eligible: the dossier's amount)")
    previous_amount: str | None = Field(default=None, description="updated, left_alone: the amount before")
    dossier_amount: str | None = Field(description="the amount the dossier holds now")
    applied: bool = Field(description="whether the dossier holds this simulation's estimate")
    status: str


class DossierOutcomes(BaseModel):
    """Dossiers created, updated, unchanged, left alone (estimate recorded in the history, not applied)
    and those whose product is no longer eligible (left alone, noted in the history)."""

    created: list[DossierOutcome] = []
    updated: list[DossierOutcome] = []
    unchanged: list[DossierOutcome] = []
    left_alone: list[DossierOutcome] = []
    no_longer_eligible: list[DossierOutcome] = []


class CompletionOut(BaseModel):
    """The completed simulation's result and what happened to the company's dossiers."""

    id: UUID
    status: str
    rule_set: str
    client_company_id: UUID | None
    result: dict[str, Any]
    dossiers: DossierOutcomes | None = Field(description="null without a company")
    already_completed: bool = False


class ClaimOut(BaseModel):
    """The claimed simulation and, when it was already completed, the merge into the company's dossiers."""

    simulation: SimulationOut
    completion: CompletionOut | None


class ComparisonOut(BaseModel):
    """What-if: per product old and new eligibility and amount, and the deltas."""

    simulation_id: UUID
    rule_set: str
    old_answers: dict[str, Any]
    new_answers: dict[str, Any]
    products: dict[str, dict[str, Any]]
    old_total: str
    new_total: str
    total_delta: str


class QuestionnaireOut(BaseModel):
    """The questionnaire of a rule set."""

    rule_set: str
    lang: Lang = "fr"
    questions: list[QuestionOut]


class RuleSetOut(BaseModel):
    """A published rule set."""

    id: UUID
    version: str
    organization_id: UUID | None
    effective_from: str
