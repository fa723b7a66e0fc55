"""The HTTP boundary shared by every function: routing, parsing, errors, CORS, request ids, logs.

A function module declares a :class:`Router`, registers its routes with their pydantic body and
response models, and its functions-framework entry point is one line: ``return router.serve(request)``.
Everything a caller can get wrong becomes a 4xx ``application/problem+json`` naming the field and
the rule; anything else is a 500 carrying only the request id.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import flask
import psycopg
import pydantic
from psycopg import errors as pg_errors

from shared.platform import errors
from shared.platform.auth import Claims, bearer_token, verifier_for
from shared.platform.logs import REQUEST_LOGGER, configure_logging, log_fields, request_line
from shared.platform.settings import Settings, get_settings

MAX_BODY_BYTES = 1024 * 1024
PROBLEM_JSON = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_ALLOWED_HEADERS = "authorization, content-type, x-request-id, apikey, x-client-info"
logger = logging.getLogger(REQUEST_LOGGER)

Model = TypeVar("Model", bound=pydantic.BaseModel)


@dataclass
class Context:
    """What a route handler gets: the request, its parsed parts and the caller, once verified."""

    request: flask.Request
    request_id: str
    settings: Settings
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    log: dict[str, Any] = field(default_factory=dict)
    _claims: Claims | None = None

    def claims(self) -> Claims:
        """The verified caller; raises 401 when the token is missing or invalid."""
        if self._claims is None:
            token = bearer_token(self.request.headers.get("Authorization"))
            self._claims = verifier_for(self.settings).verify(token)
            self.log["user"] = self._claims.sub
        return self._claims

    def optional_claims(self) -> Claims | None:
        """The verified caller when a token is present (an invalid one is still a 401)."""
        if not self.request.headers.get("Authorization"):
            return None
        return self.claims()

    def require_cron(self) -> None:
        """Scheduled calls carry the shared cron secret; anything else is a 401 (so is an unset secret)."""
        expected = self.settings.cron_secret.value
        given = self.request.headers.get("X-Cron-Secret", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise errors.Unauthorized("Scheduled calls only", code="cron_only")
        self.log["user"] = "cron"

    def client_address(self) -> str:
        """The caller's address as the platform saw it (REMOTE_ADDR; the gateway sets it on Lambda)."""
        return self.request.remote_addr or "unknown"

    def query(self, model: type[Model]) -> Model:
        """The query string validated by ``model`` (422 naming the parameter on error)."""
        try:
            return model.model_validate(self.request.args.to_dict())
        except pydantic.ValidationError as exc:
            raise _validation_error(exc, prefix="query") from exc


Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    body: type[pydantic.BaseModel] | None
    response: type[pydantic.BaseModel] | None
    summary: str
    status: int
    pattern: re.Pattern[str]


def _compile(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.rstrip("/") or "")
    return re.compile(f"^{regex}/?$")


class Router:
    """The routes of one deployed function, served under ``/<name>``."""

    def __init__(self, name: str, *, description: str = "") -> None:
        self.name = name
        self.description = description
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        body: type[pydantic.BaseModel] | None = None,
        response: type[pydantic.BaseModel] | None = None,
        summary: str = "",
        status: int = 200,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method.upper(),
                    path,
                    handler,
                    body,
                    response,
                    summary or (handler.__doc__ or "").strip().split("\n")[0],
                    status,
                    _compile(path),
                )
            )
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def _local_path(self, path: str) -> str:
        prefix = f"/{self.name}"
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return path or "/"

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """The route for this method and path, its parameters, and the methods the path allows."""
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(path.rstrip("/") or "")
            if found:
                if route.method == method:
                    return route, found.groupdict(), allowed
                allowed.append(route.method)
        return None, {}, sorted(set(allowed))

    def serve(self, request: flask.Request) -> flask.Response:
        """Handle one request end to end; never raises."""
        started = time.perf_counter()
        settings = get_settings()
        configure_logging(settings.log_level)
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        ctx = Context(request=request, request_id=request_id, settings=settings)
        path = self._local_path(request.path)
        try:
            response = self._dispatch(ctx, request, path)
        except errors.AppError as exc:
            response = _problem(exc, request_id)
        except Exception as exc:
            app_error = translate_database_error(exc)
            if app_error is None:
                log_fields(
                    logger,
                    logging.ERROR,
                    {"event": "unhandled_error", "function": self.name, "request_id": request_id},
                    exc_info=True,
                )
                app_error = errors.AppError()
            response = _problem(app_error, request_id)
        response.headers["X-Request-Id"] = request_id
        _add_cors(response, request, settings)
        request_line(
            {
                "event": "request",
                "function": self.name,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
                "org": ctx.log.get("org"),
                "user": ctx.log.get("user"),
            }
        )
        return response

    def _dispatch(self, ctx: Context, request: flask.Request, path: str) -> flask.Response:
        method = request.method.upper()
        route, params, allowed = self._match("GET" if method == "HEAD" else method, path)
        if method == "OPTIONS" and allowed:
            return _preflight(allowed)
        if route is None:
            if allowed:
                raise errors.MethodNotAllowed(f"{method} is not allowed here; use {', '.join(allowed)}", allow=allowed)
            raise errors.NotFound(f"No route {request.path}")
        ctx.params = params
        if route.body is not None:
            ctx.body = parse_body(request, route.body)
        return _render(route.handler(ctx), route.status)


def parse_body(request: flask.Request, model: type[Model]) -> Model:
    """The JSON body validated by ``model``: 413, 415, 400 or 422 when it is not acceptable."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"The body exceeds {MAX_BODY_BYTES} bytes")
    mimetype = request.mimetype or ""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"The body exceeds {MAX_BODY_BYTES} bytes")
    if raw and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise errors.UnsupportedMediaType("Send the body as application/json", code="unsupported_media_type")
    try:
        data = json.loads(raw) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.BadRequest("The body is not valid JSON", code="malformed_json") from exc
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _validation_error(exc) from exc


def _validation_error(exc: pydantic.ValidationError, prefix: str = "") -> errors.Unprocessable:
    items = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        items.append(errors.field_error(f"{prefix}.{loc}" if prefix else loc, err["type"], err["msg"]))
    fields = ", ".join(item["field"] for item in items)
    return errors.Unprocessable(f"Invalid fields: {fields}", errors=items)


def translate_database_error(exc: Exception) -> errors.AppError | None:
    """Database errors a caller can cause, as domain errors; ``None`` for genuine failures."""
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return errors.Forbidden("You are not allowed to do this")
    if isinstance(exc, pg_errors.UniqueViolation):
        return errors.Conflict("This already exists", code="already_exists")
    if isinstance(exc, pg_errors.ForeignKeyViolation):
        return errors.Unprocessable("A referenced record does not exist", code="unknown_reference")
    if isinstance(exc, pg_errors.CheckViolation):
        return errors.Unprocessable("A value breaks a rule", code="check_violation")
    if isinstance(exc, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
        return errors.Conflict("A concurrent change happened; retry", code="retry")
    if isinstance(exc, pg_errors.QueryCanceled):
        return errors.ServiceUnavailable("The request took too long", code="timeout")
    if isinstance(exc, psycopg.OperationalError):
        return errors.ServiceUnavailable("The database is unavailable", code="database_unavailable")
    return None


def _render(result: Any, status: int) -> flask.Response:
    if isinstance(result, flask.Response):
        return result
    if result is None:
        return flask.Response(status=204)
    if isinstance(result, pydantic.BaseModel):
        payload = result.model_dump_json(by_alias=True)
    else:
        payload = json.dumps(result, default=str, ensure_ascii=False)
    return flask.Response(payload, status=status, mimetype="application/json")


def _problem(exc: errors.AppError, request_id: str) -> flask.Response:
    body: dict[str, Any] = {
        "type": f"https://errors.fintrack.dev/{exc.code}",
        "title": exc.title,
        "status": exc.status,
        "code": exc.code,
        "detail": exc.detail if exc.status < 500 or exc.code != "internal_error" else exc.title,
        "request_id": request_id,
    }
    if exc.errors:
        body["errors"] = exc.errors
    members = exc.extra.get("members")  # extension members (RFC 9457), e.g. a 409's current_status
    if isinstance(members, dict):
        body.update({key: value for key, value in members.items() if key not in body})
    response = flask.Response(json.dumps(body, ensure_ascii=False), status=exc.status, mimetype=PROBLEM_JSON)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="fintrack"'
    allow = exc.extra.get("allow")
    if allow:
        response.headers["Allow"] = ", ".join(allow)
    retry_after = exc.extra.get("retry_after")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _preflight(allowed: list[str]) -> flask.Response:
    response = flask.Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ", ".join(sorted({*allowed, "OPTIONS"}))
    response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def _add_cors(response: flask.Response, request: flask.Request, settings: Settings) -> None:
    origin = request.headers.get("Origin")
    if not origin:
        return
    allowed = settings.cors_allowed_origins
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    else:
        return
    response.headers["Access-Control-Expose-Headers"] = "X-Request-Id, Content-Disposition, Location, Retry-After, ETag"
