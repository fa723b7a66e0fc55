"""`upload-cleanup` through its WSGI app: versions left `uploading` past their hour go with their
objects and the documents they created; fresh, completed and concurrent uploads stay; a second run
removes nothing; a completion racing the sweep (real threads) ends consistent either way."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.adapters.storage import Storage
from shared.documents import service
from shared.documents.service import documents_storage
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.tokens import KeyPair

CRON = "upload-cleanup-test-cron"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
RECENT = (date.today() - timedelta(days=3)).isoformat()


@dataclass
class Bench:
    committed: tdb.Conn
    keys: KeyPair
    api: FlaskClient
    cron: FlaskClient
    storage: Storage
    client: uuid.UUID
    dossier: uuid.UUID

    def begin(self, document_type: str = "bulletins_paie", *, age: str | None = None, stored: bool = True) -> Any:
        headers = {"Authorization": f"Bearer {self.keys.token(self.client)}"}
        body = {"document_type": document_type, "file_name": "f.pdf", "size": len(PDF)}
        if document_type == "kbis":
            body["issue_date"] = RECENT
        answer = self.api.post(f"/documents/dossiers/{self.dossier}/uploads", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        started = dict(answer.get_json())
        if stored:
            self.storage.put(started["storage_key"], PDF, "application/pdf")
        if age is not None:
            self.committed.execute(
                "update public.document_versions set created_at = now() - %s::interval where id = %s",
                (age, started["version_id"]),
            )
        return started

    def complete(self, started: dict[str, Any], api: FlaskClient | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys.token(self.client)}"}
        return (api or self.api).post(f"/documents/uploads/{started['version_id']}/complete", headers=headers)

    def sweep(self) -> Any:
        answer = self.cron.post("/upload-cleanup", json={}, headers={"X-Cron-Secret": CRON})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    def version(self, started: dict[str, Any]) -> str | None:
        row = self.committed.execute(
            "select state from public.document_versions where id = %s", (started["version_id"],)
        ).fetchone()
        return None if row is None else str(row["state"])

    def document_exists(self, started: dict[str, Any]) -> bool:
        row = self.committed.execute("select 1 from public.documents where id = %s", (started["document_id"],))
        return row.fetchone() is not None


@pytest.fixture
def bench(
    committed: tdb.Conn, keys: KeyPair, use: Callable[..., Settings], tmp_path: Any, client_for: Callable[[str], Any]
) -> Bench:
    settings = use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("cleanup-test-secret"),
                   cron_secret=Secret(CRON), public_base_url="http://127.0.0.1:8080")  # fmt: skip
    org = tdb.make_org(committed, "Cabinet Nettoyage")
    client, expert_user = tdb.make_user(committed), tdb.make_user(committed)
    tdb.add_member(committed, org, client, "client")
    tdb.add_member(committed, org, expert_user, "expert")
    company = tdb.make_company(committed, org, name="Transports Nettoyage", users=(client,))
    expert = tdb.make_expert(committed, org, expert_user)
    row = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
        " values (%s, %s, 'urssaf', 'expert_assigned', %s) returning id",
        (org, company, expert),
    ).fetchone()
    assert row is not None
    return Bench(committed, keys, client_for("documents"), client_for("upload_cleanup"), documents_storage(settings),
                 client, uuid.UUID(str(row["id"])))  # fmt: skip


def test_the_cron_needs_its_secret(bench: Bench) -> None:
    assert bench.cron.post("/upload-cleanup", json={}).status_code == 401
    wrong = bench.cron.post("/upload-cleanup", json={}, headers={"X-Cron-Secret": "nope"})
    assert wrong.status_code == 401


def test_stale_uploads_go_with_their_objects_and_the_rest_stays(bench: Bench) -> None:
    stale = bench.begin(age="2 hours")
    stale_unsent = bench.begin("rib", age="61 minutes", stored=False)  # the browser never uploaded
    fresh = bench.begin("dsn", age="20 minutes")  # its form expired, its completion call may still come
    done = bench.begin("kbis")
    assert bench.complete(done).status_code == 200
    bench.committed.execute(
        "update public.document_versions set created_at = now() - interval '3 hours' where id = %s",
        (done["version_id"],),
    )
    result = bench.sweep()
    assert result["removed"] >= 2
    assert bench.version(stale) is None and not bench.storage.exists(stale["storage_key"])
    assert not bench.document_exists(stale)  # the document it created had no other version
    assert bench.version(stale_unsent) is None and not bench.document_exists(stale_unsent)
    assert bench.version(fresh) == "uploading" and bench.storage.exists(fresh["storage_key"])
    assert bench.version(done) == "uploaded" and bench.storage.exists(done["storage_key"])
    # idempotent: nothing left to remove
    assert bench.sweep() == {"removed": 0, "batches": 1}
    # completing a removed upload: 404, and a new upload of the same document starts afresh
    gone = bench.complete(stale)
    assert gone.status_code == 404 and gone.get_json()["code"] == "upload_not_found"
    again = bench.begin()
    assert bench.complete(again).status_code == 200


def test_a_stale_new_version_goes_and_the_previous_one_stays(bench: Bench) -> None:
    first = bench.begin("kbis")
    assert bench.complete(first).status_code == 200
    second = bench.begin("kbis", age="2 hours")
    assert second["document_id"] == first["document_id"] and second["version"] == 2
    bench.sweep()
    assert bench.version(second) is None and not bench.storage.exists(second["storage_key"])
    assert bench.version(first) == "uploaded" and bench.document_exists(first)


def test_batches_cover_more_than_one_transaction(bench: Bench) -> None:
    staled = [bench.begin(t, age="2 hours") for t in ("bulletins_paie", "rib", "dsn", "releves_cotisations", "kbis")]
    result = service.clean_up_uploads(bench.storage, batch=2)
    assert result.removed >= 5 and result.batches >= 3
    for started in staled:
        assert bench.version(started) is None and not bench.storage.exists(started["storage_key"])


def _race(bench: Bench, started: dict[str, Any], api: FlaskClient) -> dict[str, Any]:
    """The client's completion and a cron run, started together on two threads."""
    barrier = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def complete() -> None:
        barrier.wait()
        answer = bench.complete(started, api)
        answers["complete"], answers["body"] = answer.status_code, answer.get_json()

    def sweep() -> None:
        barrier.wait()
        answers["sweep"] = service.clean_up_uploads(bench.storage).removed

    threads = [threading.Thread(target=complete), threading.Thread(target=sweep)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


@pytest.mark.race
def test_a_completion_racing_the_sweep_ends_consistent(bench: Bench) -> None:
    outcomes = set()
    for _ in range(12):
        started = bench.begin(age="2 hours")
        answers = _race(bench, started, bench.api.application.test_client())
        state, exists = bench.version(started), bench.storage.exists(started["storage_key"])
        if answers["complete"] == 200:
            # the completion won: the version is pending review and its file is there
            assert (state, exists) == ("uploaded", True), answers
        else:
            # the sweep won: neither the version nor its file survives, and the caller was told: no such
            # upload (404), or, when the object went first, no file for it (422 naming `file`)
            assert (state, exists) == (None, False), answers
            assert answers["complete"] == 404 or (
                answers["complete"] == 422 and answers["body"]["errors"][0]["field"] == "file"
            ), answers
        outcomes.add(answers["complete"])
        if state == "uploaded":  # make room for the next round's version
            bench.committed.execute("delete from public.document_versions where id = %s", (started["version_id"],))
            bench.committed.execute("delete from public.documents where id = %s", (started["document_id"],))
    assert outcomes <= {200, 404, 422}
