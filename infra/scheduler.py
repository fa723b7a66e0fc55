"""The local scheduler: calls each cron function on the schedule serverless.yml gives it.

It reads every ``schedule`` event (``rate(N minutes|hours|days)``) of serverless.yml and POSTs to
the function on the dev server, with the cron secret, as EventBridge does in production.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Job:
    function: str
    path: str
    every_seconds: int


def parse_rate(expression: str) -> int:
    """Seconds between runs for an EventBridge ``rate(...)`` expression."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"unsupported schedule {expression!r}: use rate(N minutes|hours|days)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def jobs_from_manifest(manifest: Path) -> list[Job]:
    config = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    found: list[Job] = []
    for name, spec in (config.get("functions") or {}).items():
        for event in spec.get("events") or []:
            schedule = event.get("schedule") if isinstance(event, dict) else None
            if schedule is None:
                continue
            rate = schedule["rate"] if isinstance(schedule, dict) else schedule
            rates = rate if isinstance(rate, list) else [rate]
            for expression in rates:
                found.append(Job(function=name, path=f"/{name}", every_seconds=parse_rate(expression)))
    return found


def run(jobs: list[Job], *, base_url: str, cron_secret: str, tick: float = 1.0) -> None:
    """Run forever: each job first after one period, then every period."""
    next_run = {job: time.monotonic() + job.every_seconds for job in jobs}
    while True:
        now = time.monotonic()
        for job in jobs:
            if now >= next_run[job]:
                next_run[job] = now + job.every_seconds
                call(job, base_url=base_url, cron_secret=cron_secret)
        time.sleep(tick)


def call(job: Job, *, base_url: str, cron_secret: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (an http URL built here)
        f"{base_url}{job.path}",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", "X-Cron-Secret": cron_secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 (an http URL built here)
            status = int(response.status)
    except OSError as exc:
        logger.warning("scheduled call to %s failed: %s", job.function, exc)
        return 0
    logger.info("scheduled %s -> %s", job.function, status)
    return status
