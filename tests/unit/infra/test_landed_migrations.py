"""Landed migrations never change (sql/migrations/CHECKSUMS up to 0201, sql/landed-migrations.sha256 after)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shared.platform.migrate import SQL_DIR, discover

CHECKSUMS = SQL_DIR / "migrations" / "CHECKSUMS"
# CHECKSUMS is under sql/migrations, where nothing changes once landed: later lines go to this file.
LANDED_SINCE = SQL_DIR / "landed-migrations.sha256"


def listed(path: Path = CHECKSUMS) -> dict[str, str]:
    """file name -> SHA-256, from a sha256sum-style file (comments and blank lines ignored)."""
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        assert len(digest) == 64 and name, f"{path.name} line {number} is not '<sha256>  <file>'"
        assert name not in entries, f"{name} is listed twice"
        entries[name] = digest
    return entries


def landed() -> dict[str, str]:
    """Every landed migration with its hash, from both manifests (a file in one of them only)."""
    first, since = listed(CHECKSUMS), listed(LANDED_SINCE)
    assert not set(first) & set(since), f"listed in both manifests: {sorted(set(first) & set(since))}"
    return {**first, **since}


def changed(directory: Path, entries: dict[str, str]) -> list[str]:
    """Listed files that are missing or whose content no longer has the listed hash."""
    problems = []
    for name, digest in sorted(entries.items()):
        path = directory / name
        if not path.exists():
            problems.append(f"{name} was removed")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name} was edited")
    return problems


def test_no_landed_migration_was_edited_or_removed() -> None:
    problems = changed(CHECKSUMS.parent, landed())
    assert problems == [], "landed migrations never change: restore them and add a new migration instead"


def test_every_landed_number_is_listed() -> None:
    entries = landed()
    names = {m.path.name for m in discover(SQL_DIR / "migrations")}
    assert set(entries) <= names
    assert {f"{n:04d}" for n in [*range(1, 15), *range(20, 34), *range(200, 206)]} <= {name[:4] for name in entries}


def test_the_check_catches_edits_and_removals_but_not_new_files(tmp_path: Path) -> None:
    (tmp_path / "0001_create_a.sql").write_text("-- a\n")
    (tmp_path / "0002_create_b.sql").write_text("-- b\n")
    sums = tmp_path / "CHECKSUMS"
    sums.write_text(
        "# header\n"
        + "".join(
            f"{hashlib.sha256((tmp_path / n).read_bytes()).hexdigest()}  {n}\n"
            for n in ("0001_create_a.sql", "0002_create_b.sql")
        )
    )
    assert changed(tmp_path, listed(sums)) == []
    (tmp_path / "0003_create_c.sql").write_text("-- new files are fine\n")
    assert changed(tmp_path, listed(sums)) == []
    (tmp_path / "0001_create_a.sql").write_text("-- a, edited\n")
    (tmp_path / "0002_create_b.sql").unlink()
    assert changed(tmp_path, listed(sums)) == ["0001_create_a.sql was edited", "0002_create_b.sql was removed"]


def test_a_malformed_line_is_refused(tmp_path: Path) -> None:
    sums = tmp_path / "CHECKSUMS"
    sums.write_text("abc 0001_x.sql\n")
    with pytest.raises(AssertionError, match="line 1"):
        listed(sums)
