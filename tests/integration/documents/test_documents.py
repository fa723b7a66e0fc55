"""Documents in the database: catalogue, uploads and versions, reuse across a company's dossiers,
validity, the guard W1's commands call, requests and reviews with their refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.documents import Docs, Refusal

TODAY = date.today()
RECENT = TODAY - timedelta(days=10)


# -- catalogue ------------------------------------------------------------------------------------
def test_document_types_are_the_workflow_ones(docs: Docs) -> None:
    rows = docs.conn.execute(
        "select code, formats, max_size_bytes, validity_months, reusable from public.document_types"
    ).fetchall()
    types = {r["code"]: r for r in rows}
    assert len(types) == 25
    assert (types["kbis"]["max_size_bytes"], types["kbis"]["validity_months"], types["kbis"]["reusable"]) == (
        10 * 1024 * 1024,
        3,
        True,
    )
    assert types["rib"]["formats"] == ["pdf", "jpg", "png"] and types["rib"]["max_size_bytes"] == 5 * 1024 * 1024
    assert types["dsn"]["formats"] == ["pdf", "xml"]
    assert types["factures_travaux"]["max_size_bytes"] == 50 * 1024 * 1024
    assert types["avis_taxe_fonciere"]["validity_months"] == 12
    assert types["bilan"]["max_size_bytes"] == 20 * 1024 * 1024 and types["bilan"]["formats"] == ["pdf"]


@pytest.mark.parametrize(
    ("product", "phase", "expected"),
    [
        ("ticpe", "eligibility", [("kbis", True), ("carte_grise", True), ("facture_carburant", True)]),
        ("ticpe", "collection", [("facture_carburant", True), ("rib", True)]),
        ("urssaf", "eligibility", [("kbis", True), ("attestation_vigilance", True), ("bilan", True), ("dsn", False)]),
        (
            "foncier",
            "eligibility",
            [("kbis", True), ("avis_taxe_fonciere", True), ("titre_propriete", True), ("plan_cadastral", False)],
        ),
        ("foncier", "collection", [("formulaire_2044", True), ("factures_travaux", True), ("baux", False)]),
        ("energie_gaz", "collection", [("kbis", True), ("factures_energie", True), ("rib", True)]),
        ("recouvrement", "eligibility", [("kbis", True), ("factures_impayees", True)]),
    ],
)
def test_product_checklists_are_data(docs: Docs, product: str, phase: str, expected: list[tuple[str, bool]]) -> None:
    rows = docs.conn.execute(
        "select document_type, required from public.product_documents where product_code = %s and phase = %s"
        " order by position",
        (product, phase),
    ).fetchall()
    assert [(r["document_type"], r["required"]) for r in rows] == expected


# -- upload, versions ----------------------------------------------------------------------------
def test_an_upload_is_pending_with_its_key_and_hash(docs: Docs) -> None:
    done = docs.upload("client_a", "ticpe", "kbis", file_name="Kbis.PDF", issue_date=RECENT)
    w = docs.world
    assert done["state"] == "pending" and done["version"] == 1
    assert done["storage_key"] == f"{w.org_a}/companies/{w.companies['ca1']}/{done['document_id']}/v1"
    row = docs.conn.execute(
        "select state, sha256, size_bytes, detected_format from public.document_versions where id = %s",
        (done["version_id"],),
    ).fetchone()
    assert row is not None and row["state"] == "uploaded" and len(row["sha256"]) == 64
    assert docs.item_state("ticpe", "client_a", "kbis") == "pending"
    assert docs.events("ticpe")[-1]["type"] == "document_uploaded"


def test_a_replacement_is_a_new_version_and_keeps_the_old_one(docs: Docs) -> None:
    first = docs.upload("client_a", "ticpe", "carte_grise", file_name="cg.jpg", issue_date=RECENT)
    second = docs.upload("client_a", "ticpe", "carte_grise", file_name="cg2.pdf", issue_date=RECENT)
    assert second["document_id"] == first["document_id"]  # reusable: one document per company and type
    assert second["version"] == 2
    rows = docs.conn.execute(
        "select version, state from public.document_versions where document_id = %s order by version",
        (first["document_id"],),
    ).fetchall()
    assert [(r["version"], r["state"]) for r in rows] == [(1, "replaced"), (2, "uploaded")]


def test_a_non_reusable_document_gets_versions_when_named(docs: Docs) -> None:
    first = docs.upload("client_a", "ticpe", "facture_carburant")
    other = docs.upload("client_a", "ticpe", "facture_carburant")
    assert other["document_id"] != first["document_id"]  # several invoices are several documents
    again = docs.upload("client_a", "ticpe", None, document=first["document_id"])
    assert (again["document_id"], again["version"]) == (first["document_id"], 2)


@pytest.mark.parametrize(
    ("who", "dossier", "document_type", "file_name", "size", "issued", "status", "code", "field"),
    [
        ("client_a", "ticpe", "kbis", "kbis.png", 1000, RECENT, 422, "validation_failed", "file_name"),
        ("client_a", "ticpe", "kbis", "kbis.pdf", 10 * 1024 * 1024 + 1, RECENT, 422, "validation_failed", "size"),
        ("client_a", "ticpe", "kbis", "kbis.pdf", 1000, None, 422, "validation_failed", "issue_date"),
        (
            "client_a",
            "ticpe",
            "kbis",
            "kbis.pdf",
            1000,
            TODAY + timedelta(days=1),
            422,
            "validation_failed",
            "issue_date",
        ),
        ("client_a", "ticpe", "nope", "x.pdf", 1000, None, 422, "validation_failed", "document_type"),
        ("client_a", "ticpe", "bilan", "x.pdf", 1000, None, 422, "validation_failed", "document_type"),
        ("client_a", "ticpe", "autre", "x.pdf", 1000, None, 422, "validation_failed", "label"),
        ("client_a", "ticpe", "rib", "../x.pdf", 1000, None, 422, "validation_failed", "file_name"),
        ("client_a", "ticpe", "rapport_audit", "r.pdf", 1000, None, 403, "forbidden", None),
        ("expert_a", "urssaf", "kbis", "k.pdf", 1000, RECENT, 403, "forbidden", None),
        ("viewer_a", "ticpe", "rib", "r.pdf", 1000, None, 403, "forbidden", None),
        ("client_a2", "ticpe", "rib", "r.pdf", 1000, None, 404, "dossier_not_found", None),
        ("owner_b", "ticpe", "rib", "r.pdf", 1000, None, 404, "dossier_not_found", None),
    ],
)
def test_starting_an_upload_checks_right_format_and_size(
    docs: Docs,
    who: str,
    dossier: str,
    document_type: str,
    file_name: str,
    size: int,
    issued: date | None,
    status: int,
    code: str,
    field: str | None,
) -> None:
    refusal = docs.begin(who, dossier, document_type, file_name=file_name, size=size, issue_date=issued)
    assert isinstance(refusal, Refusal), refusal
    assert (refusal.status, refusal.code) == (status, code)
    if field:
        assert refusal.detail["field"] == field


def test_the_expert_uploads_its_report_and_staff_may_upload(docs: Docs) -> None:
    assert docs.upload("expert_a", "urssaf", "rapport_audit")["state"] == "pending"
    assert docs.upload("admin_a", "urssaf", "rib")["state"] == "pending"


def test_uploads_are_refused_on_a_closed_dossier(docs: Docs) -> None:
    docs.put("ticpe", "cancelled")
    refusal = docs.begin("client_a", "ticpe", "rib", file_name="r.pdf")
    assert isinstance(refusal, Refusal) and (refusal.status, refusal.code) == (409, "dossier_closed")


def test_only_the_uploader_completes_and_only_once(docs: Docs) -> None:
    started = docs.begin("client_a", "ticpe", "rib", file_name="r.pdf")
    sha = "0" * 64
    query = "select private.document_complete_upload(%s, 10, %s, 'pdf')"
    assert docs.refused("client_a2", query, started["version_id"], sha).code == "upload_not_found"
    docs.call("client_a", query, started["version_id"], sha)
    assert docs.refused("client_a", query, started["version_id"], sha).code == "upload_already_completed"


def test_completion_refuses_a_format_other_than_the_declared_one(docs: Docs) -> None:
    started = docs.begin("client_a", "ticpe", "rib", file_name="r.pdf")
    refusal = docs.refused(
        "client_a", "select private.document_complete_upload(%s, 10, %s, 'png')", started["version_id"], "0" * 64
    )
    assert (refusal.status, refusal.detail["rule"]) == (422, "type_mismatch")


# -- deletion --------------------------------------------------------------------------------------
def test_only_its_uploader_deletes_a_pending_version_and_the_previous_one_returns(docs: Docs) -> None:
    docs.upload("client_a", "urssaf", "rib")
    second = docs.upload("client_a", "urssaf", "rib")
    query = "select private.document_delete_version(%s)"
    assert docs.refused("expert_a", query, second["version_id"]).code == "forbidden"
    assert docs.refused("client_a2", query, second["version_id"]).code == "document_not_found"
    assert docs.call("client_a", query, second["version_id"]) == second["storage_key"]
    rows = docs.conn.execute(
        "select version, state from public.document_versions where document_id = %s", (second["document_id"],)
    ).fetchall()
    assert [(r["version"], r["state"]) for r in rows] == [(1, "uploaded")]


def test_a_reviewed_version_cannot_be_deleted(docs: Docs) -> None:
    done = docs.upload("client_a", "urssaf", "rib")
    docs.review("expert_a", "urssaf", done["version_id"])
    refusal = docs.refused("client_a", "select private.document_delete_version(%s)", done["version_id"])
    assert (refusal.status, refusal.code) == (409, "document_not_pending")


# -- reuse, review per dossier ---------------------------------------------------------------------
def test_a_kbis_uploaded_for_ticpe_shows_on_the_urssaf_dossier_with_its_own_review(docs: Docs) -> None:
    kbis = docs.upload("client_a", "ticpe", "kbis", issue_date=RECENT)
    assert docs.item_state("urssaf", "client_a", "kbis") == "pending"
    docs.review("admin_a", "ticpe", kbis["version_id"], "reject", reason="Illisible", category="illisible")
    assert docs.item_state("ticpe", "client_a", "kbis") == "rejected"
    assert docs.item_state("urssaf", "client_a", "kbis") == "pending"
    docs.review("expert_a", "urssaf", kbis["version_id"])
    assert docs.item_state("urssaf", "expert_a", "kbis") == "validated"
    assert docs.item_state("ticpe", "client_a", "kbis") == "rejected"
    # never on another company's dossier, not even one the same expert handles
    assert docs.item_state("other", "expert_a", "kbis") == "missing"
    refusal = docs.review("expert_a", "other", kbis["version_id"])
    assert isinstance(refusal, Refusal) and refusal.code == "document_not_found"


# -- validity and the guard ---------------------------------------------------------------------------
def test_a_kbis_issued_on_10_january_is_valid_until_9_april(docs: Docs) -> None:
    docs.upload("client_a", "ticpe", "kbis", issue_date=date(2026, 1, 10))
    docs.upload("client_a", "ticpe", "carte_grise", file_name="cg.pdf", issue_date=date(2026, 3, 1))
    docs.upload("client_a", "ticpe", "facture_carburant")
    assert docs.problems("ticpe", "eligibility", date(2026, 4, 9)) == []
    assert docs.problems("ticpe", "eligibility", date(2026, 4, 10)) == [{"document_type": "kbis", "problem": "expired"}]
    assert docs.checklist("client_a", "ticpe", date(2026, 4, 10))["items"][0]["state"] == "expired"
    assert docs.checklist("client_a", "ticpe", date(2026, 4, 9))["items"][0]["valid_until"] == "2026-04-09"


def test_eligibility_problems_missing_and_rejected(docs: Docs) -> None:
    assert docs.problems("ticpe", "eligibility", TODAY) == [
        {"document_type": "kbis", "problem": "missing"},
        {"document_type": "carte_grise", "problem": "missing"},
        {"document_type": "facture_carburant", "problem": "missing"},
    ]
    kbis = docs.upload("client_a", "ticpe", "kbis", issue_date=RECENT)
    docs.review("admin_a", "ticpe", kbis["version_id"], "reject", reason="Périmé", category="expire")
    assert docs.problems("ticpe", "eligibility", TODAY)[0] == {"document_type": "kbis", "problem": "rejected"}


def test_collection_needs_every_required_document_validated_and_no_open_request(docs: Docs) -> None:
    versions = [
        docs.upload("client_a", "urssaf", "kbis", issue_date=RECENT),
        docs.upload("client_a", "urssaf", "attestation_vigilance", issue_date=RECENT),
        docs.upload("client_a", "urssaf", "bilan"),
        docs.upload("client_a", "urssaf", "bulletins_paie"),
        docs.upload("client_a", "urssaf", "dsn", file_name="dsn.xml"),
        docs.upload("client_a", "urssaf", "releves_cotisations"),
    ]
    problems = docs.problems("urssaf", "collection", TODAY)
    assert {"document_type": "rib", "problem": "missing"} in problems
    assert {"document_type": "kbis", "problem": "pending"} in problems
    for v in versions:
        docs.review("expert_a", "urssaf", v["version_id"])
    rib = docs.upload("client_a", "urssaf", "rib")
    assert docs.problems("urssaf", "collection", TODAY) == [{"document_type": "rib", "problem": "pending"}]
    docs.review("expert_a", "urssaf", rib["version_id"])
    assert docs.problems("urssaf", "collection", TODAY) == []
    docs.command("expert_a", "urssaf", "request_documents", {"items": [{"document_type": "autre", "label": "Bail"}]})
    assert docs.problems("urssaf", "collection", TODAY) == [{"document_type": "autre", "problem": "open_request"}]
    assert docs.problems("urssaf", "eligibility", TODAY) == []


# -- requests ----------------------------------------------------------------------------------------
def test_request_documents_sets_the_status_items_and_a_due_date_in_business_days(docs: Docs) -> None:
    result = docs.command(
        "expert_a",
        "urssaf",
        "request_documents",
        {
            "items": [{"document_type": "rib"}, {"document_type": "autre", "label": "Attestation", "required": False}],
            "note": "Merci",
        },
    )
    assert result["status"] == "documents_requested" and result["items"] == 2
    due = date.fromisoformat(result["due_date"])
    # counted from the organization's local date (at 23:30 UTC it is already tomorrow in Paris), skipping weekends and
    # the calendar's public holidays (a request made the week before Christmas is due a day later)
    row = docs.conn.execute("select private.organization_today(%s) as d", (docs.world.org_a,)).fetchone()
    assert row is not None
    today = row["d"]
    holidays = {
        h["day"]
        for h in docs.conn.execute(
            "select day from public.public_holidays where region = 'FR' and day > %s and day <= %s", (today, due)
        ).fetchall()
    }
    days = [today + timedelta(n) for n in range(1, (due - today).days + 1)]
    assert sum(1 for d in days if d.isoweekday() < 6 and d not in holidays) == 5 and due.isoweekday() < 6
    items = docs.conn.execute(
        "select document_type, required, state from public.document_request_items where request_id = %s"
        " order by position",
        (result["request_id"],),
    ).fetchall()
    assert [(i["document_type"], i["required"], i["state"]) for i in items] == [
        ("rib", True, "open"),
        ("autre", False, "open"),
    ]
    assert docs.events("urssaf")[-1]["type"] == "request_documents"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": []}, "items"),
        ({}, "items"),
        ({"items": [{"document_type": "nope"}]}, "items[0].document_type"),
        ({"items": [{"document_type": "rapport_audit"}]}, "items[0].document_type"),
        ({"items": [{"document_type": "autre"}]}, "items[0].label"),
        ({"items": [{"document_type": "rib"}], "due_in_business_days": 31}, "due_in_business_days"),
        ({"items": [{"document_type": "rib"}], "due_in_business_days": 0}, "due_in_business_days"),
    ],
)
def test_request_documents_refuses_bad_fields(docs: Docs, payload: dict[str, object], field: str) -> None:
    refusal = docs.command("expert_a", "urssaf", "request_documents", payload)
    assert isinstance(refusal, Refusal) and refusal.status == 422
    fields = [e["field"] for e in refusal.detail.get("errors", [])] or [refusal.detail.get("field")]
    assert field in fields


def test_request_documents_is_the_experts_and_only_in_its_statuses(docs: Docs) -> None:
    payload = {"items": [{"document_type": "rib"}]}
    for who, status in (("client_a", 403), ("admin_a", 403), ("client_a2", 404), ("owner_b", 404)):
        refusal = docs.command(who, "urssaf", "request_documents", payload)
        assert isinstance(refusal, Refusal) and refusal.status == status, who
    docs.put("urssaf", "audit_completed")
    refusal = docs.command("expert_a", "urssaf", "request_documents", payload)
    assert isinstance(refusal, Refusal) and (refusal.status, refusal.code) == (409, "invalid_transition")
    assert refusal.detail["current_status"] == "audit_completed"


def test_uploading_every_required_item_marks_the_dossier_received_and_a_rejection_reopens(docs: Docs) -> None:
    docs.command(
        "expert_a",
        "urssaf",
        "request_documents",
        {"items": [{"document_type": "rib"}, {"document_type": "bulletins_paie", "required": False}]},
    )
    rib = docs.upload("client_a", "urssaf", "rib")
    assert docs.status("urssaf") == "documents_received"
    assert docs.events("urssaf")[-1]["type"] == "mark_documents_received"
    assert docs.events("urssaf")[-1]["actor_kind"] == "system"
    result = docs.review(
        "expert_a", "urssaf", rib["version_id"], "reject", reason="RIB d'un autre compte", category="mauvais_document"
    )
    assert result["status"] == "documents_requested"
    item = docs.conn.execute(
        "select state from public.document_request_items where dossier_id = %s and document_type = 'rib'",
        (docs.dossiers["urssaf"],),
    ).fetchone()
    assert item is not None and item["state"] == "open"
    second = docs.upload("client_a", "urssaf", "rib")
    assert docs.status("urssaf") == "documents_received"
    docs.review("expert_a", "urssaf", second["version_id"])
    request = docs.conn.execute(
        "select status from public.document_requests where dossier_id = %s", (docs.dossiers["urssaf"],)
    ).fetchone()
    assert request is not None and request["status"] == "completed"


def test_an_upload_answering_an_autre_item_names_it(docs: Docs) -> None:
    result = docs.command(
        "expert_a", "urssaf", "request_documents", {"items": [{"document_type": "autre", "label": "Bail commercial"}]}
    )
    item = docs.conn.execute(
        "select id from public.document_request_items where request_id = %s", (result["request_id"],)
    ).fetchone()
    assert item is not None
    done = docs.upload("client_a", "urssaf", None, item=item["id"])
    assert done["document_type"] == "autre"
    assert docs.status("urssaf") == "documents_received"


# -- review ------------------------------------------------------------------------------------------
def test_review_refusals(docs: Docs) -> None:
    done = docs.upload("client_a", "urssaf", "rib")
    missing_reason = docs.review("expert_a", "urssaf", done["version_id"], "reject")
    assert isinstance(missing_reason, Refusal) and missing_reason.status == 422
    assert [e["field"] for e in missing_reason.detail["errors"]] == ["reason"]
    bad = docs.command("expert_a", "urssaf", "review_document", {"version_id": "x", "decision": "maybe"})
    assert isinstance(bad, Refusal) and {e["field"] for e in bad.detail["errors"]} == {"version_id", "decision"}
    by_client = docs.review("client_a", "urssaf", done["version_id"])
    assert isinstance(by_client, Refusal) and by_client.status == 403
    # in step 1 the admins review, not the expert
    ticpe = docs.upload("client_a", "ticpe", "facture_carburant")
    assert docs.review("admin_a", "ticpe", ticpe["version_id"])["review"] == "validated"
    second = docs.upload("client_a", "urssaf", "rib")
    stale = docs.review("expert_a", "urssaf", done["version_id"])
    assert isinstance(stale, Refusal) and (stale.status, stale.code) == (409, "version_replaced")
    assert docs.review("expert_a", "urssaf", second["version_id"])["review"] == "validated"


def test_a_download_is_logged(docs: Docs) -> None:
    done = docs.upload("client_a", "urssaf", "rib")
    got = docs.call(
        "expert_a", "select private.document_download(%s, %s) as r", done["version_id"], docs.dossiers["urssaf"]
    )
    assert got["storage_key"] == done["storage_key"]
    assert docs.refused("client_a2", "select private.document_download(%s)", done["version_id"]).status == 404
    assert docs.refused("partner_a", "select private.document_download(%s)", done["version_id"]).status == 404
    rows = docs.conn.execute(
        "select user_id, dossier_id from public.document_downloads where version_id = %s", (done["version_id"],)
    ).fetchall()
    assert [(r["user_id"], r["dossier_id"]) for r in rows] == [(docs.world.users["expert_a"], docs.dossiers["urssaf"])]


def test_an_upload_abandoned_over_an_hour_ago_goes_with_its_file_and_numbers_still_grow(docs: Docs) -> None:
    old = docs.begin("client_a", "urssaf", "rib", file_name="r.pdf")
    fresh = docs.begin("client_a", "urssaf", "rib", file_name="r.pdf")
    docs.conn.execute(
        "update public.document_versions set created_at = now() - interval '61 minutes' where id = %s",
        (old["version_id"],),
    )
    again = docs.begin("client_a", "urssaf", "rib", file_name="r.pdf")
    assert again["version"] == 3 and again["stale_keys"] == [old["storage_key"]]
    rows = docs.conn.execute(
        "select version from public.document_versions where document_id = %s order by version", (old["document_id"],)
    ).fetchall()
    assert [r["version"] for r in rows] == [fresh["version"], 3]
