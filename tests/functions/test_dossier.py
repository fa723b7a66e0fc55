"""`dossier` through its functions-framework WSGI app, with real tokens against the real database."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support import db as tdb
from tests.support.tokens import KeyPair


@pytest.fixture
def app(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("dossier")


@pytest.fixture
def office(committed: tdb.Conn, tenant: dict[str, uuid.UUID]) -> dict[str, Any]:
    """The tenant with an approved TICPE expert, a partner, a viewer, and dossiers: one TICPE dossier
    whose eligibility documents are uploaded (pending_upload), and one in another organization."""
    org = tenant["org"]
    people: dict[str, uuid.UUID] = {}
    for name, role in (("admin", "admin"), ("expert", "expert"), ("viewer", "viewer"), ("partner", "partner")):
        people[name] = tdb.make_user(committed)
        tdb.add_member(committed, org, people[name], role)
    expert = tdb.make_expert(committed, org, people["expert"])
    committed.execute(
        "insert into public.expert_products (expert_id, product_code, organization_id, level)"
        " values (%s, 'ticpe', %s, 'expert')",
        (expert, org),
    )
    committed.execute(
        "update public.client_companies set partner_user_id = %s where id = %s", (people["partner"], tenant["company"])
    )
    dossier = _dossier(committed, org, tenant["company"], "ticpe", "pending_upload")
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        _upload(committed, org, tenant["company"], dossier, document_type)
    other_company = tdb.make_company(committed, tenant["other"])
    foreign = _dossier(committed, tenant["other"], other_company, "ticpe", "pending_upload")
    return {**tenant, **people, "expert_id": expert, "dossier": dossier, "foreign": foreign}


def _dossier(conn: tdb.Conn, org: uuid.UUID, company: uuid.UUID, product: str, status: str) -> uuid.UUID:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount,"
        " priority) values (%s, %s, %s, %s, 12000, 1) returning id",
        (org, company, product, status),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def _upload(conn: tdb.Conn, org: uuid.UUID, company: uuid.UUID, dossier: uuid.UUID, document_type: str) -> None:
    reusable = conn.execute("select reusable from public.document_types where code = %s", (document_type,)).fetchone()
    assert reusable is not None
    doc = conn.execute(
        "insert into public.documents (organization_id, client_company_id, dossier_id, document_type)"
        " values (%s, %s, %s, %s) returning id",
        (org, company, None if reusable["reusable"] else dossier, document_type),
    ).fetchone()
    assert doc is not None
    conn.execute(
        "insert into public.document_versions (document_id, organization_id, version, storage_key, file_name,"
        " declared_format, declared_size, size_bytes, detected_format, sha256, issue_date, state, completed_at)"
        " values (%s, %s, 1, %s, 'f.pdf', 'pdf', 10, 10, 'pdf', %s, %s, 'uploaded', now())",
        (doc["id"], org, f"{org}/{doc['id']}/v1", hashlib.sha256(doc["id"].bytes).hexdigest(), date.today()),
    )


def _auth(keys: KeyPair, user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.token(user)}"}


def _post(app: FlaskClient, keys: KeyPair, user: uuid.UUID, dossier: uuid.UUID, command: str, body: Any = None) -> Any:
    return app.post(f"/dossier/dossiers/{dossier}/{command}", json=body or {}, headers=_auth(keys, user))


def test_commands_over_http_walk_to_an_expert_and_answer_step_and_progress(
    app: FlaskClient, keys: KeyPair, office: dict[str, Any]
) -> None:
    dossier = office["dossier"]
    response = _post(app, keys, office["client"], dossier, "submit-eligibility")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "pending_admin_validation"
    response = _post(app, keys, office["admin"], dossier, "validate-eligibility", {"note": "Pièces conformes"})
    body = response.get_json()
    assert (response.status_code, body["status"], body["step"], body["progress"]) == (200, "admin_validated", 2, 15)
    assert body["result"] == {"documents_validated": 3}


def test_a_body_error_is_a_422_naming_the_field_before_any_sql(
    app: FlaskClient, keys: KeyPair, office: dict[str, Any]
) -> None:
    response = _post(app, keys, office["admin"], office["dossier"], "reject-eligibility", {})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == ["reason"]
    response = _post(app, keys, office["admin"], office["dossier"], "reject-eligibility", {"reason": "ok", "x": 1})
    assert {e["field"] for e in response.get_json()["errors"]} == {"reason", "x"}


def test_a_database_field_error_is_a_422_with_field_and_rule(
    app: FlaskClient, keys: KeyPair, committed: tdb.Conn, office: dict[str, Any]
) -> None:
    dossier = office["dossier"]
    committed.execute(
        "update public.dossiers set status = 'audit_in_progress', expert_id = %s where id = %s",
        (office["expert_id"], dossier),
    )
    response = _post(
        app, keys, office["expert"], dossier, "complete-audit", {"amount": "12000", "client_fee_rate": "0.35"}
    )
    problem = response.get_json()
    assert (response.status_code, problem["code"]) == (422, "validation_failed")
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("client_fee_rate", "range")]
    response = _post(app, keys, office["expert"], dossier, "complete-audit", {"amount": "0"})
    assert response.status_code == 422  # pydantic: amount > 0
    response = _post(app, keys, office["expert"], dossier, "complete-audit", {"amount": "12000.00"})
    assert response.get_json()["result"] == {"revision": 1, "amount": "12000.00", "client_fee_rate": "0.3000"}


def test_an_invalid_transition_is_a_409_naming_the_status_and_the_commands_allowed_now(
    app: FlaskClient, keys: KeyPair, office: dict[str, Any]
) -> None:
    response = _post(app, keys, office["expert"], office["dossier"], "start-audit")
    # the expert is not this dossier's: it is not theirs to see
    assert response.status_code == 404
    response = _post(app, keys, office["admin"], office["dossier"], "validate-eligibility")
    problem = response.get_json()
    assert (response.status_code, problem["code"]) == (409, "invalid_transition")
    assert problem["current_status"] == "pending_upload"
    assert problem["allowed_commands"] == ["cancel", "hold", "override", "review_document", "submit_eligibility"]
    assert "pending_upload" in problem["detail"] and "submit_eligibility" in problem["detail"]


def test_roles_and_organizations(app: FlaskClient, keys: KeyPair, office: dict[str, Any]) -> None:
    dossier = office["dossier"]
    assert _post(app, keys, office["viewer"], dossier, "cancel", {"reason": "Essai"}).status_code == 403
    assert _post(app, keys, office["partner"], dossier, "cancel", {"reason": "Essai"}).status_code == 403
    assert _post(app, keys, office["owner"], office["foreign"], "cancel", {"reason": "Essai"}).status_code == 404
    assert _post(app, keys, office["owner"], uuid.uuid4(), "cancel", {"reason": "Essai"}).status_code == 404
    assert app.get(f"/dossier/dossiers/{dossier}", headers=_auth(keys, office["multi"])).status_code == 404
    assert app.post(f"/dossier/dossiers/{dossier}/cancel", json={"reason": "Essai"}).status_code == 401


def test_detail_has_everything_on_one_screen(app: FlaskClient, keys: KeyPair, office: dict[str, Any]) -> None:
    dossier = office["dossier"]
    _post(app, keys, office["client"], dossier, "submit-eligibility")
    response = app.get(f"/dossier/dossiers/{dossier}", headers=_auth(keys, office["client"]))
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["status"], body["status_label"], body["step"], body["step_label"], body["progress"]) == (
        "pending_admin_validation",
        "Éligibilité en cours de validation",
        1,
        "Éligibilité",
        10,
    )
    assert body["company"]["name"] == "Transports Test" and body["product"]["code"] == "ticpe"
    assert body["amounts"]["estimated"] == "12000.00"
    assert body["next_action"] == {
        "waiting_on": "admin",
        "label_fr": "Valider ou refuser l'éligibilité",
        "label_en": "Validate or reject the eligibility",
        "mine": False,
    }
    assert {i["document_type"] for i in body["checklist"]["items"]} >= {"kbis", "carte_grise", "facture_carburant"}
    assert [e["type"] for e in body["timeline"]] == ["created", "submit_eligibility"]
    assert [c["command"] for c in body["allowed_commands"] if c["allowed_for_me"]] == ["cancel"]
    english = app.get(f"/dossier/dossiers/{dossier}?lang=en", headers=_auth(keys, office["admin"])).get_json()
    assert (english["status_label"], english["next_action"]["mine"]) == ("Eligibility under review", True)
    assert english["timeline"][-1]["title"] == "Eligibility submitted for review"
    partner = app.get(f"/dossier/dossiers/{dossier}", headers=_auth(keys, office["partner"])).get_json()
    assert partner["checklist"] is None and partner["amounts"]["estimated"] == "12000.00"


def test_the_list_filters_pages_and_knows_what_waits_on_me(
    app: FlaskClient, keys: KeyPair, committed: tdb.Conn, office: dict[str, Any]
) -> None:
    org, company = office["org"], office["company"]
    extra = [
        _dossier(committed, org, company, product, "pending_admin_validation") for product in ("urssaf", "dfs", "msa")
    ]
    committed.execute("update public.dossiers set estimated_amount = 500 where id = %s", (extra[0],))

    def page(user: uuid.UUID, query: str = "") -> dict[str, Any]:
        response = app.get(f"/dossier/dossiers?{query}", headers=_auth(keys, user))
        assert response.status_code == 200, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result

    assert len(page(office["admin"])["items"]) == 4
    assert len(page(office["admin"], "waiting_on_me=true")["items"]) == 3
    assert [d["id"] for d in page(office["client"], "waiting_on_me=true")["items"]] == [str(office["dossier"])]
    assert len(page(office["admin"], "status=pending_admin_validation&min_amount=1000")["items"]) == 2
    assert len(page(office["admin"], "product=urssaf&step=1")["items"]) == 1
    assert page(office["expert"])["items"] == []
    assert page(office["multi"])["items"] == []
    first = page(office["admin"], "page_size=3")
    rest = page(office["admin"], f"page_size=3&after={first['next_cursor']}")
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 4 and rest["next_cursor"] is None
    response = app.get("/dossier/dossiers?after=nonsense!", headers=_auth(keys, office["admin"]))
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "query.after"
    response = app.get("/dossier/dossiers?step=9", headers=_auth(keys, office["admin"]))
    assert response.status_code == 422


def test_allowed_commands_and_statuses(app: FlaskClient, keys: KeyPair, office: dict[str, Any]) -> None:
    response = app.get(f"/dossier/dossiers/{office['dossier']}/commands", headers=_auth(keys, office["client"]))
    body = response.get_json()
    assert body["status"] == "pending_upload"
    mine = {c["command"]: c for c in body["items"]}
    assert mine["submit_eligibility"]["allowed_for_me"] and mine["submit_eligibility"]["actors"] == ["admin", "client"]
    assert not mine["override"]["allowed_for_me"]
    statuses = app.get("/dossier/statuses?lang=en", headers=_auth(keys, office["client"])).get_json()["items"]
    assert [s["code"] for s in statuses][:3] == ["pending_upload", "pending_admin_validation", "admin_rejected"]
    assert next(s for s in statuses if s["code"] == "expert_pending_acceptance")["label"] == (
        "Awaiting the expert's acceptance"
    )


def test_an_expert_sees_the_brief_of_an_offer(
    app: FlaskClient, keys: KeyPair, committed: tdb.Conn, office: dict[str, Any]
) -> None:
    dossier = office["dossier"]
    _post(app, keys, office["client"], dossier, "submit-eligibility")
    _post(app, keys, office["admin"], dossier, "validate-eligibility")
    with committed.transaction():
        tdb.as_user(committed, office["client"])
        committed.execute("select private.assignment_pick(%s, %s)", (dossier, office["expert_id"]))
    offers = app.get("/dossier/offers", headers=_auth(keys, office["expert"])).get_json()["items"]
    assert len(offers) == 1
    brief = offers[0]
    assert (brief["company_name"], brief["sector"], brief["departement"], brief["product_code"]) == (
        "Transports Test",
        "Transport et Logistique",
        "69",
        "ticpe",
    )
    assert brief["estimated_amount"] == "12000.00"
    detail = app.get(f"/dossier/dossiers/{dossier}", headers=_auth(keys, office["expert"])).get_json()
    assert detail["next_action"]["mine"] is True and detail["status"] == "expert_pending_acceptance"


@pytest.mark.race
def test_two_commands_on_one_dossier_at_once_end_in_one_consistent_state(
    app: FlaskClient, keys: KeyPair, committed: tdb.Conn, office: dict[str, Any]
) -> None:
    """An admin validates while the owner rejects: one wins, the other gets 409, the timeline agrees."""
    dossier = office["dossier"]
    _post(app, keys, office["client"], dossier, "submit-eligibility")
    for _ in range(5):
        barrier = threading.Barrier(2)
        answers: dict[str, int] = {}

        def act(
            name: str,
            user: uuid.UUID,
            command: str,
            body: dict[str, str],
            barrier: threading.Barrier = barrier,
            answers: dict[str, int] = answers,
        ) -> None:
            barrier.wait()
            answers[name] = _post(app, keys, user, dossier, command, body).status_code

        threads = [
            threading.Thread(target=act, args=("validate", office["admin"], "validate-eligibility", {})),
            threading.Thread(
                target=act, args=("reject", office["owner"], "reject-eligibility", {"reason": "Illisible"})
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers.values()) == [200, 409], answers
        state = committed.execute("select status from public.dossiers where id = %s", (dossier,)).fetchone()
        assert state is not None
        winner = "admin_validated" if answers["validate"] == 200 else "admin_rejected"
        assert state["status"] == winner
        last = committed.execute(
            "select to_status from public.dossier_events where dossier_id = %s order by id desc limit 1", (dossier,)
        ).fetchone()
        assert last is not None and last["to_status"] == winner
        # back to the start for the next round (as the owner, outside the commands)
        committed.execute("update public.dossiers set status = 'pending_admin_validation' where id = %s", (dossier,))
