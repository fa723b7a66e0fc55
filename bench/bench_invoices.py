"""Invoices issued per second with 16 concurrent refund confirmations, over HTTP on the dev server.

A fresh organization (its seller identity set) gets one admin and 16 × ROUNDS dossiers whose refund
the administration granted, rates frozen. Sixteen clients, one keep-alive connection each, confirm
their share at once through ``POST /dossier/dossiers/<id>/confirm-refund``: each call locks its
dossier, checks the payload and the invoice's data, takes the organization's PROF counter row for
the year, issues the invoice (waterfall, parties), appends to the audit chain, writes the timeline
and moves the dossier. All numbers must then be 1…N, no gap, no duplicate. The Factur-X rendering of
a few invoices (PDF/A-3 + CII XML, stored once) is timed separately through
``GET /invoices/<id>/document``.

Invoices are immutable and never deleted: each run leaves its organization behind in the local
database (a few hundred rows), under a name saying so.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from zoneinfo import ZoneInfo

import psycopg

from bench.common import Client, dev_server, local_database, percentile, write
from infra import local

CONCURRENCY = 16
WARMUP = 2  # per client
ROUNDS = 25  # per client, timed
RENDERS = 10
CONFIRM = {"refund_amount": "10000.00", "refund_date": "2026-10-01", "payment_reference": "BENCH"}


def _siren(seed: int) -> str:
    body = f"{seed % 100_000_000:08d}"
    for key in "0123456789":
        total = 0
        for index, char in enumerate(body + key):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return body + key
    raise AssertionError("one key always completes a Luhn number")


def _organization(url: str, dossiers: int) -> tuple[str, str, list[str]]:
    """A new organization ready to invoice: its id, its admin's id and its refundable dossiers."""
    stamp = uuid.uuid4().hex[:10]
    seed = int(stamp, 16)
    with psycopg.connect(url) as conn:
        org = conn.execute(
            "insert into public.organizations (name, slug, legal_name, siren, vat_number, address, postal_code, city)"
            " values (%s, %s, 'Bench Factures SAS', %s, %s, '1 rue du Test', '75001', 'Paris') returning id",
            (f"Bench invoices {stamp} (left by bench_invoices)", f"bench-inv-{stamp}", _siren(seed),
             f"FR{(12 + 3 * (int(_siren(seed)) % 97)) % 97:02d}{_siren(seed)}"),
        ).fetchone()[0]  # type: ignore[index]  # fmt: skip
        admin = uuid.uuid4()
        conn.execute(
            "insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)"
            " values (%s, 'authenticated', 'authenticated', %s, '{}', now(), now())",
            (admin, f"bench-{stamp}@bench.invalid"),
        )
        conn.execute("insert into public.memberships (organization_id, user_id, role) values (%s, %s, 'admin')",
                     (org, admin))  # fmt: skip
        made: list[str] = []
        for index in range(dossiers):
            company = conn.execute(
                "insert into public.client_companies (organization_id, name, siren, address, postal_code, city,"
                " departement) values (%s, %s, %s, '2 quai Test', '69002', 'Lyon', '69') returning id",
                (org, f"Client {index}", _siren(seed + index + 1)),
            ).fetchone()[0]  # type: ignore[index]
            dossier = conn.execute(
                "insert into public.dossiers (organization_id, client_company_id, product_code, status,"
                " audit_amount, audited_amount, client_fee_rate, platform_fee_rate, rates_frozen_at, claimed_amount,"
                " granted_amount, decision, decided_on) values (%s, %s, 'ticpe', 'result_recorded', 10000, 10000,"
                " 0.30, 0.30, now(), 10000, 10000, 'accepte', '2026-09-01') returning id",
                (org, company),
            ).fetchone()[0]  # type: ignore[index]
            made.append(str(dossier))
    return str(org), str(admin), made


def _confirm_all(port: int, token: str, shares: list[list[str]]) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    numbers: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(shares) + 1)

    def run(share: list[str]) -> None:
        client = Client(port)
        try:
            start.wait(timeout=60)
            for dossier in share:
                begun = time.perf_counter()
                answer = client.json("POST", f"/dossier/dossiers/{dossier}/confirm-refund", token, CONFIRM)
                spent = (time.perf_counter() - begun) * 1000
                with lock:
                    latencies.append(spent)
                    numbers.append(answer["result"]["invoice"]["number"])
        except BaseException as exc:  # reported by the main thread
            with lock:
                failures.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise failures[0]
    return latencies, numbers, seconds


def _gaps(url: str, org: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select count(*), count(distinct number), coalesce(max(sequence), 0) from public.invoices"
            " where organization_id = %s",
            (org,),
        ).fetchone()
    assert row is not None
    count, distinct, last = (int(v) for v in row)
    return {"invoices": count, "duplicates": count - distinct, "gaps": last - count}


def _dossiers(url: str) -> int:
    """How many dossiers the measured database holds (every organization)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from public.dossiers").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    url = local_database()
    per_client = WARMUP + ROUNDS
    org, admin, dossiers = _organization(url, CONCURRENCY * per_client)
    token = local.issuer().mint(user_id=admin, email="bench@bench.invalid", ttl=3600)
    warm = [dossiers[i * per_client : i * per_client + WARMUP] for i in range(CONCURRENCY)]
    timed = [dossiers[i * per_client + WARMUP : (i + 1) * per_client] for i in range(CONCURRENCY)]
    with dev_server() as port:
        _confirm_all(port, token, warm)
        load_before = os.getloadavg()
        latencies, numbers, seconds = _confirm_all(port, token, timed)
        load_after = os.getloadavg()
        client = Client(port)
        renders: list[float] = []
        with psycopg.connect(url) as conn:
            ids = [str(r[0]) for r in conn.execute(
                "select id from public.invoices where organization_id = %s order by sequence limit %s", (org, RENDERS)
            ).fetchall()]  # fmt: skip
        for invoice in ids:
            begun = time.perf_counter()
            client.json("GET", f"/invoices/{invoice}/document", token)
            renders.append((time.perf_counter() - begun) * 1000)
        client.close()
    checked = _gaps(url, org)
    year = dt.datetime.now(ZoneInfo("Europe/Paris")).year
    expected = {f"PROF-{year}-{n:04d}" for n in range(CONCURRENCY * WARMUP + 1, CONCURRENCY * per_client + 1)}
    write(
        "invoices",
        {
            "confirm_refund_concurrent": {
                "concurrency": CONCURRENCY,
                "invoices_timed": len(latencies),
                "invoices_per_s": round(len(latencies) / seconds, 1),
                "p50_ms": round(percentile(latencies, 50), 3),
                "p95_ms": round(percentile(latencies, 95), 3),
                "max_ms": round(max(latencies), 3),
                "numbers_as_expected": set(numbers) == expected,
                **checked,
                # the machine is shared: its load averages (1, 5, 15 min) around the measurement
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in load_after],
            },
            "database_dossiers": _dossiers(url),
            "factur_x_first_download": {
                "documents": len(renders),
                "p50_ms": round(percentile(renders, 50), 3),
                "max_ms": round(max(renders), 3),
            },
            "route": "POST /dossier/dossiers/{id}/confirm-refund (no rendering); GET /invoices/{id}/document",
            "targets": {"gaps": 0},
        },
    )


if __name__ == "__main__":
    main()
