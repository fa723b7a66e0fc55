"""`export-worker` through its WSGI app: crashes, expired leases, exhausted jobs, racing workers, S3."""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shared.adapters.storage import LocalStorage, S3Storage, storage_from_settings
from shared.exports import service
from shared.platform import db
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.exports import CRON, PDF, World, pdf_has_image, pdf_text
from tests.support.simulate import Site


class Crash(BaseException):
    """A worker dying mid-job (killed, out of memory): nothing below it gets to clean up."""


@pytest.fixture
def world(
    site: Site, committed: tdb.Conn, use: Callable[..., Settings], tmp_path: Any, client_for: Callable[[str], Any]
) -> World:
    settings = use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("worker-test-signing"),
                   cron_secret=Secret(CRON))  # fmt: skip
    return World(site, committed, storage_from_settings(settings), client_for)


def queue(world: World, who: str = "client", **body: Any) -> str:
    request = {"document": "simulation-report", "format": "pdf", "simulation_id": world.simulation, "async": True}
    response = world.post(who, **{**request, **body})
    assert response.status_code == 202, response.get_json()
    return str(response.get_json()["id"])


def test_the_worker_answers_scheduled_calls_only(world: World) -> None:
    assert world.worker_client.post("/export-worker", json={}).status_code == 401
    wrong = world.worker_client.post("/export-worker", json={}, headers={"X-Cron-Secret": "guess"})
    assert wrong.status_code == 401
    assert world.work() == {"done": 0, "failed": 0, "lost": 0, "interrupted": 0}


def test_a_crash_mid_job_leaves_it_to_be_claimed_again(
    world: World, committed: tdb.Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = queue(world)
    with monkeypatch.context() as patch:
        patch.setattr(LocalStorage, "put", _crash)
        with pytest.raises(Crash):
            world.work()
    crashed = world.job(job_id)
    assert crashed["status"] == "running" and crashed["attempts"] == 1 and crashed["storage_key"] is None
    assert not world.storage.exists(service.storage_key(crashed))  # nothing half-written
    assert world.get("client", f"/export/jobs/{job_id}").get_json()["download_url"] is None
    assert world.work()["done"] == 0  # its lease still runs: nobody takes it over yet
    committed.execute("update public.export_jobs set lease_expires_at = now() - interval '1 second' where id = %s",
                      (job_id,))  # fmt: skip
    assert world.work()["done"] == 1
    done = world.job(job_id)
    assert done["status"] == "done" and done["attempts"] == 2 and done["error"] is None
    assert hashlib.sha256(world.storage.get(done["storage_key"])).hexdigest() == done["sha256"]


def test_a_job_interrupted_too_often_fails_and_its_requester_retries_it(world: World, committed: tdb.Conn) -> None:
    job_id = queue(world)
    committed.execute(
        "update public.export_jobs set status = 'running', attempts = %s, started_at = now(),"
        " lease_expires_at = now() - interval '1 minute' where id = %s",
        (service.MAX_ATTEMPTS, job_id),
    )
    assert world.work()["interrupted"] == 1
    failed = world.get("client", f"/export/jobs/{job_id}").get_json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "export_interrupted"
    retried = world.export.post(f"/export/jobs/{job_id}/retry", headers=world.site.headers("client"))
    assert retried.status_code == 202 and retried.get_json()["attempts"] == 0
    assert world.work()["done"] == 1
    assert world.job(job_id)["status"] == "done"


def test_a_worker_that_lost_its_lease_changes_nothing(world: World, committed: tdb.Conn) -> None:
    job_id = queue(world)
    with db.service_transaction() as conn:
        first = service.claim(conn)
    assert first is not None and str(first["id"]) == job_id
    committed.execute("update public.export_jobs set lease_expires_at = now() - interval '1 second' where id = %s",
                      (job_id,))  # fmt: skip
    with db.service_transaction() as conn:
        second = service.claim(conn)
    assert second is not None and second["attempts"] == 2
    with db.user_transaction(service.requester_claims(second)) as conn:
        file = service.render_job(conn, job=second, storage=world.storage)
    stored = service.store(world.storage, job=second, file=file)
    with db.service_transaction() as conn:
        assert service.finish(conn, job=second, stored=stored)
    with db.service_transaction() as conn:
        assert not service.heartbeat(conn, job=first)
        assert not service.finish(conn, job=first, stored={**stored, "sha256": "0" * 64})
        assert not service.fail(conn, job=first, exc=RuntimeError("late"))
    done = world.job(job_id)
    assert done["status"] == "done" and done["sha256"] == file.sha256 and done["attempts"] == 2


@pytest.mark.race
def test_two_workers_racing_never_process_a_job_twice(
    world: World, committed: tdb.Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [queue(world, who) for who in ("client", "admin", "viewer") for _ in range(4)]
    puts: list[str] = []
    original = LocalStorage.put

    def slow_put(self: LocalStorage, key: str, data: bytes, content_type: str) -> None:
        puts.append(key)
        time.sleep(0.02)
        original(self, key, data, content_type)

    monkeypatch.setattr(LocalStorage, "put", slow_put)
    results: list[dict[str, Any]] = []
    clients = [world.worker_client.application.test_client() for _ in range(2)]

    def run(client: Any) -> None:
        response = client.post("/export-worker", json={}, headers={"X-Cron-Secret": CRON})
        results.append(response.get_json())

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(r["done"] for r in results) == len(ids) and all(r["lost"] == 0 for r in results)
    assert Counter(puts).most_common(1)[0][1] == 1 and len(puts) == len(ids)
    rows = committed.execute("select status, attempts from public.export_jobs where id = any(%s::uuid[])", (ids,))
    assert {(r["status"], r["attempts"]) for r in rows.fetchall()} == {("done", 1)}


def _crash(*args: Any, **kwargs: Any) -> None:
    raise Crash()


# --- S3 ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_exports_through_s3_storage(
    site: Site,
    committed: tdb.Conn,
    use: Callable[..., Settings],
    client_for: Callable[[str], Any],
    s3_endpoint: str,
) -> None:
    settings = use(
        storage_backend="s3",
        s3_bucket="fintrack-exports",
        s3_endpoint_url=s3_endpoint,
        s3_region="eu-west-3",
        s3_access_key_id=Secret("test-key"),
        s3_secret_access_key=Secret("test-secret"),
        cron_secret=Secret(CRON),
    )
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage)
    storage._s3().create_bucket(
        Bucket="fintrack-exports", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    world = World(site, committed, storage, client_for)
    inline = world.post("client", document="simulation-report", format="pdf", simulation_id=world.simulation)
    assert inline.status_code == 200 and pdf_has_image(inline.data)  # the logo was read back from S3
    job_id = queue(world)
    assert world.work()["done"] == 1
    job = world.get("client", f"/export/jobs/{job_id}").get_json()
    assert job["download_url"].startswith(f"{s3_endpoint}/fintrack-exports/{site.org}/exports/{job_id}.pdf?")
    with urllib.request.urlopen(job["download_url"], timeout=10) as response:  # noqa: S310 (moto on 127.0.0.1)
        data, content_type = response.read(), response.headers["Content-Type"]
        disposition = response.headers["Content-Disposition"]
    assert content_type == PDF and "Rapport%20de%20simulation" in disposition
    assert hashlib.sha256(data).hexdigest() == job["sha256"] and data == inline.data
    assert "Transports Simu" in pdf_text(data)


def test_the_local_scheduler_runs_the_worker_every_minute() -> None:
    from pathlib import Path

    from infra import scheduler

    manifest = Path(__file__).resolve().parents[2] / "serverless.yml"
    jobs = {job.function: job for job in scheduler.jobs_from_manifest(manifest)}
    assert jobs["export-worker"] == scheduler.Job("export-worker", "/export-worker", 60)
