"""`documents` through its WSGI app with real tokens, files through the dev server's local storage:
signed upload form → upload → completion (size, real type, SHA-256) → checklist → signed download;
lying, oversized and missing files; requests and reviews moving the dossier; deletion; access."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from infra import devserver
from shared.adapters.storage import Storage
from shared.documents.service import documents_storage
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.tokens import KeyPair

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
RECENT = (date.today() - timedelta(days=3)).isoformat()


@dataclass
class Desk:
    committed: tdb.Conn
    keys: KeyPair
    api: FlaskClient
    dev: FlaskClient
    storage: Storage
    users: dict[str, uuid.UUID]
    dossiers: dict[str, uuid.UUID]

    def call(self, method: str, path: str, who: str | None, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys.token(self.users[who])}"} if who else {}
        return self.api.open(f"/documents{path}", method=method, json=body, headers=headers)

    def begin(self, who: str, dossier: str, **body: Any) -> Any:
        return self.call("POST", f"/dossiers/{self.dossiers[dossier]}/uploads", who, body)

    def send(self, started: dict[str, Any], data: bytes, name: str = "file.pdf") -> int:
        """The browser's part: POST the signed form with the file to the storage endpoint."""
        form = started["upload"]
        path = urlsplit(form["url"]).path
        fields: dict[str, Any] = dict(form["fields"])
        fields["file"] = (io.BytesIO(data), name)
        return int(self.dev.post(path, data=fields, content_type="multipart/form-data").status_code)

    def complete(self, who: str, started: dict[str, Any]) -> Any:
        return self.call("POST", f"/uploads/{started['version_id']}/complete", who)

    def upload(self, who: str, dossier: str, data: bytes = PDF, **body: Any) -> dict[str, Any]:
        started = self.begin(who, dossier, size=len(data), **body)
        assert started.status_code == 201, started.get_json()
        assert self.send(started.get_json(), data, body.get("file_name", "file.pdf")) == 204
        done = self.complete(who, started.get_json())
        assert done.status_code == 200, done.get_json()
        return dict(done.get_json())

    def status(self, dossier: str) -> str:
        row = self.committed.execute("select status from public.dossiers where id = %s", (self.dossiers[dossier],))
        found = row.fetchone()
        assert found is not None
        return str(found["status"])


@pytest.fixture
def desk(
    committed: tdb.Conn, keys: KeyPair, use: Callable[..., Settings], tmp_path: Any, client_for: Callable[[str], Any]
) -> Desk:
    settings = use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("documents-test-secret"),
                   public_base_url="http://127.0.0.1:8080")  # fmt: skip
    org = tdb.make_org(committed, "Cabinet Documents")
    other = tdb.make_org(committed, "Autre Cabinet")
    users: dict[str, uuid.UUID] = {}
    for name, role, where in (
        ("admin", "admin", org),
        ("client", "client", org),
        ("client2", "client", org),
        ("expert", "expert", org),
        ("viewer", "viewer", org),
        ("partner", "partner", org),
        ("stranger", "owner", other),
    ):
        users[name] = tdb.make_user(committed)
        tdb.add_member(committed, where, users[name], role)
    company = tdb.make_company(
        committed, org, name="Transports Docs", users=(users["client"], users["client2"]), partner=users["partner"]
    )
    expert = tdb.make_expert(committed, org, users["expert"])
    dossiers = {}
    for product, status, assigned in (("ticpe", "pending_upload", None), ("urssaf", "expert_assigned", expert)):
        row = committed.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
            " values (%s, %s, %s, %s, %s) returning id",
            (org, company, product, status, assigned),
        ).fetchone()
        assert row is not None
        dossiers[product] = uuid.UUID(str(row["id"]))
    return Desk(
        committed, keys, client_for("documents"), devserver.build_app().test_client(), documents_storage(settings),
        users, dossiers,
    )  # fmt: skip


def test_upload_complete_checklist_and_logged_download(desk: Desk) -> None:
    started = desk.begin("client", "ticpe", document_type="kbis", file_name="Kbis.pdf", size=len(PDF),
                         issue_date=RECENT)  # fmt: skip
    assert started.status_code == 201, started.get_json()
    out = started.get_json()
    assert out["version"] == 1 and out["expires_in"] == 900 and out["max_size_bytes"] == 10 * 1024 * 1024
    assert out["storage_key"].endswith(f"/{out['document_id']}/v1")
    assert out["complete_url"] == f"http://127.0.0.1:8080/documents/uploads/{out['version_id']}/complete"
    assert desk.send(out, PDF) == 204
    done = desk.complete("client", out)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "pending" and done.get_json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    checklist = desk.call("GET", f"/dossiers/{desk.dossiers['ticpe']}/checklist", "client").get_json()
    assert checklist["items"][0]["document_type"] == "kbis" and checklist["items"][0]["state"] == "pending"
    listed = desk.call("GET", f"/dossiers/{desk.dossiers['urssaf']}/documents", "expert").get_json()
    assert [d["document_type"] for d in listed["items"]] == ["kbis"]  # reusable: on the URSSAF dossier too

    link = desk.call("GET", f"/versions/{out['version_id']}/download", "expert")
    assert link.status_code == 200 and link.get_json()["expires_in"] == 900
    url = urlsplit(link.get_json()["url"])
    file = desk.dev.get(f"{url.path}?{url.query}")
    assert file.status_code == 200 and file.data == PDF
    assert "Kbis.pdf" in file.headers["Content-Disposition"]
    logged = desk.committed.execute(
        "select user_id from public.document_downloads where version_id = %s", (out["version_id"],)
    ).fetchall()
    assert [r["user_id"] for r in logged] == [desk.users["expert"]]
    assert desk.call("GET", f"/versions/{out['version_id']}/download", "stranger").status_code == 404


def test_a_lying_extension_is_refused_and_the_file_removed(desk: Desk) -> None:
    started = desk.begin("client", "urssaf", document_type="rib", file_name="rib.pdf", size=len(PNG)).get_json()
    assert desk.send(started, PNG, "rib.pdf") == 204
    refused = desk.complete("client", started)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"][0]["field"] == "file"
    assert refused.get_json()["errors"][0]["rule"] == "type_mismatch"
    assert not desk.storage.exists(started["storage_key"])
    gone = desk.committed.execute("select 1 from public.documents where id = %s", (started["document_id"],))
    assert gone.fetchone() is None
    # the same bytes named for what they are go through
    assert desk.upload("client", "urssaf", PNG, document_type="rib", file_name="rib.png")["state"] == "pending"


def test_an_oversized_object_is_refused(desk: Desk) -> None:
    started = desk.begin("client", "urssaf", document_type="rib", file_name="rib.pdf", size=1000).get_json()
    # a store that does not enforce the form's content-length-range (moto does not, for one)
    desk.storage.put(started["storage_key"], PDF + b"0" * (5 * 1024 * 1024), "application/pdf")
    refused = desk.complete("client", started)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["rule"] == "max_size"
    assert not desk.storage.exists(started["storage_key"])


@pytest.mark.parametrize("size", [2**63, 11679891308410170245120])
def test_a_size_beyond_any_file_is_422_naming_it(desk: Desk, size: int) -> None:
    # found by the OpenAPI fuzzer: a size past bigint reached SQL as numeric and answered 500
    refused = desk.begin("client", "urssaf", document_type="rib", file_name="rib.pdf", size=size)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert [e["field"] for e in refused.get_json()["errors"]] == ["size"]


def test_a_missing_object_is_refused_and_the_upload_stays_open(desk: Desk) -> None:
    started = desk.begin("client", "urssaf", document_type="rib", file_name="rib.pdf", size=len(PDF)).get_json()
    refused = desk.complete("client", started)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["rule"] == "missing"
    assert desk.send(started, PDF) == 204
    assert desk.complete("client", started).status_code == 200
    assert desk.complete("client", started).status_code == 409


def test_the_storage_endpoint_refuses_bad_forms_and_oversized_files(desk: Desk) -> None:
    started = desk.begin("client", "urssaf", document_type="rib", file_name="rib.pdf", size=len(PDF)).get_json()
    path = urlsplit(started["upload"]["url"]).path
    fields = dict(started["upload"]["fields"])
    small = desk.storage.presigned_post(started["storage_key"], max_bytes=len(PDF) - 1)  # a form allowing less
    too_big = {**small.fields, "file": (io.BytesIO(PDF), "rib.pdf")}
    assert desk.dev.post(path, data=too_big, content_type="multipart/form-data").status_code == 413
    forged = {**fields, "max_bytes": "99999999", "file": (io.BytesIO(PDF), "rib.pdf")}
    assert desk.dev.post(path, data=forged, content_type="multipart/form-data").status_code == 403
    elsewhere = {**fields, "file": (io.BytesIO(PDF), "rib.pdf")}
    assert desk.dev.post(path + "x", data=elsewhere, content_type="multipart/form-data").status_code == 403
    assert not desk.storage.exists(started["storage_key"])


def test_starting_an_upload_names_the_field_and_the_rule(desk: Desk) -> None:
    wrong = desk.begin("client", "ticpe", document_type="kbis", file_name="kbis.png", size=10, issue_date=RECENT)
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"] == [{"field": "file_name", "rule": "format", "message": "Accepted formats: pdf"}]
    big = desk.begin("client", "urssaf", document_type="rib", file_name="r.pdf", size=5 * 1024 * 1024 + 1)
    assert big.status_code == 422 and big.get_json()["errors"][0]["field"] == "size"
    typo = desk.begin("client", "urssaf", document_type="rib", file_name="r.pdf", size=0)
    assert typo.status_code == 422 and typo.get_json()["errors"][0]["field"] == "size"
    assert desk.begin("viewer", "urssaf", document_type="rib", file_name="r.pdf", size=10).status_code == 403
    assert desk.begin("stranger", "urssaf", document_type="rib", file_name="r.pdf", size=10).status_code == 404
    assert desk.begin(None, "urssaf", document_type="rib", file_name="r.pdf", size=10).status_code == 401  # type: ignore[arg-type]


def test_request_upload_review_moves_the_dossier(desk: Desk) -> None:
    urssaf = desk.dossiers["urssaf"]
    request = desk.call("POST", f"/dossiers/{urssaf}/requests", "expert",
                        {"items": [{"document_type": "rib", "note": "Compte de l'entreprise"}]})  # fmt: skip
    assert request.status_code == 201, request.get_json()
    assert request.get_json()["status"] == "documents_requested"
    assert (
        desk.call("POST", f"/dossiers/{urssaf}/requests", "client", {"items": [{"document_type": "rib"}]}).status_code
        == 403
    )
    empty = desk.call("POST", f"/dossiers/{urssaf}/requests", "expert", {"items": []})
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "items"

    done = desk.upload("client", "urssaf", document_type="rib", file_name="rib.pdf")
    assert done["dossier_status"] == "documents_received" and desk.status("urssaf") == "documents_received"
    no_reason = desk.call("POST", f"/dossiers/{urssaf}/reviews", "expert",
                          {"version_id": done["version_id"], "decision": "reject"})  # fmt: skip
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"][0]["field"] == "reason"
    rejected = desk.call("POST", f"/dossiers/{urssaf}/reviews", "expert",
                         {"version_id": done["version_id"], "decision": "reject", "reason": "RIB illisible",
                          "category": "illisible"})  # fmt: skip
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "documents_requested" and rejected.get_json()["review"] == "rejected"
    again = desk.upload("client", "urssaf", document_type="rib", file_name="rib.pdf")
    assert again["version"] == 2 and again["dossier_status"] == "documents_received"


def test_only_the_uploader_deletes_a_pending_version(desk: Desk) -> None:
    done = desk.upload("client", "urssaf", document_type="rib", file_name="rib.pdf")
    key = desk.committed.execute(
        "select storage_key from public.document_versions where id = %s", (done["version_id"],)
    ).fetchone()
    assert key is not None and desk.storage.exists(key["storage_key"])
    assert desk.call("DELETE", f"/versions/{done['version_id']}", "client2").status_code == 403
    assert desk.call("DELETE", f"/versions/{done['version_id']}", "client").status_code == 204
    assert not desk.storage.exists(key["storage_key"])
    assert desk.call("DELETE", f"/versions/{done['version_id']}", "client").status_code == 404


def test_types_are_listed(desk: Desk) -> None:
    types = desk.call("GET", "/types", "client").get_json()["items"]
    assert len(types) == 25 and types[0]["code"] == "kbis" and types[0]["label_fr"] == "Extrait Kbis"


def test_a_client_shares_a_dossiers_documents_with_its_partner(desk: Desk) -> None:
    done = desk.upload("client", "urssaf", document_type="rib", file_name="rib.pdf")
    urssaf = desk.dossiers["urssaf"]
    assert desk.call("GET", f"/dossiers/{urssaf}/documents", "partner").status_code == 404
    assert desk.call("GET", f"/versions/{done['version_id']}/download", "partner").status_code == 404
    refused = desk.call("PUT", f"/dossiers/{urssaf}/share", "partner", {"shared": True})
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    assert desk.call("PUT", f"/dossiers/{urssaf}/share", "stranger", {"shared": True}).status_code == 404
    bad = desk.call("PUT", f"/dossiers/{urssaf}/share", "client", {"shared": "maybe"})
    assert bad.status_code == 422 and "shared" in str(bad.get_json())

    answer = desk.call("PUT", f"/dossiers/{urssaf}/share", "client", {"shared": True})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["shared"] is True and answer.get_json()["partner_user_id"] == str(desk.users["partner"])
    listed = desk.call("GET", f"/dossiers/{urssaf}/documents", "partner")
    assert listed.status_code == 200 and [d["document_type"] for d in listed.get_json()["items"]] == ["rib"]
    link = desk.call("GET", f"/versions/{done['version_id']}/download", "partner")
    assert link.status_code == 200
    fetched = desk.dev.get(urlsplit(link.get_json()["url"]).path + "?" + urlsplit(link.get_json()["url"]).query)
    assert fetched.status_code == 200 and fetched.data == PDF
    # read only: the partner uploads nothing
    started = desk.begin("partner", "urssaf", document_type="bulletins_paie", file_name="b.pdf", size=10)
    assert started.status_code == 403

    withdrawn = desk.call("PUT", f"/dossiers/{urssaf}/share", "admin", {"shared": False})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["shared"] is False
    assert desk.call("GET", f"/dossiers/{urssaf}/documents", "partner").status_code == 404


def test_a_reused_document_shows_its_own_review_on_each_dossier(desk: Desk, client_for: Callable[[str], Any]) -> None:
    """WORKFLOW.md: a reusable document shows on each of the company's dossiers needing it, reviewed per
    dossier — in the documents list, the checklist and the dossier's detail alike."""
    ticpe, urssaf = desk.dossiers["ticpe"], desk.dossiers["urssaf"]
    kbis = desk.upload("client", "ticpe", document_type="kbis", file_name="kbis.pdf", issue_date=RECENT)
    rejected = desk.call("POST", f"/dossiers/{ticpe}/reviews", "admin",
                         {"version_id": kbis["version_id"], "decision": "reject", "reason": "Illisible",
                          "category": "illisible"})  # fmt: skip
    assert rejected.status_code == 200, rejected.get_json()
    validated = desk.call("POST", f"/dossiers/{urssaf}/reviews", "expert",
                          {"version_id": kbis["version_id"], "decision": "validate"})  # fmt: skip
    assert validated.status_code == 200, validated.get_json()

    def seen(dossier: uuid.UUID) -> tuple[Any, ...]:
        listed = desk.call("GET", f"/dossiers/{dossier}/documents", "client").get_json()["items"]
        version = next(d for d in listed if d["document_type"] == "kbis")["versions"][0]
        checklist = desk.call("GET", f"/dossiers/{dossier}/checklist", "client").get_json()["items"]
        item = next(i for i in checklist if i["document_type"] == "kbis")
        headers = {"Authorization": f"Bearer {desk.keys.token(desk.users['client'])}"}
        detail = client_for("dossier").get(f"/dossier/dossiers/{dossier}", headers=headers).get_json()
        in_detail = next(i for i in detail["checklist"]["items"] if i["document_type"] == "kbis")
        return version["id"], version["review"], version["review_category"], item["state"], in_detail["state"]

    assert seen(ticpe) == (kbis["version_id"], "rejected", "illisible", "rejected", "rejected")
    assert seen(urssaf) == (kbis["version_id"], "validated", None, "validated", "validated")
