"""The migration runner: shim only when auth is missing, idempotent, refuses edited files."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from shared.platform.migrate import SQL_DIR, MigrationError, apply_migrations, discover


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    name = f"migrate_{uuid.uuid4().hex[:10]}"
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')


@pytest.fixture
def sql_copy(tmp_path: Path) -> Path:
    shutil.copytree(SQL_DIR / "local", tmp_path / "local")
    shutil.copytree(SQL_DIR / "migrations", tmp_path / "migrations")
    return tmp_path


def test_first_run_applies_shim_then_migrations_and_second_run_nothing(empty_database: str, sql_copy: Path) -> None:
    applied = apply_migrations(empty_database, sql_copy)
    migrations = [m.path.name for m in discover(sql_copy / "migrations")]
    assert applied == ["local/0000_supabase_shim.sql", *migrations]
    assert apply_migrations(empty_database, sql_copy) == []


def test_shim_is_skipped_when_auth_exists(empty_database: str, sql_copy: Path) -> None:
    apply_migrations(empty_database, sql_copy)
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("delete from fintrack_migrations.applied where version like 'local/%'")
    assert apply_migrations(empty_database, sql_copy) == []


def test_an_edited_applied_migration_is_refused_by_name(empty_database: str, sql_copy: Path) -> None:
    apply_migrations(empty_database, sql_copy)
    target = sorted((sql_copy / "migrations").glob("0002_*.sql"))[0]
    target.write_text(target.read_text() + "\n-- an innocent edit\n")
    with pytest.raises(MigrationError, match=re.escape(target.name)):
        apply_migrations(empty_database, sql_copy)


def test_a_new_migration_is_applied_alone_and_a_failing_one_leaves_nothing(empty_database: str, sql_copy: Path) -> None:
    apply_migrations(empty_database, sql_copy)
    (sql_copy / "migrations" / "9000_create_example.sql").write_text(
        "-- test\ncreate table public.example (id int primary key);\n"
    )
    assert apply_migrations(empty_database, sql_copy) == ["9000_create_example.sql"]
    (sql_copy / "migrations" / "9001_break_things.sql").write_text("create table public.half (id int);\nselect 1/0;\n")
    with pytest.raises(MigrationError, match=re.escape("9001_break_things.sql")):
        apply_migrations(empty_database, sql_copy)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("select to_regclass('public.half')").fetchone() == (None,)
        versions = conn.execute("select version from fintrack_migrations.applied order by version").fetchall()
    assert ("9001",) not in versions


def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_oops.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match=re.escape("1_oops.sql")):
        discover(tmp_path)


def test_repository_migrations_are_well_formed() -> None:
    migrations = discover(SQL_DIR / "migrations")
    assert [m.version for m in migrations] == sorted(m.version for m in migrations)
    for migration in migrations:
        assert migration.sql.lstrip().startswith("--"), f"{migration.path.name} must open with why it exists"
        assert "create extension" not in migration.sql.lower(), "no contrib extension anywhere"
