"""Database access: one small lazy pool per process and the two kinds of transaction.

``user_transaction(claims)`` does exactly what PostgREST does for a request: inside one
transaction it sets the local role ``authenticated`` and ``request.jwt.claims``, so the same RLS
policies protect the front ends and the functions. ``service_transaction()`` runs as
``service_role`` for system jobs, which must then filter by tenant explicitly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.platform.settings import get_settings

Connection = psycopg.Connection[dict[str, Any]]

_pool: ConnectionPool[Connection] | None = None
_pool_url: str = ""
_lock = threading.Lock()

# BEGIN and the settings in one simple-protocol round trip; the values are quoted as literals.
_BEGIN = sql.SQL(
    "begin; select set_config('role', {role}, true), set_config('request.jwt.claims', {claims}, true),"
    " set_config('statement_timeout', {timeout}, true)"
)


def _configure(conn: Connection) -> None:
    conn.autocommit = True  # transactions are opened explicitly by _transaction()


def get_pool() -> ConnectionPool[Connection]:
    """The process's pool, created on first use (a warm function instance reuses it)."""
    global _pool, _pool_url
    settings = get_settings()
    url = settings.database_url.value
    with _lock:
        if _pool is None or _pool_url != url:
            if _pool is not None:
                _pool.close()
            # prepare_threshold=None: Supavisor's transaction mode supports no prepared statements.
            _pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max(1, settings.db_pool_max),
                kwargs={"prepare_threshold": None, "row_factory": dict_row},
                configure=_configure,
                connection_class=psycopg.Connection,
                max_idle=300,
                open=True,
                name="fintrack",
            )
            _pool_url = url
        return _pool


def close_pool() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None


def _begin(role: str, claims: Mapping[str, Any]) -> sql.Composed:
    timeout = f"{get_settings().statement_timeout_ms}ms"
    return _BEGIN.format(role=sql.Literal(role), claims=sql.Literal(json.dumps(claims)), timeout=sql.Literal(timeout))


@contextmanager
def _transaction(role: str, claims: Mapping[str, Any]) -> Iterator[Connection]:
    begin = _begin(role, claims)
    with get_pool().connection() as conn:
        conn.execute(begin)
        try:
            yield conn
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        conn.commit()


def read_as_user(claims: Mapping[str, Any], query: sql.Composable) -> dict[str, Any] | None:
    """One read-only statement as the verified user, in one round trip.

    The transaction, its settings, the statement (a constant query, its values composed as
    literals) and the commit travel as one simple-protocol message, exactly the transaction
    ``user_transaction`` would open: for the hot single-statement reads (``me``).
    """
    message = sql.SQL("{}; {}; commit").format(_begin("authenticated", {**claims, "role": "authenticated"}), query)
    with get_pool().connection() as conn:
        try:
            cursor = conn.execute(message)
            cursor.nextset()  # past BEGIN, to the settings
            cursor.nextset()  # past the settings, to the statement's rows
            return cursor.fetchone()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise


@contextmanager
def user_transaction(claims: Mapping[str, Any]) -> Iterator[Connection]:
    """A transaction acting as the verified user: RLS applies, ``auth.uid()`` is the caller."""
    with _transaction("authenticated", {**claims, "role": "authenticated"}) as conn:
        yield conn


@contextmanager
def anon_transaction() -> Iterator[Connection]:
    """A transaction as the anonymous API role (no token), as PostgREST does for anon requests."""
    with _transaction("anon", {"role": "anon"}) as conn:
        yield conn


@contextmanager
def service_transaction() -> Iterator[Connection]:
    """A transaction as ``service_role`` (bypasses RLS): system jobs only, always tenant-filtered."""
    with _transaction("service_role", {"role": "service_role"}) as conn:
        yield conn


def elevate(conn: Connection) -> None:
    """Switch the current transaction to ``service_role`` after the caller's rights were checked.

    For privileged multi-step writes (the merge of a simulation into dossiers, say): the checks run
    as the user under RLS, then the writes run in the same transaction as the service.
    """
    conn.execute("select set_config('role', 'service_role', true)")
