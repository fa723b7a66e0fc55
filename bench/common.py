"""What every benchmark writes beside its figures: when, on what machine."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import socket
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


def _ticks(pid: str, children_too: bool) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])  # utime, stime
    return used + (int(fields[13]) + int(fields[14]) if children_too else 0)  # + reaped children's


def cpu_seconds(pid: int | str) -> float | None:
    """CPU time a process has used so far with its children, live and reaped (the embedded cluster's
    postmaster with its backends, the dev server with its workers); None off Linux. Benchmarks on a
    shared machine use it to tell a figure's own cost from the wait for the cores."""
    try:
        total = _ticks(str(pid), True)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if stat.read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                    total += _ticks(stat.parent.name, False)
            except (OSError, IndexError):
                continue  # gone meanwhile
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def local_database() -> str:
    """The local stack's database, started and migrated."""
    from infra import cli, local

    url = local.database_url()
    if cli._migrate(url) != 0:
        raise SystemExit("migrations failed (try `fintrack db reset`)")
    return url


class Client:
    """One keep-alive HTTP/1.1 connection to the dev server, as lean as a client can be.

    The load generator shares the machine's cores with the server and the database it measures;
    http.client parses every response's headers with the email package, which costs the server
    side about a tenth of the machine at the benchmarks' rates. This reads the status and the
    Content-Length only (the dev server always sends one).
    """

    def __init__(self, port: int) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = b""

    def request(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, bytes]:
        payload = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self._socket.sendall(head.encode() + payload)
        while b"\r\n\r\n" not in self._pending:
            self._receive()
        header, _, data = self._pending.partition(b"\r\n\r\n")
        status = int(header[9:12])
        length = next(
            int(line.split(b":", 1)[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        self._pending = data
        while len(self._pending) < length:
            self._receive()
        data, self._pending = self._pending[:length], self._pending[length:]
        return status, data

    def json(self, method: str, path: str, token: str, body: Any = None) -> Any:
        """The decoded answer of a request that must succeed."""
        status, data = self.request(method, path, token, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def _receive(self) -> None:
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._pending += chunk

    def close(self) -> None:
        self._socket.close()


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
