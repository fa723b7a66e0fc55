"""The local stack's HTTP server: every function on one port, behind gunicorn's threaded workers.

``/<function-name>/...`` reaches that function's router exactly as its deployed URL would;
``/openapi.json`` serves the generated OpenAPI document; ``/storage/<key>`` serves the local storage's
files to whoever holds a signed URL (as Supabase Storage or S3 do for theirs) and, on POST, receives
the uploads of a signed upload form.
"""

from __future__ import annotations

import json
from typing import Any

import flask

from functions import routers
from shared.adapters.storage import LocalStorage, ObjectNotFound, content_disposition, storage_from_settings
from shared.platform import errors, openapi
from shared.platform.http import Router, problem_response
from shared.platform.settings import get_settings

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def _problem(error: errors.AppError) -> flask.Response:
    return problem_response(error, flask.request)


def serve_storage(key: str) -> flask.Response:
    """A local storage file for a valid, unexpired signed URL (403 otherwise; 404 when it is gone)."""
    storage = storage_from_settings(get_settings())
    if not isinstance(storage, LocalStorage):
        return _problem(errors.NotFound("Files are served by the storage service"))
    args = flask.request.args
    filename = args.get("filename") or None
    if not storage.verify_signed(key, args.get("expires", ""), args.get("signature", ""), filename):
        return _problem(errors.Forbidden("This link is invalid or has expired", code="invalid_signature"))
    try:
        data = storage.get(key)
    except ObjectNotFound:
        return _problem(errors.NotFound("File not found"))
    response = flask.Response(data, mimetype=storage.content_type(key))
    response.headers["Cache-Control"] = "private, no-store"
    if filename:
        response.headers["Content-Disposition"] = content_disposition(filename)
    return response


def receive_upload(key: str) -> flask.Response:
    """A browser-style upload to local storage (the form ``presigned_post`` signed, as S3's POST
    policy does): 204 when stored; 403 for a bad or expired form; 400 without a ``file`` part; 413
    beyond the form's size limit (nothing is written)."""
    storage = storage_from_settings(get_settings())
    if not isinstance(storage, LocalStorage):
        return _problem(errors.NotFound("Files are uploaded to the storage service"))
    form = flask.request.form
    limit = storage.verify_upload(key, form.get("expires", ""), form.get("max_bytes", ""), form.get("signature", ""))
    if limit is None:
        return _problem(errors.Forbidden("This upload form is invalid or has expired", code="invalid_signature"))
    upload = flask.request.files.get("file")
    if upload is None:
        return _problem(errors.BadRequest("The form has no file part", code="file_missing"))
    try:
        data = upload.stream.read(limit + 1)
    finally:
        upload.close()
    if not data:
        return _problem(errors.BadRequest("The file is empty", code="file_missing"))
    if len(data) > limit:
        return _problem(errors.PayloadTooLarge("The file exceeds the size this form allows"))
    storage.put(key, data, upload.mimetype or "application/octet-stream")
    return flask.Response(status=204)


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

    def unknown_function(name: str, rest: str = "") -> flask.Response:
        return _problem(errors.NotFound(f"No function {name}"))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> flask.Response:
        app.logger.error("unhandled error on %s", flask.request.path, exc_info=error)
        return _problem(errors.AppError())

    @app.errorhandler(404)
    @app.errorhandler(405)
    def http_error(error: Exception) -> flask.Response:
        allowed = sorted(getattr(error, "valid_methods", None) or [])
        if allowed:
            return _problem(errors.MethodNotAllowed(f"Use {', '.join(allowed)}", allow=allowed))
        return _problem(errors.NotFound(f"No route {flask.request.path}"))

    app.add_url_rule("/storage/<path:key>", "storage", serve_storage, methods=["GET", "HEAD"])
    app.add_url_rule("/storage/<path:key>", "storage_upload", receive_upload, methods=["POST"])
    app.add_url_rule("/<name>", "function", unknown_function, methods=METHODS)
    app.add_url_rule("/<name>/<path:rest>", "function_path", unknown_function, methods=METHODS)
    flask_wsgi = app.wsgi_app

    def functions_first(environ: dict[str, Any], start_response: Any) -> Any:
        """A function's path goes straight to its router, which handles the whole request (as it
        does behind functions-framework); Flask serves the rest: the index, OpenAPI, storage."""
        router = table.get(environ.get("PATH_INFO", "/").split("/", 2)[1])
        if router is None:
            return flask_wsgi(environ, start_response)
        return router.serve(flask.Request(environ))(environ, start_response)

    app.wsgi_app = functions_first  # type: ignore[method-assign]
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
