"""The shared HTTP boundary: every malformed request gets the right 4xx problem+json, never a 500."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import flask
import pytest
from flask.testing import FlaskClient
from pydantic import BaseModel, Field

from shared.platform.http import MAX_JSON_DEPTH, MAX_NUMBER_LENGTH, Context, Router
from shared.platform.settings import Settings

router = Router("echo")


class EchoIn(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    amount: int = Field(ge=0)


class EchoOut(BaseModel):
    name: str
    amount: int


@router.post("/", body=EchoIn, response=EchoOut, status=201, auth="public")
def post_echo(ctx: Context) -> EchoOut:
    body: EchoIn = ctx.body
    return EchoOut(name=body.name, amount=body.amount)


@router.get("/boom", auth="public")
def boom(ctx: Context) -> None:
    raise RuntimeError("secret internal detail: password=hunter2")


@router.get("/items/{item_id}", auth="public")
def item(ctx: Context) -> dict[str, str]:
    return {"id": ctx.params["item_id"]}


@router.get("/tags/{tag}", auth="public")
def tag(ctx: Context) -> dict[str, str]:
    return {"tag": ctx.params["tag"]}


class FindQuery(BaseModel):
    name: str = Field(max_length=20)


@router.get("/find", query=FindQuery, auth="public")
def find(ctx: Context) -> dict[str, str]:
    return {"name": ctx.query(FindQuery).name}


@router.get("/undeclared", auth="public")
def undeclared(ctx: Context) -> dict[str, str]:
    return {"name": ctx.query(FindQuery).name}


@router.get("/private")
def private(ctx: Context) -> dict[str, str]:
    return {"user": ctx.claims().sub}


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    app = flask.Flask("echo")
    app.add_url_rule("/", "root", lambda: router.serve(flask.request), methods=["GET", "POST", "OPTIONS", "PUT"])
    app.add_url_rule(
        "/<path:rest>",
        "rest",
        lambda rest: router.serve(flask.request),
        methods=["GET", "POST", "OPTIONS", "PUT"],
    )
    yield app.test_client()


def _problem(response: flask.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["code"] == code and body["request_id"]
    return body  # type: ignore[no-any-return]


def test_valid_body(client: FlaskClient) -> None:
    response = client.post("/", json={"name": "Durand", "amount": 3})
    assert response.status_code == 201 and response.get_json() == {"name": "Durand", "amount": 3}


def test_malformed_json_is_400(client: FlaskClient) -> None:
    _problem(client.post("/", data="{not json", content_type="application/json"), 400, "malformed_json")
    _problem(client.post("/", data=b"\xff\xfe", content_type="application/json"), 400, "malformed_json")


def test_wrong_media_type_is_415(client: FlaskClient) -> None:
    _problem(
        client.post("/", data="name=x", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )


def test_body_over_one_mebibyte_is_413(client: FlaskClient) -> None:
    big = json.dumps({"name": "x", "amount": 1, "pad": "y" * (1024 * 1024)})
    _problem(client.post("/", data=big, content_type="application/json"), 413, "payload_too_large")


def test_field_errors_are_422_naming_field_and_rule(client: FlaskClient) -> None:
    body = _problem(client.post("/", json={"name": "", "amount": -1}), 422, "validation_failed")
    errors = {e["field"]: e["rule"] for e in body["errors"]}  # type: ignore[union-attr]
    assert errors == {"name": "string_too_short", "amount": "greater_than_equal"}
    body = _problem(client.post("/", json={"amount": "many"}), 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {"name", "amount"}  # type: ignore[union-attr]
    _problem(client.post("/", json=[1, 2]), 422, "validation_failed")


def test_unexpected_errors_are_500_with_only_the_request_id(client: FlaskClient) -> None:
    response = client.get("/boom", headers={"X-Request-Id": "abc-1"})
    body = _problem(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True) and body["request_id"] == "abc-1"


def test_unknown_route_and_method(client: FlaskClient) -> None:
    _problem(client.get("/nowhere"), 404, "not_found")
    response = client.put("/", json={})
    _problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


def test_path_parameters_and_invalid_request_ids(client: FlaskClient) -> None:
    item_id = str(uuid.uuid4())
    response = client.get(f"/items/{item_id}", headers={"X-Request-Id": "bad id with spaces"})
    assert response.get_json() == {"id": item_id}
    assert response.headers["X-Request-Id"] != "bad id with spaces"
    assert len(response.headers["X-Request-Id"]) == 32


def test_each_request_logs_one_json_line(client: FlaskClient, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    client.post("/", json={"name": "a", "amount": 1}, headers={"X-Request-Id": "log-1"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"log-1"' in line]
    assert len(lines) == 1
    line = lines[0]
    assert line["function"] == "echo" and line["status"] == 201 and line["request_id"] == "log-1"
    assert line["logger"] == "fintrack.request" and line["duration_ms"] >= 0


def test_json_nested_deeper_than_the_limit_is_400(client: FlaskClient) -> None:
    deep = '{"name": "a", "amount": 1, "pad": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}"
    _problem(client.post("/", data=deep, content_type="application/json"), 400, "json_too_deep")
    within = '{"name": "a", "amount": 1, "pad": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    assert client.post("/", data=within, content_type="application/json").status_code == 201
    recursion = "[" * 200_000 + "]" * 200_000
    _problem(client.post("/", data=recursion, content_type="application/json"), 400, "json_too_deep")


def test_long_numbers_and_non_json_constants(client: FlaskClient) -> None:
    longest = "9" * MAX_NUMBER_LENGTH
    assert (
        client.post("/", data=f'{{"name": "a", "amount": {longest}}}', content_type="application/json").status_code
        == 201
    )
    for literal in ("9" * (MAX_NUMBER_LENGTH + 1), "1" * 5000, "0." + "1" * 5000, "1e" + "9" * 100):
        response = client.post("/", data=f'{{"name": "a", "amount": {literal}}}', content_type="application/json")
        body = _problem(response, 422, "validation_failed")
        assert [(e["field"], e["rule"]) for e in body["errors"]] == [("amount", "number_too_long")]  # type: ignore[union-attr]
    for constant in ("NaN", "Infinity", "-Infinity"):
        response = client.post("/", data=f'{{"name": "a", "amount": {constant}}}', content_type="application/json")
        _problem(response, 400, "malformed_json")


def test_text_the_database_cannot_store_is_422_naming_the_field(client: FlaskClient) -> None:
    for text, rule in (("a\x00b", "nul_character"), ("\ud800", "invalid_unicode")):
        response = client.post("/", data=json.dumps({"name": text, "amount": 1}), content_type="application/json")
        assert _problem(response, 422, "validation_failed")["errors"][0]["rule"] == rule  # type: ignore[index]
    response = client.post(
        "/", data=json.dumps({"name": "a", "amount": 1, "x\x00": 1}), content_type="application/json"
    )
    assert _problem(response, 422, "validation_failed")["errors"][0]["field"] == "x\x00"  # type: ignore[index]
    response = client.get("/find?name=a%00")
    assert _problem(response, 422, "validation_failed")["errors"][0]["field"] == "query.name"  # type: ignore[index]
    assert _problem(client.get("/tags/a%00b"), 422, "validation_failed")["errors"][0]["field"] == "tag"  # type: ignore[index]
    assert client.get("/tags/a%C3%A9").get_json() == {"tag": "a\u00e9"}


def test_path_ids_must_be_uuids(client: FlaskClient) -> None:
    body = _problem(client.get("/items/not-a-uuid"), 422, "validation_failed")
    assert body["errors"] == [{"field": "item_id", "rule": "uuid", "message": "must be a UUID"}]


def test_query_models_are_declared_on_the_route(client: FlaskClient) -> None:
    assert client.get("/find?name=Durand").get_json() == {"name": "Durand"}
    body = _problem(client.get("/find?name=" + "x" * 21), 422, "validation_failed")
    assert body["errors"][0]["field"] == "query.name"  # type: ignore[index]
    _problem(client.get("/undeclared?name=a"), 500, "internal_error")  # a programming error, caught by tests


def test_routes_check_their_caller_before_reading_anything(client: FlaskClient) -> None:
    _problem(client.get("/private"), 401, "missing_token")
