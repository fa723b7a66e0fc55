"""The `simulate` function's request and response bodies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.simulation.models import RuleSet

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
    organization: str = Field(min_length=1, max_length=100)
    rule_set: str | None = RuleSetVersion


class SimulationOut(BaseModel):
    """A simulation: its answers, the questions shown, what comes next and the results so far."""

    id: UUID
    status: str
    rule_set: str
    organization_id: UUID
    client_company_id: UUID | None
    answers: dict[str, Any]
    questions: list[dict[str, Any]]
    next_question: dict[str, Any] | None
    missing: list[str]
    ignored: list[str]
    progress: dict[str, int]
    preview: dict[str, Any]
    abandon_reason: str | None
    updated_at: str
    resume_token: str | None = Field(default=None, description="anonymous drafts only, returned once")


class CompletionOut(BaseModel):
    """The completed simulation's result and what happened to the company's dossiers."""

    id: UUID
    status: str
    rule_set: str
    client_company_id: UUID | None
    result: dict[str, Any]
    dossiers: dict[str, list[dict[str, Any]]] | None = Field(
        description="created, updated, unchanged, left_alone, no_longer_eligible; null without a company"
    )
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
    questions: list[dict[str, Any]]


class RuleSetOut(BaseModel):
    """A published rule set."""

    id: UUID
    version: str
    organization_id: UUID | None
    effective_from: str
