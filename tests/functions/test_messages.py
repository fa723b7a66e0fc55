"""`messages`, `messages-unread` and `messages-retention` through their WSGI apps with real tokens;
files through the dev server's local storage in a directory of each test's own (nothing shared
between tests): signed form → upload → completion (size, real type) → send → signed download;
lying and forbidden files; filing into the dossier's documents; the scheduled email and purge."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from infra import devserver
from shared.adapters.storage import Storage
from shared.documents.service import documents_storage
from shared.messaging.service import attachments_storage
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.tokens import KeyPair

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
CRON = "messages-test-cron"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@dataclass
class Inbox:
    committed: tdb.Conn
    keys: KeyPair
    api: FlaskClient
    dev: FlaskClient
    storage: Storage
    documents: Storage
    users: dict[str, uuid.UUID]
    conversation: uuid.UUID
    dossier: uuid.UUID
    client_for: Callable[[str], FlaskClient]

    def call(self, method: str, path: str, who: str | None, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys.token(self.users[who])}"} if who else {}
        return self.api.open(f"/messages{path}", method=method, json=body, headers=headers)

    def begin(self, who: str, name: str, size: int) -> Any:
        return self.call(
            "POST", f"/conversations/{self.conversation}/attachments", who, {"file_name": name, "size": size}
        )

    def put(self, started: dict[str, Any], data: bytes) -> int:
        form = started["upload"]
        fields: dict[str, Any] = dict(form["fields"])
        fields["file"] = (io.BytesIO(data), "file")
        return int(
            self.dev.post(urlsplit(form["url"]).path, data=fields, content_type="multipart/form-data").status_code
        )

    def attach(self, who: str, name: str, data: bytes) -> dict[str, Any]:
        started = self.begin(who, name, len(data))
        assert started.status_code == 201, started.get_json()
        assert self.put(started.get_json(), data) == 204
        done = self.call("POST", f"/attachments/{started.get_json()['attachment_id']}/complete", who)
        assert done.status_code == 200, done.get_json()
        return {**started.get_json(), **done.get_json()}

    def send(self, who: str, body: str | None, attachments: list[str]) -> int:
        with self.committed.transaction():
            tdb.as_user(self.committed, self.users[who])
            row = self.committed.execute(
                "select public.send_message(%s, %s, %s::uuid[]) as id", (self.conversation, body, attachments)
            ).fetchone()
            tdb.as_owner(self.committed)
        assert row is not None
        return int(row["id"])


@pytest.fixture
def inbox(
    committed: tdb.Conn, keys: KeyPair, use: Callable[..., Settings], tmp_path: Any, client_for: Callable[[str], Any]
) -> Inbox:
    settings = use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("messages-test-secret"),
                   public_base_url="http://127.0.0.1:8080", app_base_url="https://app.example.test",
                   cron_secret=Secret(CRON))  # fmt: skip
    org = tdb.make_org(committed, "Cabinet Messagerie")
    other = tdb.make_org(committed, "Autre Cabinet")
    users: dict[str, uuid.UUID] = {}
    for name, role, where in (("client", "client", org), ("expert", "expert", org), ("stranger", "owner", other)):
        users[name] = tdb.make_user(committed)
        tdb.add_member(committed, where, users[name], role)
    company = tdb.make_company(committed, org, name="Transports Messagerie", users=(users["client"],))
    expert = tdb.make_expert(committed, org, users["expert"])
    row = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
        " values (%s, %s, 'ticpe', 'expert_assigned', %s) returning id",
        (org, company, expert),
    ).fetchone()
    assert row is not None
    conv = committed.execute("select id from public.conversations where dossier_id = %s", (row["id"],)).fetchone()
    assert conv is not None
    return Inbox(
        committed, keys, client_for("messages"), devserver.build_app().test_client(), attachments_storage(settings),
        documents_storage(settings), users, uuid.UUID(str(conv["id"])), uuid.UUID(str(row["id"])), client_for,
    )  # fmt: skip


def test_upload_complete_send_and_signed_download_for_participants_only(inbox: Inbox) -> None:
    started = inbox.begin("client", "Relevé carburant.pdf", len(PDF))
    assert started.status_code == 201, started.get_json()
    out = started.get_json()
    assert out["storage_key"].endswith(f"/conversations/{inbox.conversation}/{out['attachment_id']}")
    assert out["expires_in"] == 900 and out["max_size_bytes"] == 10 * 1024 * 1024
    assert out["complete_url"] == f"http://127.0.0.1:8080/messages/attachments/{out['attachment_id']}/complete"
    assert inbox.put(out, PDF) == 204
    done = inbox.call("POST", f"/attachments/{out['attachment_id']}/complete", "client")
    assert done.status_code == 200 and done.get_json()["state"] == "ready" and done.get_json()["format"] == "pdf"
    again = inbox.call("POST", f"/attachments/{out['attachment_id']}/complete", "client")
    assert again.status_code == 409 and again.get_json()["code"] == "upload_already_completed"
    inbox.send("client", None, [out["attachment_id"]])
    link = inbox.call("GET", f"/attachments/{out['attachment_id']}/download", "expert")
    assert link.status_code == 200 and link.get_json()["expires_in"] == 900
    url = urlsplit(link.get_json()["url"])
    file = inbox.dev.get(f"{url.path}?{url.query}")
    assert file.status_code == 200 and file.data == PDF
    assert inbox.call("GET", f"/attachments/{out['attachment_id']}/download", "stranger").status_code == 404
    assert inbox.call("GET", "/attachments/not-a-uuid/download", "expert").status_code == 422  # names the id
    assert inbox.call("GET", f"/attachments/{out['attachment_id']}/download", None).status_code == 401


def test_a_lying_file_is_refused_and_removed_office_and_text_files_pass(inbox: Inbox) -> None:
    started = inbox.begin("client", "scan.pdf", len(PNG)).get_json()
    assert inbox.put(started, PNG) == 204
    refused = inbox.call("POST", f"/attachments/{started['attachment_id']}/complete", "client")
    assert refused.status_code == 422 and refused.get_json()["code"] == "file_refused"
    assert refused.get_json()["errors"][0]["field"] == "file"
    assert not inbox.storage.exists(started["storage_key"])
    assert inbox.attach("client", "notes.docx", _docx())["format"] == "docx"
    assert inbox.attach("client", "export.csv", b"date;montant\n2026-05-22;12,50\n")["format"] == "csv"
    binary = inbox.begin("client", "notes.txt", 5).get_json()
    assert inbox.put(binary, b"ab\x00cd") == 204
    assert inbox.call("POST", f"/attachments/{binary['attachment_id']}/complete", "client").status_code == 422


def test_missing_file_leaves_the_upload_open(inbox: Inbox) -> None:
    started = inbox.begin("client", "a.png", len(PNG)).get_json()
    missing = inbox.call("POST", f"/attachments/{started['attachment_id']}/complete", "client")
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["rule"] == "missing"
    assert inbox.put(started, PNG) == 204
    assert inbox.call("POST", f"/attachments/{started['attachment_id']}/complete", "client").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"file_name": "a.pdf", "size": 10 * 1024 * 1024 + 1}, "size"),
        ({"file_name": "", "size": 10}, "file_name"),
        ({"file_name": "setup.exe", "size": 10}, "file_name"),
        ({"file_name": "a.pdf", "size": 10, "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_422_naming_the_field(inbox: Inbox, body: dict[str, Any], field: str) -> None:
    response = inbox.call("POST", f"/conversations/{inbox.conversation}/attachments", "client", body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_others_cannot_upload_into_the_conversation(inbox: Inbox) -> None:
    assert inbox.begin("stranger", "a.pdf", 10).status_code == 404
    assert inbox.call("POST", f"/conversations/{uuid.uuid4()}/attachments", "client",
                      {"file_name": "a.pdf", "size": 10}).status_code == 404  # fmt: skip


def test_the_expert_files_an_attachment_into_the_dossier_documents(inbox: Inbox) -> None:
    sent = inbox.attach("client", "Facture gazole.pdf", PDF)
    inbox.send("client", "Voici la facture", [sent["attachment_id"]])
    filed = inbox.call("POST", f"/attachments/{sent['attachment_id']}/file", "expert",
                       {"document_type": "autre", "label": "Facture de gazole"})  # fmt: skip
    assert filed.status_code == 201, filed.get_json()
    version = filed.get_json()
    assert version["state"] == "pending" and version["document_type"] == "autre"
    row = inbox.committed.execute(
        "select storage_key, file_name from public.document_versions where id = %s", (version["version_id"],)
    ).fetchone()
    assert row is not None and row["file_name"] == "Facture gazole.pdf"
    assert inbox.documents.get(row["storage_key"]) == PDF
    assert inbox.call("POST", f"/attachments/{sent['attachment_id']}/file", "stranger",
                      {"document_type": "autre", "label": "x"}).status_code == 404  # fmt: skip


def test_the_unread_email_goes_once_after_thirty_minutes(inbox: Inbox) -> None:
    inbox.send("client", "Bonjour, nos relevés sont en pièce jointe.", [])
    run = inbox.client_for("messages_unread")
    assert run.post("/messages-unread", json={}).status_code == 401
    inbox.committed.execute(
        "update public.messages set created_at = created_at - interval '31 minutes' where conversation_id = %s",
        (inbox.conversation,),
    )
    first = run.post("/messages-unread", json={}, headers={"X-Cron-Secret": CRON})
    assert first.status_code == 200 and first.get_json()["queued"] >= 1
    rows = inbox.committed.execute(
        "select subject, text_body, event from public.email_outbox"
        " where recipient_id = %s and event = 'message_unread'",
        (inbox.users["expert"],),
    ).fetchall()
    assert len(rows) == 1 and "Bonjour, nos relevés" in rows[0]["text_body"]
    assert f"https://app.example.test/conversations/{inbox.conversation}" in rows[0]["text_body"]  # the front end
    run.post("/messages-unread", json={}, headers={"X-Cron-Secret": CRON})
    again = inbox.committed.execute(
        "select count(*) as n from public.email_outbox where recipient_id = %s and event = 'message_unread'",
        (inbox.users["expert"],),
    ).fetchone()
    assert again == {"n": 1}


def _next_digest_time() -> datetime:
    """08:31 in Paris on the next weekday after today: when the digest of what is waiting now goes."""
    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(8, 31), ZoneInfo("Europe/Paris"))


def test_someone_who_chose_the_digest_gets_the_unread_message_in_it_unless_read(inbox: Inbox) -> None:
    expert = inbox.users["expert"]
    inbox.committed.execute(
        "insert into public.notification_preferences (user_id, event, channel, mode) values (%s, 'message_unread',"
        " 'email', 'digest')",
        (expert,),
    )
    inbox.send("client", "Voici le relevé de carburant de mars.", [])
    inbox.committed.execute(
        "update public.messages set created_at = created_at - interval '31 minutes' where conversation_id = %s",
        (inbox.conversation,),
    )
    run = inbox.client_for("messages_unread")
    first = run.post("/messages-unread", json={}, headers={"X-Cron-Secret": CRON}).get_json()
    assert first["digested"] >= 1
    mailed = inbox.committed.execute(
        "select count(*) as n from public.email_outbox where recipient_id = %s and event = 'message_unread'", (expert,)
    ).fetchone()
    assert mailed == {"n": 0}  # no email of its own
    notices = inbox.committed.execute(
        "select title, body, link, email_digest, status from public.notifications"
        " where recipient_id = %s and event = 'message_unread'",
        (expert,),
    ).fetchall()
    assert len(notices) == 1 and notices[0]["email_digest"] and notices[0]["status"] == "unread"
    assert notices[0]["link"] == f"/conversations/{inbox.conversation}" and "relevé de carburant" in notices[0]["body"]
    again = run.post("/messages-unread", json={}, headers={"X-Cron-Secret": CRON}).get_json()
    assert again["digested"] == 0  # once per read pointer
    # the digest of the next working morning lists it
    composed = inbox.committed.execute("select private.compose_digests(%s) as n", (_next_digest_time(),)).fetchone()
    assert composed is not None and composed["n"] >= 1
    digest = inbox.committed.execute(
        "select template_values from public.email_outbox where recipient_id = %s and event = 'digest'", (expert,)
    ).fetchone()
    assert digest is not None and [i["link"] for i in digest["template_values"]["items"]] == [notices[0]["link"]]


def test_reading_the_conversation_takes_the_unread_message_out_of_the_digest(inbox: Inbox) -> None:
    expert = inbox.users["expert"]
    inbox.committed.execute(
        "insert into public.notification_preferences (user_id, event, channel, mode) values (%s, 'message_unread',"
        " 'email', 'digest')",
        (expert,),
    )
    inbox.send("client", "Une question sur la TICPE.", [])
    inbox.committed.execute(
        "update public.messages set created_at = created_at - interval '31 minutes' where conversation_id = %s",
        (inbox.conversation,),
    )
    run = inbox.client_for("messages_unread")
    assert run.post("/messages-unread", json={}, headers={"X-Cron-Secret": CRON}).get_json()["digested"] >= 1
    with inbox.committed.transaction():
        tdb.as_user(inbox.committed, expert)
        inbox.committed.execute("select public.mark_conversation_read(%s)", (inbox.conversation,))
        tdb.as_owner(inbox.committed)
    notice = inbox.committed.execute(
        "select status from public.notifications where recipient_id = %s and event = 'message_unread'", (expert,)
    ).fetchone()
    assert notice == {"status": "read"}
    inbox.committed.execute("select private.compose_digests(%s)", (_next_digest_time(),))
    digest = inbox.committed.execute(
        "select count(*) as n from public.email_outbox where recipient_id = %s and event = 'digest'", (expert,)
    ).fetchone()
    assert digest == {"n": 0}  # nothing unread: no digest


def test_the_retention_job_removes_the_objects_of_deleted_attachments(inbox: Inbox) -> None:
    sent = inbox.attach("client", "old.pdf", PDF)
    assert inbox.storage.exists(sent["storage_key"])
    inbox.committed.execute("delete from public.message_attachments where id = %s", (sent["attachment_id"],))
    run = inbox.client_for("messages_retention")
    response = run.post("/messages-retention", json={}, headers={"X-Cron-Secret": CRON})
    assert response.status_code == 200 and response.get_json()["objects_removed"] >= 1
    assert not inbox.storage.exists(sent["storage_key"])
    left = inbox.committed.execute(
        "select count(*) as n from private.messaging_purged_objects where storage_key = %s", (sent["storage_key"],)
    ).fetchone()
    assert left == {"n": 0}
