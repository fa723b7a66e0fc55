"""`me` end to end over HTTP on the dev server, and the cost of impersonation per transaction.

Targets (2 cores): p95 < 5 ms at concurrency 1, < 25 ms at concurrency 16; user_transaction
overhead < 0.3 ms over a plain transaction running the same query.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.common import Client, dev_server, local_database, percentile, write
from infra import cli, local
from shared.platform import db
from shared.platform.settings import use_settings

WARMUP = 300
SEQUENTIAL = 3000
CONCURRENCY = 16
PER_THREAD = 250
TRANSACTIONS = 3000


def _latencies(port: int, token: str, count: int) -> list[float]:
    client = Client(port)
    out = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = client.request("GET", "/me", token)
        out.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"me answered {status}")
    client.close()
    return out


def _summary(latencies: list[float], seconds: float) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "requests_per_s": round(len(latencies) / seconds, 1),
    }


def http_figures(port: int, token: str) -> dict[str, Any]:
    _latencies(port, token, WARMUP)
    started = time.perf_counter()
    sequential = _latencies(port, token, SEQUENTIAL)
    c1 = _summary(sequential, time.perf_counter() - started)
    results: list[list[float]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_latencies(port, token, PER_THREAD))) for _ in range(CONCURRENCY)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    c16 = _summary([x for r in results for x in r], time.perf_counter() - started)
    return {"concurrency_1": c1, "concurrency_16": c16}


def _timed(block: Any, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        block()
    return (time.perf_counter() - started) * 1000 / count


def transaction_figures(claims: dict[str, Any], query: str) -> dict[str, float]:
    pool = db.get_pool()

    def plain() -> None:
        with pool.connection() as conn, conn.transaction():
            conn.execute(query).fetchall()

    def as_user() -> None:
        with db.user_transaction(claims) as conn:
            conn.execute(query).fetchall()

    for block in (plain, as_user):
        _timed(block, 300)
    rounds = [(_timed(plain, TRANSACTIONS // 3), _timed(as_user, TRANSACTIONS // 3)) for _ in range(3)]
    plain_ms = min(r[0] for r in rounds)
    user_ms = min(r[1] for r in rounds)
    return {
        "plain_ms": round(plain_ms, 4),
        "user_transaction_ms": round(user_ms, 4),
        "overhead_ms": round(user_ms - plain_ms, 4),
        "ratio": round(user_ms / plain_ms, 3),
    }


def main() -> None:
    url = local_database()
    cli.seed_demo(url)
    owner = next(u for u in cli.demo_users(url) if u["email"] == "owner@profitum.demo")
    token = local.issuer().mint(user_id=owner["user_id"], email=owner["email"], ttl=3600)
    with dev_server() as port:
        figures = http_figures(port, token)
    use_settings(local.local_settings(start_db=False))
    claims = {"sub": owner["user_id"], "email": owner["email"], "aud": "authenticated", "role": "authenticated"}
    figures["user_transaction_select_1"] = transaction_figures(claims, "select 1")
    figures["user_transaction_me_query"] = transaction_figures(claims, "select public.me()")
    figures["targets"] = {"c1_p95_ms": 5, "c16_p95_ms": 25, "user_transaction_overhead_ms": 0.3}
    write("me", figures)


if __name__ == "__main__":
    main()
