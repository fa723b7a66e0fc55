"""The embedded cluster: starts, is reused on a second start, stops cleanly, starts again."""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg

from infra.embedded import Cluster, find_binaries


def test_cluster_lifecycle() -> None:
    root = Path(tempfile.mkdtemp(prefix="fintrack-embedded-"))
    root.chmod(0o755)
    cluster = Cluster(root / "pg")
    try:
        url = cluster.start()
        assert cluster.is_running()
        with psycopg.connect(url) as conn:
            conn.execute("create table kept (id int)")
            conn.commit()
        assert cluster.start() == url  # a second start reuses the running cluster
        cluster.stop()
        assert not cluster.is_running()
        again = cluster.start()  # a stopped cluster starts again with its data
        with psycopg.connect(again) as conn:
            assert conn.execute("select to_regclass('public.kept')::text").fetchone() == ("kept",)
    finally:
        cluster.destroy()
    assert not cluster.is_running()


def test_server_binaries_are_postgresql_15_or_newer() -> None:
    assert (find_binaries() / "pg_ctl").exists()
