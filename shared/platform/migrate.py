"""The migration runner: the Supabase shim when needed, then ``sql/migrations`` in order.

Each file runs in its own transaction and is recorded with its SHA-256; re-running applies
nothing, and a file edited after it was applied is refused with an error naming it. The same
runner applies migrations to a real Supabase project through a direct connection.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 7_260_001  # an arbitrary constant: one runner at a time per database

_BOOKKEEPING = """
create schema if not exists fintrack_migrations;
revoke all on schema fintrack_migrations from public;
create table if not exists fintrack_migrations.applied (
  version text primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()
);
"""


class MigrationError(Exception):
    """A migration cannot be applied; the message names the file and says why."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path) -> list[Migration]:
    """The migrations of a folder, checked: well named, numbers unique and increasing."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_verb_object.sql")
        found.append(Migration(version=match.group(1), name=match.group(2), path=path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory.name}: two migrations share a number")
    return found


def _apply_one(conn: psycopg.Connection[tuple[object, ...]], migration: Migration, version: str) -> None:
    try:
        with conn.transaction():
            conn.execute(migration.sql.encode())
            conn.execute(
                "insert into fintrack_migrations.applied (version, name, checksum) values (%s, %s, %s)",
                (version, migration.name, migration.checksum),
            )
    except psycopg.Error as exc:
        raise MigrationError(f"{migration.path.name}: {exc.diag.message_primary or exc}") from exc


def apply_migrations(conninfo: str, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply what is missing; return the file names applied (empty when up to date)."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(_BOOKKEEPING)
            has_auth = conn.execute("select 1 from pg_namespace where nspname = 'auth'").fetchone()
            if has_auth is None:
                for shim in discover(sql_dir / "local"):
                    _apply_one(conn, shim, f"local/{shim.version}")
                    applied_now.append(f"local/{shim.path.name}")
            rows = conn.execute("select version, checksum from fintrack_migrations.applied").fetchall()
            known = {str(version): str(checksum) for version, checksum in rows}
            for migration in discover(sql_dir / "migrations"):
                recorded = known.get(migration.version)
                if recorded is None:
                    _apply_one(conn, migration, migration.version)
                    applied_now.append(migration.path.name)
                elif recorded != migration.checksum:
                    raise MigrationError(
                        f"{migration.path.name} was edited after it was applied; migrations are "
                        "forward-only: restore the file and add a new migration instead"
                    )
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now
