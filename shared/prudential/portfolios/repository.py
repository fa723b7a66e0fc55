"""SQL of the stored prudential work. Runs inside the caller's transaction, so RLS (migrations
0085–0088) decides what a caller sees and may write; the approval transitions are the
security-definer RPCs of migration 0087. Database refusals become domain errors here, once: SQLSTATE
``PTxxx`` carries the HTTP status and the hint the stable code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from shared.platform import dberrors, errors
from shared.platform.db import Connection

Row = dict[str, Any]

_UNIQUE_CODES = {
    "prudential_portfolios_organization_id_name_key": "portfolio_name_taken",
    "prudential_scenarios_portfolio_id_name_key": "scenario_name_taken",
}


@contextmanager
def translated() -> Iterator[None]:
    """Database refusals (PTxxx, unique names, RLS) as domain errors."""
    with dberrors.translated(unique_codes=_UNIQUE_CODES):
        yield


# The columns each kind of row is read with (the big JSON documents only where they are needed).
_COLUMNS = {
    "P": "id, organization_id, name, description, created_by, created_at, updated_at",
    "PP": "p.id, p.organization_id, p.name, p.description, p.created_by, p.created_at, p.updated_at",
    "V": "id, organization_id, portfolio_id, version, status, input_sha256, reference_date, exposure_count, summary,"
    " source, based_on_version_id, created_by, contributors, submitted_by, submitted_at, decided_by, decided_at,"
    " decision_comment, calculation_id, created_at, updated_at",
    "C": "id, organization_id, portfolio_version_id, rule_set, reference_date, input_sha256, result_sha256, status,"
    " created_by, created_at",
    "CC": "c.id, c.organization_id, c.portfolio_version_id, c.rule_set, c.reference_date, c.input_sha256,"
    " c.result_sha256, c.status, c.created_by, c.created_at",
    "S": "id, organization_id, portfolio_id, name, description, shocks, created_by, created_at, updated_at",
    "M": "id, organization_id, template, columns, created_by, updated_by, created_at, updated_at",
}


def _query(text: str) -> sql.Composed:
    """``text`` with its ``{V}``-style column lists filled in (fixed SQL, never caller data)."""
    return sql.SQL(text).format(**{name: sql.SQL(columns) for name, columns in _COLUMNS.items()})


def _one(conn: Connection, query: str, params: dict[str, Any]) -> Row | None:
    with translated():
        row: Row | None = conn.execute(_query(query), params).fetchone()
    return row


def _all(conn: Connection, query: str, params: dict[str, Any]) -> list[Row]:
    with translated():
        return conn.execute(_query(query), params).fetchall()


def _returning(conn: Connection, query: str, params: dict[str, Any]) -> Row:
    row = _one(conn, query, params)
    if row is None:  # RLS hid the row from the write: the caller's role does not allow it
        raise errors.Forbidden("Your role does not allow this", code="forbidden")
    return row


# --- organizations and roles ----------------------------------------------------------------------


def prudential_organizations(conn: Connection, *, right: str) -> list[uuid.UUID]:
    """The caller's organizations where they hold ``right`` (read, write, approve, manage)."""
    rows = _all(conn, "select private.my_prudential_organization_ids(%(right)s) as id", {"right": right})
    return sorted((row["id"] for row in rows), key=str)


def organization(conn: Connection, *, organization_id: uuid.UUID) -> Row | None:
    return _one(
        conn,
        "select id, name, primary_color, legal_footer, time_zone, logo_path,"
        " (now() at time zone time_zone)::date as today from public.organizations where id = %(id)s",
        {"id": organization_id},
    )


# --- portfolios -----------------------------------------------------------------------------------


def portfolios(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    return _all(
        conn,
        "select {PP}, (select max(v.version) from public.prudential_portfolio_versions v"
        " where v.portfolio_id = p.id) as latest_version from public.prudential_portfolios p"
        " where %(org)s::uuid is null or p.organization_id = %(org)s::uuid order by p.name, p.id",
        {"org": organization_id},
    )


def portfolio(conn: Connection, *, portfolio_id: uuid.UUID) -> Row | None:
    return _one(
        conn,
        "select {PP} from public.prudential_portfolios p where p.id = %(id)s",
        {"id": portfolio_id},
    )


def create_portfolio(conn: Connection, *, organization_id: uuid.UUID, name: str, description: str) -> Row:
    return _returning(
        conn,
        "insert into public.prudential_portfolios (organization_id, name, description)"
        " values (%(org)s, %(name)s, %(description)s) returning {P}",
        {"org": organization_id, "name": name, "description": description},
    )


def update_portfolio(conn: Connection, *, portfolio_id: uuid.UUID, name: str | None, description: str | None) -> Row:
    return _returning(
        conn,
        "update public.prudential_portfolios set name = coalesce(%(name)s, name),"
        " description = coalesce(%(description)s, description) where id = %(id)s"
        " returning {P}",
        {"id": portfolio_id, "name": name, "description": description},
    )


def delete_portfolio(conn: Connection, *, portfolio_id: uuid.UUID) -> bool:
    with translated():
        cur = conn.execute("delete from public.prudential_portfolios where id = %(id)s", {"id": portfolio_id})
    return cur.rowcount == 1


# --- versions -------------------------------------------------------------------------------------


def versions(conn: Connection, *, portfolio_id: uuid.UUID) -> list[Row]:
    return _all(
        conn,
        "select {V} from public.prudential_portfolio_versions where portfolio_id = %(id)s order by version desc",
        {"id": portfolio_id},
    )


def version(conn: Connection, *, version_id: uuid.UUID, with_input: bool = True) -> Row | None:
    text = "select {V}, input from" if with_input else "select {V} from"
    return _one(
        conn,
        text + " public.prudential_portfolio_versions where id = %(id)s",
        {"id": version_id},
    )


def latest_version(conn: Connection, *, portfolio_id: uuid.UUID) -> Row | None:
    return _one(
        conn,
        "select {V}, input from public.prudential_portfolio_versions"
        " where portfolio_id = %(id)s order by version desc limit 1",
        {"id": portfolio_id},
    )


def create_version(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    portfolio_id: uuid.UUID,
    content: dict[str, Any],
    input_sha256: str,
    reference_date: date,
    exposure_count: int,
    summary: dict[str, Any],
    source: str,
) -> Row:
    return _returning(
        conn,
        "insert into public.prudential_portfolio_versions (organization_id, portfolio_id, version, input,"
        " input_sha256, reference_date, exposure_count, summary, source) values (%(org)s, %(portfolio)s, 1,"
        " %(input)s, %(sha)s, %(day)s, %(count)s, %(summary)s, %(source)s) returning {V}",
        {
            "org": organization_id,
            "portfolio": portfolio_id,
            "input": Jsonb(content),
            "sha": input_sha256,
            "day": reference_date,
            "count": exposure_count,
            "summary": Jsonb(summary),
            "source": source,
        },
    )


def update_version_input(
    conn: Connection,
    *,
    version_id: uuid.UUID,
    content: dict[str, Any],
    input_sha256: str,
    reference_date: date,
    exposure_count: int,
    summary: dict[str, Any],
) -> Row:
    return _returning(
        conn,
        "update public.prudential_portfolio_versions set input = %(input)s, input_sha256 = %(sha)s,"
        " reference_date = %(day)s, exposure_count = %(count)s, summary = %(summary)s"
        " where id = %(id)s returning {V}",
        {
            "id": version_id,
            "input": Jsonb(content),
            "sha": input_sha256,
            "day": reference_date,
            "count": exposure_count,
            "summary": Jsonb(summary),
        },
    )


def transition(conn: Connection, *, action: str, version_id: uuid.UUID, comment: str | None) -> Row:
    """Submit, approve or reject through the four-eyes RPCs of migration 0087."""
    functions = {
        "submit": "public.submit_portfolio_version",
        "approve": "public.approve_portfolio_version",
        "reject": "public.reject_portfolio_version",
    }
    query = sql.SQL("select {}(%(id)s, %(comment)s) as out").format(sql.SQL(functions[action]))
    with translated():
        row = conn.execute(query, {"id": version_id, "comment": comment}).fetchone()
    assert row is not None
    out: Row = row["out"]
    return out


def version_history(conn: Connection, *, version_id: uuid.UUID) -> list[Row]:
    """The version's transitions as the hash-chained audit log records them (migration 0090)."""
    return _all(
        conn,
        "select id, action, actor_id, details, created_at, chain_seq, prev_hash, row_hash"
        " from public.portfolio_version_history(%(id)s)",
        {"id": version_id},
    )


# --- calculations ---------------------------------------------------------------------------------


def record_calculation(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    rule_set: str,
    reference_date: date,
    input_sha256: str,
    result_sha256: str,
    result: dict[str, Any],
) -> Row:
    return _returning(
        conn,
        "insert into public.prudential_calculations (organization_id, portfolio_version_id, rule_set,"
        " reference_date, input_sha256, result_sha256, result, created_by) values (%(org)s, %(version)s,"
        " %(rule_set)s, %(day)s, %(input_sha)s, %(result_sha)s, %(result)s, (select auth.uid())) returning {C}",
        {
            "org": organization_id,
            "version": version_id,
            "rule_set": rule_set,
            "day": reference_date,
            "input_sha": input_sha256,
            "result_sha": result_sha256,
            "result": Jsonb(result),
        },
    )


def current_result(conn: Connection, *, version_id: uuid.UUID, rule_set: str, input_sha256: str) -> Row | None:
    """The result of the version's latest current calculation of exactly this input with this rule set."""
    row = _one(
        conn,
        "select result from public.prudential_calculations where portfolio_version_id = %(id)s"
        " and rule_set = %(rule_set)s and input_sha256 = %(sha)s and status = 'current'"
        " order by created_at desc, id limit 1",
        {"id": version_id, "rule_set": rule_set, "sha": input_sha256},
    )
    return None if row is None else row["result"]


def calculations(conn: Connection, *, version_id: uuid.UUID) -> list[Row]:
    return _all(
        conn,
        "select {C} from public.prudential_calculations"
        " where portfolio_version_id = %(id)s order by created_at desc, id",
        {"id": version_id},
    )


def calculation(conn: Connection, *, calculation_id: uuid.UUID) -> Row | None:
    return _one(
        conn,
        "select {CC}, c.result, v.input, v.input_sha256 as version_input_sha256,"
        " v.status as version_status, v.version, v.portfolio_id, p.name as portfolio_name"
        " from public.prudential_calculations c"
        " join public.prudential_portfolio_versions v on v.id = c.portfolio_version_id"
        " join public.prudential_portfolios p on p.id = v.portfolio_id where c.id = %(id)s",
        {"id": calculation_id},
    )


# --- scenarios ------------------------------------------------------------------------------------


def scenarios(conn: Connection, *, portfolio_id: uuid.UUID) -> list[Row]:
    return _all(
        conn,
        "select {S} from public.prudential_scenarios where portfolio_id = %(id)s order by name, id",
        {"id": portfolio_id},
    )


def scenario(conn: Connection, *, scenario_id: uuid.UUID) -> Row | None:
    return _one(
        conn,
        "select {S} from public.prudential_scenarios where id = %(id)s",
        {"id": scenario_id},
    )


def create_scenario(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    portfolio_id: uuid.UUID,
    name: str,
    description: str,
    shocks: list[dict[str, Any]],
) -> Row:
    return _returning(
        conn,
        "insert into public.prudential_scenarios (organization_id, portfolio_id, name, description, shocks)"
        " values (%(org)s, %(portfolio)s, %(name)s, %(description)s, %(shocks)s) returning {S}",
        {
            "org": organization_id,
            "portfolio": portfolio_id,
            "name": name,
            "description": description,
            "shocks": Jsonb(shocks),
        },
    )


def delete_scenario(conn: Connection, *, scenario_id: uuid.UUID) -> bool:
    with translated():
        cur = conn.execute("delete from public.prudential_scenarios where id = %(id)s", {"id": scenario_id})
    return cur.rowcount == 1


# --- import mappings ------------------------------------------------------------------------------


def mappings(conn: Connection, *, organization_id: uuid.UUID) -> list[Row]:
    return _all(
        conn,
        "select {M} from public.prudential_import_mappings where organization_id = %(org)s order by template",
        {"org": organization_id},
    )


def mapping(conn: Connection, *, organization_id: uuid.UUID, template: str) -> Row | None:
    return _one(
        conn,
        "select {M} from public.prudential_import_mappings where organization_id = %(org)s and template = %(template)s",
        {"org": organization_id, "template": template},
    )


def save_mapping(conn: Connection, *, organization_id: uuid.UUID, template: str, columns: dict[str, str]) -> Row:
    return _returning(
        conn,
        "insert into public.prudential_import_mappings (organization_id, template, columns)"
        " values (%(org)s, %(template)s, %(columns)s) on conflict (organization_id, template) do update"
        " set columns = excluded.columns, updated_by = (select auth.uid())"
        " returning {M}",
        {"org": organization_id, "template": template, "columns": Jsonb(columns)},
    )


def delete_mapping(conn: Connection, *, organization_id: uuid.UUID, template: str) -> bool:
    with translated():
        cur = conn.execute(
            "delete from public.prudential_import_mappings where organization_id = %(org)s and template = %(template)s",
            {"org": organization_id, "template": template},
        )
    return cur.rowcount == 1


# --- rule sets ------------------------------------------------------------------------------------


def rule_sets(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    """Rule sets the caller sees: the platform's and their organizations' (or one organization's)."""
    return _all(
        conn,
        "select s.id, s.organization_id, s.code, s.effective_from, s.description, s.published_at, s.published_by,"
        " (select count(*) from public.prudential_rule_parameters p where p.rule_set_id = s.id) as parameter_count"
        " from public.prudential_rule_sets s"
        " where %(org)s::uuid is null or s.organization_id is null or s.organization_id = %(org)s::uuid"
        " order by s.code, s.organization_id nulls first",
        {"org": organization_id},
    )


def rule_set_exists(conn: Connection, *, organization_id: uuid.UUID, code: str) -> bool:
    row = _one(
        conn,
        "select exists (select 1 from public.prudential_rule_sets where code = %(code)s"
        " and (organization_id is null or organization_id = %(org)s)) as found",
        {"code": code, "org": organization_id},
    )
    return bool(row and row["found"])


def insert_rule_set(
    conn: Connection, *, organization_id: uuid.UUID, code: str, effective_from: date, description: str
) -> Row:
    return _returning(
        conn,
        "insert into public.prudential_rule_sets (organization_id, code, effective_from, description, published_by)"
        " values (%(org)s, %(code)s, %(from)s, %(description)s, (select auth.uid()))"
        " returning id, organization_id, code, effective_from, description, published_at, published_by",
        {"org": organization_id, "code": code, "from": effective_from, "description": description},
    )


def insert_rule_parameters(conn: Connection, *, rule_set_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    with translated(), conn.cursor() as cur:
        cur.executemany(
            "insert into public.prudential_rule_parameters (rule_set_id, code, key, value, valid_from, valid_to)"
            " values (%(rule_set_id)s, %(code)s, %(key)s, %(value)s, %(valid_from)s, %(valid_to)s)",
            [{**row, "rule_set_id": rule_set_id} for row in rows],
        )


# --- import jobs (written as the service role, read under RLS) ------------------------------------

_JOB = (
    "id, organization_id, portfolio_id, requested_by, file_name, storage_key, template, mapping, reference_date,"
    " save_mapping, status, attempts, error, error_code, errors, warnings, version_id, created_at, started_at,"
    " finished_at"
)


def insert_import_job(conn: Connection, *, job: dict[str, Any]) -> Row:
    row = conn.execute(
        sql.SQL(
            "insert into public.prudential_import_jobs (id, organization_id, portfolio_id, requested_by, file_name,"
            " storage_key, template, mapping, reference_date, save_mapping) values (%(id)s, %(organization_id)s,"
            " %(portfolio_id)s, %(requested_by)s, %(file_name)s, %(storage_key)s, %(template)s, %(mapping)s,"
            " %(reference_date)s, %(save_mapping)s) returning {}"
        ).format(sql.SQL(_JOB)),
        {**job, "mapping": None if job["mapping"] is None else Jsonb(job["mapping"])},
    ).fetchone()
    assert row is not None
    return row


def import_job(conn: Connection, *, job_id: uuid.UUID) -> Row | None:
    return conn.execute(
        sql.SQL("select {} from public.prudential_import_jobs where id = %(id)s").format(sql.SQL(_JOB)), {"id": job_id}
    ).fetchone()


def claim_import_job(conn: Connection, *, lease_seconds: int, max_attempts: int) -> Row | None:
    """The oldest queued job, or one running under an expired lease (its worker died), now running under a
    new lease with one more attempt; one interrupted ``max_attempts`` times fails instead."""
    conn.execute(
        "update public.prudential_import_jobs set status = 'failed', error_code = 'import_interrupted',"
        " error = 'The import was interrupted several times; send the file again', finished_at = now(),"
        " lease_expires_at = null where status = 'running' and lease_expires_at < now() and attempts >= %(max)s",
        {"max": max_attempts},
    )
    return conn.execute(
        sql.SQL(
            "update public.prudential_import_jobs set status = 'running', attempts = attempts + 1,"
            " started_at = coalesce(started_at, now()), lease_expires_at = now() + make_interval(secs => %(lease)s)"
            " where id = (select id from public.prudential_import_jobs"
            "             where status = 'queued' or (status = 'running' and lease_expires_at < now())"
            "             order by created_at, id for update skip locked limit 1)"
            " returning {}"
        ).format(sql.SQL(_JOB)),
        {"lease": lease_seconds},
    ).fetchone()


def finish_import_job(
    conn: Connection, *, job_id: uuid.UUID, attempt: int, version_id: uuid.UUID, warnings: list[Any]
) -> bool:
    return (
        conn.execute(
            "update public.prudential_import_jobs set status = 'done', version_id = %(version)s,"
            " warnings = %(warnings)s, finished_at = now(), lease_expires_at = null"
            " where id = %(id)s and status = 'running' and attempts = %(attempt)s",
            {"id": job_id, "attempt": attempt, "version": version_id, "warnings": Jsonb(warnings)},
        ).rowcount
        == 1
    )


def fail_import_job(
    conn: Connection, *, job_id: uuid.UUID, attempt: int, code: str, error: str, errors: list[Any] | None
) -> bool:
    return (
        conn.execute(
            "update public.prudential_import_jobs set status = 'failed', error_code = %(code)s, error = %(error)s,"
            " errors = %(errors)s, finished_at = now(), lease_expires_at = null"
            " where id = %(id)s and status = 'running' and attempts = %(attempt)s",
            {
                "id": job_id,
                "attempt": attempt,
                "code": code,
                "error": error,
                "errors": None if errors is None else Jsonb(errors),
            },
        ).rowcount
        == 1
    )
