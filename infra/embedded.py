"""A private PostgreSQL cluster for the local stack and the tests.

It uses the machine's PostgreSQL >= 15 server binaries (PATH, then /usr/lib/postgresql/*/bin) or,
when there are none, those of the ``pgserver`` wheel. PostgreSQL refuses to run as root, so under
root the cluster runs as an unprivileged system user created on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MIN_MAJOR = 15
RUN_AS = "fintrack-pg"
DATABASE = "fintrack"


class EmbeddedError(Exception):
    """The embedded cluster could not be found, created, started or stopped."""


def _major(bindir: Path) -> int:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(match.group(1)) if match else 0


def system_binaries() -> Path | None:
    """The machine's PostgreSQL >= 15 server binaries, if any (PATH, then /usr/lib/postgresql)."""
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
    candidates.extend(versions)
    for bindir in candidates:
        if all((bindir / tool).exists() for tool in ("postgres", "initdb", "pg_ctl")):
            with contextlib.suppress(OSError, subprocess.CalledProcessError):
                if _major(bindir) >= MIN_MAJOR:
                    return bindir
    return None


def find_binaries() -> Path:
    """The folder holding ``postgres``, ``initdb`` and ``pg_ctl``: the machine's, else pgserver's."""
    found = system_binaries()
    if found is not None:
        return found
    try:
        import pgserver
    except ImportError as exc:
        raise EmbeddedError(
            "no PostgreSQL >= 15 server binaries found and the pgserver wheel is not installed "
            "(pip install 'pgserver==0.1.4')"
        ) from exc
    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    if not (bindir / "pg_ctl").exists():
        raise EmbeddedError(f"pgserver is installed but {bindir} has no pg_ctl")
    return bindir


def _service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(RUN_AS)


def _reachable_by(user: pwd.struct_passwd, path: Path) -> bool:
    """Whether ``user`` can traverse every ancestor of ``path`` (a mode-bit check, no ACLs)."""
    for parent in path.resolve().parents:
        st = parent.stat()
        if st.st_uid == user.pw_uid and st.st_mode & stat.S_IXUSR:
            continue
        if st.st_gid == user.pw_gid and st.st_mode & stat.S_IXGRP:
            continue
        if not st.st_mode & stat.S_IXOTH:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A cluster whose files live under ``root`` (``.local/postgres`` for the local stack)."""

    root: Path

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._user = _service_user() if os.geteuid() == 0 else None

    @property
    def data_dir(self) -> Path:
        if self._user is not None and not _reachable_by(self._user, self.root):
            # The unprivileged server cannot reach this folder (a 0700 temporary clone, say):
            # keep the data in a stable place it can reach, one per project folder.
            digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
            return Path(tempfile.gettempdir()) / f"fintrack-pg-{digest}" / "data"
        return self.root / "data"

    @property
    def port(self) -> int:
        port_file = self.data_dir / "fintrack.port"
        if port_file.exists():
            return int(port_file.read_text().strip())
        return 0

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        result = subprocess.run(list(args), capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
        return result  # type: ignore[no-any-return]

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        return self._run(str(find_binaries() / "pg_ctl"), "status", "-D", str(self.data_dir)).returncode == 0

    def init(self) -> None:
        data = self.data_dir
        data.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            for folder in (data, data.parent):
                os.chown(folder, self._user.pw_uid, self._user.pw_gid)
        data.chmod(0o700)
        result = self._run(
            str(find_binaries() / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if result.returncode != 0:
            raise EmbeddedError(f"initdb failed: {result.stderr.strip()[-500:]}")

    def start(self) -> str:
        """Start (initialising on first use); a running cluster is reused. Returns its URL."""
        if not self.is_initialised():
            self.init()
        if not self.is_running():
            port = free_port()
            port_file = self.data_dir / "fintrack.port"
            port_file.write_text(str(port))
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            log = self.data_dir / "server.log"
            result = self._run(
                str(find_binaries() / "pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "-l",
                str(log),
            )
            if result.returncode != 0:
                tail = log.read_text(errors="replace")[-800:] if log.exists() else result.stderr
                raise EmbeddedError(f"PostgreSQL did not start: {tail.strip()}")
        self._ensure_database()
        return self.url()

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone() is None:
                conn.execute(f'create database "{DATABASE}"')

    def stop(self) -> None:
        if self.is_running():
            result = self._run(str(find_binaries() / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w")
            if result.returncode != 0:
                raise EmbeddedError(f"PostgreSQL did not stop: {result.stderr.strip()[-500:]}")

    def destroy(self) -> None:
        """Stop and delete the cluster's files."""
        self.stop()
        shutil.rmtree(self.data_dir.parent if self.data_dir.parent != self.root else self.data_dir, ignore_errors=True)


if __name__ == "__main__":
    import sys

    # `python -m infra.embedded needs-pgserver` exits 0 when the machine has no usable server binaries.
    sys.exit(0 if system_binaries() is None else 1)
