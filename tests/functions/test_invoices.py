"""`invoices` (and the `dossier` routes of its commands) through the WSGI apps, real tokens, real database."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pytest
from flask.testing import FlaskClient

from infra import devserver
from shared.invoices.render import read_back
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support import invoices as tinv
from tests.support.exports import xlsx_cells
from tests.support.tokens import KeyPair

SIGNING = "invoice-signing-secret-for-tests"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Office:
    def __init__(self, committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient]) -> None:
        self.conn, self.keys = committed, keys
        self.app, self.dossier_app = client_for("invoices"), client_for("dossier")
        self.org, self.other = tdb.make_org(committed, "Cabinet Factures"), tdb.make_org(committed, "Autre")
        tinv.set_seller(committed, self.org)
        tinv.set_seller(committed, self.other)
        self.users: dict[str, uuid.UUID] = {}
        for name, role, where in (
            ("owner", "owner", self.org),
            ("admin", "admin", self.org),
            ("viewer", "viewer", self.org),
            ("expert", "expert", self.org),
            ("client", "client", self.org),
            ("partner", "partner", self.org),
            ("stranger", "admin", self.other),
        ):
            self.users[name] = tdb.make_user(committed)
            tdb.add_member(committed, where, self.users[name], role)
        self.expert = tdb.make_expert(committed, self.org, self.users["expert"])
        self.company = tinv.make_buyer(
            committed, self.org, users=(self.users["client"],), partner=self.users["partner"]
        )
        tdb.as_owner(committed)

    def dossier(self, **over: Any) -> uuid.UUID:
        return tinv.make_refundable_dossier(
            self.conn, self.org, self.company, self.expert, partner_share_rate=Decimal("0.10"), **over
        )

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.token(self.users[who])}"}

    def get(self, who: str, path: str) -> Any:
        return self.app.get(path, headers=self.auth(who))

    def post(self, who: str, path: str, body: dict[str, Any], app: FlaskClient | None = None) -> Any:
        return (app or self.app).post(path, json=body, headers=self.auth(who))

    def confirmed(self, **over: Any) -> tuple[uuid.UUID, str]:
        dossier = self.dossier(**over)
        response = self.post("expert", f"/invoices/dossiers/{dossier}/confirm-refund", tinv.CONFIRM)
        assert response.status_code == 200, response.get_json()
        return dossier, response.get_json()["result"]["invoice"]["id"]


@pytest.fixture
def office(
    committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient], use: Callable[..., Settings],
    tmp_path: Any,
) -> Office:  # fmt: skip
    use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret(SIGNING), public_base_url="http://127.0.0.1:8080")
    return Office(committed, keys, client_for)


@pytest.fixture(scope="module")
def dev() -> FlaskClient:
    return devserver.build_app().test_client()


def test_confirm_refund_issues_and_stores_the_factur_x_invoice(office: Office, dev: FlaskClient) -> None:
    dossier = office.dossier()
    response = office.post("expert", f"/invoices/dossiers/{dossier}/confirm-refund", tinv.CONFIRM)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["step"], body["progress"]) == ("refund_confirmed", 8, 95)
    invoice = body["result"]["invoice"]
    assert invoice["number"].startswith("PROF-") and invoice["number"].endswith("-0001")
    detail = office.get("client", f"/invoices/{invoice['id']}").get_json()
    assert (detail["invoice_ht"], detail["vat"], detail["invoice_ttc"], detail["balance"]) == (
        "900.00",
        "180.00",
        "1080.00",
        "1080.00",
    )
    assert detail["has_document"] is True and detail["buyer"]["name"] == "Transports Martin"
    link = office.get("client", f"/invoices/{invoice['id']}/document")
    assert link.status_code == 200, link.get_json()
    out = link.get_json()
    assert out["expires_in"] == 900 and out["file_name"] == f"{invoice['number']}.pdf"
    url = urlsplit(out["url"])
    assert url.path == f"/storage/{office.org}/invoices/{invoice['number']}.pdf"
    file = dev.get(f"{url.path}?{url.query}")
    assert file.status_code == 200 and file.data.startswith(b"%PDF")
    name, xml = read_back(file.data)
    assert name == "factur-x.xml" and invoice["number"].encode() in xml and b"<ram:GrandTotalAmount>1080.00" in xml
    text = pypdf.PdfReader(io.BytesIO(file.data)).pages[0].extract_text()
    assert invoice["number"] in text and "1 080,00" in text.replace("\u202f", " ")
    again = office.get("admin", f"/invoices/{invoice['id']}/document").get_json()
    assert again["sha256"] == out["sha256"]  # rendered once, the stored file is served


def test_the_dossier_function_serves_the_same_commands(office: Office) -> None:
    dossier = office.dossier()
    confirmed = office.post("admin", f"/dossier/dossiers/{dossier}/confirm-refund", tinv.CONFIRM, office.dossier_app)
    assert confirmed.status_code == 200, confirmed.get_json()
    invoice_id = confirmed.get_json()["result"]["invoice"]["id"]
    assert office.get("admin", f"/invoices/{invoice_id}").get_json()["has_document"] is False
    payment = {"amount": "1080.00", "paid_on": "2026-11-02", "method": "virement", "reference": "VIR-9"}
    paid = office.post("admin", f"/dossier/dossiers/{dossier}/record-payment", payment, office.dossier_app)
    assert paid.status_code == 200, paid.get_json()
    assert (paid.get_json()["status"], paid.get_json()["result"]["invoice"]["status"]) == ("closed", "paid")
    assert office.get("viewer", f"/invoices/{invoice_id}/document").status_code == 200  # rendered at first download
    assert office.get("admin", f"/invoices/{invoice_id}").get_json()["has_document"] is True


def test_refusals_are_problem_json_naming_the_field(office: Office) -> None:
    dossier = office.dossier()
    bad = office.post("expert", f"/invoices/dossiers/{dossier}/confirm-refund", {**tinv.CONFIRM, "refund_amount": "0"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert [e["field"] for e in bad.get_json()["errors"]] == ["refund_amount"]
    tdb.as_owner(office.conn)
    office.conn.execute("update public.client_companies set siren = null where id = %s", (office.company,))
    missing = office.post("expert", f"/invoices/dossiers/{dossier}/confirm-refund", tinv.CONFIRM)
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "client_company.siren"
    assert office.post("client", f"/invoices/dossiers/{dossier}/confirm-refund", tinv.CONFIRM).status_code == 403
    assert office.post("stranger", f"/invoices/dossiers/{dossier}/confirm-refund", tinv.CONFIRM).status_code == 404
    assert office.post("admin", "/invoices/dossiers/not-a-uuid/confirm-refund", tinv.CONFIRM).status_code == 422
    payment = {"amount": "1", "paid_on": "2026-11-02", "method": "virement", "reference": "V"}
    early = office.post("admin", f"/invoices/dossiers/{dossier}/record-payment", payment)
    assert early.status_code == 409 and early.get_json()["code"] == "invalid_transition"
    unknown = office.post("admin", f"/invoices/dossiers/{dossier}/record-payment", {**payment, "method": "especes"})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "method"


def test_credit_notes_and_declared_payments(office: Office) -> None:
    dossier, invoice_id = office.confirmed()
    assert office.post("client", f"/invoices/{invoice_id}/credit-notes", {"reason": "Erreur"}).status_code == 403
    created = office.post("admin", f"/invoices/{invoice_id}/credit-notes", {"reason": "Remise", "amount_ht": "100"})
    assert created.status_code == 201, created.get_json()
    note = created.get_json()["credit_note"]
    assert note["number"].startswith("AV-") and note["amount_ttc"] == 120.0
    link = office.get("client", f"/invoices/credit-notes/{note['id']}/document")
    assert link.status_code == 200 and link.get_json()["file_name"] == f"{note['number']}.pdf"
    detail = office.get("client", f"/invoices/{invoice_id}").get_json()
    assert [c["number"] for c in detail["credit_notes"]] == [note["number"]] and detail["balance"] == "960.00"
    declared = office.post("client", f"/invoices/{invoice_id}/declare-payment", {"paid_on": "2026-11-03"})
    assert declared.status_code == 201 and declared.get_json()["invoice"]["status"] == "issued"
    assert office.post("admin", f"/invoices/{invoice_id}/declare-payment", {"paid_on": "2026-11-03"}).status_code == 403
    bad = office.post("client", f"/invoices/{invoice_id}/declare-payment", {"paid_on": "demain"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "paid_on"
    _ = dossier


def test_lists_show_each_role_its_invoices_and_the_split_only_to_staff(office: Office) -> None:
    _, first = office.confirmed()
    _, second = office.confirmed(product="urssaf")
    for who, expected in (("admin", 2), ("viewer", 2), ("expert", 2), ("client", 2), ("partner", 0), ("stranger", 0)):
        page = office.get(who, "/invoices?limit=50")
        assert page.status_code == 200 and len(page.get_json()["items"]) == expected, who
    page = office.get("admin", "/invoices?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_after"] == page["items"][0]["id"]
    rest = office.get("admin", f"/invoices?limit=1&after={page['next_after']}").get_json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {first, second}
    assert office.get("client", "/invoices?status=paid").get_json()["items"] == []
    assert office.get("stranger", f"/invoices/{first}").status_code == 404
    assert office.get("partner", f"/invoices/{first}/document").status_code == 404
    assert office.get("admin", "/invoices?status=unknown").status_code == 422
    staff = office.get("admin", "/invoices/export")
    assert staff.status_code == 200 and staff.mimetype == XLSX
    cells = next(iter(xlsx_cells(staff.data).values()))
    header = next(row for row in cells if row and row[0] == "Numéro")
    assert header[-2:] == ["Part apporteur", "Net plateforme"]
    total = next(row for row in cells if row and row[0] == "Total")
    assert total[7] == 1800 and total[-2:] == [180, 1620]  # HT 2 × 900; partner 2 × 90; platform 2 × 810
    client = office.get("client", "/invoices/export?lang=en")
    client_cells = next(iter(xlsx_cells(client.data).values()))
    client_header = next(row for row in client_cells if row and row[0] == "Number")
    assert client_header[-1] == "Status" and "Platform net" not in client_header


@pytest.mark.race
def test_two_first_downloads_at_once_store_one_file(office: Office, dev: FlaskClient) -> None:
    import threading

    dossier = office.dossier()
    confirmed = office.post("admin", f"/dossier/dossiers/{dossier}/confirm-refund", tinv.CONFIRM, office.dossier_app)
    invoice_id = confirmed.get_json()["result"]["invoice"]["id"]
    answers: list[dict[str, Any]] = []
    start = threading.Barrier(2)

    def download(who: str) -> None:
        start.wait(timeout=30)
        response = office.get(who, f"/invoices/{invoice_id}/document")
        answers.append(response.get_json())

    threads = [threading.Thread(target=download, args=(who,)) for who in ("admin", "client")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len({a["sha256"] for a in answers}) == 1
    url = urlsplit(answers[0]["url"])
    data = dev.get(f"{url.path}?{url.query}").data
    assert hashlib.sha256(data).hexdigest() == answers[0]["sha256"]


def test_partners_see_their_commissions_only(office: Office) -> None:
    dossier, invoice_id = office.confirmed()
    mine = office.get("partner", "/invoices/commissions").get_json()["items"]
    assert [(c["invoice_id"], c["amount"], c["status"]) for c in mine] == [(invoice_id, "90.00", "pending")]
    assert office.get("client", "/invoices/commissions").get_json()["items"] == []
    assert office.get("expert", "/invoices/commissions").get_json()["items"] == []
    assert len(office.get("admin", "/invoices/commissions").get_json()["items"]) == 1
    payment = {"amount": "1080.00", "paid_on": "2026-11-02", "method": "virement", "reference": "VIR-1"}
    assert office.post("admin", f"/invoices/dossiers/{dossier}/record-payment", payment).status_code == 200
    due = office.get("partner", "/invoices/commissions?status=due").get_json()["items"]
    assert len(due) == 1 and due[0]["due_since"] is not None
    assert office.get("partner", "/invoices/commissions?status=paid").status_code == 422
