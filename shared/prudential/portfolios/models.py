"""What the `prudential` function accepts and answers (the engine's own input and result documents
are validated by :mod:`shared.prudential.models`, not here)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

VersionStatus = Literal["draft", "in_review", "approved", "rejected"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationQuery(_In):
    organization_id: UUID | None = None


class PortfolioIn(_In):
    organization_id: UUID | None = Field(None, description="needed only by someone in several organizations")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)


class PortfolioPatch(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)


class PortfolioOut(BaseModel):
    id: UUID
    organization_id: UUID
    name: str
    description: str
    created_by: UUID
    created_at: dt.datetime
    updated_at: dt.datetime
    latest_version: int | None = None


class PortfolioList(BaseModel):
    items: list[PortfolioOut]


class VersionOut(BaseModel):
    id: UUID
    organization_id: UUID
    portfolio_id: UUID
    version: int
    status: VersionStatus
    input_sha256: str
    reference_date: dt.date
    exposure_count: int
    summary: dict[str, Any]
    source: str
    based_on_version_id: UUID | None
    created_by: UUID
    contributors: list[UUID]
    submitted_by: UUID | None
    submitted_at: dt.datetime | None
    decided_by: UUID | None
    decided_at: dt.datetime | None
    decision_comment: str | None
    calculation_id: UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    input: dict[str, Any] | None = None


class PortfolioDetail(PortfolioOut):
    versions: list[VersionOut]


class CalculateIn(_In):
    rule_set: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9]*-\d{4}\.\d+$", description="default CRR3-2025.1")


class CalculationOut(BaseModel):
    id: UUID
    organization_id: UUID
    portfolio_version_id: UUID
    rule_set: str
    reference_date: dt.date
    input_sha256: str
    result_sha256: str
    status: Literal["current", "superseded"]
    created_by: UUID
    created_at: dt.datetime
    result: dict[str, Any] | None = None


class CalculationList(BaseModel):
    items: list[CalculationOut]


class VerificationOut(BaseModel):
    """A stored calculation recomputed now: identical when both hashes match the stored ones."""

    calculation_id: UUID
    identical: bool
    rule_set: str
    input_sha256: str
    recomputed_input_sha256: str
    result_sha256: str
    recomputed_result_sha256: str
    stored_result_sha256: str


class TransitionIn(_In):
    comment: str | None = Field(None, max_length=4000)


class TransitionOut(BaseModel):
    id: UUID
    status: VersionStatus
    calculation_id: UUID | None = None
    new_version_id: UUID | None = None


class ScenarioIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    shocks: list[dict[str, Any]] = Field(max_length=200)


class ScenarioOut(BaseModel):
    id: UUID
    organization_id: UUID
    portfolio_id: UUID
    name: str
    description: str
    shocks: list[dict[str, Any]]
    created_by: UUID
    created_at: dt.datetime
    updated_at: dt.datetime


class ScenarioList(BaseModel):
    items: list[ScenarioOut]


class WhatIfIn(_In):
    """Either a stored ``scenario_id`` or ad-hoc ``shocks`` (not both)."""

    scenario_id: UUID | None = None
    shocks: list[dict[str, Any]] | None = Field(None, max_length=200)
    rule_set: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9]*-\d{4}\.\d+$")


class MappingIn(_In):
    organization_id: UUID | None = None
    columns: dict[str, str] = Field(description="source column header → exposure field", max_length=200)


class MappingOut(BaseModel):
    id: UUID
    organization_id: UUID
    template: str
    columns: dict[str, str]
    created_by: UUID
    updated_by: UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime


class MappingList(BaseModel):
    items: list[MappingOut]


class ExportQuery(_In):
    format: Literal["xlsx", "pdf"] = "xlsx"
    lang: Literal["fr", "en"] = "fr"


class RuleSetQuery(_In):
    organization_id: UUID | None = None


class RuleSetIn(_In):
    """A new rule set version in the bundled files' shape: ``{rule_set, effective_from, description,
    parameters: [{code, key, value, valid_from, valid_to}]}`` (values as decimal strings)."""

    organization_id: UUID | None = None
    document: dict[str, Any]


class RuleSetOut(BaseModel):
    id: UUID
    organization_id: UUID | None
    code: str
    effective_from: dt.date
    description: str
    published_at: dt.datetime
    published_by: UUID | None
    parameter_count: int


class RuleSetList(BaseModel):
    items: list[RuleSetOut]


class RuleSetDocument(BaseModel):
    rule_set: str
    effective_from: dt.date
    description: str
    parameters: list[dict[str, Any]]


class WhatIfOut(BaseModel):
    """``figures``: the result's tree with every value as {old, new, delta} (delta null for texts)."""

    version_id: UUID
    scenario_id: UUID | None
    rule_set: str
    shocks: list[dict[str, Any]]
    figures: dict[str, Any]


class HistoryEntry(BaseModel):
    """One transition: ``details`` holds from, to, comment, rule set and the SHA-256 of input and result."""

    id: int
    action: str
    actor_id: UUID | None
    details: dict[str, Any] | None
    created_at: dt.datetime
    chain_seq: int | None
    prev_hash: str | None
    row_hash: str | None


class HistoryList(BaseModel):
    items: list[HistoryEntry]


class ImportQuery(_In):
    """Form fields sent with the file (multipart/form-data, the file in ``file``)."""

    template: str | None = Field(None, min_length=1, max_length=100)
    lang: Literal["fr", "en"] = "fr"


class ImportPreview(BaseModel):
    """``errors`` and ``warnings``: {row, column, value, rule, message}; ``preview``: the first 50 rows."""

    file_name: str
    rows: int
    valid_rows: int
    mapping: dict[str, str]
    unmapped_columns: list[str]
    preview: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class ImportedVersion(VersionOut):
    warnings: list[dict[str, Any]]


class ImportJobOut(BaseModel):
    """``queued`` → ``running`` → ``done`` (``version_id``) | ``failed`` (``error_code``, ``error``, and the
    row errors of a rejected file in ``errors``)."""

    id: UUID
    organization_id: UUID
    portfolio_id: UUID
    requested_by: UUID
    file_name: str
    status: Literal["queued", "running", "done", "failed"]
    attempts: int
    error: str | None
    error_code: str | None
    errors: list[dict[str, Any]] | None
    warnings: list[dict[str, Any]] | None
    version_id: UUID | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class WorkerOut(BaseModel):
    done: int
    failed: int
    lost: int
