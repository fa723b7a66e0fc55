"""The `prudential` function through its WSGI app with real JWTs: portfolios, versions validated by
the engine's validator, calculations recomputed to the same bytes, and the four-eyes approval."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from flask.testing import FlaskClient

from shared.platform.settings import Secret, Settings
from shared.prudential.engine import compute
from shared.prudential.numbers import canonical_json
from shared.prudential.rules import load_rule_set
from tests.support import db as tdb
from tests.support.prudential import Bank, bank_input, make_bank
from tests.support.tokens import KeyPair


@pytest.fixture
def bank(committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient]) -> Bank:
    return make_bank(committed, keys, client_for("prudential"))


def test_a_calculation_keeps_its_hashes_and_recomputes_to_the_same_bytes(bank: Bank) -> None:
    portfolio = bank.portfolio()
    version = bank.version(portfolio)
    calc = bank.calculate(version)
    expected = compute(bank_input(), "CRR3-2025.1")
    assert calc["result"] == expected  # the CLI's engine, the CLI's output
    assert calc["rule_set"] == "CRR3-2025.1" and calc["reference_date"] == "2025-12-31"
    assert calc["input_sha256"] == hashlib.sha256(canonical_json(bank_input())).hexdigest()
    assert calc["result_sha256"] == hashlib.sha256(canonical_json(expected)).hexdigest()
    stored = bank.get("viewer", f"/calculations/{calc['id']}")
    assert stored.status_code == 200
    assert hashlib.sha256(canonical_json(stored.json["result"])).hexdigest() == calc["result_sha256"]  # type: ignore[index]
    verified = bank.post("viewer", f"/calculations/{calc['id']}/verify")
    assert verified.status_code == 200, verified.json
    assert verified.json["identical"] is True  # type: ignore[index]
    assert verified.json["recomputed_result_sha256"] == calc["result_sha256"]  # type: ignore[index]


def test_a_tampered_stored_result_no_longer_verifies(bank: Bank, committed: tdb.Conn) -> None:
    version = bank.version(bank.portfolio())
    calc = bank.calculate(version)
    committed.execute("alter table public.prudential_calculations disable trigger prudential_calculations_guard")
    try:
        committed.execute(
            "update public.prudential_calculations set result = jsonb_set(result, '{trea,total}', '\"1.00\"')"
            " where id = %s",
            (calc["id"],),
        )
    finally:
        committed.execute("alter table public.prudential_calculations enable trigger prudential_calculations_guard")
    verified = bank.post("analyst", f"/calculations/{calc['id']}/verify")
    assert verified.json["identical"] is False  # type: ignore[index]
    assert verified.json["recomputed_result_sha256"] == calc["result_sha256"]  # type: ignore[index]
    assert verified.json["stored_result_sha256"] != calc["result_sha256"]  # type: ignore[index]


def test_bad_input_is_422_naming_each_field_and_stores_nothing(bank: Bank) -> None:
    portfolio = bank.portfolio()
    bad = bank_input()
    bad["exposures"][0]["cqs"] = 9
    bad["exposures"][1]["amount"] = "-5"
    response = bank.post("analyst", f"/portfolios/{portfolio}/versions", {"input": bad})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"]: e["rule"] for e in response.json["errors"]}  # type: ignore[index]
    assert "input.exposures[0].cqs" in fields and "input.exposures[1].amount" in fields
    detail = bank.get("analyst", f"/portfolios/{portfolio}")
    assert detail.json["versions"] == []  # type: ignore[index]
    assert bank.post("analyst", f"/portfolios/{portfolio}/versions", {"nope": {}}).status_code == 422
    assert (
        bank.post("analyst", f"/portfolios/{portfolio}/versions", data="{", content_type="application/json").status_code
        == 400
    )


def test_who_sees_and_writes_portfolios(bank: Bank) -> None:
    portfolio = bank.portfolio("analyst")
    for who in ("owner", "admin", "analyst", "approver", "viewer"):
        assert bank.get(who, f"/portfolios/{portfolio}").status_code == 200, who
    for who in ("expert", "client", "partner", "stranger"):
        assert bank.get(who, f"/portfolios/{portfolio}").status_code == 404, who
        assert bank.get(who, "/portfolios").json["items"] == [], who  # type: ignore[index]
    assert bank.post("viewer", "/portfolios", {"name": "Nope"}).status_code == 403  # no prudential write right
    assert bank.post("expert", "/portfolios", {"name": "Nope"}).status_code == 404  # nothing prudential at all
    assert bank.post("viewer", f"/portfolios/{portfolio}/versions", {"input": bank_input()}).status_code == 403
    version = bank.version(portfolio)
    assert bank.post("viewer", f"/versions/{version}/calculate", {}).status_code == 403
    assert bank.post("expert", f"/versions/{version}/calculate", {}).status_code == 404
    assert bank.calculate(version, who="approver")["created_by"] == str(bank.users["approver"])
    assert bank.client.delete(f"/prudential/portfolios/{portfolio}", headers=bank.headers("analyst")).status_code == 404
    assert bank.client.delete(f"/prudential/portfolios/{portfolio}", headers=bank.headers("admin")).status_code == 204
    assert bank.client.get("/prudential/portfolios").status_code == 401


def test_four_eyes_through_http(bank: Bank) -> None:
    version = bank.version(bank.portfolio())
    assert bank.post("analyst", f"/versions/{version}/submit", {}).json["code"] == "calculation_required"  # type: ignore[index]
    bank.calculate(version)
    submitted = bank.post("analyst", f"/versions/{version}/submit", {"comment": "Q4"})
    assert submitted.status_code == 200 and submitted.json["status"] == "in_review"  # type: ignore[index]
    assert bank.put("analyst", f"/versions/{version}", {"input": bank_input("5")}).status_code == 409
    refused = bank.post("analyst2", f"/versions/{version}/approve", {})
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden")  # type: ignore[index]
    no_comment = bank.post("approver", f"/versions/{version}/reject", {})
    assert (no_comment.status_code, no_comment.json["code"]) == (422, "comment_required")  # type: ignore[index]
    approved = bank.post("approver", f"/versions/{version}/approve", {"comment": "Vu"})
    assert approved.status_code == 200 and approved.json["status"] == "approved"  # type: ignore[index]
    again = bank.put("owner", f"/versions/{version}", {"input": bank_input("5")})
    assert (again.status_code, again.json["code"]) == (409, "version_not_draft")  # type: ignore[index]
    history = bank.get("analyst", f"/versions/{version}/history")
    assert history.status_code == 200, history.json
    entries = history.json["items"]  # type: ignore[index]
    assert [e["action"] for e in entries] == ["version_submitted", "version_approved"]
    assert [e["actor_id"] for e in entries] == [str(bank.users["analyst"]), str(bank.users["approver"])]
    assert entries[1]["details"]["comment"] == "Vu" and entries[1]["prev_hash"] == entries[0]["row_hash"]
    assert entries[1]["details"]["input_sha256"] == hashlib.sha256(canonical_json(bank_input())).hexdigest()
    assert bank.get("expert", f"/versions/{version}/history").status_code == 404


def test_a_rejected_version_reopens_as_the_next_draft(bank: Bank) -> None:
    portfolio = bank.portfolio()
    version = bank.version(portfolio)
    bank.calculate(version)
    bank.post("analyst", f"/versions/{version}/submit", {})
    self_review = bank.post("analyst", f"/versions/{version}/reject", {"comment": "x"})
    assert self_review.status_code == 403  # an analyst cannot decide at all
    rejected = bank.post("approver", f"/versions/{version}/reject", {"comment": "Fonds propres à revoir"})
    assert rejected.status_code == 200, rejected.json
    new_id = rejected.json["new_version_id"]  # type: ignore[index]
    new = bank.get("analyst", f"/versions/{new_id}")
    assert new.json["version"] == 2 and new.json["status"] == "draft"  # type: ignore[index]
    assert new.json["input"] == bank.get("analyst", f"/versions/{version}").json["input"]  # type: ignore[index]
    edited = bank.put("analyst", f"/versions/{new_id}", {"input": bank_input("900000")})
    assert edited.status_code == 200 and edited.json["exposure_count"] == 2  # type: ignore[index]


def _crr3(code: str) -> dict[str, Any]:
    document = load_rule_set("CRR3-2025.1").to_document()
    document["rule_set"] = code
    return document


def test_owners_and_admins_publish_a_rule_set_version_without_a_deploy(bank: Bank) -> None:
    document = _crr3("CRR3-2025.2")
    for row in document["parameters"]:
        if row["code"] == "rw_corporate" and row["key"] == "2":
            row["value"] = "0.6"  # cqs 2 corporates at 60 % instead of 50 %
    for who in ("analyst", "approver", "viewer"):
        refused = bank.post(who, "/rule-sets", {"document": document})
        assert refused.status_code == 403, who
    assert bank.post("expert", "/rule-sets", {"document": document}).status_code == 404
    published = bank.post("admin", "/rule-sets", {"document": document})
    assert published.status_code == 201, published.json
    assert published.json["parameter_count"] == len(document["parameters"])  # type: ignore[index]
    assert bank.post("owner", "/rule-sets", {"document": document}).json["code"] == "rule_set_exists"  # type: ignore[index]
    codes = [r["code"] for r in bank.get("viewer", "/rule-sets").json["items"]]  # type: ignore[index]
    assert codes == ["CRR3-2025.1", "CRR3-2025.2"]
    assert [r["code"] for r in bank.get("stranger", "/rule-sets").json["items"]] == ["CRR3-2025.1"]  # type: ignore[index]

    version = bank.version(bank.portfolio())
    base = bank.calculate(version)
    response = bank.post("analyst", f"/versions/{version}/calculate", {"rule_set": "CRR3-2025.2"})
    assert response.status_code == 201, response.json
    newer = response.json
    assert newer["result"]["exposures"][0]["risk_weight"] == "0.600000"  # type: ignore[index]
    assert base["result"]["exposures"][0]["risk_weight"] == "0.500000"
    assert newer["input_sha256"] == base["input_sha256"]  # type: ignore[index]
    verified = bank.post("viewer", f"/calculations/{newer['id']}/verify")  # type: ignore[index]
    assert verified.json["identical"] is True  # type: ignore[index]
    unknown = bank.post("analyst", f"/versions/{version}/calculate", {"rule_set": "CRR3-2099.1"})
    assert unknown.status_code == 404


def test_a_rule_set_missing_parameters_or_malformed_is_422(bank: Bank) -> None:
    document = _crr3("CRR3-2025.3")
    document["parameters"] = document["parameters"][5:]
    response = bank.post("owner", "/rule-sets", {"document": document})
    assert (response.status_code, response.json["code"]) == (422, "invalid_rule_set")  # type: ignore[index]
    document = _crr3("CRR3-2025.3")
    document["parameters"][0]["value"] = "abc"
    assert bank.post("owner", "/rule-sets", {"document": document}).status_code == 422
    assert bank.get("owner", "/rule-sets").json["items"][-1]["code"] == "CRR3-2025.1"  # type: ignore[index]


def test_what_if_through_http_gives_every_figure_old_new_delta(bank: Bank) -> None:
    portfolio = bank.portfolio()
    version = bank.version(portfolio)
    bank.calculate(version)
    shocks = [{"type": "scale_class", "class": "corporate", "factor": 1.5}, {"type": "downgrade", "notches": 1}]
    response = bank.post("analyst", f"/versions/{version}/what-if", {"shocks": shocks})
    assert response.status_code == 200, response.json
    figures = response.json["figures"]  # type: ignore[index]
    corporate = figures["exposures"][0]
    assert corporate["exposure_value"] == {"old": "1000000.00", "new": "1500000.00", "delta": "500000.00"}
    assert corporate["risk_weight"] == {"old": "0.500000", "new": "0.750000", "delta": "0.250000"}
    assert figures["credit_risk"]["rwa"]["delta"] == "625000.00"  # 1 500 000 × 75 % − 1 000 000 × 50 %
    assert figures["rule_set"] == {"old": "CRR3-2025.1", "new": "CRR3-2025.1", "delta": None}
    old_ratio, new_ratio = figures["capital"]["cet1_ratio"]["old"], figures["capital"]["cet1_ratio"]["new"]
    assert Decimal(new_ratio) < Decimal(old_ratio)

    saved = bank.post("analyst", f"/portfolios/{portfolio}/scenarios", {"name": "Stress", "shocks": shocks})
    assert saved.status_code == 201, saved.json
    assert saved.json["shocks"][0]["factor"] == "1.5"  # type: ignore[index]
    by_scenario = bank.post("viewer", f"/versions/{version}/what-if", {"scenario_id": saved.json["id"]})  # type: ignore[index]
    assert by_scenario.status_code == 200
    assert by_scenario.json["figures"] == figures  # type: ignore[index]
    again = bank.post("analyst", f"/versions/{version}/what-if", {"shocks": shocks})
    assert again.json == response.json  # deterministic: nothing random
    listed = bank.get("viewer", f"/portfolios/{portfolio}/scenarios").json["items"]  # type: ignore[index]
    assert [s["name"] for s in listed] == ["Stress"]


def test_bad_shocks_are_422_naming_the_shock(bank: Bank) -> None:
    portfolio = bank.portfolio()
    version = bank.version(portfolio)
    bad = [{"type": "scale_class", "class": "corporate", "factor": 1.1}, {"type": "scale_class", "class": "x"}]
    response = bank.post("analyst", f"/portfolios/{portfolio}/scenarios", {"name": "Bad", "shocks": bad})
    assert response.status_code == 422
    assert any(e["field"].startswith("shocks[1]") for e in response.json["errors"])  # type: ignore[index]
    both = bank.post("analyst", f"/versions/{version}/what-if", {})
    assert both.status_code == 422
    random = bank.post("analyst", f"/versions/{version}/what-if", {"shocks": [{"type": "random"}]})
    assert random.status_code == 422
    assert bank.post("viewer", f"/portfolios/{portfolio}/scenarios", {"name": "V", "shocks": []}).status_code == 403


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_calculation_report_is_a_draft_until_approved(
    bank: Bank, use: Callable[..., Settings], tmp_path: Path
) -> None:
    use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("prudential-report-signing-secret-32b!"))
    version = bank.version(bank.portfolio(name="Solo T4"))
    calc = bank.calculate(version)
    xlsx = bank.get("viewer", f"/calculations/{calc['id']}/report?format=xlsx")
    assert xlsx.status_code == 200, xlsx.data[:300]
    assert "Brouillon" in xlsx.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Synthèse", "Expositions", "Risque de crédit", "TREA", "Fonds propres et exigences"]
    assert "BROUILLON" in str(book["Synthèse"]["A1"].value)
    exposures = book["Expositions"]
    assert exposures["E3"].value == Decimal("1000000") or exposures["E3"].value == 1000000  # a number, not text
    assert isinstance(exposures["F3"].value, float | int) and exposures["F3"].value == 0.5
    pdf = bank.get("viewer", f"/calculations/{calc['id']}/report?format=pdf&lang=fr")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    content = _pdf_text(pdf.data)
    assert "BROUILLON" in content and "TREA par type de risque" in content and "RWA par catégorie" in content
    assert "Ratio CET1" in content and "Banque Test" in content

    bank.post("analyst", f"/versions/{version}/submit", {})
    bank.post("approver", f"/versions/{version}/approve", {})
    approved = bank.get("viewer", f"/calculations/{calc['id']}/report?format=pdf&lang=en")
    text = _pdf_text(approved.data)
    assert "Approved version" in text and "DRAFT" not in text
    assert bank.get("expert", f"/calculations/{calc['id']}/report?format=pdf").status_code == 404
    assert bank.get("viewer", f"/calculations/{calc['id']}/report?format=docx").status_code == 422
