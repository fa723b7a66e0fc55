"""The OpenAPI 3.1 document, generated from the routers and their pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.platform.http import Router

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
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build(routers: dict[str, Router], *, version: str = "0.1.0") -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": _PROBLEM}
    paths: dict[str, dict[str, Any]] = {}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for name, router in routers.items():
        for route in router.routes:
            path = f"/{name}{route.path.rstrip('/')}"
            operation: dict[str, Any] = {
                "operationId": f"{name}.{route.handler.__name__}",
                "summary": route.summary,
                "tags": [name],
                "responses": {
                    "4XX": {"description": "Client error", "content": problem},
                    "5XX": {"description": "Server error", "content": problem},
                },
            }
            if route.response is not None:
                operation["responses"][str(route.status)] = {
                    "description": route.response.__doc__.strip() if route.response.__doc__ else "OK",
                    "content": {"application/json": {"schema": _schema(route.response, components)}},
                }
            else:
                operation["responses"][str(route.status)] = {"description": "OK"}
            if route.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": _schema(route.body, components)}},
                }
            params = [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]
            if params:
                operation["parameters"] = [
                    {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
                ]
            paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "FinancialTracker functions", "version": version},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
