"""Upload completion of a 5 MB file over HTTP on the dev server, local storage.

Each round starts an upload (a new version of one document), sends the 5 MB PDF to the dev server's
storage endpoint with the signed form (not timed), then times ``POST /documents/uploads/<id>/complete``
— the object's size, its first bytes, its SHA-256, the database's checks and writes. Everything the
run made (versions, files) is removed at the end, so runs do not slow the next ones.

Target (2 cores): p95 < 50 ms.
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

from bench.common import Client, dev_server, local_database, percentile, write
from infra import cli, local
from shared.documents.service import documents_storage

WARMUP = 10
ROUNDS = 200
SIZE = 5 * 1024 * 1024
CLIENT_EMAIL = "client1@profitum.demo"


def _pdf(size: int) -> bytes:
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return head + os.urandom(size - len(head) - 6) + b"\n%%EOF"


def _dossier(url: str, user_id: str) -> str:
    """The demo client's URSSAF dossier (sql/seed/demo_documents.sql)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select d.id from public.dossiers d"
            " join public.client_company_users u on u.company_id = d.client_company_id"
            " where u.user_id = %s and d.product_code = 'urssaf'",
            (user_id,),
        ).fetchone()
    if row is None:
        raise SystemExit("the demo URSSAF dossier is missing (sql/seed/demo_documents.sql)")
    return str(row[0])


def _rounds(
    port: int, token: str, dossier: str, data: bytes, count: int, document: str | None
) -> tuple[list[float], str]:
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    client = Client(port)
    latencies: list[float] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for _ in range(count):
            body: dict[str, Any] = {
                "document_type": "releves_cotisations",
                "file_name": "releves.pdf",
                "size": len(data),
            }
            if document:
                body["document_id"] = document
            started = http.post(f"/documents/dossiers/{dossier}/uploads", json=body)
            if started.status_code != 201:
                raise RuntimeError(f"upload start: {started.status_code} {started.text[:300]}")
            out = started.json()
            document = out["document_id"]
            form = out["upload"]
            sent = http.post(urlsplit(form["url"]).path, data=form["fields"], files={"file": ("releves.pdf", data)})
            if sent.status_code != 204:
                raise RuntimeError(f"storage upload: {sent.status_code} {sent.text[:300]}")
            begun = time.perf_counter()
            status, answer = client.request("POST", f"/documents/uploads/{out['version_id']}/complete", token)
            latencies.append((time.perf_counter() - begun) * 1000)
            if status != 200:
                raise RuntimeError(f"complete: {status} {answer[:300]!r}")
    client.close()
    assert document is not None
    return latencies, document


def _clean(url: str, document: str) -> None:
    storage = documents_storage(local.local_settings(start_db=False))
    with psycopg.connect(url) as conn:
        keys = [r[0] for r in conn.execute("select storage_key from public.document_versions where document_id = %s",
                                           (document,)).fetchall()]  # fmt: skip
        conn.execute("update public.document_request_items set state = 'open', document_id = null"
                     " where document_id = %s", (document,))  # fmt: skip
        conn.execute("delete from public.documents where id = %s", (document,))
    for key in keys:
        storage.delete(key)


def _dossiers(url: str) -> int:
    """How many dossiers the measured database holds (every organization)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from public.dossiers").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    url = local_database()
    cli.seed_demo(url)
    client = next(u for u in cli.demo_users(url) if u["email"] == CLIENT_EMAIL)
    token = local.issuer().mint(user_id=client["user_id"], email=client["email"], ttl=3600)
    dossier = _dossier(url, client["user_id"])
    data = _pdf(SIZE)
    document = None
    try:
        with dev_server() as port:
            _, document = _rounds(port, token, dossier, data, WARMUP, None)
            started = time.perf_counter()
            latencies, document = _rounds(port, token, dossier, data, ROUNDS, document)
            seconds = time.perf_counter() - started
    finally:
        if document:
            _clean(url, document)
    write(
        "documents",
        {
            "upload_completion_5mb": {
                "file_bytes": SIZE,
                "completions": len(latencies),
                "p50_ms": round(percentile(latencies, 50), 3),
                "p95_ms": round(percentile(latencies, 95), 3),
                "p99_ms": round(percentile(latencies, 99), 3),
                "max_ms": round(max(latencies), 3),
                "rounds_per_s_including_uploads": round(len(latencies) / seconds, 1),
            },
            "storage": "local (dev server)",
            "database_dossiers": _dossiers(url),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),  # the machine is shared
            "targets": {"upload_completion_5mb_p95_ms": 50},
        },
    )


if __name__ == "__main__":
    main()
