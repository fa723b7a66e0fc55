"""The local stack's server: function paths reach their routers, Flask serves the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from infra import devserver
from shared.platform.settings import Secret, Settings


@pytest.fixture
def dev(settings: Settings) -> FlaskClient:
    return devserver.build_app().test_client()


def test_function_paths_reach_their_router(dev: FlaskClient) -> None:
    assert dev.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    unauthorized = dev.get("/me", headers={"X-Request-Id": "dev-request-1"})
    assert unauthorized.status_code == 401 and unauthorized.mimetype == "application/problem+json"
    assert unauthorized.headers["X-Request-Id"] == "dev-request-1"
    missing = dev.get("/simulate/no/such/route")
    assert missing.status_code == 404 and missing.get_json()["detail"] == "No route /simulate/no/such/route"


def test_the_index_openapi_and_unknown_functions(dev: FlaskClient) -> None:
    index = dev.get("/").get_json()
    assert {"me", "simulate", "healthz"} <= set(index["functions"])
    assert "/simulate/simulations/{simulation_id}/complete" in dev.get("/openapi.json").get_json()["paths"]
    for path in ("/nope", "/nope/deeper/path"):
        unknown = dev.post(path)
        assert unknown.status_code == 404 and unknown.get_json()["detail"] == "No function nope"


def test_every_error_of_the_server_is_problem_json_with_a_request_id(
    dev: FlaskClient, use: Callable[..., Settings], tmp_path: Path
) -> None:
    use(storage_dir=str(tmp_path), signing_secret=Secret("dev-server-test-signing-secret"))
    for method, path, status in (
        ("GET", "/kpis", 404),
        ("GET", "/kpis/2026", 404),
        ("POST", "/", 405),
        ("GET", "/storage/missing/file.pdf", 403),
    ):
        response = dev.open(path, method=method, headers={"X-Request-Id": "dev-error-1"})
        body = response.get_json()
        assert response.status_code == status and response.mimetype == "application/problem+json", path
        assert body["status"] == status and body["code"] and body["request_id"] == "dev-error-1"
        assert response.headers["X-Request-Id"] == "dev-error-1"
    assert dev.post("/").headers["Allow"] == "GET, HEAD, OPTIONS"
