"""`make stress`: the tests marked ``race``, run again and again, stopping at the first failure.

One throwaway cluster serves every run: a database is migrated once, and each run gets a fresh copy
of it (``create database ... template``, handed to pytest through ``DATABASE_URL``), so every run
starts from a freshly migrated database, as ``make test`` does, without paying for the migrations.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from infra.embedded import DATABASE, Cluster
from shared.platform.migrate import apply_migrations


def _fresh_copy(cluster: Cluster, name: str) -> str:
    """A new database cloned from the migrated one (nobody is connected to it between runs)."""
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(DATABASE)))
    return cluster.url(name)


def _drop(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.stress", description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="how many times in a row (default 50)")
    parser.add_argument("--marker", default="race", help="the pytest marker to run (default race)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    root = Path(tempfile.mkdtemp(prefix="fintrack-stress-"))
    root.chmod(0o755)  # the server may run as an unprivileged user when this runs as root
    cluster = Cluster(root / "postgres")
    try:
        template = cluster.start()
        apply_migrations(template)
        command = [sys.executable, "-m", "pytest", "-m", args.marker, "-x", "-q", "-p", "no:cacheprovider"]
        started = time.monotonic()
        for run in range(1, args.runs + 1):
            env = {**os.environ, "DATABASE_URL": _fresh_copy(cluster, f"stress_{run}")}
            result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            _drop(cluster, f"stress_{run}")
            if result.returncode != 0:
                sys.stdout.write(result.stdout + result.stderr)
                sys.stdout.write(f"stress: run {run} of {args.runs} FAILED ({run - 1} passed before it)\n")
                return 1
            sys.stdout.write(f"stress: run {run}/{args.runs} passed ({time.monotonic() - started:.0f} s)\n")
            sys.stdout.flush()
        sys.stdout.write(f"stress: {args.runs} runs of the '{args.marker}' tests in a row, all passed\n")
        return 0
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
