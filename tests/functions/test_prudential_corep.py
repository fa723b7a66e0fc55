"""COREP reporting through the `prudential` function with real JWTs: template view with provenance,
stored validation results, drill-down, the draft workbook, WARNING comments, the package of an
approved calculation (validated by eba-xbridge), and who may see or do what (RLS, row counts)."""

from __future__ import annotations

import datetime
import hashlib
import io
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient

from shared.platform.settings import Secret, Settings
from shared.reporting.calendar import next_reference_dates
from shared.reporting.checks import structure_findings, xbridge_findings
from tests.support import db as tdb
from tests.support.prudential import Bank, make_bank
from tests.support.tokens import KeyPair

LEI = "529900T8BM49AURSDO55"
CORP = "eba_qEC:qx2036"


def corep_input(amount: str = "1000000", retail: str = "50000.10") -> dict[str, Any]:
    return {
        "id": "Q1-2026",
        "reference_date": "2026-03-31",
        "exposures": [
            {"id": "c1", "class": "corporate", "amount": amount, "cqs": 2},
            {"id": "r1", "class": "retail", "amount": retail},
        ],
        "own_funds": {"cet1_instruments": "200000", "at1_instruments": "10000"},
        "requirements": {"p2r": "0.02"},
    }


@pytest.fixture
def bank(
    committed: tdb.Conn,
    keys: KeyPair,
    client_for: Callable[[str], FlaskClient],
    use: Callable[..., Settings],
    tmp_path: Path,
) -> Bank:
    use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("corep-workbook-signing-secret-32b!!"))
    return make_bank(committed, keys, client_for("prudential"))


def approved_calculation(bank: Bank, document: dict[str, Any]) -> str:
    version = bank.version(bank.portfolio(), document)
    calc = bank.calculate(version)
    assert bank.post("analyst", f"/versions/{version}/submit", {"comment": "Q1"}).status_code == 200
    assert bank.post("approver", f"/versions/{version}/approve", {"comment": "Vu"}).status_code == 200
    return str(calc["id"])


def test_template_view_is_stored_with_the_calculation_and_drills_down(bank: Bank, committed: tdb.Conn) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input()))["id"]
    view = bank.get("analyst", f"/calculations/{calc}/corep?module=corep_of")
    assert view.status_code == 200, view.json
    body: dict[str, Any] = view.json  # type: ignore[assignment]
    assert body["approved"] is False and body["framework"] == "COREP 4.2"
    cells = {(c["table"], c["sheet"], c["row"], c["column"]): c for c in body["cells"]}
    assert cells[("C_07.00.a", CORP, "r0010", "c0220")]["value"] == "500000.00"
    assert cells[("C_01.00", None, "r0020", "c0010")]["source"] == "capital.cet1"
    assert body["validation"]["errors"] == 0 and body["validation"]["findings"]
    stored = committed.execute(
        "select module, error_count, jsonb_array_length(findings) as n from public.corep_validation_results"
        " where calculation_id = %s",
        (calc,),
    ).fetchall()
    assert [(r["module"], r["error_count"]) for r in stored] == [("corep_of", 0)] and stored[0]["n"] > 10
    drill = bank.get(
        "viewer",
        f"/calculations/{calc}/corep/drill-down?table=C_07.00.a&row=r0010&column=c0220&sheet={CORP}",
    )
    assert drill.status_code == 200, drill.json
    assert drill.json["exposure_count"] == 1 and drill.json["exposures"][0]["id"] == "c1"  # type: ignore[index]
    missing = bank.get("viewer", f"/calculations/{calc}/corep/drill-down?table=C_07.00.a&row=r0010&column=c0220")
    assert (missing.status_code, missing.json["code"]) == (404, "cell_not_found")  # type: ignore[index]


def test_bad_query_is_422_naming_the_field(bank: Bank) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input()))["id"]
    response = bank.get("analyst", f"/calculations/{calc}/corep?module=finrep9")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert any("module" in e["field"] for e in response.json["errors"])  # type: ignore[index]
    bad = bank.get("analyst", f"/calculations/{calc}/corep/package?lei=abc&country=FR")
    assert bad.status_code == 422 and any("lei" in e["field"] for e in bad.json["errors"])  # type: ignore[index]


def test_draft_workbook_and_no_package_before_approval(bank: Bank) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input()))["id"]
    book = bank.get("viewer", f"/calculations/{calc}/corep/workbook?module=corep_of&lang=en")
    assert book.status_code == 200 and "DRAFT" in book.headers["Content-Disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(book.data)).sheetnames
    assert "C 01.00" in sheets and "C 07.00.a qx2036" in sheets and sheets[-1] == "Validation"
    refused = bank.get("analyst", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR")
    assert (refused.status_code, refused.json["code"]) == (409, "calculation_not_approved")  # type: ignore[index]


def test_package_of_an_approved_calculation_passes_eba_xbridge(bank: Bank, tmp_path: Path) -> None:
    calc = approved_calculation(bank, corep_input())
    first = bank.get("viewer", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR&basis=IND")
    assert first.status_code == 200, first.json
    name = f"{LEI}.IND_FR_COREP040100_COREPOF_2026-03-31_20260331000000000.zip"
    assert name in first.headers["Content-Disposition"]
    again = bank.get("analyst", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR&basis=IND")
    assert hashlib.sha256(first.data).digest() == hashlib.sha256(again.data).digest()
    path = tmp_path / name
    path.write_bytes(first.data)
    assert xbridge_findings(path) == {"errors": {}, "warnings": {}}
    assert structure_findings(first.data, name) == []
    assert any(n.endswith("reports/c_07.00.a.csv") for n in zipfile.ZipFile(io.BytesIO(first.data)).namelist())
    approved_book = bank.get("viewer", f"/calculations/{calc}/corep/workbook")
    assert "BROUILLON" not in approved_book.headers["Content-Disposition"]


def test_a_failing_warning_needs_a_comment_before_the_package(bank: Bank, committed: tdb.Conn) -> None:
    calc = approved_calculation(bank, corep_input(amount="1000", retail="100"))  # CET1 ratio far above 50: a WARNING
    view = bank.get("analyst", f"/calculations/{calc}/corep").json
    failing = {f["rule"] for f in view["validation"]["findings"] if f["status"] == "failed"}  # type: ignore[index]
    assert "ft_c0300_w0010" in failing and view["validation"]["errors"] == 0  # type: ignore[index]
    ratio = next(c for c in view["cells"] if (c["table"], c["row"]) == ("C_03.00", "r0010"))  # type: ignore[index]
    assert "ft_c0300_w0010" in ratio["failed_rules"]
    blocked = bank.get("analyst", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR")
    assert blocked.status_code == 422
    assert {e["field"] for e in blocked.json["errors"]} == failing  # type: ignore[index]
    assert (
        bank.post(
            "viewer",
            f"/calculations/{calc}/corep/comments",
            {"rule": "ft_c0300_w0010", "comment": "Capital de démarrage"},
        ).status_code
        == 403
    )
    assert (
        bank.post("analyst", f"/calculations/{calc}/corep/comments", {"rule": "v0204_m", "comment": "x"}).status_code
        == 422
    )  # an ERROR rule is not explained away
    for rule in sorted(failing):
        made = bank.post(
            "analyst", f"/calculations/{calc}/corep/comments", {"rule": rule, "comment": "Banque en création"}
        )
        assert made.status_code == 201, made.json
    assert bank.get("viewer", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR").status_code == 200
    explained = bank.get("viewer", f"/calculations/{calc}/corep").json
    assert all(f["comment"] for f in explained["validation"]["findings"] if f["status"] == "failed")  # type: ignore[index]
    other = bank.post("approver", f"/calculations/{calc}/corep/comments", {"rule": sorted(failing)[0], "comment": "y"})
    assert other.status_code == 403  # only its author revises a comment


def test_who_sees_and_records_corep(bank: Bank, committed: tdb.Conn) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input(amount="1000", retail="100")))["id"]
    for who in ("owner", "admin", "analyst", "approver", "viewer"):
        assert bank.get(who, f"/calculations/{calc}/corep").status_code == 200, who
    for who in ("expert", "client", "partner", "stranger"):
        assert bank.get(who, f"/calculations/{calc}/corep").status_code == 404, who
        assert bank.get(who, f"/calculations/{calc}/corep/workbook").status_code == 404, who
    assert (
        bank.post(
            "analyst", f"/calculations/{calc}/corep/comments", {"rule": "ft_c0300_w0010", "comment": "ok"}
        ).status_code
        == 201
    )
    counts = {}
    for who in ("owner", "admin", "analyst", "approver", "viewer", "expert", "client", "partner", "stranger"):
        with committed.transaction():
            tdb.as_user(committed, bank.users[who])
            conn = committed
            counts[who] = (
                conn.execute(
                    "select count(*) as n from public.corep_validation_results where calculation_id = %s", (calc,)
                ).fetchone()["n"],  # type: ignore[index]
                conn.execute(
                    "select count(*) as n from public.corep_rule_comments where calculation_id = %s", (calc,)
                ).fetchone()["n"],  # type: ignore[index]
            )
            tdb.as_owner(committed)
    assert counts == {
        "owner": (1, 1),
        "admin": (1, 1),
        "analyst": (1, 1),
        "approver": (1, 1),
        "viewer": (1, 1),
        "expert": (0, 0),
        "client": (0, 0),
        "partner": (0, 0),
        "stranger": (0, 0),
    }


def test_the_calendar_follows_a_report_from_no_calculation_to_exported(bank: Bank) -> None:
    portfolio = bank.portfolio()
    plan = {
        "organization_id": str(bank.org),
        "module": "corep_of",
        "basis": "CON",
        "portfolio_id": portfolio,
        "country": "FR",
    }
    assert bank.post("analyst", "/corep/plans", plan).status_code == 403
    assert bank.post("expert", "/corep/plans", plan).status_code == 404
    made = bank.post("owner", "/corep/plans", plan)
    assert made.status_code == 201, made.json
    today = datetime.datetime.now(datetime.UTC).date()
    (reference, due), _ = next_reference_dates("corep_of", today, "FR")

    def state() -> dict[str, Any]:
        items = bank.get("viewer", "/corep/calendar").json["items"]  # type: ignore[index]
        first: dict[str, Any] = items[0]
        assert (first["module"], first["reference_date"], first["remittance_date"]) == (
            "corep_of",
            reference.isoformat(),
            due.isoformat(),
        )
        assert first["days_left"] == (due - today).days and len(items) == 2
        return first

    assert state()["state"] == "no_calculation"
    document = corep_input()
    document["reference_date"] = reference.isoformat()
    version = bank.version(portfolio, document)
    assert state()["state"] == "no_calculation"
    calc = bank.calculate(version)["id"]
    assert (state()["state"], state()["calculation_id"]) == ("draft", calc)
    assert bank.post("analyst", f"/versions/{version}/submit", {}).status_code == 200
    assert state()["state"] == "in_review"
    assert bank.post("approver", f"/versions/{version}/approve", {}).status_code == 200
    assert state()["state"] == "approved"
    assert bank.get("viewer", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR").status_code == 200
    assert state()["state"] == "exported"
    assert bank.get("stranger", "/corep/calendar").json["items"] == []  # type: ignore[index]


def test_signed_links_for_the_workbook_and_the_package(bank: Bank) -> None:
    calc = approved_calculation(bank, corep_input())
    link = bank.get("viewer", f"/calculations/{calc}/corep/package-link?lei={LEI}&country=FR")
    assert link.status_code == 200, link.json
    body: dict[str, Any] = link.json  # type: ignore[assignment]
    assert body["file_name"].endswith("_COREPOF_2026-03-31_20260331000000000.zip") and body["expires_in"] == 900
    direct = bank.get("viewer", f"/calculations/{calc}/corep/package?lei={LEI}&country=FR")
    assert body["sha256"] == hashlib.sha256(direct.data).hexdigest()
    assert "sig" in body["url"] or "Signature" in body["url"] or "signature" in body["url"]
    book = bank.get("viewer", f"/calculations/{calc}/corep/workbook-link?lang=en")
    assert book.status_code == 200 and book.json["file_name"].endswith(".xlsx")  # type: ignore[index]
    assert bank.get("stranger", f"/calculations/{calc}/corep/package-link?lei={LEI}&country=FR").status_code == 404


@pytest.mark.race
def test_concurrent_views_record_one_result_row(
    bank: Bank, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    calc = bank.calculate(bank.version(bank.portfolio(), corep_input()))["id"]
    clients = [client_for("prudential") for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def view(client: FlaskClient, who: str) -> None:
        barrier.wait()
        response = client.get(f"/prudential/calculations/{calc}/corep", headers=bank.headers(who))
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=view, args=(c, w))
        for c, w in zip(clients, ("analyst", "approver", "owner", "admin"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 4
    rows = committed.execute(
        "select count(*) as n from public.corep_validation_results where calculation_id = %s", (calc,)
    ).fetchone()
    assert rows is not None and rows["n"] == 1
