"""Bad input reaching real functions is a 4xx naming the field and the rule, never a 500.

Each case here answered 500 before: NUL characters in queries and bodies, JSON nested a thousand
levels deep, integer literals of thousands of digits, an object where the export names its document,
an RS256 token carrying the kid of our EC key, and a rule set whose tiny factor was stored as "1E-9".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from psycopg.types.json import Jsonb

from functions import routers
from shared.platform.http import MAX_JSON_DEPTH
from shared.simulation.models import load_rule_set
from tests.support import db as tdb
from tests.support.simulate import Site
from tests.support.simulate import start as _start
from tests.support.tokens import KeyPair, claims

ADDRESS = "203.0.113.200"  # anonymous starts are rate-limited per address: this file's own


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["code"] == code and body["request_id"]
    return body


def _rules(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(error["field"], error["rule"]) for error in body.get("errors", [])}


# --- NUL characters ---------------------------------------------------------------------------------
def test_nul_in_a_query_parameter_is_422_naming_it(site: Site, client_for: Callable[[str], FlaskClient]) -> None:
    body = _problem(site.call("GET", f"/questionnaire?organization={site.slug}%00", None), 422, "validation_failed")
    assert _rules(body) == {("query.organization", "nul_character")}
    assign = client_for("assign")
    response = assign.get("/assign/experts?q=%00", headers=site.headers("client"))
    assert _rules(_problem(response, 422, "validation_failed")) == {("query.q", "nul_character")}


def test_nul_in_a_body_key_or_value_is_422_naming_it(site: Site) -> None:
    response = site.call("POST", "/simulations", None, json={"organization": "x\x00"}, address=ADDRESS)
    body = _problem(response, 422, "validation_failed")
    assert _rules(body) == {("organization", "nul_character")}
    sim = _start(site)
    answers = {"GENERAL_001": "Transport\x00", "BAD\x00CODE": "Oui"}
    response = site.call("POST", f"/simulations/{sim['id']}/answers", json={"answers": answers})
    body = _problem(response, 422, "validation_failed")
    assert _rules(body) == {("answers.GENERAL_001", "nul_character"), ("answers.BAD\x00CODE", "nul_character")}


def test_nul_in_a_path_id_is_the_same_422_as_any_malformed_id(site: Site) -> None:
    body = _problem(site.call("GET", "/simulations/%00"), 422, "validation_failed")
    assert _rules(body) == {("simulation_id", "uuid")}


# --- JSON limits ------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_json_is_400_before_any_model(site: Site, depth: int) -> None:
    sim = _start(site)
    nested = '{"answers": {"GENERAL_001": ' + "[" * depth + "]" * depth + "}}"
    response = site.client.post(
        f"/simulations/{sim['id']}/answers",
        data=nested,
        content_type="application/json",
        headers=site.headers("client"),
    )
    _problem(response, 400, "json_too_deep")


def test_integer_literals_of_thousands_of_digits_are_422(site: Site) -> None:
    sim = _start(site)
    response = site.client.post(
        f"/simulations/{sim['id']}/answers",
        data='{"answers": {"TICPE_002": ' + "9" * 5000 + "}}",
        content_type="application/json",
        headers=site.headers("client"),
    )
    assert _rules(_problem(response, 422, "validation_failed")) == {("answers.TICPE_002", "number_too_long")}


# --- exports ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("document", [{}, [], None, 3])
def test_an_export_document_that_is_not_a_name_is_422(
    site: Site, client_for: Callable[[str], FlaskClient], document: Any
) -> None:
    export = client_for("export")
    response = export.post("/export", json={"document": document, "format": "pdf"}, headers=site.headers("client"))
    assert ("document", "unknown_document") in _rules(_problem(response, 422, "validation_failed"))


# --- tokens -----------------------------------------------------------------------------------------
def test_an_rs256_token_with_our_kid_but_another_key_is_401_on_every_function(
    keys: KeyPair, client_for: Callable[[str], FlaskClient]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(uuid.uuid4()), other, algorithm="RS256", headers={"kid": keys.kid})
    tried = 0
    for name, router in routers().items():
        for route in router.routes:
            if route.auth not in ("user", "user_or_resume_token", "optional_user"):
                continue
            path = f"/{name}" + route.path.replace("{", "").replace("}", "")
            for param in route.path_params:
                path = path.replace(param, str(uuid.uuid4()))
            response = client_for(name).open(
                path, method=route.method, json={}, headers={"Authorization": f"Bearer {forged}"}
            )
            assert (response.status_code, response.get_json()["code"]) == (401, "invalid_token"), (name, path)
            tried += 1
    assert tried >= 30


# --- rule sets with tiny factors --------------------------------------------------------------------
def _tiny_rule_set(version: str, factor: str) -> dict[str, Any]:
    document = load_rule_set("FR-2025.1").model_dump(mode="json")
    document["version"], document["effective_from"] = version, "2025-06-01"
    next(p for p in document["products"] if p["code"] == "ticpe")["formula"]["factors"][1]["value"] = factor
    return document


def test_a_tiny_factor_is_stored_in_plain_notation_and_reads_back(site: Site, committed: tdb.Conn) -> None:
    body = {"organization_id": str(site.org), "rule_set": _tiny_rule_set("FR-2025.7", "0.000000001")}
    published = site.call("POST", "/rule-sets", "admin", json=body)
    assert published.status_code == 201, published.get_json()
    stored = committed.execute(
        "select formula from public.product_rules where rule_set_id = %s and product_code = 'ticpe'",
        (published.get_json()["id"],),
    ).fetchone()
    assert stored is not None and stored["formula"]["factors"][1]["value"] == "0.000000001"
    questionnaire = site.call("GET", f"/questionnaire?organization={site.slug}", None)
    assert questionnaire.status_code == 200 and questionnaire.get_json()["rule_set"] == "FR-2025.7"
    assert site.call("POST", "/simulations", None, json={"organization": site.slug}, address=ADDRESS).status_code == 201
    assert _start(site)["rule_set"] == "FR-2025.7"


def test_a_factor_beyond_the_precision_is_422(site: Site) -> None:
    for factor in ("0.00000000001", "1" * 16, "1E-9"):
        body = {"organization_id": str(site.org), "rule_set": _tiny_rule_set("FR-2025.8", factor)}
        response = site.call("POST", "/rule-sets", "admin", json=body)
        fields = {field for field, _ in _rules(_problem(response, 422, "validation_failed"))}
        assert any(field.startswith("rule_set.products.") and field.endswith("factors.1.value") for field in fields)


def _jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def test_a_rule_set_stored_in_exponent_notation_still_loads(site: Site, committed: tdb.Conn) -> None:
    """What the old code stored ("1E-9") must not break the organization's questionnaire."""
    document = _tiny_rule_set("FR-2025.9", "0.5")
    with committed.transaction():
        row = committed.execute(
            "insert into public.rule_sets (organization_id, version, effective_from) values (%s, %s, %s) returning id",
            (site.org, document["version"], document["effective_from"]),
        ).fetchone()
        assert row is not None
        for question in document["questions"]:
            committed.execute(
                "insert into public.questions (rule_set_id, code, position, definition) values (%s, %s, %s, %s)",
                (row["id"], question["code"], question["order"], Jsonb(question)),
            )
        for product in document["products"]:
            formula = product["formula"]
            if product["code"] == "ticpe":
                formula["factors"][1]["value"] = "1E-9"
            committed.execute(
                "insert into public.product_rules (rule_set_id, product_code, active, rule, formula)"
                " values (%s, %s, %s, %s, %s)",
                (row["id"], product["code"], product["active"], _jsonb(product["eligibility"]), _jsonb(formula)),
            )
    questionnaire = site.call("GET", f"/questionnaire?organization={site.slug}", None)
    assert questionnaire.status_code == 200 and questionnaire.get_json()["rule_set"] == "FR-2025.9"
    assert _start(site)["rule_set"] == "FR-2025.9"
