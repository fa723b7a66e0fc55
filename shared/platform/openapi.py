"""The OpenAPI 3.1 document, generated from the routers: each route's declaration (query and body
models, who may call, its answers) is the single source, so the document says what the Router enforces."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaValue, models_json_schema

from shared.platform.http import Auth, Route, Router, is_id_param

_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "code", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "resumeToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Resume-Token",
        "description": "An anonymous draft's token, returned once when the draft starts",
    },
    "cronSecret": {"type": "apiKey", "in": "header", "name": "X-Cron-Secret", "description": "Scheduled calls"},
}

SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    "user": [{"bearerAuth": []}],
    "user_or_resume_token": [{"bearerAuth": []}, {"resumeToken": []}],
    "optional_user": [{"bearerAuth": []}, {}],
    "public": [],
    "cron": [{"cronSecret": []}],
}

Mode = Literal["validation", "serialization"]


class _Schemas:
    """Every model's JSON schema, generated once so that shared and same-named models get one name."""

    def __init__(self, routes: list[Route]) -> None:
        wanted: dict[tuple[type[BaseModel], Mode], None] = {}
        for route in routes:
            for model in (route.query, route.body):
                if model is not None:
                    wanted[(model, "validation")] = None
            for model in (route.response, *(reply.model for reply in route.also)):
                if model is not None:
                    wanted[(model, "serialization")] = None
        refs, top = models_json_schema(list(wanted), ref_template="#/components/schemas/{model}")
        self.refs: dict[tuple[Any, Mode], JsonSchemaValue] = dict(refs)
        self.components: dict[str, Any] = {"Problem": _PROBLEM, **top.get("$defs", {})}

    def ref(self, model: type[BaseModel], mode: Mode) -> JsonSchemaValue:
        return self.refs[(model, mode)]

    def inline(self, model: type[BaseModel]) -> dict[str, Any]:
        """A query model's own schema (its properties become parameters)."""
        ref = self.refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]
        schema: dict[str, Any] = self.components[ref]
        return schema


def _query_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema as a query string can carry it: no null branch (leave the parameter out
    instead), and a number rather than pydantic's alternative "number or numeric string"."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "description")}
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if any(b.get("type") in ("number", "integer") for b in branches):
        branches = [b for b in branches if b.get("type") in ("number", "integer")]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    if schema.get("default", ...) is None:
        del schema["default"]
    return schema


def _parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in route.path_params:
        schema: dict[str, Any] = {"type": "string", "format": "uuid"} if is_id_param(name) else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if route.query is not None:
        model = schemas.inline(route.query)
        required = set(model.get("required", []))
        for name, prop in model.get("properties", {}).items():
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
            if prop.get("description"):
                param["description"] = prop["description"]
            param["schema"] = _query_schema(prop)
            params.append(param)
    return params


def _responses(route: Route, schemas: _Schemas) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses: dict[str, Any] = {}
    if route.response is not None:
        responses[str(route.status)] = {
            "description": (route.response.__doc__ or "OK").strip().split("\n")[0],
            "content": {"application/json": {"schema": schemas.ref(route.response, "serialization")}},
        }
    else:
        responses[str(route.status)] = {"description": "OK"}
    for reply in route.also:
        content: dict[str, Any] = {}
        if reply.model is not None:
            content["application/json"] = {"schema": schemas.ref(reply.model, "serialization")}
        for media_type in reply.media_types:
            content[media_type] = {"schema": {"type": "string", "format": "binary"}}
        responses[str(reply.status)] = {"description": reply.description, "content": content}
    responses["4XX"] = {"description": "The request cannot be served as sent (problem+json)", "content": problem}
    responses["5XX"] = {"description": "Server error, carrying only the request id", "content": problem}
    return responses


def _operation(name: str, route: Route, schemas: _Schemas) -> dict[str, Any]:
    doc = (route.handler.__doc__ or "").strip()
    operation: dict[str, Any] = {
        "operationId": f"{name}.{route.handler.__name__}",
        "summary": route.summary,
        "tags": [name],
        "security": SECURITY[route.auth],
    }
    if doc and doc != route.summary:
        operation["description"] = doc
    parameters = _parameters(route, schemas)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        # An empty body reads as {}: it may be left out when every field is optional.
        operation["requestBody"] = {
            "required": any(field.is_required() for field in route.body.model_fields.values()),
            "content": {"application/json": {"schema": schemas.ref(route.body, "validation")}},
        }
    operation["responses"] = _responses(route, schemas)
    return operation


def build(routers: dict[str, Router], *, version: str = "0.1.0") -> dict[str, Any]:
    schemas = _Schemas([route for router in routers.values() for route in router.routes])
    paths: dict[str, dict[str, Any]] = {}
    for name, router in routers.items():
        for route in router.routes:
            path = f"/{name}{route.path.rstrip('/')}"
            paths.setdefault(path, {})[route.method.lower()] = _operation(name, route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "FinancialTracker functions", "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas.components, "securitySchemes": SECURITY_SCHEMES},
    }
