"""Imports through the `prudential` function: CSV and XLSX with mapped columns, a preview with every
row error, all-or-nothing commits, the error report, saved mappings, warnings, and hostile files that
get a clear error and change nothing."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared.adapters.storage import storage_from_settings
from shared.platform.settings import Secret, Settings
from shared.prudential.portfolios import jobs
from tests.support import db as tdb
from tests.support.prudential import Bank, bank_input, make_bank
from tests.support.tokens import KeyPair

CSV_OK = (
    "Identifiant;Classe;Encours;Échelon de qualité;Devise\n"
    "c1;corporate;1 000 000,00;2;EUR\n"
    "c2;corporate;250000;;EUR\n"
    "r1;retail;50000.10;;EUR\n"
).encode()


@pytest.fixture
def bank(committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient]) -> Bank:
    return make_bank(committed, keys, client_for("prudential"))


def _send(bank: Bank, who: str, path: str, data: bytes, name: str, **form: str) -> TestResponse:
    body: dict[str, Any] = {"file": (io.BytesIO(data), name), **form}
    return bank.client.post(
        f"/prudential{path}", headers=bank.headers(who), data=body, content_type="multipart/form-data"
    )


def _xlsx(rows: list[list[Any]], *, merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _versions(bank: Bank, portfolio: str) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = bank.get("analyst", f"/portfolios/{portfolio}").json["versions"]  # type: ignore[index]
    return versions


def test_a_csv_with_french_headers_is_previewed_then_imported(bank: Bank) -> None:
    portfolio = bank.portfolio()
    bank.version(portfolio)  # own funds and requirements come from the latest version
    preview = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", CSV_OK, "expo.csv")
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert body["mapping"] == {"Identifiant": "id", "Classe": "class", "Encours": "amount",  # type: ignore[index]
                               "Échelon de qualité": "cqs", "Devise": "currency"}  # fmt: skip
    assert body["errors"] == [] and body["valid_rows"] == 3  # type: ignore[index]
    assert body["preview"][0] == {"id": "c1", "class": "corporate", "amount": "1000000.00", "cqs": 2, "currency": "EUR"}  # type: ignore[index]
    assert _versions(bank, portfolio)[0]["version"] == 1  # a preview stores nothing
    done = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv")
    assert done.status_code == 201, done.json
    assert done.json["version"] == 2 and done.json["source"] == "import" and done.json["exposure_count"] == 3  # type: ignore[index]
    stored = bank.get("analyst", f"/versions/{done.json['id']}").json["input"]  # type: ignore[index]
    assert stored["own_funds"] == bank_input()["own_funds"] and len(stored["exposures"]) == 3
    assert bank.calculate(str(done.json["id"]))["result"]["credit_risk"]["exposure_value"] == "1300000.10"  # type: ignore[index]


def test_one_bad_row_rejects_the_whole_file(bank: Bank, use: Callable[..., Settings], tmp_path: Path) -> None:
    use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("prudential-import-signing-secret-32b!"))
    portfolio = bank.portfolio()
    data = _xlsx([["ID", "Classe", "Montant", "CQS"], ["c1", "corporate", 1000, 2], ["c2", "corporate", 500, 9],
                  ["c3", "spaceship", 10, None]])  # fmt: skip
    preview = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", data, "expo.xlsx")
    errors = preview.json["errors"]  # type: ignore[index]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "CQS"), (4, "Classe")]
    assert errors[0]["value"] == "9" and errors[0]["rule"]
    refused = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", data, "expo.xlsx", reference_date="2025-12-31")
    assert (refused.status_code, refused.json["code"]) == (422, "import_rejected")  # type: ignore[index]
    assert {e["row"] for e in refused.json["errors"]} == {3, 4}  # type: ignore[index]
    assert _versions(bank, portfolio) == []  # nothing was written
    report = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/errors?lang=fr", data, "expo.xlsx")
    assert report.status_code == 200, report.data[:200]
    sheet = openpyxl.load_workbook(io.BytesIO(report.data)).active
    assert [c.value for c in sheet[2]] == ["Ligne", "Colonne", "Valeur", "Règle", "Problème"]
    assert sheet["A3"].value == 3 and sheet["B3"].value == "CQS" and sheet["A4"].value == 4


def test_a_first_import_needs_a_reference_date(bank: Bank) -> None:
    portfolio = bank.portfolio()
    missing = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv")
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "reference_date"  # type: ignore[index]
    done = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv", reference_date="2025-12-31")
    assert done.status_code == 201 and done.json["reference_date"] == "2025-12-31"  # type: ignore[index]


def test_mappings_are_saved_by_owners_and_admins_and_reused(bank: Bank) -> None:
    portfolio = bank.portfolio()
    data = "Réf;Type;Expo brute\nc1;corporate;1000\n".encode()
    mapping = '{"Réf": "id", "Type": "class", "Expo brute": "amount"}'
    unmapped = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", data, "core.csv")
    assert unmapped.status_code == 422  # neither id nor class found
    denied = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", data, "core.csv", template="core",
                   mapping=mapping, save_mapping="true", reference_date="2025-12-31")  # fmt: skip
    assert denied.status_code == 403 and _versions(bank, portfolio) == []  # all or nothing, mapping included
    saved = _send(bank, "admin", f"/portfolios/{portfolio}/imports", data, "core.csv", template="core",
                  mapping=mapping, save_mapping="true", reference_date="2025-12-31")  # fmt: skip
    assert saved.status_code == 201, saved.json
    mappings = bank.get("analyst", "/mappings").json["items"]  # type: ignore[index]
    assert mappings[0]["template"] == "core" and mappings[0]["columns"]["expo_brute"] == "amount"
    again = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", data, "core.csv", template="core")
    assert again.status_code == 200 and again.json["mapping"]["Expo brute"] == "amount"  # type: ignore[index]
    wrong = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", data, "core.csv",
                  mapping='{"Réf": "nope"}')  # fmt: skip
    assert wrong.status_code == 422 and wrong.json["errors"][0]["rule"] == "unknown_field"  # type: ignore[index]


def test_anomalies_are_warnings_that_do_not_block(bank: Bank) -> None:
    portfolio = bank.portfolio()
    lines = ["id;class;amount"] + [f"r{i};retail;{10000 + i * 10}" for i in range(14)] + ["big;retail;2500000"]
    done = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", "\n".join(lines).encode(), "retail.csv",
                 reference_date="2025-12-31")  # fmt: skip
    assert done.status_code == 201, done.json
    rules = {(w["row"], w["rule"]) for w in done.json["warnings"]}  # type: ignore[index]
    assert {(16, "retail_over_1m"), (16, "z_score"), (16, "tukey")} <= rules
    assert all(row == 16 for row, _ in rules)


def test_a_formula_in_a_cell_is_a_row_error_never_stored(bank: Bank) -> None:
    portfolio = bank.portfolio()
    data = _xlsx([["id", "class", "amount"], ["c1", "corporate", 100], ['=HYPERLINK("http://x","y")', "corporate", 5]])
    preview = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", data, "f.xlsx")
    assert [(e["row"], e["rule"]) for e in preview.json["errors"]] == [(3, "formula")]  # type: ignore[index]
    csv = b"id,class,amount\nc1,corporate,100\n@SUM(1),corporate,5\n"
    preview = _send(bank, "analyst", f"/portfolios/{portfolio}/imports/preview", csv, "f.csv")
    assert [(e["row"], e["rule"]) for e in preview.json["errors"]] == [(3, "formula")]  # type: ignore[index]
    refused = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", csv, "f.csv", reference_date="2025-12-31")
    assert refused.status_code == 422 and _versions(bank, portfolio) == []


def _zip_bomb() -> bytes:
    base = _xlsx([["id", "class", "amount"], ["c1", "corporate", 1]])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/padding.bin", b"\0" * (80 * 1024 * 1024))
    return out.getvalue()


def _huge_declared_sheet() -> bytes:
    base = _xlsx([["id", "class", "amount"], ["c1", "corporate", 1]])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:C1000001"/>')
            book.writestr(item, content)
    return out.getvalue()


def _entity_bomb() -> bytes:
    base = _xlsx([["id", "class", "amount"], ["c1", "corporate", 1]])
    source = zipfile.ZipFile(io.BytesIO(base))
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = laughs + (content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content)
            book.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "code"),
    [
        ("latin1.csv", lambda: "id;class;amount;devise\nc1;corporate;1;é\n".encode("latin-1"), "encoding"),
        ("bomb.xlsx", _zip_bomb, "zip_bomb"),
        ("huge.xlsx", _huge_declared_sheet, "too_many_rows"),
        ("merged.xlsx", lambda: _xlsx([["id", None, "amount"], ["c1", "corporate", 1]], merge="A1:B1"), "header"),
        ("fake.xlsx", lambda: b"not a workbook at all", "format"),
        ("entities.xlsx", _entity_bomb, "format"),
        ("empty.csv", lambda: b"", "header"),
    ],
)
def test_hostile_files_get_a_clear_error_and_change_nothing(
    bank: Bank, name: str, make: Callable[[], bytes], code: str
) -> None:
    portfolio = bank.portfolio()
    for path in ("imports/preview", "imports"):
        response = _send(bank, "analyst", f"/portfolios/{portfolio}/{path}", make(), name, reference_date="2025-12-31")
        assert response.status_code == 422, (path, response.json)
        assert response.mimetype == "application/problem+json" and response.json["code"] == code  # type: ignore[index]
    assert _versions(bank, portfolio) == []


def test_who_may_import(bank: Bank) -> None:
    portfolio = bank.portfolio()
    for who in ("viewer",):
        response = _send(bank, who, f"/portfolios/{portfolio}/imports", CSV_OK, "e.csv", reference_date="2025-12-31")
        assert response.status_code == 403, who
    for who in ("expert", "client", "stranger"):
        response = _send(bank, who, f"/portfolios/{portfolio}/imports", CSV_OK, "e.csv", reference_date="2025-12-31")
        assert response.status_code == 404, who
    not_multipart = bank.post("analyst", f"/portfolios/{portfolio}/imports", {"file": "x"})
    assert not_multipart.status_code == 415
    no_file = bank.client.post(f"/prudential/portfolios/{portfolio}/imports", headers=bank.headers("analyst"),
                               data={"template": "x"}, content_type="multipart/form-data")  # fmt: skip
    assert no_file.status_code == 422


CRON = "prudential-import-cron-secret"


@pytest.fixture
def worker(
    use: Callable[..., Settings], tmp_path: Path, client_for: Callable[[str], FlaskClient]
) -> Callable[[], dict[str, int]]:
    use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret("prudential-import-signing-secret-32b!"),
        cron_secret=Secret(CRON))  # fmt: skip
    client = client_for("prudential_import_worker")

    def run() -> dict[str, int]:
        assert client.post("/prudential-import-worker", json={}).status_code == 401
        response = client.post("/prudential-import-worker", json={}, headers={"X-Cron-Secret": CRON})
        assert response.status_code == 200, response.json
        out: dict[str, int] = response.json  # type: ignore[assignment]
        return out

    return run


def test_a_large_import_becomes_a_job_the_worker_imports(bank: Bank, worker: Callable[[], dict[str, int]]) -> None:
    portfolio = bank.portfolio()
    queued = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv",
                   reference_date="2025-12-31", **{"async": "true"})  # fmt: skip
    assert queued.status_code == 202, queued.json
    location = queued.headers["Location"]
    assert queued.json["status"] == "queued" and location.endswith(queued.json["id"])  # type: ignore[index]
    assert _versions(bank, portfolio) == []
    assert worker()["done"] >= 1
    job = bank.get("viewer", location.removeprefix("/prudential")).json
    assert job["status"] == "done", job  # type: ignore[index]
    version = bank.get("analyst", f"/versions/{job['version_id']}").json  # type: ignore[index]
    assert version["source"] == "import" and version["exposure_count"] == 3  # type: ignore[index]
    assert bank.get("expert", location.removeprefix("/prudential")).status_code == 404


def test_a_rejected_file_fails_its_job_with_every_row_error(bank: Bank, worker: Callable[[], dict[str, int]]) -> None:
    portfolio = bank.portfolio()
    data = b"id;class;amount;cqs\nc1;corporate;100;9\nc2;corporate;-5;\n"
    queued = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", data, "bad.csv",
                   reference_date="2025-12-31", **{"async": "true"})  # fmt: skip
    assert queued.status_code == 202
    worker()
    job = bank.get("analyst", f"/import-jobs/{queued.json['id']}").json  # type: ignore[index]
    assert job["status"] == "failed" and job["error_code"] == "import_rejected"  # type: ignore[index]
    assert {e["row"] for e in job["errors"]} == {2, 3}  # type: ignore[index]
    assert _versions(bank, portfolio) == []


def test_only_writers_queue_import_jobs(bank: Bank, worker: Callable[[], dict[str, int]]) -> None:
    portfolio = bank.portfolio()
    refused = _send(bank, "viewer", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv", **{"async": "true"})
    assert refused.status_code == 403
    hidden = _send(bank, "client", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv", **{"async": "true"})
    assert hidden.status_code == 404


@pytest.mark.race
def test_two_workers_racing_import_a_job_once(bank: Bank, use: Callable[..., Settings], tmp_path: Path) -> None:
    secret = Secret("prudential-import-signing-secret-32b!")
    settings = use(storage_dir=str(tmp_path / "storage"), signing_secret=secret, cron_secret=Secret(CRON))
    portfolio = bank.portfolio()
    for _ in range(3):
        queued = _send(bank, "analyst", f"/portfolios/{portfolio}/imports", CSV_OK, "expo.csv",
                       reference_date="2025-12-31", **{"async": "true"})  # fmt: skip
        assert queued.status_code == 202
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def run() -> None:
        barrier.wait(timeout=10)
        results.append(jobs.run_worker(storage_from_settings(settings)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r["done"] for r in results) >= 3 and sum(r["lost"] for r in results) == 0
    assert sorted(v["version"] for v in _versions(bank, portfolio)) == [1, 2, 3]
