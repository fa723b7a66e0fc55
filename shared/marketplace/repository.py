"""SQL of the marketplace. Runs inside the caller's transaction; RLS and the security-definer
transitions of migrations 0026–0029 decide what happens. Database refusals become domain errors
through ``shared.platform.dberrors`` (SQLSTATE ``PTxxx`` carries the HTTP status, the hint the stable code),
with the stable codes of the marketplace's own unique constraints."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from shared.platform import dberrors, errors
from shared.platform.db import Connection

Row = dict[str, Any]

_UNIQUE_CODES = {
    "assignment_offers_one_open_per_dossier": "offer_already_open",
    "expert_reviews_dossier_id_key": "already_reviewed",
}


def to_app_error(exc: psycopg.Error) -> errors.AppError | None:
    """The domain error a database refusal stands for, or None when it is a genuine failure."""
    return dberrors.to_app_error(exc, unique_codes=_UNIQUE_CODES)


def translated() -> AbstractContextManager[None]:
    return dberrors.translated(unique_codes=_UNIQUE_CODES)


def _one(conn: Connection, query: str, params: dict[str, Any]) -> Row | None:
    with translated():
        row: Row | None = conn.execute(query, params).fetchone()
    return row


def _all(conn: Connection, query: str, params: dict[str, Any]) -> list[Row]:
    with translated():
        return conn.execute(query, params).fetchall()


def _value(conn: Connection, query: str, params: dict[str, Any]) -> Any:
    row = _one(conn, query, params)
    return None if row is None else next(iter(row.values()))


# --- search -----------------------------------------------------------------------------------------
_SEARCH = """
select * from public.search_experts(
  organization_id => %(organization_id)s, q => %(q)s, product => %(product)s, sector => %(sector)s,
  departement => %(departement)s, min_rating => %(min_rating)s, language => %(language)s,
  available_now => %(available_now)s, has_capacity => %(has_capacity)s, dossier_id => %(dossier_id)s,
  eligible_only => %(eligible_only)s, sort => %(sort)s, after => %(after)s, page_size => %(page_size)s)
"""


def search_experts(conn: Connection, *, params: dict[str, Any]) -> list[Row]:
    return _all(conn, _SEARCH, params)


def candidates(conn: Connection, *, dossier_id: UUID, page_size: int, after: UUID | None) -> list[Row]:
    return _all(
        conn,
        "select * from private.assignment_candidates(%(dossier)s, %(size)s, %(after)s)",
        {"dossier": dossier_id, "size": page_size, "after": after},
    )


# --- transitions (security-definer functions, migration 0028) -----------------------------------
def call(conn: Connection, function: str, **arguments: Any) -> Any:
    """Calls ``private.<function>`` with named arguments (``p_<name>``); returns its single value."""
    query = sql.SQL("select private.{function}({arguments}) as result").format(
        function=sql.Identifier(function),
        arguments=sql.SQL(", ").join(
            sql.SQL("{} => {}").format(sql.Identifier(f"p_{name}"), sql.Placeholder(name)) for name in arguments
        ),
    )
    with translated():
        row = conn.execute(query, arguments).fetchone()
    return None if row is None else row["result"]


# --- reads under RLS ----------------------------------------------------------------------------------
_OFFER = """
select o.id, o.organization_id, o.dossier_id, o.expert_id, o.status, o.source, o.attempt, o.score, o.score_parts,
       o.offered_at, o.expires_at, o.responded_at, o.reason
from public.assignment_offers o where o.id = %(id)s
"""
_OFFERS = """
select o.id, o.organization_id, o.dossier_id, o.expert_id, o.status, o.source, o.attempt, o.score, o.score_parts,
       o.offered_at, o.expires_at, o.responded_at, o.reason
from public.assignment_offers o
where (%(dossier)s::uuid is null or o.dossier_id = %(dossier)s) and (%(status)s::text is null or o.status = %(status)s)
order by o.offered_at desc, o.id limit %(limit)s
"""
_DOSSIER = """
select d.id, d.organization_id, d.status, d.expert_id, d.proposed_expert_id, o.assignment_mode
from public.dossiers d join public.organizations o on o.id = d.organization_id where d.id = %(id)s
"""
_EVENTS = """
select id, kind, expert_id, offer_id, actor_kind, detail, created_at from public.marketplace_events
where dossier_id = %(id)s order by id
"""


def offer(conn: Connection, *, offer_id: UUID) -> Row | None:
    return _one(conn, _OFFER, {"id": offer_id})


def offers(conn: Connection, *, dossier_id: UUID | None, status: str | None, limit: int = 100) -> list[Row]:
    return _all(conn, _OFFERS, {"dossier": dossier_id, "status": status, "limit": limit})


def dossier(conn: Connection, *, dossier_id: UUID) -> Row | None:
    return _one(conn, _DOSSIER, {"id": dossier_id})


def dossier_status(conn: Connection, *, dossier_id: UUID) -> str | None:
    status: str | None = _value(conn, "select status from public.dossiers where id = %(id)s", {"id": dossier_id})
    return status


def events(conn: Connection, *, dossier_id: UUID) -> list[Row]:
    return _all(conn, _EVENTS, {"id": dossier_id})


# --- settings ---------------------------------------------------------------------------------------
_SETTINGS = """
select id as organization_id, assignment_mode, offer_ttl_minutes, max_offer_attempts
from public.organizations where id = %(id)s
"""
_UPDATE_SETTINGS = """
update public.organizations
set assignment_mode = coalesce(%(assignment_mode)s, assignment_mode),
    offer_ttl_minutes = coalesce(%(offer_ttl_minutes)s, offer_ttl_minutes),
    max_offer_attempts = coalesce(%(max_offer_attempts)s, max_offer_attempts)
where id = %(id)s
returning id as organization_id, assignment_mode, offer_ttl_minutes, max_offer_attempts
"""


def settings(conn: Connection, *, organization_id: UUID) -> Row | None:
    return _one(conn, _SETTINGS, {"id": organization_id})


def update_settings(conn: Connection, *, organization_id: UUID, changes: dict[str, Any]) -> Row | None:
    return _one(conn, _UPDATE_SETTINGS, {"id": organization_id, **changes})


# --- reviews ----------------------------------------------------------------------------------------
_CREATE_REVIEW = """
insert into public.expert_reviews (dossier_id, organization_id, expert_id, client_company_id, rating, comment)
select d.id, d.organization_id, d.expert_id, d.client_company_id, %(rating)s, %(comment)s
from public.dossiers d where d.id = %(dossier)s
returning id, dossier_id, expert_id, rating, comment, answer, answered_at, created_at, updated_at
"""
_EDIT_REVIEW = """
update public.expert_reviews set rating = %(rating)s, comment = %(comment)s
where dossier_id = %(dossier)s
  and id in (select review_id from public.expert_review_parties where author_id = (select auth.uid()))
returning id, dossier_id, expert_id, rating, comment, answer, answered_at, created_at, updated_at
"""
_REVIEW_BY_DOSSIER = """
select r.id, r.dossier_id, r.expert_id, r.rating, r.comment, r.answer, r.answered_at, r.created_at, r.updated_at,
       p.author_id  -- migration 0038: known to staff and to the author only
from public.expert_reviews r left join public.expert_review_parties p on p.review_id = r.id
where r.dossier_id = %(id)s
"""
_ANSWER_REVIEW = """
update public.expert_reviews set answer = %(answer)s where id = %(id)s
returning id, dossier_id, expert_id, rating, comment, answer, answered_at, created_at, updated_at
"""
_REVIEW = """
select id, dossier_id, expert_id, rating, comment, answer, answered_at, created_at, updated_at
from public.expert_reviews where id = %(id)s
"""


def create_review(conn: Connection, *, dossier_id: UUID, rating: int, comment: str) -> Row | None:
    return _one(conn, _CREATE_REVIEW, {"dossier": dossier_id, "rating": rating, "comment": comment})


def edit_review(conn: Connection, *, dossier_id: UUID, rating: int, comment: str) -> Row | None:
    return _one(conn, _EDIT_REVIEW, {"dossier": dossier_id, "rating": rating, "comment": comment})


def review_by_dossier(conn: Connection, *, dossier_id: UUID) -> Row | None:
    return _one(conn, _REVIEW_BY_DOSSIER, {"id": dossier_id})


def answer_review(conn: Connection, *, review_id: UUID, answer: str) -> Row | None:
    return _one(conn, _ANSWER_REVIEW, {"id": review_id, "answer": answer})


def review(conn: Connection, *, review_id: UUID) -> Row | None:
    return _one(conn, _REVIEW, {"id": review_id})


# --- scheduler (service role) -------------------------------------------------------------------------
def organization_ids(conn: Connection) -> list[UUID]:
    return [row["id"] for row in _all(conn, "select id from public.organizations order by id", {})]


def run_timeouts(conn: Connection, *, organization_id: UUID, batch: int) -> dict[str, int]:
    counts: dict[str, int] = _value(
        conn,
        "select private.run_assignment_timeouts(%(org)s, %(batch)s) as counts",
        {"org": organization_id, "batch": batch},
    )
    return counts
