"""The local stack's HTTP server: every function on one port, behind gunicorn's threaded workers.

``/<function-name>/...`` reaches that function's router exactly as its deployed URL would;
``/openapi.json`` serves the generated OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

import flask

from functions import routers
from shared.platform import openapi
from shared.platform.http import Router

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def build_app(function_routers: dict[str, Router] | None = None) -> flask.Flask:
    """A WSGI app mounting every function under its name."""
    table = function_routers if function_routers is not None else routers()
    app = flask.Flask("fintrack-dev")
    document = json.dumps(openapi.build(table))

    @app.route("/openapi.json", methods=["GET"])
    def openapi_document() -> flask.Response:
        return flask.Response(document, mimetype="application/json")

    @app.route("/", methods=["GET"])
    def index() -> flask.Response:
        return flask.jsonify({"functions": sorted(table), "openapi": "/openapi.json"})

    def dispatch(name: str, rest: str = "") -> flask.Response:
        router = table.get(name)
        if router is None:
            return flask.Response(
                json.dumps(
                    {
                        "type": "about:blank",
                        "title": "Not found",
                        "status": 404,
                        "code": "not_found",
                        "detail": f"No function {name}",
                    }
                ),
                status=404,
                mimetype="application/problem+json",
            )
        return router.serve(flask.request)

    app.add_url_rule("/<name>", "function", dispatch, methods=METHODS)
    app.add_url_rule("/<name>/<path:rest>", "function_path", dispatch, methods=METHODS)
    return app


def serve(app: flask.Flask, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 2, threads: int = 8) -> None:
    """Serve ``app`` with gunicorn's gthread workers (what functions-framework uses in production)."""
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "keepalive": 30,
                "accesslog": None,
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> flask.Flask:
            return app

    _Server().run()
