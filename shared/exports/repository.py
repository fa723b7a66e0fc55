"""SQL of the exports: the data of each document as the caller sees it (RLS), and the export jobs.

Reads run as the caller, so a document contains exactly what its requester may see. Job writes run
as the service role (the functions are the only writers). Datetimes are converted to the
organization's time zone here, so the renderers print them as given.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from shared.platform.db import Connection

Row = dict[str, Any]

# --- organizations --------------------------------------------------------------------------------

_ORGANIZATION = """
select id, name, primary_color, legal_footer, time_zone, logo_path, (now() at time zone time_zone)::date as today
from public.organizations where id = %(id)s
"""


def organization(conn: Connection, *, organization_id: uuid.UUID) -> Row | None:
    """Branding, time zone and today's date there, when the caller may read the organization."""
    return conn.execute(_ORGANIZATION, {"id": organization_id}).fetchone()


# --- simulations ----------------------------------------------------------------------------------

_SIMULATION = """
select s.id, s.organization_id, s.client_company_id, s.rule_set_id, s.rule_set_version, s.status, s.answers,
       (s.completed_at at time zone o.time_zone)::date as completed_on, c.name as company, c.siren
from public.simulations s
join public.organizations o on o.id = s.organization_id
left join public.client_companies c on c.id = s.client_company_id
where s.id = %(id)s
"""


def simulation(conn: Connection, *, simulation_id: uuid.UUID) -> Row | None:
    """The simulation with its company, when the caller may see it."""
    return conn.execute(_SIMULATION, {"id": simulation_id}).fetchone()


# --- dossiers -------------------------------------------------------------------------------------

_PRODUCT_NAME = sql.SQL("case when %(lang)s = 'en' then coalesce(p.details ->> 'name_en', p.name) else p.name end")
# Status labels and steps come from the workflow's reference table (public.dossier_statuses), never
# from a list of our own: a held or reassigned dossier shows the step of the status it keeps.
_STATUS_LABEL = sql.SQL("case when %(lang)s = 'en' then st.label_en else st.label_fr end")
_STEP_TEXT = sql.SQL(
    "case when sh.step is null then null"
    " when %(lang)s = 'en' then sh.step_label_en || ' (' || sh.step || '/8)'"
    " else sh.step_label_fr || ' (' || sh.step || '/8)' end"
)
_STATUS_JOINS = sql.SQL(
    "join public.dossier_statuses st on st.code = d.status"
    " join public.dossier_statuses sh on sh.code = private.shown_status(d.status, d.resume_status, d.held_status)"
)

_LIST_FROM = sql.SQL("""
from public.dossiers d
{}
left join public.client_companies c on c.id = d.client_company_id
left join public.products p on p.code = d.product_code
left join public.expert_profiles e on e.id = d.expert_id
where d.organization_id = %(org)s
  and (%(status)s::text is null or d.status = %(status)s::text)
  and (%(product)s::text is null or d.product_code = %(product)s::text)
  and (%(expert)s::uuid is null or d.expert_id = %(expert)s::uuid)
  and (%(from)s::date is null or d.created_at >= (%(from)s::date)::timestamp at time zone %(tz)s::text)
  and (%(to)s::date is null or d.created_at < (%(to)s::date + 1)::timestamp at time zone %(tz)s::text)
""").format(_STATUS_JOINS)

_LIST_COUNT = sql.SQL("select count(*) as n {}").format(_LIST_FROM)

_LIST_ROWS = sql.SQL(
    "select d.id, d.status, {} as status_label, d.priority, d.product_code, d.estimated_amount, d.audited_amount,"
    " d.granted_amount,"
    " (d.created_at at time zone %(tz)s::text)::date as created_on,"
    " (d.updated_at at time zone %(tz)s::text)::date as updated_on,"
    " c.name as company, {} as product, e.display_name as expert {} order by d.created_at, d.id"
).format(_STATUS_LABEL, _PRODUCT_NAME, _LIST_FROM)


def _list_params(
    organization_id: uuid.UUID,
    time_zone: str,
    status: str | None,
    product: str | None,
    expert_id: uuid.UUID | None,
    created_from: date | None,
    created_to: date | None,
    lang: str = "fr",
) -> dict[str, Any]:
    return {"org": organization_id, "tz": time_zone, "status": status, "product": product, "expert": expert_id,
            "from": created_from, "to": created_to, "lang": lang}  # fmt: skip


def count_dossiers(conn: Connection, **filters: Any) -> int:
    """How many dossiers of the list the caller would get (``filters``: see :func:`dossiers`)."""
    row = conn.execute(_LIST_COUNT, _list_params(**filters)).fetchone()
    return int(row["n"]) if row else 0


def dossiers(conn: Connection, **filters: Any) -> Iterator[Row]:
    """The caller's dossiers of one organization, oldest first, streamed through a server-side cursor.

    ``filters``: organization_id, time_zone, status, product, expert_id, created_from, created_to, lang.
    Consume it inside the transaction."""
    with conn.cursor(name=f"export_dossiers_{uuid.uuid4().hex[:12]}") as cursor:
        cursor.itersize = 500
        cursor.execute(_LIST_ROWS, _list_params(**filters))
        yield from cursor


_PRODUCT = sql.SQL("select {} as name from public.products p where p.code = %(code)s").format(_PRODUCT_NAME)


def status_codes(conn: Connection) -> list[str]:
    """Every dossier status code, in workflow order (reference data anyone may read)."""
    return [row["code"] for row in conn.execute("select code from public.dossier_statuses order by sort_order")]


def status_label(conn: Connection, *, code: str, lang: str) -> str | None:
    row = conn.execute(
        sql.SQL("select {} as label from public.dossier_statuses st where st.code = %(code)s").format(_STATUS_LABEL),
        {"code": code, "lang": lang},
    ).fetchone()
    return row["label"] if row else None


def product_codes(conn: Connection) -> list[str]:
    """Every product code of the catalogue (anyone may read it), in catalogue order."""
    return [row["code"] for row in conn.execute("select code from public.products order by position, code").fetchall()]


def product_name(conn: Connection, *, code: str, lang: str) -> str | None:
    row = conn.execute(_PRODUCT, {"code": code, "lang": lang}).fetchone()
    return row["name"] if row else None


def expert_name(conn: Connection, *, expert_id: uuid.UUID) -> str | None:
    row = conn.execute("select display_name from public.expert_profiles where id = %s", (expert_id,)).fetchone()
    return row["display_name"] if row else None


_DOSSIER = sql.SQL("""
select d.id, d.organization_id, d.status, {} as status_label, {} as step_text, d.product_code, d.estimated_amount,
       d.audited_amount, d.document_count,
       d.granted_amount, d.refunded_amount,
       d.source_simulation_id, o.time_zone,
       d.created_at at time zone o.time_zone as created_at, d.assigned_at at time zone o.time_zone as assigned_at,
       c.name as company, c.siren, {} as product, e.display_name as expert
from public.dossiers d
join public.organizations o on o.id = d.organization_id
{}
left join public.client_companies c on c.id = d.client_company_id
left join public.products p on p.code = d.product_code
left join public.expert_profiles e on e.id = d.expert_id
where d.id = %(id)s
""").format(_STATUS_LABEL, _STEP_TEXT, _PRODUCT_NAME, _STATUS_JOINS)

_HISTORY = """
select recorded_at at time zone %(tz)s::text as at, amount, previous_amount, source, applied
from public.dossier_amount_history where dossier_id = %(id)s order by id
"""

_EVENTS = """
select ev.kind, ev.actor_kind, ev.created_at at time zone %(tz)s::text as at, e.display_name as expert,
       coalesce(ev.actor_id = e.user_id, false) as by_expert
from public.marketplace_events ev
left join public.expert_profiles e on e.id = ev.expert_id
where ev.dossier_id = %(id)s
order by ev.id
"""


def dossier(conn: Connection, *, dossier_id: uuid.UUID, lang: str) -> Row | None:
    """The dossier with its company, product and expert, when the caller may see it."""
    return conn.execute(_DOSSIER, {"id": dossier_id, "lang": lang}).fetchone()


def amount_history(conn: Connection, *, dossier_id: uuid.UUID, time_zone: str) -> list[Row]:
    return conn.execute(_HISTORY, {"id": dossier_id, "tz": time_zone}).fetchall()


def events(conn: Connection, *, dossier_id: uuid.UUID, time_zone: str) -> list[Row]:
    """The marketplace events of the dossier the caller may see (clients: the client-visible ones)."""
    return conn.execute(_EVENTS, {"id": dossier_id, "tz": time_zone}).fetchall()


# --- export jobs ----------------------------------------------------------------------------------

_JOB_COLUMNS = sql.SQL(
    "id, organization_id, requested_by, document, format, lang, parameters, status, error, error_code, attempts,"
    " retries, storage_key, byte_size, sha256, content_type, file_name, lease_expires_at, created_at, started_at,"
    " finished_at"
)
_INSERT_JOB = sql.SQL(
    "insert into public.export_jobs (organization_id, requested_by, document, format, lang, parameters)"
    " values (%s, %s, %s, %s, %s, %s) returning {}"
).format(_JOB_COLUMNS)
_JOB = sql.SQL("select {} from public.export_jobs where id = %s").format(_JOB_COLUMNS)
_MY_JOBS = sql.SQL(
    "select {} from public.export_jobs where requested_by = (select auth.uid())"
    " and (%(status)s::text is null or status = %(status)s::text) order by created_at desc, id limit %(limit)s"
).format(_JOB_COLUMNS)
_REQUEUE = sql.SQL(
    "update public.export_jobs set status = 'queued', error = null, error_code = null, attempts = 0,"
    " retries = retries + 1, started_at = null, finished_at = null, lease_expires_at = null, heartbeat_at = null"
    " where id = %s and status = 'failed' returning {}"
).format(_JOB_COLUMNS)


def insert_job(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    requested_by: uuid.UUID,
    document: str,
    fmt: str,
    lang: str,
    parameters: dict[str, Any],
) -> Row:
    row = conn.execute(
        _INSERT_JOB,
        (organization_id, requested_by, document, fmt, lang, Jsonb(parameters)),
    ).fetchone()
    assert row is not None
    return row


def job(conn: Connection, *, job_id: uuid.UUID) -> Row | None:
    return conn.execute(_JOB, (job_id,)).fetchone()


def my_jobs(conn: Connection, *, status: str | None, limit: int) -> list[Row]:
    """The caller's own jobs, newest first."""
    return conn.execute(_MY_JOBS, {"status": status, "limit": limit}).fetchall()


def requeue(conn: Connection, *, job_id: uuid.UUID) -> Row | None:
    """A failed job back in the queue (its attempts start again); None when it is not failed."""
    return conn.execute(_REQUEUE, (job_id,)).fetchone()


_EXHAUSTED = """
update public.export_jobs
set status = 'failed', error = %(error)s, error_code = 'export_interrupted', finished_at = now(),
    lease_expires_at = null
where id in (select id from public.export_jobs
             where status = 'running' and lease_expires_at < now() and attempts >= %(max)s
             for update skip locked)
"""

_CLAIM = sql.SQL("""
update public.export_jobs j
set status = 'running', attempts = j.attempts + 1, started_at = now(), heartbeat_at = now(),
    lease_expires_at = now() + make_interval(secs => %(lease)s)
where j.id = (select id from public.export_jobs
              where status = 'queued' or (status = 'running' and lease_expires_at < now())
              order by created_at, id
              for update skip locked
              limit 1)
returning {}
""").format(_JOB_COLUMNS)


def fail_exhausted(conn: Connection, *, max_attempts: int, error: str) -> int:
    """Jobs whose workers died ``max_attempts`` times become failed (their requester may retry)."""
    return conn.execute(_EXHAUSTED, {"max": max_attempts, "error": error}).rowcount


def claim(conn: Connection, *, lease_seconds: int) -> Row | None:
    """The oldest job that is queued, or running under an expired lease (its worker crashed); now running
    under a new lease, with one more attempt. Concurrent workers never claim the same job."""
    return conn.execute(_CLAIM, {"lease": lease_seconds}).fetchone()


_HEARTBEAT = """
update public.export_jobs set heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => %(lease)s)
where id = %(id)s and status = 'running' and attempts = %(attempt)s
"""
_FINISH = """
update public.export_jobs
set status = 'done', storage_key = %(storage_key)s, byte_size = %(byte_size)s, sha256 = %(sha256)s,
    content_type = %(content_type)s, file_name = %(file_name)s, finished_at = now(), lease_expires_at = null
where id = %(id)s and status = 'running' and attempts = %(attempt)s
"""
_FAIL = """
update public.export_jobs
set status = 'failed', error = %(error)s, error_code = %(code)s, finished_at = now(), lease_expires_at = null
where id = %(id)s and status = 'running' and attempts = %(attempt)s
"""


def heartbeat(conn: Connection, *, job_id: uuid.UUID, attempt: int, lease_seconds: int) -> bool:
    """Extend the lease of a job this worker still holds (False: it lost it)."""
    return conn.execute(_HEARTBEAT, {"id": job_id, "attempt": attempt, "lease": lease_seconds}).rowcount == 1


def finish(conn: Connection, *, job_id: uuid.UUID, attempt: int, stored: dict[str, Any]) -> bool:
    """Done, with the stored file's key, size, hash, type and name; False when the lease was lost.
    The fence (``attempts``) makes a worker whose lease expired lose to the one that claimed after it."""
    return conn.execute(_FINISH, {**stored, "id": job_id, "attempt": attempt}).rowcount == 1


def fail(conn: Connection, *, job_id: uuid.UUID, attempt: int, error: str, code: str) -> bool:
    params = {"id": job_id, "attempt": attempt, "error": error, "code": code}
    return conn.execute(_FAIL, params).rowcount == 1
