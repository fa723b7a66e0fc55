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


# --- calendar -------------------------------------------------------------------------------------


def plans(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    rows: list[Row] = conn.execute(
        "select id, organization_id, module, basis, portfolio_id, country from public.corep_filing_plans"
        " where (%(org)s::uuid is null or organization_id = %(org)s) order by organization_id, module, basis",
        {"org": organization_id},
    ).fetchall()
    return rows


def save_plan(
    conn: Connection, *, organization_id: uuid.UUID, module: str, basis: str, portfolio_id: uuid.UUID, country: str
) -> Row:
    row: Row | None = conn.execute(
        "insert into public.corep_filing_plans (organization_id, module, basis, portfolio_id, country)"
        " values (%(org)s, %(module)s, %(basis)s, %(portfolio)s, %(country)s)"
        " on conflict (organization_id, module, basis) do update set portfolio_id = excluded.portfolio_id,"
        " country = excluded.country"
        " returning id, organization_id, module, basis, portfolio_id, country",
        {"org": organization_id, "module": module, "basis": basis, "portfolio": portfolio_id, "country": country},
    ).fetchone()
    assert row is not None
    return row


def latest_version_at(conn: Connection, *, portfolio_id: uuid.UUID, reference_date: Any) -> Row | None:
    """The newest version of the portfolio at that reference date, its latest current calculation,
    whether that calculation is the approved one."""
    row: Row | None = conn.execute(
        "select v.id as version_id, v.status, v.calculation_id as submitted_calculation_id,"
        " (select c.id from public.prudential_calculations c where c.portfolio_version_id = v.id"
        "  and c.status = 'current' order by c.created_at desc limit 1) as latest_calculation_id"
        " from public.prudential_portfolio_versions v"
        " where v.portfolio_id = %(portfolio)s and v.reference_date = %(day)s order by v.version desc limit 1",
        {"portfolio": portfolio_id, "day": reference_date},
    ).fetchone()
    return row


def exported(conn: Connection, *, calculation_id: uuid.UUID, module: str) -> bool:
    row = conn.execute(
        "select exists (select 1 from public.corep_exports where calculation_id = %(calc)s and module = %(module)s)"
        " as found",
        {"calc": calculation_id, "module": module},
    ).fetchone()
    return bool(row and row["found"])


def record_export(
    conn: Connection, *, organization_id: uuid.UUID, calculation_id: uuid.UUID, module: str, file_name: str,
    sha256: str,
) -> None:  # fmt: skip
    conn.execute(
        "insert into public.corep_exports (organization_id, calculation_id, module, file_name, sha256)"
        " values (%(org)s, %(calc)s, %(module)s, %(name)s, %(sha)s)",
        {"org": organization_id, "calc": calculation_id, "module": module, "name": file_name, "sha": sha256},
    )


def reminders(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    rows: list[Row] = conn.execute(
        "select organization_id, module, basis, reference_date, remittance_date, state, act_before, next_step_at,"
        " last_step, last_sent_at, closed_at, close_reason from private.corep_report_reminders(%(org)s)",
        {"org": organization_id},
    ).fetchall()
    return rows
