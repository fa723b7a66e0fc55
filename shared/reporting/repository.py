"""SQL of the reporting capability: stored validation results, rule comments, the organization's branding."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg.types.json import Jsonb

from shared.platform.db import Connection

Row = dict[str, Any]


def organization(conn: Connection, *, organization_id: uuid.UUID) -> Row | None:
    row: Row | None = conn.execute(
        "select id, name, primary_color, legal_footer, logo_path from public.organizations where id = %(id)s",
        {"id": organization_id},
    ).fetchone()
    return row


def store_results(
    conn: Connection, *, organization_id: uuid.UUID, calculation_id: uuid.UUID, module: str,
    findings: list[dict[str, Any]], error_count: int, warning_count: int,
) -> None:  # fmt: skip
    conn.execute(
        "insert into public.corep_validation_results"
        " (organization_id, calculation_id, module, findings, error_count, warning_count)"
        " values (%(org)s, %(calc)s, %(module)s, %(findings)s, %(errors)s, %(warnings)s)"
        " on conflict (calculation_id, module) do update set findings = excluded.findings,"
        " error_count = excluded.error_count, warning_count = excluded.warning_count,"
        " evaluated_by = auth.uid(), evaluated_at = now()",
        {
            "org": organization_id,
            "calc": calculation_id,
            "module": module,
            "findings": Jsonb(findings),
            "errors": error_count,
            "warnings": warning_count,
        },
    )


def results(conn: Connection, *, calculation_id: uuid.UUID, module: str) -> Row | None:
    row: Row | None = conn.execute(
        "select module, findings, error_count, warning_count, evaluated_by, evaluated_at"
        " from public.corep_validation_results where calculation_id = %(calc)s and module = %(module)s",
        {"calc": calculation_id, "module": module},
    ).fetchone()
    return row


def comments(conn: Connection, *, calculation_id: uuid.UUID, module: str) -> list[Row]:
    rows: list[Row] = conn.execute(
        "select id, rule_id, scope, comment, created_by, created_at, updated_at from public.corep_rule_comments"
        " where calculation_id = %(calc)s and module = %(module)s order by rule_id, scope",
        {"calc": calculation_id, "module": module},
    ).fetchall()
    return rows


def save_comment(
    conn: Connection, *, organization_id: uuid.UUID, calculation_id: uuid.UUID, module: str, rule_id: str,
    scope: str, comment: str,
) -> Row:  # fmt: skip
    row: Row | None = conn.execute(
        "insert into public.corep_rule_comments (organization_id, calculation_id, module, rule_id, scope, comment)"
        " values (%(org)s, %(calc)s, %(module)s, %(rule)s, %(scope)s, %(comment)s)"
        " on conflict (calculation_id, module, rule_id, scope) do update set comment = excluded.comment"
        " returning id, rule_id, scope, comment, created_by, created_at, updated_at",
        {
            "org": organization_id,
            "calc": calculation_id,
            "module": module,
            "rule": rule_id,
            "scope": scope,
            "comment": comment,
        },
    ).fetchone()
    assert row is not None  # insert … returning always gives the row
    return row
