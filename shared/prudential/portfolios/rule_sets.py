"""Rule sets as stored data: the one a calculation uses (the organization's own version of a code,
else the platform's, as seeded by migration 0081), and publishing a new version without a deploy."""

from __future__ import annotations

import uuid
from typing import Any

from shared.platform.db import Connection
from shared.platform.errors import Conflict, Unprocessable, field_error
from shared.prudential.portfolios import repository
from shared.prudential.rule_repository import stored_rule_set
from shared.prudential.rules import DEFAULT_RULE_SET, RuleSet, RuleSetError, load_rule_set, rule_set_from_document

Row = dict[str, Any]


def load(conn: Connection, code: str, *, organization_id: uuid.UUID) -> RuleSet:
    """The rule set ``code`` as the organization sees it (404 ``unknown_rule_set`` when there is none)."""
    return stored_rule_set(conn, code=code, organization_id=organization_id)


def _unprocessable(message: str) -> Unprocessable:
    return Unprocessable(f"Invalid rule set: {message}", code="invalid_rule_set",
                         errors=[field_error("document", "rule_set", message)])  # fmt: skip


def publish(conn: Connection, *, organization_id: uuid.UUID, document: dict[str, Any]) -> Row:
    """Publish ``document`` (the bundled files' shape) as a new rule set of the organization.

    The whole document is read by the engine's own reader (formats, dates, no overlapping rows) and
    must give a value, on its first day, to every parameter the platform's CRR3 rule set has, so
    that no calculation can later miss one; its code must be new to the organization (409)."""
    try:
        rule_set = rule_set_from_document(document)
        rule_set.at(rule_set.effective_from)
    except RuleSetError as exc:
        raise _unprocessable(str(exc)) from exc
    reference = load_rule_set(DEFAULT_RULE_SET)
    needed = {(row.code, row.key) for row in reference.parameters}
    given = {(row.code, row.key) for row in rule_set.parameters}
    missing = sorted(needed - given)
    if missing:
        shown = ", ".join(f"{code}/{key}" for code, key in missing[:10])
        raise _unprocessable(f"{len(missing)} parameters missing: {shown}")
    if repository.rule_set_exists(conn, organization_id=organization_id, code=rule_set.code):
        raise Conflict(f"Rule set {rule_set.code} already exists; publish a new version", code="rule_set_exists")
    row = repository.insert_rule_set(
        conn,
        organization_id=organization_id,
        code=rule_set.code,
        effective_from=rule_set.effective_from,
        description=rule_set.description,
    )
    repository.insert_rule_parameters(conn, rule_set_id=row["id"], rows=[p.to_json() for p in rule_set.parameters])
    return {**row, "parameter_count": len(rule_set.parameters)}
