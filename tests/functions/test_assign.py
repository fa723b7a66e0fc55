"""`assign` through its functions-framework WSGI app, with real tokens against the real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support import db as tdb
from tests.support.tokens import KeyPair


@pytest.fixture
def app(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("assign")


@pytest.fixture
def market(committed: tdb.Conn, tenant: dict[str, uuid.UUID]) -> dict[str, Any]:
    """The tenant's organization with three ticpe experts, a pending one, and a dossier ready for one."""
    org = tenant["org"]
    experts: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    for name, level, status in (
        ("best", "expert", "approved"),
        ("good", "avance", "approved"),
        ("fair", "debutant", "approved"),
        ("pending", "expert", "pending"),
    ):
        user = tdb.make_user(committed)
        tdb.add_member(committed, org, user, "expert")
        expert = tdb.make_expert(committed, org, user, status=status)
        committed.execute(
            "insert into public.expert_products (expert_id, product_code, organization_id, level)"
            " values (%s, 'ticpe', %s, %s)",
            (expert, org, level),
        )
        experts[name] = (user, expert)
    row = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status)"
        " values (%s, %s, 'ticpe', 'admin_validated') returning id",
        (org, tenant["company"]),
    ).fetchone()
    assert row is not None
    other_org_dossier = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status)"
        " values (%s, %s, 'ticpe', 'admin_validated') returning id",
        (tenant["other"], tdb.make_company(committed, tenant["other"])),
    ).fetchone()
    assert other_org_dossier is not None
    return {"experts": experts, "dossier": row["id"], "foreign_dossier": other_org_dossier["id"], **tenant}


def _auth(keys: KeyPair, user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.token(user)}"}


def _problem(response: Any) -> tuple[int, str]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return response.status_code, response.get_json()["code"]


def test_candidates_then_pick_then_accept(app: FlaskClient, keys: KeyPair, market: dict[str, Any]) -> None:
    client = _auth(keys, market["client"])
    listed = app.get(f"/assign/dossiers/{market['dossier']}/candidates?page_size=2", headers=client)
    assert listed.status_code == 200
    body = listed.get_json()
    best, good = market["experts"]["best"][1], market["experts"]["good"][1]
    assert [item["expert_id"] for item in body["items"]] == [str(best), str(good)]
    assert body["items"][0]["score_parts"]["level"] == "30.00" and body["items"][0]["score"] == "60.00"
    assert body["items"][0]["fee_rate"] is None and body["next_after"] == str(good)
    rest = app.get(f"/assign/dossiers/{market['dossier']}/candidates?after={good}", headers=client).get_json()
    assert [item["expert_id"] for item in rest["items"]] == [str(market["experts"]["fair"][1])]

    picked = app.post(f"/assign/dossiers/{market['dossier']}/pick", json={"expert_id": str(best)}, headers=client)
    assert picked.status_code == 201
    offer = picked.get_json()["offer"]
    assert (offer["status"], offer["source"], offer["score"]) == ("offered", "client_choice", "60.00")

    expert = _auth(keys, market["experts"]["best"][0])
    inbox = app.get("/assign/offers?status=offered", headers=expert).get_json()
    assert [o["id"] for o in inbox["items"]] == [offer["id"]]
    accepted = app.post(f"/assign/offers/{offer['id']}/accept", headers=expert)
    assert accepted.status_code == 200
    assert accepted.get_json()["dossier_status"] == "expert_assigned"
    assert _problem(app.post(f"/assign/offers/{offer['id']}/accept", headers=expert)) == (409, "offer_accepted")
    view = app.get(f"/assign/dossiers/{market['dossier']}", headers=client).get_json()
    assert (view["status"], view["expert_id"]) == ("expert_assigned", str(best))
    assert [e["kind"] for e in view["events"]] == ["offer_made", "offer_accepted"]


def test_unknown_or_foreign_ids_are_404_malformed_ones_422(app: FlaskClient, keys: KeyPair, market: dict[str, Any]) -> None:
    client = _auth(keys, market["client"])
    missing = f"/assign/dossiers/{uuid.uuid4()}/candidates"
    assert _problem(app.get(missing, headers=client)) == (404, "dossier_not_found")
    foreign = f"/assign/dossiers/{market['foreign_dossier']}"
    assert _problem(app.get(foreign, headers=client)) == (404, "dossier_not_found")
    malformed = app.get("/assign/dossiers/not-a-uuid/candidates", headers=client)
    assert _problem(malformed) == (422, "validation_failed")
    assert malformed.get_json()["errors"] == [{"field": "dossier_id", "rule": "uuid", "message": "must be a UUID"}]
    assert _problem(app.post(f"/assign/offers/{uuid.uuid4()}/accept", headers=client)) == (404, "offer_not_found")
    pick = f"/assign/dossiers/{market['dossier']}/pick"
    assert _problem(app.post(pick, json={"expert_id": str(uuid.uuid4())}, headers=client)) == (404, "expert_not_found")
    # A member of the other organization (without access to that dossier) learns it exists there: 403.
    other_member = _auth(keys, market["multi"])
    best = str(market["experts"]["best"][1])
    assert _problem(app.post(f"{foreign}/pick", json={"expert_id": best}, headers=other_member)) == (403, "forbidden")


def test_wrong_roles_are_403(app: FlaskClient, keys: KeyPair, market: dict[str, Any]) -> None:
    expert = _auth(keys, market["experts"]["good"][0])
    owner = _auth(keys, market["owner"])
    client = _auth(keys, market["client"])
    dossier = market["dossier"]
    assert _problem(app.get(f"/assign/dossiers/{dossier}/candidates", headers=expert)) == (403, "forbidden")
    assert _problem(
        app.post(f"/assign/dossiers/{dossier}/pick", json={"expert_id": str(uuid.uuid4())}, headers=owner)
    ) == (403, "forbidden")
    assert _problem(
        app.post(
            f"/assign/dossiers/{dossier}/force",
            json={"expert_id": str(market["experts"]["fair"][1]), "reason": "x"},
            headers=client,
        )
    ) == (403, "forbidden")
    assert _problem(app.put("/assign/settings", json={"assignment_mode": "auto"}, headers=client)) == (403, "forbidden")


def test_invalid_fields_are_422(app: FlaskClient, keys: KeyPair, market: dict[str, Any]) -> None:
    client = _auth(keys, market["client"])
    owner = _auth(keys, market["owner"])
    dossier = market["dossier"]
    cases = [
        app.get("/assign/experts?page_size=0", headers=client),
        app.get("/assign/experts?sort=price", headers=client),
        app.get("/assign/experts?departement=100", headers=client),
        app.get("/assign/experts?color=blue", headers=client),
        app.post(f"/assign/dossiers/{dossier}/pick", json={"expert_id": "nope"}, headers=client),
        app.post(
            f"/assign/dossiers/{dossier}/force", json={"expert_id": str(uuid.uuid4()), "reason": "  "}, headers=owner
        ),
        app.put("/assign/settings", json={"offer_ttl_minutes": 1}, headers=owner),
        app.put("/assign/settings", json={"assignment_mode": "lottery"}, headers=owner),
        app.post(f"/assign/dossiers/{dossier}/review", json={"rating": 6}, headers=client),
    ]
    for response in cases:
        status, code = _problem(response)
        assert (status, code) == (422, "validation_failed"), response.get_json()
        assert response.get_json()["errors"]
    assert _problem(app.get("/assign/experts?sort=score", headers=client)) == (422, "dossier_required")


def test_decline_needs_a_reason_and_expired_offers_are_409(
    app: FlaskClient, keys: KeyPair, market: dict[str, Any], committed: tdb.Conn
) -> None:
    client = _auth(keys, market["client"])
    fair_user, fair = market["experts"]["fair"]
    offer = app.post(
        f"/assign/dossiers/{market['dossier']}/pick", json={"expert_id": str(fair)}, headers=client
    ).get_json()["offer"]
    expert = _auth(keys, fair_user)
    assert _problem(app.post(f"/assign/offers/{offer['id']}/decline", json={}, headers=expert)) == (
        422,
        "validation_failed",
    )
    with committed.transaction():
        committed.execute("set local session_replication_role = replica")
        committed.execute(
            "update public.assignment_offers set offered_at = now() - interval '3 days',"
            " expires_at = now() - interval '1 hour' where id = %s",
            (offer["id"],),
        )
    assert _problem(app.post(f"/assign/offers/{offer['id']}/accept", headers=expert)) == (409, "offer_expired")
    assert _problem(
        app.post(f"/assign/offers/{offer['id']}/decline", json={"reason": "Trop tard"}, headers=expert)
    ) == (409, "offer_expired")


def test_settings_and_approval(app: FlaskClient, keys: KeyPair, market: dict[str, Any]) -> None:
    owner = _auth(keys, market["owner"])
    current = app.get("/assign/settings", headers=owner)
    assert current.status_code == 200
    assert current.get_json() == {
        "organization_id": str(market["org"]),
        "assignment_mode": "client_choice",
        "offer_ttl_minutes": 2880,
        "max_offer_attempts": 3,
    }
    changed = app.put("/assign/settings", json={"assignment_mode": "admin", "offer_ttl_minutes": 60}, headers=owner)
    assert changed.get_json()["assignment_mode"] == "admin" and changed.get_json()["max_offer_attempts"] == 3
    assert _problem(app.get("/assign/settings", headers=_auth(keys, market["multi"]))) == (422, "organization_required")
    pending = market["experts"]["pending"][1]
    assert _problem(app.post(f"/assign/experts/{pending}/approval", json={"action": "reject"}, headers=owner)) == (
        422,
        "reason_required",
    )
    approved = app.post(f"/assign/experts/{pending}/approval", json={"action": "approve"}, headers=owner)
    assert approved.status_code == 200 and approved.get_json()["approval_status"] == "approved"
    assert _problem(
        app.post(f"/assign/experts/{uuid.uuid4()}/approval", json={"action": "approve"}, headers=owner)
    ) == (404, "expert_not_found")


def test_search_by_text_and_rating(
    app: FlaskClient, keys: KeyPair, market: dict[str, Any], committed: tdb.Conn
) -> None:
    best = market["experts"]["best"][1]
    committed.execute(
        "update public.expert_profiles set display_name = 'Hélène Crémieux', description ="
        " 'Fiscalité énergétique' where id = %s",
        (best,),
    )
    found = app.get("/assign/experts?q=helene%20fiscalite", headers=_auth(keys, market["client"]))
    assert found.status_code == 200
    assert [item["display_name"] for item in found.get_json()["items"]] == ["Hélène Crémieux"]


def test_without_a_token_it_is_401(app: FlaskClient, market: dict[str, Any]) -> None:
    assert _problem(app.get("/assign/experts")) == (401, "missing_token")
