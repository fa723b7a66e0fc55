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
from psycopg.abc import Params, QueryNoTemplate
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.platform.settings import get_settings

Row = dict[str, Any]


class Connection(psycopg.Connection[Row]):
    """A pooled connection whose transaction opening travels with the transaction's first statement.

    ``_transaction`` does not send BEGIN and its settings on their own: it leaves them in ``opening``
    and the first statement carries them in the same simple-protocol message (its values bound
    client-side), saving every transaction a round trip. Any other way to the server (a cursor)
    sends the opening first, so nothing ever runs outside the transaction's role.
    """

    opening: bytes | None = None

    def execute(  # type: ignore[override]  # one signature for psycopg's overloads, t-strings unused
        self,
        query: QueryNoTemplate,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool = False,
    ) -> psycopg.Cursor[Row]:
        if self.opening is None:
            return super().execute(query, params, prepare=prepare, binary=binary)
        opening, self.opening = self.opening, None
        if params is not None:
            opening = opening.replace(b"%", b"%%")  # the message is parsed for placeholders
        cursor = psycopg.ClientCursor(self)
        cursor.execute(opening + b"; " + _as_bytes(self, query), params)
        for _ in range(_OPENING_STATEMENTS):
            cursor.nextset()
        return cursor

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        if self.opening is not None:
            opening, self.opening = self.opening, None
            super().execute(opening)
        return super().cursor(*args, **kwargs)


def _as_bytes(conn: Connection, query: QueryNoTemplate) -> bytes:
    if isinstance(query, sql.Composable):
        return query.as_bytes(conn)
    return query.encode() if isinstance(query, str) else query


_pool: ConnectionPool[Connection] | None = None
_pool_url: str = ""
_lock = threading.Lock()

# BEGIN and the settings, two statements; the values are quoted as literals.
_OPENING_STATEMENTS = 2
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
                connection_class=Connection,
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
    opening = _begin(role, claims)
    with get_pool().connection() as conn:
        conn.opening = opening.as_bytes(conn)
        try:
            yield conn
        except BaseException:
            conn.opening = None
            if not conn.closed:
                conn.rollback()
            raise
        conn.opening = None
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
