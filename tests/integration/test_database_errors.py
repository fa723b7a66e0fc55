"""Database refusals become the same domain errors in every capability (shared.platform.dberrors): a
PTxxx SQLSTATE gives the HTTP status, its HINT the stable code."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from shared.platform import dberrors, errors
from shared.platform.http import translate_database_error
from tests.support import db as tdb


def _refusal(conn: tdb.Conn, sqlstate: str, hint: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as raised, conn.transaction():
        conn.execute(
            sql.SQL("do $$ begin raise exception 'Nope' using errcode = {}, hint = {}; end $$").format(
                sql.Literal(sqlstate), sql.Literal(hint)
            )
        )
    return raised.value


@pytest.mark.parametrize(
    ("sqlstate", "kind", "status"),
    [("PT403", errors.Forbidden, 403), ("PT404", errors.NotFound, 404), ("PT409", errors.Conflict, 409),
     ("PT422", errors.Unprocessable, 422), ("PT429", errors.TooManyRequests, 429)],
)  # fmt: skip
def test_a_ptxxx_refusal_becomes_its_status_with_the_hinted_code(
    conn: tdb.Conn, sqlstate: str, kind: type[errors.AppError], status: int
) -> None:
    exc = _refusal(conn, sqlstate, "some_stable_code")
    for error in (dberrors.to_app_error(exc), translate_database_error(exc)):  # one translation, at every boundary
        assert isinstance(error, kind) and error.status == status
        assert error.code == "some_stable_code" and error.detail == "Nope"


def test_a_capability_names_its_unique_constraints_and_the_rest_stays_generic(conn: tdb.Conn) -> None:
    conn.execute("create temporary table t (x int constraint t_x_key unique)")
    conn.execute("insert into t values (1)")
    with pytest.raises(psycopg.errors.UniqueViolation) as raised, conn.transaction():
        conn.execute("insert into t values (1)")
    named = dberrors.to_app_error(raised.value, unique_codes={"t_x_key": "already_taken"})
    assert isinstance(named, errors.Conflict) and named.code == "already_taken"
    assert dberrors.to_app_error(raised.value) is None  # not a refusal this capability named
    assert dberrors.to_app_error(RuntimeError("not a database error")) is None


def test_translated_reraises_from_the_database_error(conn: tdb.Conn) -> None:
    with pytest.raises(errors.Conflict) as raised, dberrors.translated():
        raise _refusal(conn, "PT409", "offer_expired")
    assert raised.value.code == "offer_expired" and isinstance(raised.value.__cause__, psycopg.Error)
