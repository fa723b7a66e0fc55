"""Test-wide fixtures: one throwaway PostgreSQL per run (or DATABASE_URL), migrated once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.embedded import Cluster
from shared.platform.migrate import apply_migrations


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A migrated database: DATABASE_URL when set, else a private cluster started for this run."""
    external = os.environ.get("DATABASE_URL")
    if external:
        apply_migrations(external)
        yield external
        return
    root = Path(tempfile.mkdtemp(prefix="fintrack-test-"))
    root.chmod(0o755)  # the server may run as an unprivileged user when tests run as root
    cluster = Cluster(root / "postgres")
    try:
        url = cluster.start()
        apply_migrations(url)
        yield url
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)
