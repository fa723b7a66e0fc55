"""Verification of the audit log's hash chain (migration 0034), recomputed here independently.

Each organization's rows form a chain: ``row_hash`` is the SHA-256 of the row's canonical form and
``prev_hash`` the ``row_hash`` of the row before it (``chain_seq - 1``), null for the first. The
canonical form is the text of a JSON array rendered the way PostgreSQL prints jsonb (see the
migration's header); :func:`canonical` rebuilds it from the stored values, so any value changed
behind the triggers' back no longer matches its hash.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import tuple_row

VERSION_TAG = "fintrack-audit-v1"

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(value: str) -> str:
    out = []
    for char in value:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key_order(key: str) -> tuple[int, bytes]:
    raw = key.encode("utf-8")
    return (len(raw), raw)


def render(value: Any) -> str:
    """A JSON value as PostgreSQL prints jsonb (keys by byte length then bytes; ', ' and ': ')."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _key_order(kv[0]))
        return "{" + ", ".join(f"{_string(k)}: {render(v)}" for k, v in items) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _parse(text: str | None) -> Any:
    return None if text is None else json.loads(text, parse_float=Decimal, parse_int=int)


@dataclass(frozen=True)
class AuditRow:
    id: int
    organization_id: uuid.UUID
    chain_seq: int
    table_name: str
    row_id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    actor_role: str | None
    old_values: str | None  # jsonb as PostgreSQL prints it
    new_values: str | None
    details: str | None
    created_at: datetime
    prev_hash: str | None
    row_hash: str


def canonical(row: AuditRow) -> str:
    stamp = row.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return render(
        [
            VERSION_TAG,
            str(row.organization_id),
            row.chain_seq,
            row.id,
            row.table_name,
            str(row.row_id),
            row.action,
            None if row.actor_id is None else str(row.actor_id),
            row.actor_role,
            _parse(row.old_values),
            _parse(row.new_values),
            _parse(row.details),
            stamp,
            row.prev_hash,
        ]
    )


def row_hash(row: AuditRow) -> str:
    return hashlib.sha256(canonical(row).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Mismatch:
    organization_id: uuid.UUID
    row_id: int | None  # audit_log.id; None when the chain head disagrees with the last row
    chain_seq: int
    reason: str


@dataclass(frozen=True)
class Report:
    organizations: int
    rows: int
    mismatch: Mismatch | None

    @property
    def ok(self) -> bool:
        return self.mismatch is None


_ROWS = """
select id, organization_id, chain_seq, table_name, row_id, action, actor_id, actor_role,
       old_values::text as old_values, new_values::text as new_values, details::text as details,
       created_at, prev_hash, row_hash
from public.audit_log
where %(org)s::uuid is null or organization_id = %(org)s::uuid
order by organization_id, chain_seq
"""

_HEADS = """
select organization_id, last_seq, last_hash from private.audit_chain_heads
where %(org)s::uuid is null or organization_id = %(org)s::uuid
"""


def check_rows(rows: Iterable[AuditRow], heads: dict[uuid.UUID, tuple[int, str]]) -> Report:
    """Walk the rows (ordered by organization then chain_seq); stop at the first that does not match."""
    visited: list[uuid.UUID] = []
    count = 0
    expected_seq = 1
    previous: str | None = None

    def end_of_chain() -> Mismatch | None:
        if not visited:
            return None
        if heads.get(visited[-1]) != (expected_seq - 1, previous):
            return Mismatch(visited[-1], None, expected_seq - 1, "the chain head does not match the last row")
        return None

    for row in rows:
        if not visited or row.organization_id != visited[-1]:
            failed = end_of_chain()
            if failed:
                return Report(len(visited), count, failed)
            visited.append(row.organization_id)
            expected_seq, previous = 1, None
        count += 1
        reason = None
        if row.chain_seq != expected_seq:
            reason = f"chain_seq {row.chain_seq} where {expected_seq} was expected (a row is missing)"
        elif row.prev_hash != previous:
            reason = "prev_hash is not the previous row's hash"
        elif row_hash(row) != row.row_hash:
            reason = "its content does not match its hash"
        if reason:
            return Report(len(visited), count, Mismatch(row.organization_id, row.id, row.chain_seq, reason))
        expected_seq, previous = expected_seq + 1, row.row_hash
    failed = end_of_chain()
    if failed:
        return Report(len(visited), count, failed)
    for org, (last_seq, _) in sorted(heads.items()):
        if last_seq > 0 and org not in visited:
            return Report(len(visited), count, Mismatch(org, None, last_seq, "its rows are gone"))
    return Report(len(visited), count, None)


def _stream(conn: psycopg.Connection[Any], org: uuid.UUID | None) -> Iterator[AuditRow]:
    with conn.cursor(name="audit_verify", row_factory=tuple_row) as cursor:
        cursor.execute(_ROWS, {"org": org})
        for record in cursor:
            yield AuditRow(*record)


def verify(conn: psycopg.Connection[Any], organization_id: uuid.UUID | None = None) -> Report:
    """Recompute the chains (one organization, or all) as the database owner.

    Run it in a repeatable-read transaction (as ``fintrack audit verify`` does) so the rows and
    the chain heads come from one snapshot.
    """
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cursor:
        heads = {
            uuid.UUID(str(org)): (int(seq), str(last))
            for org, seq, last in cursor.execute(_HEADS, {"org": organization_id}).fetchall()
        }
        return check_rows(_stream(conn, organization_id), heads)


def verify_database(conninfo: str, organization_slug: str | None = None) -> tuple[int, str]:
    """``fintrack audit verify``: (exit status, message). 0 and counts when intact, 1 naming the first bad row."""
    with psycopg.connect(conninfo, prepare_threshold=None) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        organization_id = None
        if organization_slug is not None:
            found = conn.execute("select id from public.organizations where slug = %s", (organization_slug,)).fetchone()
            conn.rollback()
            if found is None:
                return 2, f"no organization with slug {organization_slug!r}"
            organization_id = uuid.UUID(str(found[0]))
        report = verify(conn, organization_id)
    if report.mismatch is None:
        return 0, f"OK: {report.rows} audit rows in {report.organizations} organization chain(s) verified"
    bad = report.mismatch
    where = (
        f"row id {bad.row_id} (chain_seq {bad.chain_seq})" if bad.row_id is not None else f"chain_seq {bad.chain_seq}"
    )
    return 1, f"MISMATCH: organization {bad.organization_id}, {where}: {bad.reason}"
