"""The transactions of shared.platform.db against the real database: the role and claims are those
of the caller from the first statement to the last, whichever way the statements are sent."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql

from shared.platform import db
from shared.platform.settings import Settings, use_settings
from tests.support import db as tdb

WHO = "select current_user as role, auth.uid()::text as uid, current_setting('statement_timeout') as timeout"


@pytest.fixture
def claims(settings: Settings) -> dict[str, str]:
    return {"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated", "note": "100% sure"}


@pytest.fixture
def scratch(committed: tdb.Conn) -> Iterator[str]:
    """A table every role may write, dropped afterwards."""
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    committed.execute(sql.SQL("create table public.{} (n int)").format(sql.Identifier(name)))
    committed.execute(sql.SQL("grant all on public.{} to authenticated, service_role").format(sql.Identifier(name)))
    yield name
    committed.execute(sql.SQL("drop table public.{}").format(sql.Identifier(name)))


def test_the_first_statement_runs_as_the_caller_with_its_values(claims: dict[str, str]) -> None:
    with db.user_transaction(claims) as conn:
        row = conn.execute(WHO + " where %s = %s", ("a%b", "a%b")).fetchone()
        assert row == {"role": "authenticated", "uid": claims["sub"], "timeout": "8s"}
        assert conn.execute("select current_setting('request.jwt.claims')::jsonb ->> 'note' as note").fetchone() == {
            "note": "100% sure"
        }


def test_a_cursor_opened_first_still_runs_as_the_caller(claims: dict[str, str]) -> None:
    with db.user_transaction(claims) as conn, conn.cursor() as cursor:
        assert cursor.execute(WHO).fetchone() == {"role": "authenticated", "uid": claims["sub"], "timeout": "8s"}


def test_service_and_anon_transactions(settings: Settings) -> None:
    with db.service_transaction() as conn:
        assert conn.execute("select current_user as role").fetchone() == {"role": "service_role"}
    with db.anon_transaction() as conn:
        assert conn.execute("select current_user as role").fetchone() == {"role": "anon"}


def test_request_transactions_compile_nothing_and_system_jobs_keep_the_server_setting(
    claims: dict[str, str], committed: tdb.Conn
) -> None:
    server = committed.execute("select current_setting('jit') as jit").fetchone()
    assert server is not None
    with db.user_transaction(claims) as conn:
        assert conn.execute("select current_setting('jit') as jit").fetchone() == {"jit": "off"}
    with db.anon_transaction() as conn:
        assert conn.execute("select current_setting('jit') as jit").fetchone() == {"jit": "off"}
    with db.service_transaction() as conn:
        assert conn.execute("select current_setting('jit') as jit").fetchone() == {"jit": server["jit"]}
    # local to the transaction: the pooled connection is back to the server's setting
    with db.get_pool().connection() as conn:
        assert conn.execute("select current_setting('jit') as jit").fetchone() == {"jit": server["jit"]}


def test_the_statement_timeout_applies_to_the_first_statement(settings: Settings, claims: dict[str, str]) -> None:
    use_settings(dataclasses.replace(settings, statement_timeout_ms=50))
    try:
        with pytest.raises(pg_errors.QueryCanceled), db.user_transaction(claims) as conn:
            conn.execute("select pg_sleep(1)")
    finally:
        use_settings(settings)


def test_execute_and_commit_commits_and_nothing_may_follow(
    claims: dict[str, str], scratch: str, committed: tdb.Conn
) -> None:
    insert = sql.SQL("insert into public.{} (n) values (%s) returning n, current_user as role").format(
        sql.Identifier(scratch)
    )
    with db.user_transaction(claims) as conn:
        assert conn.execute_and_commit(insert, (7,)).fetchone() == {"n": 7, "role": "authenticated"}
        with pytest.raises(psycopg.ProgrammingError):
            conn.execute("select 1")
        with pytest.raises(psycopg.ProgrammingError):
            conn.cursor()
    assert committed.execute(sql.SQL("select n from public.{}").format(sql.Identifier(scratch))).fetchall() == [
        {"n": 7}
    ]
    with db.user_transaction(claims) as conn:  # the pooled connection is an ordinary one again
        assert conn.execute("select current_user as role").fetchone() == {"role": "authenticated"}


def test_a_failure_rolls_everything_back_and_leaves_every_connection_clean(
    claims: dict[str, str], scratch: str, committed: tdb.Conn
) -> None:
    insert = sql.SQL("insert into public.{} (n) values (1)").format(sql.Identifier(scratch))
    for _ in range(6):  # more than the pool holds: every connection goes through a failure
        with pytest.raises(pg_errors.DivisionByZero), db.user_transaction(claims) as conn:
            conn.execute(insert)
            conn.execute_and_commit("select 1 / 0 as n")
        with pytest.raises(pg_errors.DivisionByZero), db.user_transaction(claims) as conn:
            conn.execute("select 1 / 0 as n")
    assert committed.execute(
        sql.SQL("select count(*) as n from public.{}").format(sql.Identifier(scratch))
    ).fetchone() == {"n": 0}
    with db.user_transaction(claims) as conn:
        assert conn.execute_and_commit(WHO).fetchone() == {
            "role": "authenticated",
            "uid": claims["sub"],
            "timeout": "8s",
        }
