"""`simulate` end to end through its WSGI app: drafts, answers, completion and dossier merge, access."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support import db as tdb
from tests.support.simulate import EXPECTED_AMOUNTS, EXPECTED_DOSSIERS, TRANSPORT, Site
from tests.support.simulate import answer as _answer
from tests.support.simulate import complete as _complete
from tests.support.simulate import dossiers as _dossiers
from tests.support.simulate import start as _start


def test_questionnaire_is_public(site: Site) -> None:
    response = site.call("GET", f"/questionnaire?organization={site.slug}", None)
    assert response.status_code == 200
    body = response.get_json()
    assert body["rule_set"] == "FR-2025.1" and len(body["questions"]) == 14
    assert body["questions"][0]["code"] == "GENERAL_001"
    assert site.call("GET", "/questionnaire?organization=nope", None).status_code == 404
    assert site.call("GET", "/questionnaire", None).status_code == 422


def test_full_journey_creates_one_dossier_per_eligible_product(site: Site, committed: tdb.Conn) -> None:
    draft = _start(site)
    assert draft["status"] == "draft" and draft["next_question"]["code"] == "GENERAL_001"
    assert _start(site)["id"] == draft["id"]  # resumed, not duplicated
    state = _answer(site, draft["id"], {"GENERAL_001": " transport et logistique "}).get_json()
    assert state["answers"]["GENERAL_001"] == "Transport et Logistique"
    assert state["next_question"]["code"] == "GENERAL_002"
    incomplete = _complete(site, draft["id"])
    assert incomplete.status_code == 422 and incomplete.get_json()["code"] == "incomplete"
    assert "answers.GENERAL_002" in {e["field"] for e in incomplete.get_json()["errors"]}
    _answer(site, draft["id"], TRANSPORT)
    done = _complete(site, draft["id"])
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    products = body["result"]["products"]
    assert {c: p["amount"] for c, p in products.items() if p["amount"]} == EXPECTED_AMOUNTS
    assert body["result"]["total"] == "179471.36" and body["status"] == "completed"
    state = site.call("GET", f"/simulations/{draft['id']}").get_json()
    assert state["status"] == "completed" and state["preview"] == body["result"]
    assert {d["product"] for d in body["dossiers"]["created"]} == EXPECTED_DOSSIERS
    dossiers = _dossiers(committed, site.company)
    assert set(dossiers) == EXPECTED_DOSSIERS
    assert str(dossiers["ticpe"]["estimated_amount"]) == "12000.00" and dossiers["ticpe"]["priority"] == 1
    assert dossiers["foncier"]["priority"] == 3 and dossiers["energie_elec"]["priority"] == 2
    assert all(
        d["status"] == "pending_upload" and d["source_simulation_id"] == uuid.UUID(draft["id"])
        for d in dossiers.values()
    )
    again = _complete(site, draft["id"]).get_json()
    assert again["already_completed"] is True and again["dossiers"] is None
    assert len(_dossiers(committed, site.company)) == len(EXPECTED_DOSSIERS)
    stored = committed.execute(
        "select total, pg_column_compression(result) as compression,"
        " (select 'lz4' = any (enumvals) from pg_settings where name = 'default_toast_compression') as lz4"
        " from public.simulations where id = %s",
        (draft["id"],),
    ).fetchone()
    assert stored is not None and str(stored["total"]) == "179471.36"
    assert stored["compression"] == ("lz4" if stored["lz4"] else "pglz")  # migration 0033


def test_recompleting_updates_untouched_dossiers_and_never_overwrites_work(site: Site, committed: tdb.Conn) -> None:
    first = _start(site)
    _answer(site, first["id"], TRANSPORT)
    _complete(site, first["id"])
    dossiers = _dossiers(committed, site.company)
    committed.execute(
        "update public.dossiers set audited_amount = 11000, status = 'audit_in_progress' where id = %s",
        (dossiers["ticpe"]["id"],),
    )
    committed.execute("update public.dossiers set document_count = 2 where id = %s", (dossiers["dfs"]["id"],))
    second = _start(site)
    assert second["id"] != first["id"]
    changed = {**TRANSPORT, "TICPE_002": 1250, "DFS_001": 10, "GENERAL_003": "1 à 5", "RECOUVR_001": "Non"}
    _answer(site, second["id"], changed)
    body = _complete(site, second["id"]).get_json()["dossiers"]
    assert {d["product"] for d in body["updated"]} == {"urssaf"}
    assert {d["product"] for d in body["left_alone"]} == {"ticpe", "dfs"}
    assert {d["product"] for d in body["no_longer_eligible"]} == {"recouvrement"}
    assert body["created"] == []
    after = _dossiers(committed, site.company)
    assert str(after["urssaf"]["estimated_amount"]) == "10500.00"
    assert str(after["ticpe"]["estimated_amount"]) == "12000.00" and str(after["ticpe"]["audited_amount"]) == "11000.00"
    assert str(after["dfs"]["estimated_amount"]) == "9000.00"
    assert str(after["recouvrement"]["estimated_amount"]) == "30000.00"
    history = committed.execute(
        "select amount::text, previous_amount::text, applied from public.dossier_amount_history"
        " where dossier_id = %s order by id",
        (after["ticpe"]["id"],),
    ).fetchall()
    assert history == [
        {"amount": "12000.00", "previous_amount": None, "applied": True},
        {"amount": "3000.00", "previous_amount": "12000.00", "applied": False},
    ]


@pytest.mark.parametrize(
    ("answers", "field", "rule"),
    [
        ({"GENERAL_003": 100001}, "answers.GENERAL_003", "out_of_bounds"),
        ({"GENERAL_001": "Aéronautique"}, "answers.GENERAL_001", "not_in_choices"),
        ({"NOPE_001": "x"}, "answers.NOPE_001", "unknown_question"),
        ({"TICPE_002": "beaucoup"}, "answers.TICPE_002", "wrong_type"),
        ({"TICPE_002": True}, "answers.TICPE_002", "wrong_type"),
    ],
)
def test_bad_answers_are_422_naming_the_field_and_nothing_is_saved(
    site: Site, answers: dict[str, Any], field: str, rule: str
) -> None:
    draft = _start(site)
    response = _answer(site, draft["id"], {"GENERAL_004": "Oui", **answers})
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.get_json()["errors"]] == [(field, rule)]
    assert site.call("GET", f"/simulations/{draft['id']}").get_json()["answers"] == {}


def test_hidden_answers_are_ignored_and_reported(site: Site) -> None:
    draft = _start(site)
    state = _answer(
        site,
        draft["id"],
        {"GENERAL_001": "Commerce et Distribution", "DFS_001": 3, "GENERAL_004": "Non", "FONCIER_001": 5000},
    ).get_json()
    assert set(state["ignored"]) == {"DFS_001", "FONCIER_001"}
    assert state["preview"]["products"]["dfs"]["eligible"] is False
    assert state["preview"]["products"]["foncier"]["eligible"] is False


def test_who_may_see_and_change_a_simulation(site: Site) -> None:
    draft = _start(site)
    path = f"/simulations/{draft['id']}"
    assert site.call("GET", path, "admin").status_code == 200
    assert site.call("GET", path, "viewer").status_code == 200
    assert _answer(site, draft["id"], {"GENERAL_004": "Non"}, who="viewer").status_code == 403
    assert _answer(site, draft["id"], {"GENERAL_004": "Non"}, who="admin").status_code == 200
    for outsider in ("expert", "stranger", "partner", "newcomer"):
        assert site.call("GET", path, outsider).status_code == 404, outsider
    assert site.call("GET", path, None).status_code == 401
    assert site.call("GET", f"/simulations/{uuid.uuid4()}", "client").status_code == 404
    assert site.call("GET", "/simulations/not-a-uuid", "client").status_code == 422
    foreign = site.call("POST", "/simulations", "stranger", json={"client_company_id": str(site.company)})
    assert foreign.status_code == 404
    viewer = site.call("POST", "/simulations", "viewer", json={"client_company_id": str(site.company)})
    assert viewer.status_code == 403
    partner = _start(site, "partner", site.prospect)
    assert partner["client_company_id"] == str(site.prospect)


def test_anonymous_draft_then_claim_after_sign_up(site: Site, committed: tdb.Conn) -> None:
    started = site.call("POST", "/simulations", None, json={"organization": site.slug}, address="198.51.100.7")
    assert started.status_code == 201
    body = started.get_json()
    token = {"X-Resume-Token": body["resume_token"]}
    assert _answer(site, body["id"], TRANSPORT, who=None, headers=token).status_code == 200
    assert _answer(site, body["id"], TRANSPORT, who=None, headers={"X-Resume-Token": "x" * 43}).status_code == 404
    assert _answer(site, body["id"], TRANSPORT, who=None).status_code == 401
    assert _complete(site, body["id"], who=None, headers=token).status_code == 200
    assert site.call("GET", f"/simulations/{body['id']}", "client").status_code == 404  # not claimed yet
    claim = site.call(
        "POST",
        f"/simulations/{body['id']}/claim",
        "client",
        json={"resume_token": body["resume_token"], "client_company_id": str(site.company)},
    )
    assert claim.status_code == 200, claim.get_json()
    assert {d["product"] for d in claim.get_json()["completion"]["dossiers"]["created"]} == EXPECTED_DOSSIERS
    assert site.call("GET", f"/simulations/{body['id']}", "client").status_code == 200
    assert site.call("GET", f"/simulations/{body['id']}", None, headers=token).status_code == 404  # token spent
    foreign = site.call("POST", "/simulations", None, json={"organization": site.slug}, address="198.51.100.8")
    wrong_org = site.call(
        "POST",
        f"/simulations/{foreign.get_json()['id']}/claim",
        "stranger",
        json={"resume_token": foreign.get_json()["resume_token"], "client_company_id": str(site.other_company)},
    )
    assert wrong_org.status_code == 409 and wrong_org.get_json()["code"] == "organization_mismatch"


def test_abandon_needs_a_reason_and_ends_the_draft(site: Site) -> None:
    draft = _start(site)
    path = f"/simulations/{draft['id']}/abandon"
    assert site.call("POST", path, json={}).status_code == 422
    done = site.call("POST", path, json={"reason": "Pas le bon moment"})
    assert done.status_code == 200 and done.get_json()["status"] == "abandoned"
    late = _answer(site, draft["id"], {"GENERAL_004": "Oui"})
    assert late.status_code == 409 and late.get_json()["code"] == "simulation_abandoned"


def test_what_if_comparison_writes_nothing(site: Site, committed: tdb.Conn) -> None:
    draft = _start(site)
    _answer(site, draft["id"], TRANSPORT)
    assert site.call("POST", f"/simulations/{draft['id']}/compare", json={"answers": {}}).status_code == 409
    _complete(site, draft["id"])
    response = site.call(
        "POST", f"/simulations/{draft['id']}/compare", json={"answers": {"TICPE_002": 1250, "RECOUVR_001": "Non"}}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["products"]["ticpe"] == {
        "old_eligible": True,
        "new_eligible": True,
        "old_amount": "12000.00",
        "new_amount": "3000.00",
        "delta": "-9000.00",
        "change": "decreased",
    }
    assert body["products"]["recouvrement"]["change"] == "no_longer_eligible"
    assert body["total_delta"] == "-39000.00"
    assert str(_dossiers(committed, site.company)["ticpe"]["estimated_amount"]) == "12000.00"
    bad = site.call("POST", f"/simulations/{draft['id']}/compare", json={"answers": {"TICPE_002": -1}})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "answers.TICPE_002"


def test_drafts_expire_after_24_hours(
    site: Site, committed: tdb.Conn, client_for: Callable[[str], FlaskClient], use: Callable[..., Any]
) -> None:
    draft = _start(site)
    committed.execute("alter table public.simulations disable trigger simulations_touch_updated_at")
    try:
        committed.execute(
            "update public.simulations set updated_at = now() - interval '25 hours' where id = %s", (draft["id"],)
        )
    finally:
        committed.execute("alter table public.simulations enable trigger simulations_touch_updated_at")
    assert site.call("GET", f"/simulations/{draft['id']}").get_json()["status"] == "expired"
    assert _answer(site, draft["id"], {"GENERAL_004": "Oui"}).status_code == 410
    assert _start(site)["id"] != draft["id"]
    cleanup = client_for("simulation_cleanup")
    assert cleanup.post("/").status_code == 401
    from shared.platform.settings import Secret

    use(cron_secret=Secret("cron-test-secret"))
    assert cleanup.post("/", headers={"X-Cron-Secret": "wrong"}).status_code == 401
    first = cleanup.post("/", headers={"X-Cron-Secret": "cron-test-secret"})
    assert first.status_code == 200 and first.get_json()["expired_drafts"] >= 1
    status = committed.execute("select status from public.simulations where id = %s", (draft["id"],)).fetchone()
    assert status["status"] == "expired"


def test_anonymous_starts_are_rate_limited(site: Site) -> None:
    address = f"192.0.2.{uuid.uuid4().int % 250}"
    statuses = [
        site.call("POST", "/simulations", None, json={"organization": site.slug}, address=address).status_code
        for _ in range(21)
    ]
    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429
    limited = site.call("POST", "/simulations", None, json={"organization": site.slug}, address=address)
    assert int(limited.headers["Retry-After"]) > 0
