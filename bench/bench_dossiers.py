"""The dossier workflow over HTTP on the dev server, with 1 000 000 dossiers and their events.

The data set (bench/dossiers_dataset.sql: 100 000 companies × 10 products, every status, 2 events
per moved dossier, the awaited action each status opens with its clock) is generated set-based in
its own database of the embedded cluster (`fintrack_bench_dossiers`, migrated like any other); the
dev server (`fintrack dev`) runs on it. Measured over HTTP with real tokens, as a front end calls them:
- a command (an expert puts one of their dossiers on hold, then resumes it: lock, transition check,
  status write, timeline event, Realtime broadcast) at concurrency 8 — target p95 < 15 ms;
- the admin list (filters + a keyset page of 50, then the next page) — target p95 < 20 ms;
- a dossier's detail with its timeline, checklist and allowed commands — target p95 < 10 ms.
The commands also run with 1, 2 and 4 experts at once (`command_by_concurrency`, 600 commands each):
the load generator, the dev server and the database share the machine's cores, and once every core is
busy a command's latency is mostly the others' work (8 at once on 2 cores: about 4 commands' CPU).
Each command figure carries the CPU it cost per command in the database, the dev server and the load
generator (`cpu_ms_per_command`). Last, `floor` measures the same concurrency of 8 on less: a GET
/healthz (one `select 1`), and the commands with what they set off turned off one part after another
(notifications, awaited-action clocks, broadcast, then every trigger of the dossier and its timeline).
`--reuse` keeps an existing data set of the same size. `--all` also runs bench_documents and
bench_invoices on the same database (DATABASE_URL), so every figure of the issue is taken beside the
same 1 000 000 dossiers (they write documents.json and invoices.json, with the database's dossier
count). `--companies N` (default 100 000, the full run) scales the data set down for development:
N companies, 10 N dossiers; a reduced run writes bench/results/dossiers_<dossiers>.json, the full
one bench/results/dossiers.json. The machine's load average is noted beside each measurement (the
machine is shared).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from bench.common import Client, cpu_seconds, percentile, write
from infra import local
from infra.embedded import free_port
from shared.platform.migrate import apply_migrations

DATABASE = "fintrack_bench_dossiers"
DATASET = Path(__file__).resolve().parent / "dossiers_dataset.sql"
ORG = uuid.UUID(hashlib.md5(b"bench-dossiers-org").hexdigest())  # noqa: S324 (an id, as the SQL derives it)
CONCURRENCY = 8
COMMAND_PAIRS_PER_THREAD = 150
COMMAND_SWEEP = (1, 2, 4)  # 600 commands each
WARMUP, RUNS = 100, 1000
FULL_COMPANIES = 100_000


def _id(text: str) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(text.encode()).hexdigest())  # noqa: S324 (ids, as the SQL derives them)


def load() -> dict[str, float]:
    """The machine's load averages (1, 5, 15 minutes), as `uptime` shows them."""
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "load_15m": round(fifteen, 2)}


def _companies(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from public.client_companies where organization_id = %s", (ORG,)).fetchone()
    return int(row[0]) if row else 0


def prepare(reuse: bool, companies: int) -> tuple[str, float]:
    """The benchmark database's URL and how long generating it took (0 when reused)."""
    cluster = local.cluster()
    cluster.start()
    url = cluster.url(DATABASE)
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone()
        if exists and reuse and _companies(url) == companies:
            apply_migrations(url)
            with psycopg.connect(url, autocommit=True) as reused:
                # a run killed during its floor left the triggers it had turned off
                for table in ("public.dossiers", "public.dossier_events"):
                    reused.execute(f"alter table {table} enable trigger user")
            return url, 0.0
        conn.execute(f'drop database if exists "{DATABASE}" with (force)')
        conn.execute(f'create database "{DATABASE}"')
    apply_migrations(url)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("select set_config('bench.companies', %s, true)", (str(companies),))
        conn.execute(DATASET.read_text(encoding="utf-8").encode())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    return url, time.perf_counter() - started


@contextmanager
def dev_server(url: str) -> Iterator[tuple[int, int]]:
    """`fintrack dev` on the benchmark database, on a free port; stopped on exit. Yields its port and
    its process id (gunicorn's arbiter, whose children are the workers)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "dev", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(20)


def _token(user: uuid.UUID, email: str) -> str:
    return local.issuer().mint(user_id=str(user), email=email, ttl=7200)


def _summary(latencies: list[float], seconds: float | None = None) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
    }
    if seconds:
        figures["requests_per_s"] = round(len(latencies) / seconds, 1)
    return figures


def _timed(client: Client, method: str, path: str, token: str, body: Any = None) -> float:
    started = time.perf_counter()
    status, data = client.request(method, path, token, body)
    elapsed = (time.perf_counter() - started) * 1000
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
    return elapsed


def command_figures(
    server: tuple[int, int], url: str, concurrency: int = CONCURRENCY, pairs: int = COMMAND_PAIRS_PER_THREAD
) -> dict[str, Any]:
    """Each of ``concurrency`` threads is one expert holding and resuming ``pairs`` of their own dossiers.

    The experts are the first of the 16 with dossiers in audit (the data set's spread leaves some without).
    Beside the latencies, the machine's CPU time per command in each process: the database (every
    backend, autovacuum included), the dev server and this load generator."""
    port, server_pid = server
    with psycopg.connect(url) as conn:
        work: dict[int, list[uuid.UUID]] = {}
        for n in range(1, 17):
            rows = conn.execute(
                "select id from public.dossiers where expert_id = %s and status = 'audit_in_progress'"
                " order by id limit %s",
                (_id(f"bench-expert:{n}"), pairs + (10 if not work else 0)),
            ).fetchall()
            if rows and len(work) < concurrency:
                work[n] = [row[0] for row in rows]
    if len(work) < concurrency:
        raise SystemExit(f"only {len(work)} experts have dossiers in audit: the data set is too small")
    results: list[list[float]] = []
    lock = threading.Lock()

    def expert(n: int) -> None:
        token = _token(_id(f"bench-user:{n}"), f"expert{n:02d}@bench.test")
        client = Client(port)
        mine: list[float] = []
        for dossier in work[n]:
            base = f"/dossier/dossiers/{dossier}"
            mine.append(_timed(client, "POST", f"{base}/hold", token, {"reason": "Attente du client"}))
            mine.append(_timed(client, "POST", f"{base}/resume", token, {}))
        client.close()
        with lock:
            results.append(mine)

    first = next(iter(work))
    warm = work[first][:10]
    work[first] = work[first][10:]
    token = _token(_id(f"bench-user:{first}"), f"expert{first:02d}@bench.test")
    client = Client(port)
    for dossier in warm:
        _timed(client, "POST", f"/dossier/dossiers/{dossier}/hold", token, {"reason": "Échauffement"})
        _timed(client, "POST", f"/dossier/dossiers/{dossier}/resume", token, {})
    client.close()
    threads = [threading.Thread(target=expert, args=(n,)) for n in work]
    cpu_before = _cpu(server_pid)
    seconds = _together(threads)
    figures = _summary([x for r in results for x in r], seconds)
    figures["cpu_ms_per_command"] = _cpu_per_command(cpu_before, _cpu(server_pid), int(figures["requests"]))
    figures["concurrency"] = len(threads)
    figures["experts"] = sorted(work)
    return figures


def _together(threads: list[threading.Thread]) -> float:
    """Starts the threads at once and waits for them all; the seconds it took."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _cpu(server_pid: int) -> dict[str, float | None]:
    postmaster = (local.cluster().data_dir / "postmaster.pid").read_text().split()[0]
    return {
        "database": cpu_seconds(postmaster),
        "dev_server": cpu_seconds(server_pid),
        "load_generator": time.process_time(),
    }


def _cpu_per_command(
    before: dict[str, float | None], after: dict[str, float | None], commands: int
) -> dict[str, float]:
    """Milliseconds of CPU per command in each process, and in all (what the machine's cores must give)."""
    spent = {
        name: round((end - start) * 1000 / commands, 2)
        for name, end in after.items()
        if end is not None and (start := before[name]) is not None
    }
    return {**spent, "total": round(sum(spent.values()), 2)}


# What a command does beyond its own write, in the order the floor takes it away (table, trigger):
# the notification fan-out, the awaited-action clocks, the Realtime broadcast of the timeline.
WITHOUT = (
    ("notifications", "public.dossier_events", "dossier_events_fan_out"),
    ("clocks", "public.dossiers", "dossiers_track_awaited_actions"),
    ("broadcast", "public.dossier_events", "dossier_events_broadcast"),
)


def floor_figures(server: tuple[int, int], url: str) -> dict[str, Any]:
    """What any request, and the command without what it sets off, cost here at the same concurrency of 8.

    - `healthz_at_8`: GET /healthz from 8 clients: one `select 1` in a transaction, no token. The floor
      of a request through the dev server and the pool, whatever it does.
    - `command_at_8_without`: the same hold/resume commands with, cumulatively, the notification
      fan-out, then the awaited-action clocks, then the broadcast turned off (their triggers disabled),
      and last every trigger of the dossier and its timeline: what remains is the lock, the transition
      check, the status write and the timeline row. The triggers are enabled again before returning;
      run last, since the clocks of the dossiers moved meanwhile were not paused and resumed.
    """
    port, server_pid = server
    latencies: list[list[float]] = []
    lock = threading.Lock()

    def client() -> None:
        connection = Client(port)
        mine = [_timed(connection, "GET", "/healthz", "") for _ in range(300)]
        connection.close()
        with lock:
            latencies.append(mine)

    before = _cpu(server_pid)
    seconds = _together([threading.Thread(target=client) for _ in range(CONCURRENCY)])
    healthz = _summary([x for r in latencies for x in r], seconds)
    healthz["cpu_ms_per_request"] = _cpu_per_command(before, _cpu(server_pid), int(healthz["requests"]))
    without: dict[str, Any] = {}
    disabled: list[tuple[str, str]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            for name, table, trigger in WITHOUT:
                conn.execute(f"alter table {table} disable trigger {trigger}")
                disabled.append((table, trigger))
                without[f"and_{name}" if without else name] = command_figures(server, url)
            for table in ("public.dossiers", "public.dossier_events"):
                enabled = conn.execute(
                    "select tgname from pg_trigger where tgrelid = %s::regclass and not tgisinternal"
                    " and tgenabled = 'O'",
                    (table,),
                ).fetchall()
                for (trigger,) in enabled:
                    conn.execute(f'alter table {table} disable trigger "{trigger}"')
                    disabled.append((table, trigger))
            without["any_trigger"] = command_figures(server, url)
        finally:
            for table, trigger in disabled:
                conn.execute(f'alter table {table} enable trigger "{trigger}"')
    return {"healthz_at_8": healthz, "command_at_8_without": without}


def _sequential(port: int, token: str, paths: Callable[[int], str], second: bool = False) -> dict[str, Any]:
    client = Client(port)
    for i in range(WARMUP):
        _timed(client, "GET", paths(i), token)
    latencies = []
    for i in range(RUNS):
        if second:
            started = time.perf_counter()
            page = client.json("GET", paths(WARMUP + i), token)
            latencies.append((time.perf_counter() - started) * 1000)
            cursor = page["next_cursor"]
            if cursor:
                latencies.append(_timed(client, "GET", f"{paths(WARMUP + i)}&after={cursor}", token))
        else:
            latencies.append(_timed(client, "GET", paths(WARMUP + i), token))
    client.close()
    return _summary(latencies)


def read_figures(port: int, url: str) -> dict[str, Any]:
    admin = _token(_id("bench-user:0"), "admin@bench.test")
    rng = random.Random(11)
    with psycopg.connect(url) as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "select id from public.dossiers where organization_id = %s and status <> 'pending_upload'"
                " order by md5(id::text) limit 5000",
                (ORG,),
            ).fetchall()
        ]
        statuses = [row[0] for row in conn.execute("select code from public.dossier_statuses").fetchall()]
        products = [row[0] for row in conn.execute("select code from public.products where active").fetchall()]
    filters = []
    for _ in range(WARMUP + RUNS):
        choice = rng.randrange(4)
        if choice == 0:
            filters.append(f"status={rng.choice(statuses)}&product={rng.choice(products)}")
        elif choice == 1:
            filters.append(f"step={rng.randint(1, 8)}&min_amount=5000&max_amount=60000&priority={rng.randint(1, 3)}")
        elif choice == 2:
            filters.append(f"waiting_on_me=true&product={rng.choice(products)}")
        else:
            filters.append(f"expert_id={_id(f'bench-expert:{rng.randint(1, 16)}')}&updated_from=2026-01-01")
    picks = [rng.choice(ids) for _ in range(WARMUP + RUNS)]
    before = load()
    listed = _sequential(port, admin, lambda i: f"/dossier/dossiers?page_size=50&{filters[i]}", True)
    listed = {**listed, "load_before": before, "load_after": load()}
    before = load()
    detail = _sequential(port, admin, lambda i: f"/dossier/dossiers/{picks[i]}")
    detail = {**detail, "load_before": before, "load_after": load()}
    return {"admin_list_page_of_50": listed, "detail_with_timeline": detail}


def main(argv: list[str]) -> None:
    companies = int(argv[argv.index("--companies") + 1]) if "--companies" in argv else FULL_COMPANIES
    if companies < 100:
        raise SystemExit("--companies: at least 100")
    url, generation_seconds = prepare(reuse="--reuse" in argv, companies=companies)
    with psycopg.connect(url) as conn:
        counts = conn.execute(
            "select (select count(*) from public.dossiers), (select count(*) from public.dossier_events),"
            " (select count(*) from public.awaited_actions)"
        ).fetchone()
    assert counts is not None
    figures: dict[str, Any] = {
        "dataset": {
            "dossiers": counts[0],
            "events": counts[1],
            "awaited_actions": counts[2],
            "generation_seconds": round(generation_seconds, 1),
            "full_size": companies == FULL_COMPANIES,
        }
    }
    with dev_server(url) as server:
        before = load()
        figures["command_hold_resume"] = {**command_figures(server, url), "load_before": before, "load_after": load()}
        figures.update(read_figures(server[0], url))
        # the same commands at fewer experts at once: on a machine with few cores, the latency at 8 is
        # mostly each command waiting for the others (Little's law). After the reads, which thus run
        # beside as many commands' dead row versions as in earlier runs.
        figures["command_by_concurrency"] = {str(c): command_figures(server, url, c, 300 // c) for c in COMMAND_SWEEP}
        figures["floor"] = floor_figures(server, url)
    figures["targets"] = {"command_p95_ms_at_c8": 15, "admin_list_p95_ms": 20, "detail_p95_ms": 10}
    write("dossiers" if companies == FULL_COMPANIES else f"dossiers_{counts[0]}", figures)
    if "--all" in argv:
        # The other two figures on the same database (its 1 000 000 dossiers beside them):
        # upload completion of a 5 MB file and invoices per second, each its own process.
        for name in ("bench_documents", "bench_invoices"):
            print(f"== {name} on {DATABASE}", flush=True)
            subprocess.run([sys.executable, "-m", f"bench.{name}"], env={**os.environ, "DATABASE_URL": url}, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
