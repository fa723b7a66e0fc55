"""SQL of the simulation capability: rule sets, simulations, dossiers and their amount history."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from shared.platform.db import Connection
from shared.simulation.models import RuleSet

Row = dict[str, Any]

# --- rule sets -------------------------------------------------------------------------------------

_RULE_SET = """
select id, version, organization_id from public.rule_sets
where (organization_id = %(org)s or organization_id is null)
  and (version = %(version)s or (%(version)s::text is null and effective_from <= current_date))
order by (organization_id is not null) desc, effective_from desc, published_at desc
limit 1
"""

_RULE_SET_DOCUMENT = """
select jsonb_build_object(
  'version', r.version, 'effective_from', r.effective_from, 'description', r.description,
  'questions', (select jsonb_agg(q.definition order by q.position) from public.questions q
                where q.rule_set_id = r.id),
  'products', coalesce((
    select jsonb_agg(p.details || jsonb_build_object(
             'code', p.code, 'order', p.position, 'name', p.name, 'category', nullif(p.category, ''),
             'kind', p.kind, 'active', pr.active, 'sectors', to_jsonb(p.sectors), 'notes', nullif(p.notes, ''),
             'benefits', p.benefits, 'eligibility', pr.rule, 'formula', pr.formula) order by p.position)
    from public.product_rules pr join public.products p on p.code = pr.product_code
    where pr.rule_set_id = r.id), '[]'::jsonb)
) as document
from public.rule_sets r where r.id = %(id)s
"""

_rule_sets: dict[uuid.UUID, RuleSet] = {}
_lock = threading.Lock()


def find_rule_set(conn: Connection, *, organization_id: uuid.UUID, version: str | None) -> Row | None:
    """The rule set to use: the organization's own before the platform's; the latest in effect by default."""
    return conn.execute(_RULE_SET, {"org": organization_id, "version": version}).fetchone()


def rule_set(conn: Connection, *, rule_set_id: uuid.UUID) -> RuleSet:
    """A stored rule set, validated; cached per process, since published rule sets never change."""
    found = _rule_sets.get(rule_set_id)
    if found is None:
        row = conn.execute(_RULE_SET_DOCUMENT, {"id": rule_set_id}).fetchone()
        if row is None:
            raise LookupError(f"rule set {rule_set_id} not found")
        found = RuleSet.model_validate(row["document"])
        with _lock:
            _rule_sets[rule_set_id] = found
    return found


def insert_rule_set(
    conn: Connection, *, organization_id: uuid.UUID | None, rule_set: RuleSet, published_by: uuid.UUID
) -> uuid.UUID:
    """Publish a rule set (RLS decides whether the caller may) with its questions and product rules."""
    row = conn.execute(
        "insert into public.rule_sets (organization_id, version, effective_from, description, published_by)"
        " values (%s, %s, %s, %s, %s) returning id",
        (organization_id, rule_set.version, rule_set.effective_from, rule_set.description, published_by),
    ).fetchone()
    assert row is not None
    rule_set_id: uuid.UUID = row["id"]
    document = rule_set.model_dump(mode="json")
    with conn.cursor() as cur:
        cur.executemany(
            "insert into public.questions (rule_set_id, code, position, definition) values (%s, %s, %s, %s)",
            [(rule_set_id, q["code"], q["order"], Jsonb(q)) for q in document["questions"]],
        )
        cur.executemany(
            "insert into public.product_rules (rule_set_id, product_code, active, rule, formula)"
            " values (%s, %s, %s, %s, %s)",
            [
                (
                    rule_set_id,
                    p["code"],
                    p["active"],
                    Jsonb(p["eligibility"]) if p["eligibility"] else None,
                    Jsonb(p["formula"]) if p["formula"] else None,
                )
                for p in document["products"]
            ],
        )
    return rule_set_id


# --- companies and organizations --------------------------------------------------------------------


def company(conn: Connection, *, company_id: uuid.UUID) -> Row | None:
    """The company as the current role sees it (None when invisible)."""
    return conn.execute(
        "select id, organization_id, name, siren, sector from public.client_companies where id = %s", (company_id,)
    ).fetchone()


def access(conn: Connection, *, simulation_id: uuid.UUID) -> Row | None:
    """A row when the current user sees the simulation under RLS, None otherwise (reads; writes use
    ``simulation_for_writing``)."""
    return conn.execute("select visible from private.simulation_access(%s)", (simulation_id,)).fetchone()


def simulation_for_writing(conn: Connection, *, simulation_id: uuid.UUID) -> Row | None:
    """As the caller: the simulation locked when they may change it (``access`` = 'write'), a row
    with ``access`` = 'read_only' when they may only read it, None when they may not see it.

    When they may change it, the same statement switches the transaction to ``service_role`` for
    the writes that follow (as ``db.elevate`` does), saving the hot paths a round trip.
    """
    return conn.execute(
        "select access, id, organization_id, client_company_id, rule_set_id, rule_set_version, status, answers,"
        " result, total, abandon_reason, created_by, created_at, updated_at, completed_at, stale,"
        " case when access = 'write' then set_config('role', 'service_role', true) end as elevated_to"
        " from private.simulation_for_writing(%s)",
        (simulation_id,),
    ).fetchone()


def can_simulate_for(conn: Connection, *, company_id: uuid.UUID) -> bool:
    row = conn.execute("select private.can_simulate_for(%s) as ok", (company_id,)).fetchone()
    return bool(row and row["ok"])


def organization_by_key(conn: Connection, *, key: str) -> Row | None:
    """An organization by slug or id (for anonymous visitors starting from an organization's site)."""
    return conn.execute(
        "select id, name, slug from public.organizations where slug = %(key)s or id::text = %(key)s", {"key": key}
    ).fetchone()


# --- simulations ----------------------------------------------------------------------------------

_COLUMNS = sql.SQL(
    "id, organization_id, client_company_id, rule_set_id, rule_set_version, status, answers, result, total,"
    " abandon_reason, created_by, created_at, updated_at, completed_at,"
    " status = 'draft' and updated_at < now() - interval '24 hours' as stale"
)
_FOR_UPDATE = sql.SQL(" for update")
_NO_LOCK = sql.SQL("")


def _select(where: str, *, lock: bool = False) -> sql.Composed:
    """``select <the simulation columns> from public.simulations <where>`` (``where`` is a constant)."""
    return sql.SQL("select {} from public.simulations {}{}").format(
        _COLUMNS, sql.SQL(where), _FOR_UPDATE if lock else _NO_LOCK
    )


def insert_simulation(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    company_id: uuid.UUID | None,
    rule_set_id: uuid.UUID,
    version: str,
    created_by: uuid.UUID | None,
    token_hash: str | None,
) -> Row:
    row = conn.execute(
        sql.SQL(
            "insert into public.simulations (organization_id, client_company_id, rule_set_id, rule_set_version,"
            " created_by, resume_token_hash) values (%s, %s, %s, %s, %s, %s) returning {}"
        ).format(_COLUMNS),
        (organization_id, company_id, rule_set_id, version, created_by, token_hash),
    ).fetchone()
    assert row is not None
    return row


def open_draft(conn: Connection, *, company_id: uuid.UUID) -> Row | None:
    """The company's latest draft still within its 24 hours, if any."""
    return conn.execute(
        _select(
            "where client_company_id = %s and status = 'draft' and updated_at >= now() - interval '24 hours'"
            " order by updated_at desc limit 1"
        ),
        (company_id,),
    ).fetchone()


def simulation(conn: Connection, *, simulation_id: uuid.UUID, lock: bool = False) -> Row | None:
    """A simulation as the current role sees it; ``lock`` takes its row lock (service role only)."""
    return conn.execute(
        _select("where id = %s", lock=lock),
        (simulation_id,),
    ).fetchone()


def simulation_by_token(
    conn: Connection, *, simulation_id: uuid.UUID, token_hash: str, lock: bool = False
) -> Row | None:
    return conn.execute(
        _select("where id = %s and resume_token_hash = %s", lock=lock),
        (simulation_id, token_hash),
    ).fetchone()


def save_answers(conn: Connection, *, simulation_id: uuid.UUID, answers: dict[str, Any]) -> None:
    conn.execute("update public.simulations set answers = %s where id = %s", (Jsonb(answers), simulation_id))


def complete(conn: Connection, *, simulation_id: uuid.UUID, result: dict[str, Any]) -> list[Row]:
    """Keep a draft's result (its wire form) and, for a company, merge its dossiers with that result's
    estimates (migrations 0013 and 0032); one row per dossier concerned, with its outcome.

    The completion is the transaction's last step: it commits, in the same round trip.
    """
    return conn.execute_and_commit(
        "select product_code, dossier_id, outcome, amount, previous_amount, dossier_status"
        " from private.complete_simulation(%s, %s)",
        (simulation_id, Jsonb(result)),
    ).fetchall()


def abandon(conn: Connection, *, simulation_id: uuid.UUID, reason: str) -> None:
    conn.execute(
        "update public.simulations set status = 'abandoned', abandon_reason = %s where id = %s",
        (reason, simulation_id),
    )


def claim(conn: Connection, *, simulation_id: uuid.UUID, company_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Attach an anonymous simulation to a company; its resume token stops working."""
    conn.execute(
        "update public.simulations set client_company_id = %s, created_by = %s, resume_token_hash = null where id = %s",
        (company_id, user_id, simulation_id),
    )


def expire_drafts(conn: Connection) -> int:
    """Drafts untouched for 24 hours become ``expired`` (idempotent; concurrent runs skip locked rows)."""
    return conn.execute(
        "update public.simulations set status = 'expired' where id in ("
        " select id from public.simulations where status = 'draft' and updated_at < now() - interval '24 hours'"
        " for update skip locked)"
    ).rowcount


# --- dossiers -------------------------------------------------------------------------------------


def merge_dossiers(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    company_id: uuid.UUID,
    simulation_id: uuid.UUID,
    estimates: list[tuple[str, Decimal | None, int | None]],
    ineligible: list[str],
) -> list[Row]:
    """Run the merge rules of migration 0013 for a completed simulation; one row per dossier concerned."""
    return conn.execute(
        "select product_code, dossier_id, outcome, amount, previous_amount, dossier_status"
        " from private.merge_simulation_dossiers(%s, %s, %s, %s::text[], %s::numeric[], %s::smallint[], %s::text[])",
        (
            organization_id,
            company_id,
            simulation_id,
            [e[0] for e in estimates],
            [e[1] for e in estimates],
            [e[2] for e in estimates],
            ineligible,
        ),
    ).fetchall()
