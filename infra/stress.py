"""`make stress`: the tests marked ``race``, run again and again, stopping at the first failure.

One throwaway cluster serves every run (started and migrated once, handed to pytest through
``DATABASE_URL``), so the runs spend their time racing rather than starting PostgreSQL.
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

from infra.embedded import Cluster
from shared.platform.migrate import apply_migrations


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
        url = cluster.start()
        apply_migrations(url)
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, "-m", "pytest", "-m", args.marker, "-x", "-q", "-p", "no:cacheprovider"]
        started = time.monotonic()
        for run in range(1, args.runs + 1):
            result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
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
