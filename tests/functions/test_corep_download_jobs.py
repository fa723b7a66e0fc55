"""COREP downloads of large calculations through the export jobs (issue 14 item 6, migration 0187), through
the `prudential`, `export` and `export-worker` WSGI apps with S3 on a moto server: above
COREP_INLINE_MAX_EXPOSURES the workbook and the package answer 202 with a job, the worker renders it
as its requester, the job then carries a signed URL to the same bytes the inline route gives; a
package of an unapproved calculation is refused at once, a calculation changed meanwhile fails its job
with the caller-facing error, and who may ask for or read such a job follows the calculation's RLS."""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.adapters.storage import S3Storage, storage_from_settings
from shared.platform.settings import Secret, Settings, use_settings
from tests.support import db as tdb
from tests.support.prudential import Bank, make_bank
from tests.support.tokens import KeyPair

LEI = "529900T8BM49AURSDO55"
CRON = "corep-jobs-cron"
BUCKET = "fintrack-corep"


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


@pytest.fixture
def cfg(use: Callable[..., Settings], s3_endpoint: str) -> Settings:
    settings = use(
        storage_backend="s3",
        s3_bucket=BUCKET,
        s3_endpoint_url=s3_endpoint,
        s3_region="eu-west-3",
        s3_access_key_id=Secret("test-key"),
        s3_secret_access_key=Secret("test-secret"),
        signing_secret=Secret("corep-jobs-signing-secret-32bytes!"),
        cron_secret=Secret(CRON),
        corep_inline_max_exposures=1,
    )
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage)
    existing = {b["Name"] for b in storage._s3().list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        storage._s3().create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return settings


@pytest.fixture
def bank(committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient], cfg: Settings) -> Bank:
    return make_bank(committed, keys, client_for("prudential"))


def corep_input() -> dict[str, Any]:
    return {
        "id": "Q1-2026",
        "reference_date": "2026-03-31",
        "exposures": [
            {"id": "c1", "class": "corporate", "amount": "1000000", "cqs": 2},
            {"id": "r1", "class": "retail", "amount": "50000.10"},
        ],
        "own_funds": {"cet1_instruments": "200000", "at1_instruments": "10000"},
        "requirements": {"p2r": "0.02"},
    }


def work(client_for: Callable[[str], FlaskClient]) -> dict[str, int]:
    response = client_for("export_worker").post("/export-worker", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def job(bank: Bank, client_for: Callable[[str], FlaskClient], who: str, job_id: str) -> Any:
    return client_for("export").get(f"/export/jobs/{job_id}", headers=bank.headers(who))


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (moto on 127.0.0.1)
        data: bytes = response.read()
    return data


def inline(cfg: Settings, call: Callable[[], Any]) -> Any:
    """``call`` with the threshold above this calculation (the synchronous answer)."""
    use_settings(replace(cfg, corep_inline_max_exposures=50_000))
    try:
        return call()
    finally:
        use_settings(cfg)


def test_a_large_workbook_is_a_job_whose_signed_url_gives_the_same_bytes(
    bank: Bank, committed: tdb.Conn, client_for: Callable[[str], FlaskClient], cfg: Settings
) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input()))["id"]
    path = f"/calculations/{calc}/corep/workbook?lang=en"
    queued = bank.get("viewer", path)
    assert queued.status_code == 202, queued.json
    body: dict[str, Any] = queued.json  # type: ignore[assignment]
    assert queued.headers["Location"] == f"/export/jobs/{body['id']}"
    assert (body["document"], body["format"], body["lang"], body["status"]) == (
        "corep-workbook",
        "xlsx",
        "en",
        "queued",
    )
    assert body["parameters"] == {"calculation_id": calc, "module": "corep_of"} and body["download_url"] is None
    assert work(client_for)["done"] >= 1
    done = job(bank, client_for, "viewer", body["id"]).get_json()
    assert done["status"] == "done" and done["file_name"] == "COREP_COREPOF_2026-03-31_DRAFT.xlsx"
    assert done["download_url"].startswith(f"{cfg.s3_endpoint_url}/{BUCKET}/{bank.org}/exports/{body['id']}.xlsx?")
    data = download(done["download_url"])
    assert hashlib.sha256(data).hexdigest() == done["sha256"]
    direct = inline(cfg, lambda: bank.get("viewer", path))
    assert direct.status_code == 200 and direct.data[:2] == b"PK" and len(data) == done["byte_size"]
    # the link route queues the same way
    linked = bank.get("analyst", f"/calculations/{calc}/corep/workbook-link")
    assert linked.status_code == 202 and linked.json["document"] == "corep-workbook"  # type: ignore[index]
    row = committed.execute("select requested_by from public.export_jobs where id = %s", (body["id"],)).fetchone()
    assert row is not None and row["requested_by"] == bank.users["viewer"]


def test_a_large_package_is_a_job_recording_its_export_as_the_requester(
    bank: Bank, committed: tdb.Conn, client_for: Callable[[str], FlaskClient], cfg: Settings
) -> None:
    version = bank.version(bank.portfolio(), corep_input())
    calc = bank.calculate(version)["id"]
    path = f"/calculations/{calc}/corep/package?lei={LEI}&country=FR"
    refused = bank.get("viewer", path)  # not approved: refused now, nothing queued
    assert refused.status_code == 409 and refused.json["code"] == "calculation_not_approved"  # type: ignore[index]
    assert bank.post("analyst", f"/versions/{version}/submit", {}).status_code == 200
    assert bank.post("approver", f"/versions/{version}/approve", {}).status_code == 200
    queued = bank.get("viewer", path)
    assert queued.status_code == 202, queued.json
    job_id = queued.json["id"]  # type: ignore[index]
    assert queued.json["format"] == "zip"  # type: ignore[index]
    linked = bank.get("approver", f"/calculations/{calc}/corep/package-link?lei={LEI}&country=FR")
    assert linked.status_code == 202
    assert work(client_for)["done"] >= 2
    done = job(bank, client_for, "viewer", job_id).get_json()
    assert done["file_name"].endswith("_COREPOF_2026-03-31_20260331000000000.zip")
    data = download(done["download_url"])
    direct = inline(cfg, lambda: bank.get("viewer", path))
    assert direct.status_code == 200 and data == direct.data  # byte-identical, as the package must be
    exports = committed.execute(
        "select exported_by, count(*) as n from public.corep_exports where calculation_id = %s group by exported_by",
        (calc,),
    ).fetchall()
    assert {r["exported_by"]: r["n"] for r in exports} == {bank.users["viewer"]: 2, bank.users["approver"]: 1}


def test_a_calculation_changed_before_the_worker_fails_its_job_with_the_callers_error(
    bank: Bank, client_for: Callable[[str], FlaskClient]
) -> None:
    portfolio = bank.portfolio()
    version = bank.version(portfolio, corep_input())
    calc = bank.calculate(version)["id"]
    queued = bank.get("analyst", f"/calculations/{calc}/corep/workbook")
    assert queued.status_code == 202
    changed = corep_input()
    changed["exposures"][0]["amount"] = "2000000"
    assert bank.put("analyst", f"/versions/{version}", {"input": changed}).status_code == 200
    assert work(client_for)["failed"] >= 1
    failed = job(bank, client_for, "analyst", queued.json["id"]).get_json()  # type: ignore[index]
    assert failed["status"] == "failed" and failed["error"]["code"] == "calculation_superseded"
    assert failed["download_url"] is None


def test_who_may_queue_and_read_a_corep_job(
    bank: Bank, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input()))["id"]
    path = f"/calculations/{calc}/corep/workbook"
    for who in ("expert", "client", "partner", "stranger"):
        assert bank.get(who, path).status_code == 404, who
    assert committed.execute(
        "select count(*) as n from public.export_jobs where parameters ->> 'calculation_id' = %s", (calc,)
    ).fetchone() == {"n": 0}
    job_id = bank.get("analyst", path).json["id"]  # type: ignore[index]
    seen = {who: job(bank, client_for, who, job_id).status_code for who in bank.users}
    # the requester, and the organization's owners, admins and viewers (the export jobs' RLS)
    assert seen == {
        "owner": 200, "admin": 200, "analyst": 200, "analyst2": 404, "approver": 404, "approver2": 404,
        "viewer": 200, "expert": 404, "client": 404, "partner": 404, "stranger": 404,
    }  # fmt: skip
    with committed.transaction():
        for who, count in (("analyst", 1), ("owner", 1), ("stranger", 0), ("expert", 0)):
            with committed.transaction():
                tdb.as_user(committed, bank.users[who])
                row = committed.execute(
                    "select count(*) as n from public.export_jobs where id = %s", (job_id,)
                ).fetchone()
                assert row == {"n": count}, who
                tdb.as_owner(committed)
