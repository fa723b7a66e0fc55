"""SQL of the dossier capability. Runs inside the caller's transaction: RLS and the security-definer
functions of migrations 0050–0053 decide. Database refusals become domain errors here, once:
SQLSTATE ``PTxxx`` carries the HTTP status, the hint the stable code, and the detail (JSON) the
machine-readable part — ``{"field", "rule"}`` or ``{"errors": [...]}`` for a 422, ``current_status``
and ``allowed_commands`` for a 409 ``invalid_transition``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from shared.platform import dberrors, errors
from shared.platform.db import Connection

Row = dict[str, Any]


class NotImplementedCommand(errors.AppError):
    status, code, title = 501, "not_implemented", "Not implemented yet"


def to_app_error(exc: psycopg.Error) -> errors.AppError | None:
    """The domain error a database refusal stands for (shared/platform/dberrors), or None."""
    if exc.sqlstate == "PT501":
        return NotImplementedCommand(exc.diag.message_primary or "", code=exc.diag.message_hint or "not_implemented")
    return dberrors.to_app_error(exc)


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        error = to_app_error(exc)
        if error is None:
            raise
        raise error from exc


def _one(conn: Connection, query: str, params: dict[str, Any], *, last: bool = False) -> Row | None:
    """The first row of ``query``; with ``last`` the statement carries the transaction's COMMIT in the
    same message (one round trip less; nothing may follow it)."""
    with translated():
        cursor = conn.execute_and_commit(query, params) if last else conn.execute(query, params)
        row: Row | None = cursor.fetchone()
    return row


def _all(conn: Connection, query: str, params: dict[str, Any], *, last: bool = False) -> list[Row]:
    """Every row of ``query`` (``last``: see ``_one``)."""
    with translated():
        cursor = conn.execute_and_commit(query, params) if last else conn.execute(query, params)
        return cursor.fetchall()


# --- commands ---------------------------------------------------------------------------------------
def run_command(
    conn: Connection, *, dossier_id: UUID, command: str, payload: dict[str, Any], last: bool = False
) -> dict[str, Any]:
    """``public.dossier_command`` as the caller; its JSON answer (``last``: see ``_one``)."""
    row = _one(
        conn,
        "select public.dossier_command(%(d)s, %(c)s, %(p)s) as r",
        {"d": dossier_id, "c": command, "p": Jsonb(payload)},
        last=last,
    )
    assert row is not None
    result: dict[str, Any] = row["r"]
    return result


def allowed_commands(conn: Connection, *, dossier_id: UUID) -> list[Row]:
    return _all(conn, "select * from public.dossier_allowed_commands(%(d)s)", {"d": dossier_id})


def status(conn: Connection, *, dossier_id: UUID) -> str:
    """The status of a dossier the caller sees (checked by the caller's previous call)."""
    row = _one(conn, "select status from public.dossiers where id = %(d)s", {"d": dossier_id})
    if row is None:
        raise errors.NotFound("no such dossier", code="dossier_not_found")
    return str(row["status"])


# --- reads -----------------------------------------------------------------------------------------
def detail(conn: Connection, *, dossier_id: UUID, last: bool = False) -> dict[str, Any]:
    row = _one(conn, "select public.dossier_detail(%(d)s) as r", {"d": dossier_id}, last=last)
    assert row is not None
    result: dict[str, Any] = row["r"]
    return result


def timeline(conn: Connection, *, dossier_id: UUID, limit: int) -> list[Row]:
    return _all(conn, "select * from public.dossier_timeline(%(d)s, %(l)s)", {"d": dossier_id, "l": limit})


def statuses(conn: Connection) -> list[Row]:
    return _all(conn, "select * from public.dossier_statuses order by sort_order", {})


def my_offers(conn: Connection) -> list[Row]:
    return _all(conn, "select * from public.my_dossier_offers()", {})


def status_sets(conn: Connection, *, step: int | None) -> Row:
    """Status codes by what the list filters on (a step, open, who acts next), read from the reference
    table: the list then filters on constant codes, which the planner estimates well."""
    row = _one(
        conn,
        "select array_agg(code) filter (where step = %(step)s) as step_codes,"
        " array_agg(code) filter (where is_open) as open_codes,"
        " coalesce(array_agg(code) filter (where waiting_on = 'admin'), '{}') as admin_codes,"
        " coalesce(array_agg(code) filter (where waiting_on = 'client'), '{}') as client_codes,"
        " coalesce(array_agg(code) filter (where waiting_on = 'expert'), '{}') as expert_codes"
        " from public.dossier_statuses",
        {"step": step},
    )
    assert row is not None
    return row


def my_organizations(conn: Connection) -> list[UUID]:
    """The organizations the caller belongs to (any role): narrows the list to indexed ranges."""
    rows = _all(conn, "select organization_id from public.memberships where user_id = (select auth.uid())", {})
    return [UUID(str(r["organization_id"])) for r in rows]


_LIST = """
select d.id, d.organization_id, d.client_company_id as company_id, c.name as company_name,
       d.product_code, p.name as product_name, d.status,
       case when %(lang)s = 'en' then st.label_en else st.label_fr end as status_label,
       sh.step, case when %(lang)s = 'en' then sh.step_label_en else sh.step_label_fr end as step_label,
       sh.progress, d.priority, d.estimated_amount, d.audited_amount, d.granted_amount, d.expert_id,
       e.display_name as expert_name, st.waiting_on,
       coalesce(({mine}), false) as waiting_on_me, d.created_at, d.updated_at
from (
  -- the page's ids first (filters and keyset on the dossiers alone, from indexes carrying every
  -- filtered column: an index-only walk in keyset order, migration 0123), then what it shows; with
  -- a set of statuses, the newest of each status (one index range each), merged
  select d.id from {source}
  order by d.{sort} desc, d.id desc
  limit %(limit)s
) page
-- each row by its id (`limit 1` keeps this a lookup per id: joined, a small table is scanned whole)
cross join lateral (select d.* from public.dossiers d where d.id = page.id limit 1) d
join public.dossier_statuses st on st.code = d.status
join public.dossier_statuses sh on sh.code = private.shown_status(d.status, d.resume_status, d.held_status)
join public.client_companies c on c.id = d.client_company_id
join public.products p on p.code = d.product_code
left join public.expert_profiles e on e.id = d.expert_id
order by d.{sort} desc, d.id desc
"""
# Whether the dossier waits on the caller: the role its status waits on is one of theirs here. As a
# filter it reads the status codes (indexable), as a column the joined status row.
_PAGE_FILTERS = """
{organizations}
and (%(product)s::text is null or d.product_code = %(product)s)
and (%(company)s::uuid is null or d.client_company_id = %(company)s)
and (%(expert)s::uuid is null or d.expert_id = %(expert)s)
and (%(priority)s::int is null or d.priority = %(priority)s)
and (%(min_amount)s::numeric is null or coalesce(d.audited_amount, d.estimated_amount) >= %(min_amount)s)
and (%(max_amount)s::numeric is null or coalesce(d.audited_amount, d.estimated_amount) <= %(max_amount)s)
and (%(created_from)s::timestamptz is null or d.created_at >= %(created_from)s)
and (%(created_to)s::timestamptz is null or d.created_at < %(created_to)s)
and (%(updated_from)s::timestamptz is null or d.updated_at >= %(updated_from)s)
and (%(updated_to)s::timestamptz is null or d.updated_at < %(updated_to)s)
and (%(step_codes)s::text[] is null or d.status not in ('on_hold', 'awaiting_reassignment')
     or coalesce(d.held_status, d.resume_status) = any(%(step_codes)s))
and (not %(waiting)s or ({mine_filter}))
and (%(after_at)s::timestamptz is null or (d.{sort}, d.id) < (%(after_at)s, %(after_id)s::uuid))
"""
_ALL_STATUSES = "public.dossiers d where {filters}"
_SOME_STATUSES = """unnest(%(codes)s::text[]) as s(code)
  cross join lateral (select d.id, d.{sort} from public.dossiers d where d.status = s.code and {filters}
                      order by d.{sort} desc, d.id desc limit %(limit)s) d"""

_MINE = """
(st.waiting_on = 'admin'
 and d.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
or (st.waiting_on = 'client' and d.client_company_id in (select private.my_client_company_ids()))
or (st.waiting_on = 'expert' and (d.expert_id in (select private.my_expert_profile_ids())
                                  or d.id in (select private.my_offered_dossier_ids())))
"""
_MINE_FILTER = """
(d.status = any(%(admin_codes)s)
 and d.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
or (d.status = any(%(client_codes)s) and d.client_company_id in (select private.my_client_company_ids()))
or (d.status = any(%(expert_codes)s)
    and (d.expert_id in (select private.my_expert_profile_ids()) or d.id in (select private.my_offered_dossier_ids())))
"""
_SORTS = {"updated": "updated_at", "created": "created_at"}


def list_dossiers(
    conn: Connection,
    *,
    organizations: list[UUID],
    codes: list[str] | None,
    filters: dict[str, Any],
    sort: str,
    after: tuple[dt.datetime, UUID] | None,
    limit: int,
    lang: str,
    last: bool = False,
) -> list[Row]:
    # One organization (the usual case) as an equality, so the keyset indexes yield rows in order;
    # = any(array) would make PostgreSQL sort every dossier of the organizations first.
    scope = "d.organization_id = %(org)s" if len(organizations) == 1 else "d.organization_id = any(%(orgs)s)"
    page_filters = _PAGE_FILTERS.format(organizations=scope, mine_filter=_MINE_FILTER, sort=_SORTS[sort])
    source = (_ALL_STATUSES if codes is None else _SOME_STATUSES).format(filters=page_filters, sort=_SORTS[sort])
    query = _LIST.format(mine=_MINE, source=source, sort=_SORTS[sort])
    params = {
        "orgs": organizations,
        "org": organizations[0],
        "codes": codes,
        "lang": lang,
        "after_at": after[0] if after else None,
        "after_id": after[1] if after else None,
        "limit": limit,
        **filters,
    }
    return _all(conn, query, params, last=last)


def as_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
