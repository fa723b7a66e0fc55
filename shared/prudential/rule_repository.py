"""SQL for prudential rule sets: read a stored rule set back as the engine's :class:`RuleSet`.

Publishing (owners and admins, as a new version) belongs to the portfolios capability; this module
only reads, under the caller's RLS.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from shared.prudential.rules import RuleSet, UnknownRuleSet, rule_set_from_rows

__all__ = ["stored_rule_set"]

_FIND = """
select id, code, effective_from, description from public.prudential_rule_sets
where code = %(code)s and (organization_id = %(org)s or organization_id is null)
order by organization_id is null limit 1
"""
_ROWS = """
select code, key, value, valid_from, valid_to from public.prudential_rule_parameters
where rule_set_id = %(id)s order by code, key, valid_from
"""


def stored_rule_set(conn: psycopg.Connection[Any], *, code: str, organization_id: uuid.UUID | None) -> RuleSet:
    """The organization's rule set ``code`` if it has one, else the platform's (``UnknownRuleSet``
    if neither is visible to the caller)."""
    with conn.cursor() as cur:
        head = cur.execute(_FIND, {"code": code, "org": organization_id}).fetchone()
        if head is None:
            raise UnknownRuleSet(f"unknown rule set {code!r}")
        rule_set_id, found, effective_from, description = _values(head, ("id", "code", "effective_from", "description"))
        rows = cur.execute(_ROWS, {"id": rule_set_id}).fetchall()
    names = ("code", "key", "value", "valid_from", "valid_to")
    return rule_set_from_rows(
        found, effective_from, description, [dict(zip(names, _values(r, names), strict=True)) for r in rows]
    )


def _values(row: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    if isinstance(row, dict):
        return tuple(row[name] for name in names)
    return tuple(row)
