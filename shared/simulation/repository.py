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

# The rule set in effect and its document are public per organization (migration 0046): the same
# security-definer functions serve anonymous visitors and signed-in users.
_RULE_SET = "select id, version, organization_id from private.rule_set_in_effect(%(org)s, %(version)s)"
_RULE_SET_DOCUMENT = "select private.rule_set_document(%(id)s) as document"

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
        if row is None or row["document"] is None:
            raise LookupError(f"rule set {rule_set_id} not found")
        found = RuleSet.model_validate(row["document"], context={"stored": True})  # older notation too
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
    """An organization by slug or id, for anyone (anonymous visitors start from an organization's site)."""
    return conn.execute("select id, name, slug from private.organization_by_key(%(key)s)", {"key": key}).fetchone()


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
    answers: dict[str, Any] | None = None,
) -> Row:
    row = conn.execute(
        sql.SQL(
            "insert into public.simulations (organization_id, client_company_id, rule_set_id, rule_set_version,"
            " created_by, resume_token_hash, answers) values (%s, %s, %s, %s, %s, %s, %s) returning {}"
        ).format(_COLUMNS),
        (organization_id, company_id, rule_set_id, version, created_by, token_hash, Jsonb(answers or {})),
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


def last_completed(conn: Connection, *, company_id: uuid.UUID) -> Row | None:
    """The company's most recently completed simulation (its id and answers), if any."""
    return conn.execute(
        "select id, answers from public.simulations where client_company_id = %s and status = 'completed'"
        " order by completed_at desc, id desc limit 1",
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


# --- anonymous drafts (as ``anon``, through the token-keyed functions of migration 0046) --------------

_ANONYMOUS_COLUMNS = (
    "id, organization_id, client_company_id, rule_set_id, rule_set_version, status, answers, result, total,"
    " abandon_reason, created_by, created_at, updated_at, completed_at, stale"
)


def anonymous_simulation(conn: Connection, *, simulation_id: uuid.UUID, token_hash: str, lock: bool) -> Row | None:
    """The unclaimed simulation whose resume token has this hash (locked when asked), else None."""
    return conn.execute(
        f"select {_ANONYMOUS_COLUMNS} from private.anonymous_simulation(%s, %s, %s)",  # noqa: S608 (constant)
        (simulation_id, token_hash, lock),
    ).fetchone()


def start_anonymous(conn: Connection, *, organization_id: uuid.UUID, rule_set_id: uuid.UUID, token_hash: str) -> Row:
    row = conn.execute(
        f"select {_ANONYMOUS_COLUMNS} from private.start_anonymous_simulation(%s, %s, %s)",  # noqa: S608 (constant)
        (organization_id, rule_set_id, token_hash),
    ).fetchone()
    assert row is not None, "the rule set was found for this organization"
    return row


def save_anonymous_answers(conn: Connection, *, simulation_id: uuid.UUID, token_hash: str, answers: Row) -> bool:
    row = conn.execute(
        "select private.save_anonymous_answers(%s, %s, %s) as saved", (simulation_id, token_hash, Jsonb(answers))
    ).fetchone()
    return bool(row and row["saved"])


def abandon_anonymous(conn: Connection, *, simulation_id: uuid.UUID, token_hash: str, reason: str) -> bool:
    row = conn.execute(
        "select private.abandon_anonymous_simulation(%s, %s, %s) as done", (simulation_id, token_hash, reason)
    ).fetchone()
    return bool(row and row["done"])


def complete_anonymous(conn: Connection, *, simulation_id: uuid.UUID, token_hash: str, result: Row) -> bool:
    row = conn.execute(
        "select private.complete_anonymous_simulation(%s, %s, %s) as done", (simulation_id, token_hash, Jsonb(result))
    ).fetchone()
    return bool(row and row["done"])


def save_answers(conn: Connection, *, simulation_id: uuid.UUID, answers: dict[str, Any]) -> None:
    conn.execute("update public.simulations set answers = %s where id = %s", (Jsonb(answers), simulation_id))


def complete(conn: Connection, *, simulation_id: uuid.UUID, result: dict[str, Any]) -> list[Row]:
    """Keep a draft's result (its wire form) and, for a company, merge its dossiers with that result's
    estimates (migrations 0013 and 0032); one row per dossier concerned, with its outcome.

    The completion is the transaction's last step: it commits, in the same round trip.
    """
    return conn.execute_and_commit(
        _TRACED.format(call="private.complete_simulation(%(simulation)s, %(result)s)"),
        {"simulation": simulation_id, "result": Jsonb(result), "note": NO_LONGER_ELIGIBLE_NOTE},
    ).fetchall()


def abandon(conn: Connection, *, simulation_id: uuid.UUID, reason: str) -> None:
    conn.execute(
        "update public.simulations set status = 'abandoned', abandon_reason = %s where id = %s",
        (reason, simulation_id),
    )


def claim(conn: Connection, *, simulation_id: uuid.UUID, company_id: uuid.UUID, user_id: uuid.UUID) -> Row:
    """Attach an anonymous simulation to a company. Its resume token no longer opens it anonymously
    (migration 0046 reaches unclaimed drafts only); its hash is kept so that the same claim, retried,
    is recognised."""
    row = conn.execute(
        sql.SQL(
            "update public.simulations set client_company_id = %s, created_by = %s where id = %s returning {}"
        ).format(_COLUMNS),
        (company_id, user_id, simulation_id),
    ).fetchone()
    assert row is not None, "the simulation is locked by the caller"
    return row


def expire_drafts(conn: Connection) -> int:
    """Drafts untouched for 24 hours become ``expired`` (idempotent; concurrent runs skip locked rows)."""
    return conn.execute(
        "update public.simulations set status = 'expired' where id in ("
        " select id from public.simulations where status = 'draft' and updated_at < now() - interval '24 hours'"
        " for update skip locked)"
    ).rowcount


# --- dossiers -------------------------------------------------------------------------------------

# The merge (migrations 0013 and 0032) leaves a dossier whose product is no longer eligible alone; the
# same statement notes it in that dossier's history (no new amount, not applied), so it leaves a trace.
_TRACED = """
with merged as materialized (
  select product_code, dossier_id, outcome, amount, previous_amount, dossier_status from {call}
), traced as (
  insert into public.dossier_amount_history (dossier_id, organization_id, amount, previous_amount, priority, source,
                                             simulation_id, applied, note)
  select m.dossier_id, x.organization_id, null, m.amount, null, 'simulation', %(simulation)s, false, %(note)s
  from merged m join public.dossiers x on x.id = m.dossier_id
  where m.outcome = 'no_longer_eligible'
)
select product_code, dossier_id, outcome, amount, previous_amount, dossier_status from merged
"""
NO_LONGER_ELIGIBLE_NOTE = "product no longer eligible: dossier left alone"


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
        _TRACED.format(
            call="private.merge_simulation_dossiers(%(organization)s, %(company)s, %(simulation)s, %(codes)s::text[],"
            " %(amounts)s::numeric[], %(priorities)s::smallint[], %(ineligible)s::text[])"
        ),
        {
            "organization": organization_id,
            "company": company_id,
            "simulation": simulation_id,
            "codes": [e[0] for e in estimates],
            "amounts": [e[1] for e in estimates],
            "priorities": [e[2] for e in estimates],
            "ineligible": ineligible,
            "note": NO_LONGER_ELIGIBLE_NOTE,
        },
    ).fetchall()


def merge_report(conn: Connection, *, company_id: uuid.UUID, simulation_id: uuid.UUID, codes: list[str]) -> list[Row]:
    """The company's dossiers of these products with the last history entry this simulation left on each
    (None when it left none): what a merge of this simulation did, read back without writing."""
    return conn.execute(
        "select x.product_code, x.id as dossier_id, x.status as dossier_status, x.estimated_amount,"
        " h.amount, h.previous_amount, h.applied, h.note"
        " from public.dossiers x"
        " left join lateral (select h.amount, h.previous_amount, h.applied, h.note"
        "   from public.dossier_amount_history h where h.dossier_id = x.id and h.simulation_id = %(simulation)s"
        "   order by h.id desc limit 1) h on true"
        " where x.client_company_id = %(company)s and x.product_code = any(%(codes)s::text[])"
        " order by x.product_code",
        {"company": company_id, "simulation": simulation_id, "codes": codes},
    ).fetchall()
