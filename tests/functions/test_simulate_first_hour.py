"""What a new user tripped over in the simulator, each with the request that showed it (issue 9, item 8),
and the anonymous path running as ``anon`` with settings-driven rate limits (item 9)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient

from shared.platform import db, ratelimit
from tests.support import db as tdb
from tests.support.simulate import TRANSPORT, Site
from tests.support.simulate import answer as _answer
from tests.support.simulate import complete as _complete
from tests.support.simulate import dossiers as _dossiers
from tests.support.simulate import start as _start


def _anonymous_completed(site: Site, address: str = "198.51.100.20", **changes: Any) -> dict[str, Any]:
    started = site.call("POST", "/simulations", None, json={"organization": site.slug}, address=address).get_json()
    token = {"X-Resume-Token": started["resume_token"]}
    assert _answer(site, started["id"], {**TRANSPORT, **changes}, who=None, headers=token).status_code == 200
    assert _complete(site, started["id"], who=None, headers=token).status_code == 200
    return started  # type: ignore[no-any-return]


def test_questionnaire_in_english_exposes_each_display_condition(site: Site) -> None:
    english = site.call("GET", f"/questionnaire?organization={site.slug}&lang=en", None)
    assert english.status_code == 200, english.get_json()
    questions = {q["code"]: q for q in english.get_json()["questions"]}
    assert english.get_json()["lang"] == "en"
    assert questions["GENERAL_001"]["label"] == "Business sector" and questions["GENERAL_001"]["shown_when"] is None
    # options stay the accepted values, as the rule set defines them (French)
    assert "Transport et Logistique" in questions["GENERAL_001"]["options"]
    assert questions["DFS_001"]["shown_when"] == {
        "question": "GENERAL_001",
        "operator": "equals",
        "value": "Transport et Logistique",
        "reason": None,
        "reason_en": None,
    }
    french = site.call("GET", f"/questionnaire?organization={site.slug}", None).get_json()
    assert french["questions"][0]["label"] == "Secteur d'activité"
    refused = site.call("GET", f"/questionnaire?organization={site.slug}&lang=de", None)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "query.lang"
    draft = _start(site)  # a draft's questions carry the condition too
    assert draft["next_question"]["shown_when"] is None


def test_a_new_draft_is_prefilled_from_the_last_completed_answers(site: Site) -> None:
    first = _start(site)
    _answer(site, first["id"], TRANSPORT)
    _complete(site, first["id"])
    second = site.call("POST", "/simulations", json={"client_company_id": str(site.company)})
    assert second.status_code == 201
    body = second.get_json()
    assert body["id"] != first["id"] and body["prefilled_from"] == first["id"]
    completed = site.call("GET", f"/simulations/{first['id']}").get_json()["answers"]
    assert body["answers"] == completed and body["missing"] == []
    cleared = _answer(site, body["id"], {"TICPE_002": None}).get_json()  # the front end may clear them
    assert "TICPE_002" not in cleared["answers"]
    resumed = site.call("POST", "/simulations", json={"client_company_id": str(site.company)})
    assert resumed.status_code == 200 and resumed.get_json()["prefilled_from"] is None


def test_a_retried_claim_answers_the_same_200(site: Site, committed: tdb.Conn) -> None:
    anonymous = _anonymous_completed(site)
    claim = {"resume_token": anonymous["resume_token"], "client_company_id": str(site.company)}
    first = site.call("POST", f"/simulations/{anonymous['id']}/claim", json=claim)
    assert first.status_code == 200, first.get_json()
    again = site.call("POST", f"/simulations/{anonymous['id']}/claim", json=claim)
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()
    created = first.get_json()["completion"]["dossiers"]["created"]
    assert len(created) == len(_dossiers(committed, site.company))  # nothing merged twice
    other = {**claim, "client_company_id": str(site.prospect)}  # same caller, another company
    assert site.call("POST", f"/simulations/{anonymous['id']}/claim", "partner", json=other).status_code == 404


def test_a_claim_whose_sector_differs_from_the_company_is_refused(site: Site, committed: tdb.Conn) -> None:
    committed.execute(
        "update public.client_companies set sector = 'Commerce et Distribution' where id = %s", (site.company,)
    )
    anonymous = _anonymous_completed(site, address="198.51.100.21")
    claim = {"resume_token": anonymous["resume_token"], "client_company_id": str(site.company)}
    refused = site.call("POST", f"/simulations/{anonymous['id']}/claim", json=claim)
    assert refused.status_code == 409 and refused.get_json()["code"] == "sector_mismatch"
    detail = refused.get_json()["detail"]
    assert "Transport et Logistique" in detail and "Commerce et Distribution" in detail
    assert _dossiers(committed, site.company) == {}
    token = {"X-Resume-Token": anonymous["resume_token"]}
    assert site.call("GET", f"/simulations/{anonymous['id']}", None, headers=token).status_code == 200  # not claimed


def test_compare_validates_exactly_like_answers(site: Site) -> None:
    draft = _start(site)
    _answer(site, draft["id"], TRANSPORT)
    bad = {"NOPE": 1, "TICPE_002": -1, "GENERAL_004": "Peut-être"}
    saved = _answer(site, draft["id"], bad)
    _complete(site, draft["id"])
    compared = site.call("POST", f"/simulations/{draft['id']}/compare", json={"answers": bad})
    assert saved.status_code == compared.status_code == 422
    assert compared.get_json()["errors"] == saved.get_json()["errors"]
    assert {e["field"]: e["rule"] for e in compared.get_json()["errors"]} == {
        "answers.NOPE": "unknown_question",
        "answers.TICPE_002": "out_of_bounds",
        "answers.GENERAL_004": "not_in_choices",
    }


def test_the_merge_says_which_amount_a_dossier_holds_and_traces_lost_eligibility(
    site: Site, committed: tdb.Conn
) -> None:
    first = _start(site)
    _answer(site, first["id"], TRANSPORT)
    _complete(site, first["id"])
    ticpe = _dossiers(committed, site.company)["ticpe"]["id"]
    committed.execute("update public.dossiers set status = 'audit_in_progress' where id = %s", (ticpe,))
    second = _start(site)
    _answer(site, second["id"], {"TICPE_002": 1250, "RECOUVR_001": "Non"})
    done = _complete(site, second["id"]).get_json()["dossiers"]
    (left,) = done["left_alone"]
    assert left["product"] == "ticpe" and left["amount"] == "3000.00" and left["previous_amount"] == "12000.00"
    assert left["dossier_amount"] == "12000.00" and left["applied"] is False
    assert all(d["applied"] and d["dossier_amount"] == d["amount"] for d in done["unchanged"])
    (lost,) = done["no_longer_eligible"]
    assert lost["product"] == "recouvrement" and lost["dossier_amount"] == "30000.00" and lost["applied"] is False
    history = committed.execute(
        "select amount, previous_amount, applied, note from public.dossier_amount_history"
        " where dossier_id = %s and simulation_id = %s",
        (lost["dossier_id"], second["id"]),
    ).fetchall()
    assert len(history) == 1 and history[0]["amount"] is None and not history[0]["applied"]
    assert str(history[0]["previous_amount"]) == "30000.00" and "no longer eligible" in history[0]["note"]


def test_the_anonymous_rate_limit_is_a_setting_and_can_be_reset(site: Site, use: Callable[..., Any]) -> None:
    use(anonymous_starts_per_hour=2)
    address = f"192.0.2.{uuid.uuid4().int % 250}"

    def start() -> int:
        return int(
            site.call("POST", "/simulations", None, json={"organization": site.slug}, address=address).status_code
        )

    assert [start(), start(), start()] == [201, 201, 429]
    with db.service_transaction() as conn:
        assert ratelimit.reset(conn, prefix="simulate-") >= 1
    assert start() == 201


def test_anonymous_requests_reach_their_draft_as_anon_only_by_token(site: Site, committed: tdb.Conn) -> None:
    started = site.call("POST", "/simulations", None, json={"organization": site.slug}, address="198.51.100.22")
    sim, token = started.get_json()["id"], started.get_json()["resume_token"]
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.anon_transaction() as conn:
        conn.execute("select count(*) from public.simulations")  # anon cannot read the table itself
    with db.anon_transaction() as conn:
        found = conn.execute("select id from private.anonymous_simulation(%s, %s, false)", (sim, token_hash)).fetchall()
        assert [str(r["id"]) for r in found] == [sim]
        wrong = conn.execute("select id from private.anonymous_simulation(%s, %s, true)", (sim, "0" * 64)).fetchall()
        assert wrong == []
        saved = conn.execute(
            "select private.save_anonymous_answers(%s, %s, '{}'::jsonb) as ok", (sim, "0" * 64)
        ).fetchone()
        assert saved == {"ok": False}
    committed.execute("update public.simulations set client_company_id = %s where id = %s", (site.company, sim))
    with db.anon_transaction() as conn:  # claimed: the token no longer opens it
        assert (
            conn.execute("select id from private.anonymous_simulation(%s, %s, false)", (sim, token_hash)).fetchall()
            == []
        )


def test_me_shows_each_organization_slug(client_for: Callable[[str], FlaskClient], site: Site) -> None:
    me = client_for("me").get("/", headers=site.headers("client"))
    assert me.status_code == 200
    (membership,) = me.get_json()["memberships"]
    assert membership["organization_slug"] == site.slug


def test_fintrack_ratelimit_reset_lets_a_limited_visitor_start_again(
    site: Site, use: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from infra import cli

    use(anonymous_starts_per_hour=1)
    address = f"192.0.2.{uuid.uuid4().int % 250}"
    body = {"organization": site.slug}
    assert site.call("POST", "/simulations", None, json=body, address=address).status_code == 201
    assert site.call("POST", "/simulations", None, json=body, address=address).status_code == 429
    assert cli.main(["ratelimit", "reset"]) == 0
    assert "rate limits reset" in capsys.readouterr().out
    use(anonymous_starts_per_hour=1)  # the command installed the local settings: back to the test's
    assert site.call("POST", "/simulations", None, json=body, address=address).status_code == 201
