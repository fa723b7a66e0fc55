"""The OpenAPI document says what the functions accept: query parameters, uuid path ids, who may call
each operation, and every status an operation answers (summaries included)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from functions import routers
from shared.platform import openapi


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build(routers())


def _query(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    parameters = document["paths"][path]["get"].get("parameters", [])
    return {p["name"]: p for p in parameters if p["in"] == "query"}


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)


def test_every_query_parameter_is_declared(document: dict[str, Any]) -> None:
    questionnaire = _query(document, "/simulate/questionnaire")
    assert questionnaire["organization"]["required"] and {"rule_set", "lang"} <= set(questionnaire)
    experts = _query(document, "/assign/experts")
    assert {
        "organization_id", "q", "product", "sector", "departement", "min_rating", "language", "available_now",
        "has_capacity", "dossier_id", "eligible_only", "sort", "after", "page_size",
    } <= set(experts)  # fmt: skip
    assert experts["min_rating"]["schema"] == {"type": "number", "minimum": 1, "maximum": 5}
    assert experts["dossier_id"]["schema"] == {"type": "string", "format": "uuid"}
    assert set(_query(document, "/assign/dossiers/{dossier_id}/candidates")) == {"after", "page_size"}
    offers = _query(document, "/assign/offers")
    assert offers["status"]["schema"]["enum"] == ["offered", "accepted", "declined", "expired", "withdrawn"]
    assert set(_query(document, "/assign/settings")) == {"organization_id"}
    jobs = _query(document, "/export/jobs")
    assert set(jobs) == {"status", "limit"} and jobs["limit"]["schema"]["maximum"] == 200


def test_every_query_model_a_route_reads_is_its_declared_one() -> None:
    for router in routers().values():
        for route in router.routes:
            source = route.handler.__code__.co_names
            assert ("query" in source) == (route.query is not None), (router.name, route.path)


def test_path_ids_are_uuids(document: dict[str, Any]) -> None:
    seen = 0
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                    assert parameter["schema"] == {"type": "string", "format": "uuid"}, path
                    seen += 1
                elif parameter["in"] == "path":  # a name, such as an import mapping's template
                    assert parameter["schema"]["type"] == "string", path
    assert seen >= 20


def test_each_operation_says_who_may_call_it(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert paths["/healthz"]["get"]["security"] == []
    assert paths["/simulate/questionnaire"]["get"]["security"] == []
    assert paths["/simulate/simulations"]["post"]["security"] == [{"bearerAuth": []}, {}]
    assert paths["/simulate/simulations/{simulation_id}/answers"]["post"]["security"] == [
        {"bearerAuth": []},
        {"resumeToken": []},
    ]
    assert paths["/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert paths["/export-worker"]["post"]["security"] == [{"cronSecret": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["resumeToken"] == {
        **schemes["resumeToken"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Resume-Token",
    }
    assert "security" not in document


def test_export_answers_a_file_or_a_job(document: dict[str, Any]) -> None:
    responses = document["paths"]["/export"]["post"]["responses"]
    assert responses["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/JobOut"}
    assert set(responses["200"]["content"]) == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/pdf",
        "text/csv",
    }
    start = document["paths"]["/simulate/simulations"]["post"]["responses"]
    assert {"200", "201"} <= set(start)


def test_every_status_a_summary_names_is_a_declared_response(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            named = set(re.findall(r"(?<![-\w])([1-5]\d\d)\b", operation["summary"] + operation.get("description", "")))
            declared = {code for code in operation["responses"] if code.isdigit()}
            assert named <= declared | {code for code in named if code[0] in "45"}, (method, path, named)
            assert len(declared) >= 1 and {"4XX", "5XX"} <= set(operation["responses"])


def test_the_errors_the_router_gives_are_declared(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert {"422"} <= set(paths["/simulate/questionnaire"]["get"]["responses"])
    assert "401" not in paths["/simulate/questionnaire"]["get"]["responses"]
    assert {"401"} <= set(paths["/me"]["get"]["responses"]) and "422" not in paths["/me"]["get"]["responses"]
    answers = paths["/simulate/simulations/{simulation_id}/answers"]["post"]["responses"]
    assert {"400", "401", "413", "415", "422"} <= set(answers)
