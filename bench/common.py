"""What every benchmark writes beside its figures: when, on what machine."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def write(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "name": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **figures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return path


def local_database() -> str:
    """The local stack's database, started and migrated."""
    from infra import cli, local

    url = local.database_url()
    if cli._migrate(url) != 0:
        raise SystemExit("migrations failed (try `fintrack db reset`)")
    return url


@contextmanager
def dev_server() -> Iterator[int]:
    """`fintrack dev` on a free port, answering /healthz; stopped on exit. Yields the port."""
    from infra.embedded import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "dev", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(10)
