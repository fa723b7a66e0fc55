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
    """A pooled connection that saves its transactions round trips.

    ``_transaction`` does not send BEGIN and its settings on their own: it leaves them in
    ``opening``, and the transaction's first statement carries them in the same simple-protocol
    message (its values bound client-side). ``execute_and_commit`` sends a last statement with the
    COMMIT. Anything else reaching the server (a cursor) sends a pending opening first, and nothing
    may run after the commit, so no statement ever runs outside the transaction's role.
    """

    opening: bytes | None = None
    committed = False

    def execute(  # type: ignore[override]  # one signature for psycopg's overloads, t-strings unused
        self,
        query: QueryNoTemplate,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool = False,
    ) -> psycopg.Cursor[Row]:
        if self.opening is None and not self.committed:
            return super().execute(query, params, prepare=prepare, binary=binary)
        return self._send(query, params, commit=False)

    def execute_and_commit(self, query: QueryNoTemplate, params: Params | None = None) -> psycopg.Cursor[Row]:
        """The transaction's last statement and its COMMIT in one message; the cursor holds the
        statement's rows."""
        cursor = self._send(query, params, commit=True)
        self.committed = True
        return cursor

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse_after_commit()
        if self.opening is not None:
            opening, self.opening = self.opening, None
            super().execute(opening)
        return super().cursor(*args, **kwargs)

    def _send(self, query: QueryNoTemplate, params: Params | None, *, commit: bool) -> psycopg.Cursor[Row]:
        self._refuse_after_commit()
        opening, self.opening = self.opening, None
        statements = [_as_bytes(self, query)]
        if opening is not None:
            # With values to bind, psycopg reads every "%" of the message as the start of one.
            statements.insert(0, opening.replace(b"%", b"%%") if params is not None else opening)
        if commit:
            statements.append(b"commit")
        cursor = psycopg.ClientCursor(self)
        cursor.execute(b"; ".join(statements), params)
        if opening is not None:
            for _ in range(_OPENING_STATEMENTS):
                cursor.nextset()
        return cursor

    def _refuse_after_commit(self) -> None:
        if self.committed:
            raise psycopg.ProgrammingError("the transaction was committed by execute_and_commit")


def _as_bytes(conn: Connection, query: QueryNoTemplate) -> bytes:
    if isinstance(query, sql.Composable):
        return query.as_bytes(conn)
    return query.encode() if isinstance(query, str) else query


_pool: ConnectionPool[Connection] | None = None
_pool_url: str = ""
_lock = threading.Lock()

# BEGIN and the settings, two statements; the values are quoted as literals. A request's transaction
# (user or anon) also turns JIT compilation off: its statements are short, and compiling one whose
# estimate crosses jit_above_cost costs tens of milliseconds (70 ms seen on the dossier list) for
# nothing; system jobs keep the server's setting.
_OPENING_STATEMENTS = 2
_BEGIN = sql.SQL(
    "begin; select set_config('role', {role}, true), set_config('request.jwt.claims', {claims}, true),"
    " set_config('statement_timeout', {timeout}, true){jit}"
)
_NO_JIT = sql.SQL(", set_config('jit', 'off', true)")


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
    return _BEGIN.format(
        role=sql.Literal(role),
        claims=sql.Literal(json.dumps(claims)),
        timeout=sql.Literal(timeout),
        jit=_NO_JIT if role in ("authenticated", "anon") else sql.SQL(""),
    )


@contextmanager
def _transaction(role: str, claims: Mapping[str, Any]) -> Iterator[Connection]:
    opening = _begin(role, claims)
    with get_pool().connection() as conn:
        conn.opening, conn.committed = opening.as_bytes(conn), False
        try:
            yield conn
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        else:
            conn.commit()  # nothing to do when execute_and_commit did it
        finally:
            conn.opening, conn.committed = None, False


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


@contextmanager
def acting_as(conn: Connection, user_id: str) -> Iterator[Connection]:
    """Inside a ``service_role`` transaction, run a block as one user under RLS (a system job producing a
    document for a recipient reads exactly what that recipient may see), then return to the service."""
    claims = json.dumps({"sub": user_id, "role": "authenticated", "aud": "authenticated"})
    conn.execute(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)", (claims,)
    )
    try:
        yield conn
    finally:
        conn.execute(
            "select set_config('role', 'service_role', true), set_config('request.jwt.claims', %s, true)",
            (json.dumps({"role": "service_role"}),),
        )
