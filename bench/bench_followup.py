"""The reminder sweep on 1 000 000 dossiers with 1 000 000 open awaited actions.

The data set (bench/followup_dataset.sql: 20 organizations × 5 000 companies × 10 products, one
client user per company, one open running action per dossier) is generated set-based in its own
database of the embedded cluster (`fintrack_bench_followup`, migrated like any other). 50 000
instances, spread at random over the organizations and companies, have their reminder due before the
sweep instant T (a Tuesday, 10:00 in Paris: working time). Measured through the use case the
`followup-sweep` cron runs (``shared.followup.service.sweep``), per organization in its own transaction:
- an idle sweep (nothing due: T - 4 h) — target < 1 s;
- the sweep at T: 50 000 steps ledgered, in-app reminders written, one email per recipient rendered
  by the notification templates and queued — target < 10 s;
- a rerun at T, which must send nothing (idle again).
`--reuse` keeps an existing data set; `--small` runs 10 000 dossiers with 500 due while developing.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from bench.common import cpu_seconds, write
from infra import local
from shared.followup import service
from shared.platform import db
from shared.platform.migrate import apply_migrations
from shared.platform.settings import Secret, Settings, use_settings

DATABASE = "fintrack_bench_followup"
DATASET = Path(__file__).resolve().parent / "followup_dataset.sql"
T = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
FULL = {"orgs": 20, "companies": 5000, "due": 50000}
SMALL = {"orgs": 2, "companies": 500, "due": 500}
MEDIUM = {"orgs": 4, "companies": 2500, "due": 5000}


def prepare(reuse: bool, scale: dict[str, int]) -> tuple[str, float]:
    """The benchmark database's URL and how long generating it took (0 when reused)."""
    cluster = local.cluster()
    cluster.start()
    url = cluster.url(DATABASE)
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone()
        if exists and reuse:
            apply_migrations(url)
            return url, 0.0
        conn.execute(f'drop database if exists "{DATABASE}" with (force)')
        conn.execute(f'create database "{DATABASE}"')
    apply_migrations(url)
    started = time.perf_counter()
    text = DATASET.read_text(encoding="utf-8").format(T=f"'{T.isoformat()}'::timestamptz", **scale)
    with psycopg.connect(url) as conn:
        conn.execute(text.encode())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    return url, time.perf_counter() - started


def database_cpu_seconds() -> float | None:
    """CPU time the embedded cluster has used so far, to tell the sweep's own cost from the wait for a
    shared machine's cores; None off Linux."""
    try:
        return cpu_seconds((local.cluster().data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError):
        return None


def reset(url: str) -> None:
    """Forget what an earlier run sent, so that the due instances are due again (for --reuse)."""
    with psycopg.connect(url) as conn:
        conn.execute("delete from public.email_outbox where event in ('reminder', 'critical_reminder')")
        conn.execute("delete from public.notifications where dedupe_key like 'reminder:%'")
        conn.execute("delete from public.reminder_ledger")
        conn.execute(
            "update public.awaited_actions set next_step_at = target_at"
            " where closed_at is null and next_step_at is distinct from target_at"
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "vacuum analyze public.awaited_actions, public.reminder_ledger, public.notifications,"
            " public.email_outbox, public.reminder_messages"
        )


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select (select count(*) from public.dossiers) as dossiers,"
            " (select count(*) from public.awaited_actions where closed_at is null) as open_instances,"
            " (select count(*) from public.reminder_ledger where status = 'sent') as ledger_sent,"
            " (select count(*) from public.notifications where dedupe_key like 'reminder:%') as notifications,"
            " (select count(*) from public.email_outbox where event = 'reminder') as emails,"
            " (select count(*) from public.reminder_messages) as email_links"
        ).fetchone()
    assert row is not None
    return {
        name: int(value)
        for name, value in zip(
            ("dossiers", "open_instances", "ledger_sent", "notifications", "emails", "email_links"), row, strict=True
        )
    }


def main(argv: list[str]) -> int:
    scale = SMALL if "--small" in argv else MEDIUM if "--medium" in argv else FULL
    url, generated = prepare("--reuse" in argv, scale)
    if generated == 0.0:
        reset(url)
    settings = Settings(database_url=Secret(url), signing_secret=Secret("bench-signing-secret"))
    use_settings(settings)
    try:
        service.sweep(settings, now=T - timedelta(hours=4))  # warm the pool and the plans
        idle = []
        for _ in range(5):
            out = service.sweep(settings, now=T - timedelta(hours=4))
            assert out.steps_sent == 0, out
            idle.append(out.seconds)
        load_before = os.getloadavg()  # the machine is shared: what else ran shows in the figures
        db_cpu, py_cpu = database_cpu_seconds(), time.process_time()
        due = service.sweep(settings, now=T)
        py_cpu = time.process_time() - py_cpu
        db_after = database_cpu_seconds()
        db_cpu = None if db_cpu is None or db_after is None else db_after - db_cpu
        load_after = os.getloadavg()
        rerun = service.sweep(settings, now=T)
        after = counts(url)
    finally:
        db.close_pool()
    assert due.steps_sent == scale["due"], due
    assert rerun.steps_sent == 0 and after["ledger_sent"] == scale["due"], (rerun, after)
    assert after["email_links"] == scale["due"], after
    figures = {
        "scale": scale,
        "dataset_seconds": round(generated, 1),
        "counts": after,
        "idle_sweep_s": {"median": round(statistics.median(idle), 3), "max": round(max(idle), 3), "target": 1.0},
        "due_sweep": {
            **due.model_dump(),
            "target_s": 10.0,
            # CPU the sweep itself used (its Python process, the database's processes): on 2 free cores
            # it needs at least their sum / 2; wall time above that is waiting for the shared machine
            "cpu_s": {"python": round(py_cpu, 2), "database": None if db_cpu is None else round(db_cpu, 2)},
        },
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in load_after],
        },
        "rerun_at_T": rerun.model_dump(),
    }
    if scale is FULL:
        write("followup_sweep", figures)
    else:
        print(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
