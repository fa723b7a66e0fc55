"""sql/schema.sql is exactly what a fresh migration produces (regenerate it with `make schema`)."""

from __future__ import annotations

import difflib

from infra import schema


def test_the_schema_snapshot_matches_a_fresh_migration(database_url: str) -> None:
    fresh = schema.fresh_dump(database_url)
    committed = schema.SNAPSHOT.read_text(encoding="utf-8") if schema.SNAPSHOT.exists() else ""
    diff = list(difflib.unified_diff(committed.splitlines(), fresh.splitlines(), "sql/schema.sql", "fresh", n=1))
    assert not diff, "sql/schema.sql drifted from the migrations: run `make schema`\n" + "\n".join(diff[:60])


def test_the_snapshot_carries_no_machine_noise() -> None:
    text = schema.normalise("-- Dumped from database version 15.18\n\\restrict abc\nCREATE TABLE t ();\n\n\n\n")
    assert text == schema.HEADER + "CREATE TABLE t ();\n"
