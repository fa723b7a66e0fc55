"""`export` through its WSGI app with real tokens: every document and format re-opened by its library,
inline versus job, polling and signed downloads through the dev server, access as every role, 422s."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from infra import devserver
from shared.adapters.storage import LocalStorage, storage_from_settings
from shared.exports import service
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.exports import (
    BRAND,
    CRON,
    DOCX,
    FOOTER,
    PDF,
    XLSX,
    World,
    csv_rows,
    docx_brand,
    docx_text,
    find_cell,
    fr,
    pdf_contents,
    pdf_has_image,
    pdf_rgb,
    pdf_text,
    xlsx_book,
)
from tests.support.simulate import Site
from tests.support.simulate import start as start_simulation

SIGNING = "export-test-signing-secret"
TOTAL = "179 471,36 €"  # TICPE 12 000 + URSSAF 122 500 + DFS 9 000 + foncier 691,36 + élec 5 280 + recouvrement 30 000


@pytest.fixture
def world(
    site: Site, committed: tdb.Conn, use: Callable[..., Settings], tmp_path: Any, client_for: Callable[[str], Any]
) -> World:
    settings = use(storage_dir=str(tmp_path / "storage"), signing_secret=Secret(SIGNING),
                   public_base_url="http://127.0.0.1:8080", cron_secret=Secret(CRON))  # fmt: skip
    return World(site, committed, storage_from_settings(settings), client_for)


@pytest.fixture(scope="module")
def dev() -> FlaskClient:
    return devserver.build_app().test_client()


def attachment_name(response: Any) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    found = re.search(r'filename="([^"]+)"', disposition)
    assert found is not None
    return found.group(1)


# --- every document in every format, re-opened ------------------------------------------------------


def test_simulation_report_xlsx(world: World) -> None:
    response = world.post("client", document="simulation-report", format="xlsx", simulation_id=world.simulation)
    assert response.status_code == 200 and response.mimetype == XLSX
    assert re.fullmatch(r"Rapport de simulation - Transports Simu - \d{4}-\d{2}-\d{2}\.xlsx", attachment_name(response))
    assert response.headers["Cache-Control"] == "private, no-store"
    book = xlsx_book(response.data)
    sheet = book["Synthèse"]
    ticpe = find_cell(sheet, "TICPE")
    amount = sheet.cell(ticpe.row, 3)
    assert amount.data_type == "n" and amount.value == 12000 and "€" in amount.number_format
    assert sheet.cell(ticpe.row, 5).value == (
        "Litres de carburant par mois : 5\u202f000 × 12 (mois par an) × 0,20 (€ remboursés par litre) = "
        + fr("12 000,00 €")
    )
    total = find_cell(sheet, "Total des gains estimés")
    assert sheet.cell(total.row, 3).value == pytest.approx(179471.36)
    assert find_cell(sheet, "Cabinet Simulateur").font.color.rgb == "FF" + BRAND[1:]
    assert find_cell(sheet, FOOTER)
    assert find_cell(sheet, "Transports Simu") and find_cell(sheet, "FR-2025.1")
    assert sheet.freeze_panes is not None and sheet.auto_filter.ref
    answers = book["Réponses"]
    assert answers.cell(find_cell(answers, "Montant annuel de la taxe foncière (€)").row, 2).value == fr("3 456,78 €")
    assert book["Synthèse"]._images, "the organization's logo is in the sheet"


def test_simulation_report_docx(world: World) -> None:
    response = world.post("admin", document="simulation-report", format="docx", simulation_id=world.simulation)
    assert response.status_code == 200 and response.mimetype == DOCX
    text = docx_text(response.data)
    assert fr("12 000,00 €") in text and fr("122 500,00 €") in text and fr(TOTAL) in text
    assert "Cabinet Simulateur" in text and FOOTER in text and "Transports Simu" in text
    assert "Les montants indiqués sont des estimations" in text
    colour, fills, media = docx_brand(response.data)
    assert colour == BRAND[1:] and BRAND[1:] in fills and media


def test_simulation_report_pdf(world: World) -> None:
    response = world.post("viewer", document="simulation-report", format="pdf", simulation_id=world.simulation)
    assert response.status_code == 200 and response.mimetype == PDF
    text = pdf_text(response.data)
    assert f"TICPE Oui {fr('12 000,00 €')}" in text
    assert f"Total des gains estimés {fr(TOTAL)}" in text
    assert "MSA Non Réservé au secteur Agriculture et Agroalimentaire" in text
    assert "Cabinet Simulateur" in text and FOOTER in text and re.search(r"\d{2}/\d{2}/\d{4}", text)
    assert pdf_rgb(BRAND) in pdf_contents(response.data) and pdf_has_image(response.data)


def test_simulation_report_in_english(world: World) -> None:
    body = {"document": "simulation-report", "format": "pdf", "lang": "en", "simulation_id": world.simulation}
    response = world.post("client", **body)
    text = pdf_text(response.data)
    assert "Yes €12,000.00" in text and "Total estimated gains €179,471.36" in text
    assert "TICPE (fuel excise duty" in text and "Fuel litres per month: 5,000 × 12 (months per year)" in text
    assert "Agriculture and food sector only" in text
    assert attachment_name(response).startswith("Simulation report - Transports Simu - ")


def test_comparison_xlsx_and_pdf(world: World) -> None:
    change = {"GENERAL_003": "6 à 20", "TICPE_001": "Non"}
    body = {"document": "comparison", "simulation_id": world.simulation, "answers": change}
    sheet = xlsx_book(world.post("client", format="xlsx", **body).data)["Produits"]
    urssaf = find_cell(sheet, "URSSAF")
    assert [sheet.cell(urssaf.row, c).value for c in range(2, 7)] == ["Oui", 122500, "Oui", 45500, -77000]
    ticpe = find_cell(sheet, "TICPE")
    assert [sheet.cell(ticpe.row, c).value for c in (2, 4, 6)] == ["Oui", "Non", -12000]
    response = world.post("client", format="pdf", **body)
    assert response.status_code == 200 and attachment_name(response).startswith("Comparaison de simulations - ")
    text = pdf_text(response.data)
    assert f"URSSAF Oui {fr('122 500,00 €')} Oui {fr('45 500,00 €')} -{fr('77 000,00 €')}" in text
    assert "Nombre de salariés 21 à 50 6 à 20 Oui" in text


def test_dossier_list_xlsx_csv_pdf(world: World) -> None:
    body = {"document": "dossier-list", "filters": {}}
    book = xlsx_book(world.post("admin", format="xlsx", **body).data)
    sheet = book.worksheets[0]
    assert find_cell(sheet, "Nombre de dossiers").offset(column=1).value == 8
    ticpe = find_cell(sheet, "TICPE")
    assert sheet.cell(ticpe.row, 4).value == "Expert attribué" and sheet.cell(ticpe.row, 5).value == "Expert"
    assert sheet.cell(ticpe.row, 7).value == 12000 and "€" in sheet.cell(ticpe.row, 7).number_format
    response = world.post("admin", format="csv", **body)
    assert response.mimetype == "text/csv" and attachment_name(response).endswith(".csv")
    rows = csv_rows(response.data)
    assert rows[0][:4] == ["Référence", "Entreprise", "Produit", "Statut"] and len(rows) == 9
    assert ["Transports Simu", "TICPE", "Expert attribué", "Expert"] in [r[1:5] for r in rows]
    assert "12000,00" in {r[6] for r in rows} and all(re.fullmatch(r"D-[0-9A-F]{8}", r[0]) for r in rows[1:])
    text = pdf_text(world.post("admin", format="pdf", **body).data)
    assert "Liste des dossiers" in text and "8 dossiers" in text and FOOTER in text


def test_dossier_list_filters(world: World, committed: tdb.Conn) -> None:
    filters = {"status": "expert_assigned", "product": "ticpe", "expert_id": str(world.expert_profile)}
    rows = csv_rows(world.post("admin", document="dossier-list", format="csv", filters=filters).data)
    assert len(rows) == 2 and rows[1][2] == "TICPE"
    sheet = xlsx_book(world.post("admin", document="dossier-list", format="xlsx", filters=filters).data).worksheets[0]
    assert find_cell(sheet, "Statut : Expert attribué · Produit : TICPE · Expert : Expert")
    past = {"created_to": "2000-01-01"}
    assert len(csv_rows(world.post("admin", document="dossier-list", format="csv", filters=past).data)) == 1


def test_dossier_summary_pdf_and_docx(world: World) -> None:
    body = {"document": "dossier-summary", "dossier_id": str(world.ticpe)}
    response = world.post("client", format="pdf", **body)
    assert response.status_code == 200
    assert re.fullmatch(r"Fiche dossier - D-[0-9A-F]{8} - \d{4}-\d{2}-\d{2}\.pdf", attachment_name(response))
    text = pdf_text(response.data)
    assert "Expert attribué" in text and "Documents (3/8)" in text and "Transports Simu" in text
    assert fr("12 000,00 €") in text and "Dossier créé à la suite d'une simulation" in text
    assert "Proposition acceptée par l'expert" in text and "Expert attribué : Expert" in text
    text = docx_text(world.post("expert", format="docx", **body).data)
    assert "Documents (3/8)" in text and fr("12 000,00 €") in text and FOOTER in text


def test_same_data_gives_the_same_bytes(world: World) -> None:
    for fmt in ("xlsx", "docx", "pdf"):
        body = {"document": "simulation-report", "format": fmt, "simulation_id": world.simulation}
        first, second = world.post("client", **body), world.post("client", **body)
        assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]


# --- access --------------------------------------------------------------------------------------------

REPORT_ACCESS = {"admin": 200, "viewer": 200, "client": 200, "partner": 404, "expert": 404, "stranger": 404,
                 "newcomer": 404}  # fmt: skip


@pytest.mark.parametrize("who", sorted(REPORT_ACCESS))
def test_simulation_report_access_as_every_role(world: World, who: str) -> None:
    for document in ("simulation-report", "comparison"):
        response = world.post(who, document=document, format="pdf", simulation_id=world.simulation)
        assert response.status_code == REPORT_ACCESS[who], (document, response.get_json())
        if response.status_code == 404:
            assert response.get_json()["code"] == "simulation_not_found"
            async_request = world.post(
                who, document=document, format="pdf", simulation_id=world.simulation, **{"async": True}
            )
            assert async_request.status_code == 404  # no job is queued for data the caller cannot see


SUMMARY_ACCESS = {"admin": 200, "viewer": 200, "client": 200, "expert": 200, "partner": 404, "stranger": 404,
                  "newcomer": 404}  # fmt: skip


@pytest.mark.parametrize("who", sorted(SUMMARY_ACCESS))
def test_dossier_summary_access_as_every_role(world: World, who: str) -> None:
    response = world.post(who, document="dossier-summary", format="pdf", dossier_id=str(world.ticpe))
    assert response.status_code == SUMMARY_ACCESS[who]


def test_a_client_sees_only_the_visible_events(world: World, committed: tdb.Conn) -> None:
    committed.execute(
        "insert into public.marketplace_events (organization_id, dossier_id, expert_id, kind, actor_kind,"
        " client_visible) values (%s, %s, %s, 'offer_declined', 'system', false)",
        (world.site.org, world.ticpe, world.expert_profile),
    )
    body = {"document": "dossier-summary", "format": "pdf", "dossier_id": str(world.ticpe)}
    assert "Proposition déclinée" not in pdf_text(world.post("client", **body).data)
    assert "Proposition déclinée" in pdf_text(world.post("admin", **body).data)


LIST_ROWS = {"admin": 8, "viewer": 8, "client": 8, "expert": 1, "partner": 0, "newcomer": 0, "stranger": 0}


@pytest.mark.parametrize("who", sorted(LIST_ROWS))
def test_dossier_list_holds_what_each_role_sees(world: World, who: str) -> None:
    response = world.post(who, document="dossier-list", format="csv")
    assert response.status_code == 200
    assert len(csv_rows(response.data)) - 1 == LIST_ROWS[who]


def test_signed_in_only(world: World) -> None:
    response = world.post(None, document="simulation-report", format="pdf", simulation_id=world.simulation)
    assert response.status_code == 401


def test_a_draft_has_no_report(world: World) -> None:
    draft = start_simulation(world.site, "admin", world.site.prospect)
    response = world.post("admin", document="simulation-report", format="pdf", simulation_id=draft["id"])
    assert response.status_code == 409 and response.get_json()["code"] == "simulation_not_completed"
    unknown = world.post("admin", document="simulation-report", format="pdf", simulation_id=str(uuid.uuid4()))
    assert unknown.status_code == 404


# --- bad input -----------------------------------------------------------------------------------------


def _errors(response: Any) -> dict[str, dict[str, str]]:
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e for e in response.get_json()["errors"]}


def test_unknown_document_or_format_lists_the_accepted_ones(world: World) -> None:
    errors = _errors(world.post("client", document="invoice", format="pdf"))
    assert errors["document"]["rule"] == "unknown_document"
    assert "simulation-report, comparison, dossier-list, dossier-summary" in errors["document"]["message"]
    errors = _errors(world.post("client", document="comparison", format="docx", simulation_id=world.simulation))
    assert (
        errors["format"]["rule"] == "unsupported_format"
        and "comparison comes as xlsx, pdf" in errors["format"]["message"]
    )
    errors = _errors(world.post("client", document="dossier-list", format="odt"))
    assert "xlsx, csv, pdf" in errors["format"]["message"]
    assert "lang" in _errors(world.post("client", document="dossier-list", format="csv", lang="de"))


def test_parameters_must_fit_the_document(world: World) -> None:
    errors = _errors(world.post("client", document="simulation-report", format="pdf", filters={}))
    assert errors["simulation_id"]["rule"] == "missing" and errors["filters"]["rule"] == "not_used"
    errors = _errors(
        world.post(
            "client",
            document="dossier-list",
            format="csv",
            filters={"created_from": "2026-02-01", "created_to": "2026-01-01"},
        )
    )
    assert errors["filters.created_to"]["rule"] == "date_order"
    bad = world.post("client", document="comparison", format="pdf", simulation_id=world.simulation,
                     answers={"GENERAL_003": -4})  # fmt: skip
    assert "answers.GENERAL_003" in _errors(bad)


def test_a_member_of_several_organizations_names_one(world: World, committed: tdb.Conn) -> None:
    tdb.add_member(committed, world.site.org, world.site.users["stranger"], "viewer")
    errors = _errors(world.post("stranger", document="dossier-list", format="csv"))
    assert errors["filters.organization_id"]["rule"] == "missing"
    chosen = world.post(
        "stranger", document="dossier-list", format="csv", filters={"organization_id": str(world.site.org)}
    )
    assert len(csv_rows(chosen.data)) == 9
    other = world.post("client", document="dossier-list", format="csv", filters={"organization_id": str(uuid.uuid4())})
    assert other.status_code == 404


# --- jobs ------------------------------------------------------------------------------------------------


def test_a_long_list_becomes_a_job_downloaded_through_a_signed_url(
    world: World, dev: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "INLINE_MAX_ROWS", 5)
    response = world.post("admin", document="dossier-list", format="xlsx")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert response.headers["Location"] == f"/export/jobs/{job['id']}"
    assert job["status"] == "queued" and job["download_url"] is None and job["organization_id"] == str(world.site.org)
    assert job["parameters"] == {"filters": {"organization_id": str(world.site.org)}}  # resolved when asked
    assert world.get("admin", response.headers["Location"]).get_json()["status"] == "queued"
    assert world.work()["done"] == 1
    done = world.get("admin", f"/export/jobs/{job['id']}").get_json()
    assert done["status"] == "done" and done["attempts"] == 1 and done["content_type"] == XLSX
    assert done["file_name"].startswith("Liste des dossiers - Cabinet Simulateur - ")
    url = urlsplit(done["download_url"])
    assert url.path == f"/storage/{world.site.org}/exports/{job['id']}.xlsx"
    file = dev.get(f"{url.path}?{url.query}")
    assert file.status_code == 200 and file.mimetype == XLSX
    assert (
        "filename*=UTF-8''Liste%20des%20dossiers%20-%20Cabinet%20Simulateur%20-%20"
        in file.headers["Content-Disposition"]
    )
    assert hashlib.sha256(file.data).hexdigest() == done["sha256"] and len(file.data) == done["byte_size"]
    assert find_cell(xlsx_book(file.data).worksheets[0], "Nombre de dossiers").offset(column=1).value == 8


def test_tampered_and_expired_links_are_refused(world: World, dev: FlaskClient) -> None:
    job = world.post("client", document="simulation-report", format="pdf", simulation_id=world.simulation,
                     **{"async": True}).get_json()  # fmt: skip
    world.work()
    url = urlsplit(world.get("client", f"/export/jobs/{job['id']}").get_json()["download_url"])
    assert dev.get(f"{url.path}?{url.query}").status_code == 200
    tampered = re.sub(
        r"signature=[0-9a-f]", "signature=0" if "signature=0" not in url.query else "signature=1", url.query
    )
    assert dev.get(f"{url.path}?{tampered}").status_code == 403
    longer = re.sub(r"expires=(\d+)", lambda m: f"expires={int(m.group(1)) + 3600}", url.query)
    assert dev.get(f"{url.path}?{longer}").status_code == 403
    other_key = url.path.replace(job["id"], str(uuid.uuid4()))
    assert dev.get(f"{other_key}?{url.query}").status_code == 403
    assert isinstance(world.storage, LocalStorage)
    stale = LocalStorage(world.storage.root, "http://127.0.0.1:8080", SIGNING.encode(), clock=lambda: time.time() - 901)
    old = urlsplit(stale.signed_url(url.path.removeprefix("/storage/"), expires_in=900))
    assert dev.get(f"{old.path}?{old.query}").status_code == 403
    gone = urlsplit(world.storage.signed_url(f"{world.site.org}/exports/{uuid.uuid4()}.pdf"))
    assert dev.get(f"{gone.path}?{gone.query}").status_code == 404
    assert dev.get(url.path).status_code == 403  # no signature at all


def test_jobs_are_read_by_their_requester_and_the_organization_staff(world: World) -> None:
    body = {"document": "simulation-report", "format": "docx", "simulation_id": world.simulation, "async": True}
    job = world.post("client", **body).get_json()
    path = f"/export/jobs/{job['id']}"
    for who, status in {"client": 200, "admin": 200, "viewer": 200, "expert": 404, "newcomer": 404,
                        "stranger": 404}.items():  # fmt: skip
        assert world.get(who, path).status_code == status, who
    assert [j["id"] for j in world.get("client", "/export/jobs").get_json()["items"]] == [job["id"]]
    assert world.get("admin", "/export/jobs").get_json()["items"] == []  # the list is the caller's own
    assert world.get("client", "/export/jobs?status=done").get_json()["items"] == []
    assert world.get("client", "/export/jobs/not-a-uuid").status_code == 422


def test_a_failed_job_keeps_its_error_and_its_requester_retries_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"document": "dossier-summary", "format": "pdf", "dossier_id": str(world.ticpe), "async": True}
    job = world.post("client", **body).get_json()
    path = f"/export/jobs/{job['id']}"
    with monkeypatch.context() as patch:
        patch.setattr(service, "produce", _explode)
        assert world.work()["failed"] == 1
    failed = world.get("client", path).get_json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "export_failed"
    assert "secret internals" not in str(failed) and failed["download_url"] is None
    assert world.post("client", document="simulation-report", format="pdf").status_code == 422  # unrelated
    assert world.export.post(f"{path}/retry", headers=world.site.headers("admin")).status_code == 403
    assert world.export.post(f"{path}/retry", headers=world.site.headers("stranger")).status_code == 404
    retried = world.export.post(f"{path}/retry", headers=world.site.headers("client"))
    assert (
        retried.status_code == 202 and retried.get_json()["status"] == "queued" and retried.get_json()["retries"] == 1
    )
    assert world.export.post(f"{path}/retry", headers=world.site.headers("client")).status_code == 409
    assert world.work()["done"] == 1
    assert world.get("client", path).get_json()["status"] == "done"


def test_a_job_whose_data_became_invisible_fails_with_a_readable_error(world: World, committed: tdb.Conn) -> None:
    body = {"document": "dossier-summary", "format": "pdf", "dossier_id": str(world.ticpe), "async": True}
    job = world.post("expert", **body).get_json()
    committed.execute("update public.dossiers set expert_id = null, status = 'admin_validated' where id = %s",
                      (world.ticpe,))  # fmt: skip
    assert world.work()["failed"] == 1
    error = world.get("expert", f"/export/jobs/{job['id']}").get_json()["error"]
    assert error == {"code": "dossier_not_found", "detail": "Unknown dossier"}


def _explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret internals: /var/lib/postgresql password=hunter2")


def test_unknown_filter_values_are_refused_with_the_accepted_ones(world: World) -> None:
    errors = _errors(world.post("admin", document="dossier-list", format="csv", filters={"status": "nope"}))
    assert errors["filters.status"]["rule"] == "unknown_status"
    assert "expert_assigned" in errors["filters.status"]["message"]
    errors = _errors(world.post("admin", document="dossier-list", format="xlsx", filters={"product": "tic"}))
    assert errors["filters.product"]["rule"] == "unknown_product"
    assert "accepted products:" in errors["filters.product"]["message"]
    assert "ticpe" in errors["filters.product"]["message"]
    both = _errors(world.post("admin", document="dossier-list", format="csv",
                              filters={"status": "nope", "product": "tic"}))  # fmt: skip
    assert set(both) == {"filters.status", "filters.product"}
    queued = _errors(world.post("admin", **{"async": True}, document="dossier-list", format="csv",
                                filters={"product": "tic"}))  # fmt: skip
    assert "filters.product" in queued  # refused before any job is queued


def test_a_csv_has_one_charset_in_its_content_type(world: World) -> None:
    response = world.post("admin", document="dossier-list", format="csv", filters={})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    pdf = world.post("admin", document="dossier-list", format="pdf", filters={})
    assert pdf.headers["Content-Type"] == "application/pdf"


# --- the follow-up KPI report ------------------------------------------------------------------------


def _kpi_period(world: World) -> dict[str, str]:
    today = world.db.execute("select (now() at time zone 'Europe/Paris')::date as d").fetchone()["d"]
    return {"organization_id": str(world.site.org), "start": str(today - dt.timedelta(days=1)),
            "end": str(today + dt.timedelta(days=1))}  # fmt: skip


def _kpi_row(world: World, body: dict[str, Any], name: str, who: str = "admin") -> list[Any]:
    response = world.post(who, format="xlsx", **body)
    assert response.status_code == 200, response.get_json()
    assert attachment_name(response).startswith("Indicateurs de suivi - Cabinet Simulateur - ")
    sheet = xlsx_book(response.data).worksheets[0]
    cell = find_cell(sheet, name)
    # dimension, name, closed, on time, rate %, breached (closed), open, breached (open), breaches
    return [sheet.cell(cell.row, c).value for c in range(1, 10)]


def test_kpi_report_xlsx_and_pdf(world: World) -> None:
    body = {"document": "kpi-report", "period": _kpi_period(world)}
    before = _kpi_row(world, body, "Organisation")
    assert before[1] == "Cabinet Simulateur" and before[6] >= 2 and before[8] == 0
    # one of the awaited actions opened today (the TICPE dossier's) is closed at once: on time
    closed = world.db.execute(
        "select private.close_awaited_action(a.id, 'done', now()), a.id from public.awaited_actions a"
        " where a.dossier_id = %s and a.closed_at is null limit 1",
        (world.ticpe,),
    ).fetchone()
    assert closed is not None
    after = _kpi_row(world, body, "Organisation")
    assert (after[2], after[3], after[6]) == (before[2] + 1, before[3] + 1, before[6] - 1)
    assert after[4] == round(100 * after[3] / after[2], 1) and after[8] == 0
    expert = _kpi_row(world, body, "Expert")
    assert expert[0] == "Expert" and expert[2] >= 1 and expert[4] == 100
    assert _kpi_row(world, body, "TICPE")[0] == "Produit"
    text = pdf_text(world.post("admin", format="pdf", **body).data)
    assert "Indicateurs de suivi" in text and "Taux dans les délais par expert" in text
    assert "Dépassements par produit" in text and "100,0 %" in text and FOOTER in text
    english = pdf_text(world.post("admin", format="pdf", lang="en", **body).data)
    assert "On-time rate per expert" in english and "Breaches per product" in english
    # the same data gives the same bytes
    assert world.post("admin", format="pdf", **body).data == world.post("admin", format="pdf", **body).data


def test_kpi_report_access_and_parameters(world: World) -> None:
    body = {"document": "kpi-report", "period": _kpi_period(world)}
    for who, status in (("admin", 200), ("client", 403), ("viewer", 403), ("partner", 403), ("stranger", 404)):
        assert world.post(who, format="xlsx", **body).status_code == status, who
    # the expert reads the figures of their own dossiers: the TICPE one is theirs
    assert _kpi_row(world, body, "TICPE", who="expert")[0] == "Produit"
    errors = _errors(world.post("admin", document="kpi-report", format="xlsx"))
    assert errors["period"]["rule"] == "missing"
    period = {**body["period"], "end": "2020-01-01"}
    late = _errors(world.post("admin", document="kpi-report", format="xlsx", period=period))
    assert late["period.end"]["rule"] == "date_order"
    csv = _errors(world.post("admin", document="kpi-report", format="csv", period=body["period"]))
    assert "kpi-report comes as xlsx, pdf" in csv["format"]["message"]
