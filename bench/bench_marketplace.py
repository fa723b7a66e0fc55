"""Marketplace search, ranked candidates and concurrent accepts on 100 000 experts and 1 000 000 dossiers.

The data set (bench/marketplace_dataset.sql) is generated set-based in its own database of the
embedded cluster (`fintrack_bench_marketplace`, migrated like any other). Every query runs as an
authenticated client through `user_transaction`, exactly as the `assign` function does, against
the large organization (40 000 experts, 400 000 dossiers). Targets: search p95 < 15 ms (filters +
French text + match-score sort, page of 20), candidates p95 < 20 ms, zero invariant violations
after 16 clients accept offers concurrently. `--reuse` keeps an existing data set.
"""

from __future__ import annotations

import hashlib
import queue
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.common import percentile, write
from infra import local
from shared.marketplace import service
from shared.marketplace.models import SearchQuery
from shared.platform import db, errors
from shared.platform.migrate import apply_migrations
from shared.platform.settings import Secret, Settings, use_settings

DATABASE = "fintrack_bench_marketplace"
DATASET = Path(__file__).resolve().parent / "marketplace_dataset.sql"
LARGE_ORG = uuid.UUID(hashlib.md5(b"bench-org:1").hexdigest())  # noqa: S324 (an id, as the SQL derives it)
WARMUP, RUNS = 100, 1000
CLIENTS = 16
OFFERS = 4000
WORDS = [
    "fiscalite",
    "energie",
    "transport",
    "remboursement",
    "cotisations",
    "audit",
    "economies",
    "recouvrement",
    "creances",
    "agriculture",
    "optimisation",
    "charges",
    "comptable",
    "juridique",
    "negociation",
    "contrats",
]


def prepare(reuse: bool) -> tuple[str, float]:
    """The benchmark database's URL and how long generating it took (0 when reused)."""
    cluster = local.cluster()
    cluster.start()
    url = cluster.url(DATABASE)
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone()
        if exists and reuse:
            return url, 0.0
        conn.execute(f'drop database if exists "{DATABASE}" with (force)')
        conn.execute(f'create database "{DATABASE}"')
    apply_migrations(url)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(DATASET.read_text(encoding="utf-8").encode())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    return url, time.perf_counter() - started


def _claims(user: uuid.UUID) -> dict[str, Any]:
    return {"sub": str(user), "role": "authenticated", "aud": "authenticated", "email": ""}


def _sample(url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(client user, dossier waiting for an expert) pairs of the large organization."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select u.user_id, d.id from public.dossiers d join public.client_company_users u"
            " on u.company_id = d.client_company_id where d.organization_id = %s and d.status = 'admin_validated'"
            " order by d.id",
            (LARGE_ORG,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def _timed(runs: int, call: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(runs):
        started = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(latencies: list[float]) -> dict[str, float]:
    return {
        "runs": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
    }


def latency_figures(pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> dict[str, Any]:
    rng = random.Random(7)
    picks = [rng.choice(pairs) for _ in range(WARMUP + RUNS)]
    words = [rng.choice(WORDS) for _ in range(WARMUP + RUNS)]
    sizes: list[int] = []

    def search(i: int) -> None:
        user, dossier = picks[i]
        query = SearchQuery(dossier_id=dossier, q=words[i], available_now=True, language="fr", page_size=20)
        with db.user_transaction(_claims(user)) as conn:
            sizes.append(len(service.search(conn, query=query).items))

    def candidates(i: int) -> None:
        user, dossier = picks[i]
        with db.user_transaction(_claims(user)) as conn:
            service.candidates(conn, dossier_id=dossier, page_size=20, after=None)

    def browse(i: int) -> None:
        user, _ = picks[i]
        query = SearchQuery(product="ticpe", has_capacity=True, min_rating=3, page_size=20)
        with db.user_transaction(_claims(user)) as conn:
            service.search(conn, query=query)

    figures: dict[str, Any] = {}
    for name, call in (("search", search), ("candidates", candidates), ("browse_by_rating", browse)):
        _timed(WARMUP, call)
        figures[name] = _summary(_timed(RUNS, lambda i, c=call: c(WARMUP + i)))  # type: ignore[misc]
    figures["search"]["mean_results"] = round(sum(sizes) / len(sizes), 1)
    return figures


def _make_offers(url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Open offers on waiting dossiers of the large organization, concentrated on few experts so
    that accepts contend for capacity; returns (offer, expert user) pairs."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "select setseed(0.5), set_config('bench.org', %s, false), set_config('bench.offers', %s, false)",
            (str(LARGE_ORG), str(OFFERS)),
        )
        conn.execute(
            """
            do $$
            declare
              r record;
              org uuid := current_setting('bench.org')::uuid;
            begin
              for r in
                select d.id as dossier, pick.expert_id
                from (select x.id, x.product_code from public.dossiers x
                      where x.organization_id = org and x.status = 'admin_validated'
                      order by md5(x.id::text) limit current_setting('bench.offers')::int) d
                cross join lateral (
                  select m.expert_id from private.expert_match m
                  where m.organization_id = org and m.product_code = d.product_code and m.approved
                    and m.link_active and m.active and m.open_dossiers < m.capacity
                  order by m.expert_id limit 20) as pick
                where random() < 0.05
              loop
                begin
                  perform private.open_offer(r.dossier, r.expert_id, 'client_choice');
                exception when others then null;
                end;
              end loop;
            end $$
            """
        )
        rows = conn.execute(
            "select o.id, e.user_id from public.assignment_offers o join public.expert_profiles e on e.id = o.expert_id"
            " where o.organization_id = %s and o.status = 'offered' order by md5(o.id::text)",
            (LARGE_ORG,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def accept_figures(url: str) -> dict[str, Any]:
    work: queue.Queue[tuple[uuid.UUID, uuid.UUID]] = queue.Queue()
    for item in _make_offers(url):
        work.put(item)
    offered = work.qsize()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        while True:
            try:
                offer, user = work.get_nowait()
            except queue.Empty:
                return
            try:
                with db.user_transaction(_claims(user)) as conn:
                    service.accept(conn, offer_id=offer)
                outcome = "accepted"
            except errors.AppError as exc:
                outcome = exc.code
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "clients": CLIENTS,
        "offers": offered,
        "outcomes": dict(outcomes),
        "seconds": round(elapsed, 3),
        "accepted_per_s": round(outcomes["accepted"] / elapsed, 1),
        "answers_per_s": round(offered / elapsed, 1),
        "invariant_violations": violations(url),
    }


def violations(url: str) -> dict[str, int]:
    """Counts of rows breaking an invariant (all must be zero)."""
    checks = {
        "load_differs_from_dossiers": """
            select count(*) from public.expert_terms t where t.open_dossiers <> (
              select count(*) from public.dossiers d where d.expert_id = t.expert_id
                and not private.dossier_is_finished(d.status))""",
        "over_capacity": "select count(*) from public.expert_terms where open_dossiers > capacity",
        "several_open_offers": """select count(*) from (select dossier_id from public.assignment_offers
                                  where status = 'offered' group by dossier_id having count(*) > 1) x""",
        "accepted_but_other_expert": """select count(*) from public.assignment_offers o join public.dossiers d
                                        on d.id = o.dossier_id where o.status = 'accepted'
                                        and d.expert_id is distinct from o.expert_id""",
        "open_offer_to_ineligible": """select count(*) from public.assignment_offers o
                                       join public.expert_profiles e on e.id = o.expert_id
                                       where o.status = 'offered'
                                         and (e.approval_status <> 'approved' or e.activity <> 'active')""",
        "match_index_stale": """select count(*) from private.expert_match m join public.expert_terms t
                                on t.expert_id = m.expert_id where m.open_dossiers <> t.open_dossiers""",
    }
    with psycopg.connect(url) as conn:
        return {name: int(conn.execute(sql).fetchone()[0]) for name, sql in checks.items()}  # type: ignore[index]


def main(argv: list[str]) -> None:
    url, generation_seconds = prepare(reuse="--reuse" in argv)
    use_settings(Settings(database_url=Secret(url), db_pool_max=CLIENTS, statement_timeout_ms=30000))
    with psycopg.connect(url) as conn:
        counts = conn.execute(
            "select (select count(*) from public.expert_profiles), (select count(*) from public.dossiers),"
            " (select count(*) from public.expert_profiles where organization_id = %s),"
            " (select count(*) from public.dossiers where organization_id = %s)",
            (LARGE_ORG, LARGE_ORG),
        ).fetchone()
    assert counts is not None
    figures: dict[str, Any] = {
        "dataset": {
            "experts": counts[0],
            "dossiers": counts[1],
            "large_organization_experts": counts[2],
            "large_organization_dossiers": counts[3],
            "generation_seconds": round(generation_seconds, 1),
        },
    }
    figures.update(latency_figures(_sample(url)))
    figures["accepts"] = accept_figures(url)
    figures["targets"] = {"search_p95_ms": 15, "candidates_p95_ms": 20, "invariant_violations": 0}
    db.close_pool()
    write("marketplace", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
