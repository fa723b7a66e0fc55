"""`me` through its functions-framework WSGI app, with real tokens against the real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.support.tokens import KeyPair


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def me(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("me")


def test_me_returns_memberships_and_company(me: FlaskClient, keys: KeyPair, tenant: dict[str, uuid.UUID]) -> None:
    response = me.get("/", headers=_auth(keys.token(tenant["client"], email="claire@example.test")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["user_id"] == str(tenant["client"])
    assert body["email"] == "claire@example.test"
    (membership,) = body["memberships"]
    assert membership["organization_slug"].startswith("org-")  # what the questionnaire names it by
    assert {k: v for k, v in membership.items() if k != "organization_slug"} == {
        "organization_id": str(tenant["org"]),
        "organization_name": "Cabinet Test",
        "role": "client",
    }
    assert [c["name"] for c in body["client_companies"]] == ["Transports Test"]
    assert body["managed_companies"] == [] and body["platform_operator"] is False


def test_me_lists_every_organization_of_a_multi_member(
    me: FlaskClient, keys: KeyPair, tenant: dict[str, uuid.UUID]
) -> None:
    body = me.get("/", headers=_auth(keys.token(tenant["multi"]))).get_json()
    assert sorted((m["organization_name"], m["role"]) for m in body["memberships"]) == [
        ("Autre Cabinet", "client"),
        ("Cabinet Test", "expert"),
    ]
    assert body["client_companies"] == []


def test_me_for_a_user_without_membership_is_empty_not_an_error(me: FlaskClient, keys: KeyPair) -> None:
    response = me.get("/", headers=_auth(keys.token(uuid.uuid4())))
    assert response.status_code == 200
    assert response.get_json()["memberships"] == []


def test_me_accepts_its_deployed_path_and_propagates_the_request_id(
    me: FlaskClient, keys: KeyPair, tenant: dict[str, uuid.UUID]
) -> None:
    response = me.get("/me", headers={**_auth(keys.token(tenant["owner"])), "X-Request-Id": "req-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-123"


def test_me_without_token_is_a_401_problem(me: FlaskClient) -> None:
    response = me.get("/")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "missing_token" and body["request_id"] == response.headers["X-Request-Id"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_refuses_other_methods_and_paths(me: FlaskClient, keys: KeyPair) -> None:
    response = me.post("/", json={})
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert me.get("/nowhere").status_code == 404


def test_cors_preflight_and_allowed_origin(me: FlaskClient, keys: KeyPair, tenant: dict[str, uuid.UUID]) -> None:
    origin = "https://app.example.test"
    preflight = me.options("/", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    response = me.get("/", headers={**_auth(keys.token(tenant["owner"])), "Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin
    foreign = me.get("/", headers={**_auth(keys.token(tenant["owner"])), "Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_healthz_reports_the_database(client_for: Callable[[str], FlaskClient]) -> None:
    response = client_for("healthz").get("/")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
