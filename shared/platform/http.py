"""The HTTP boundary shared by every function: routing, parsing, errors, CORS, request ids, logs.

A function module declares a :class:`Router` and registers its routes with everything a caller
sends and gets: the query and body models, who may call (``auth``), the answers (``response``,
``status`` and any ``also`` replies). That declaration is the single source: the Router enforces it
before the handler runs, and the OpenAPI document is generated from it. The functions-framework entry
point is one line: ``return router.serve(request)``.

Path parameters are resource ids: one named ``*_id`` must be a UUID (else 422, in every function).
Bodies are parsed once here, within limits: 1 MiB, nesting at most ``MAX_JSON_DEPTH`` deep, number
literals at most ``MAX_NUMBER_LENGTH`` characters, no NaN/Infinity, and no string (key or value, in a
body, a query or a path) holding a NUL character or a lone surrogate, which PostgreSQL cannot store.
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
from typing import Any, Literal, TypeVar

import flask
import psycopg
import pydantic
from psycopg import errors as pg_errors

from shared.platform import dberrors, errors
from shared.platform.auth import Claims, bearer_token, verifier_for
from shared.platform.logs import REQUEST_LOGGER, configure_logging, log_fields, request_line
from shared.platform.settings import Settings, get_settings

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
"""Objects and arrays nested deeper than this are refused (400) before any model sees them."""
MAX_NUMBER_LENGTH = 40
"""A JSON number literal longer than this (a 40-digit integer already exceeds every column) is a 422."""
MAX_REPORTED_ERRORS = 20
PROBLEM_JSON = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_ALLOWED_HEADERS = "authorization, content-type, x-request-id, apikey, x-client-info"
logger = logging.getLogger(REQUEST_LOGGER)

Model = TypeVar("Model", bound=pydantic.BaseModel)

Auth = Literal["user", "user_or_resume_token", "optional_user", "public", "cron"]
"""Who may call a route: a signed-in user (bearer token); a user or an anonymous visitor holding a
draft's ``X-Resume-Token``; anyone, signed in or not (an invalid token is still a 401); anyone (no
token read); the scheduler (``X-Cron-Secret``)."""


@dataclass(frozen=True)
class Reply:
    """An answer a route gives besides its main one: JSON of ``model``, or a file in ``media_types``."""

    status: int
    description: str
    model: type[pydantic.BaseModel] | None = None
    media_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class WithStatus:
    """A handler's answer with one of the route's other declared statuses (``also``) instead of its main one."""

    body: pydantic.BaseModel
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What a route handler gets: the request, its parsed parts and the caller, once verified."""

    request: flask.Request
    request_id: str
    settings: Settings
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    log: dict[str, Any] = field(default_factory=dict)
    route: Route | None = None
    _claims: Claims | None = None
    _query: pydantic.BaseModel | None = None

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
        """The query string, validated by the Router against the model the route declares (``query=``).

        A route reading a query model it does not declare is a programming error: its parameters
        would be missing from the OpenAPI document."""
        declared = self.route.query if self.route is not None else None
        if declared is not model or not isinstance(self._query, model):
            where = f"{self.route.method} {self.route.path}" if self.route is not None else "this route"
            raise RuntimeError(f"{where} reads {model.__name__} without declaring it: add query={model.__name__}")
        return self._query

    def path_id(self, name: str) -> uuid.UUID:
        """A path id, already checked by the Router to be a UUID."""
        return uuid.UUID(self.params[name])


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
    query: type[pydantic.BaseModel] | None = None
    auth: Auth = "user"
    also: tuple[Reply, ...] = ()

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


def is_id_param(name: str) -> bool:
    """Path parameters named ``*_id`` are UUIDs."""
    return name.endswith("_id")


def _compile(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.rstrip("/") or "")
    return re.compile(f"^{regex}/?$")


def _names_its_resource(path: str, params: dict[str, str]) -> bool:
    """False when a route that starts with its id (``/{invoice_id}``) is given something that is not
    one: nothing else in the path says the caller meant this resource, so the path is unknown (404)
    rather than a bad id (422, which a route with a literal segment before its id answers)."""
    if not path.startswith("/{"):
        return True
    first = path[2 : path.index("}")]
    if not first.endswith("_id"):
        return True
    try:
        uuid.UUID(params[first])
    except (KeyError, ValueError):
        return False
    return True


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
        query: type[pydantic.BaseModel] | None = None,
        response: type[pydantic.BaseModel] | None = None,
        summary: str = "",
        status: int = 200,
        auth: Auth = "user",
        also: tuple[Reply, ...] = (),
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
                    query,
                    auth,
                    also,
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
            if found and not _names_its_resource(route.path, found.groupdict()):
                continue
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
        request_id = request_id_of(request)
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
        ctx.route = route
        _authenticate(ctx, route.auth)
        ctx.params = _path_params(params)
        if route.query is not None:
            ctx._query = parse_query(request, route.query)
        if route.body is not None:
            ctx.body = parse_body(request, route.body)
        return _render(route.handler(ctx), route.status)


def _authenticate(ctx: Context, auth: Auth) -> None:
    """What the route declares about its caller, checked before anything else is read."""
    if auth == "user":
        ctx.claims()
    elif auth == "optional_user":
        ctx.optional_claims()
    elif auth == "cron":
        ctx.require_cron()
    elif auth == "user_or_resume_token":
        if ctx.request.headers.get("Authorization"):
            ctx.claims()
        elif not ctx.request.headers.get("X-Resume-Token"):
            raise errors.Unauthorized("Sign in, or send the draft's X-Resume-Token", code="missing_token")


def _path_params(params: dict[str, str]) -> dict[str, str]:
    """Path parameters, checked: an id must be a UUID; no parameter may hold what a database refuses."""
    problems = []
    for name, value in params.items():
        if is_id_param(name):
            try:
                uuid.UUID(value)
            except ValueError:
                problems.append(errors.field_error(name, "uuid", "must be a UUID"))
        elif (rule := _bad_text(value)) is not None:
            problems.append(errors.field_error(name, rule, _TEXT_RULES[rule]))
    if problems:
        raise errors.Unprocessable(
            f"Invalid path parameters: {', '.join(p['field'] for p in problems)}", errors=problems
        )
    return params


def parse_query(request: flask.Request, model: type[Model]) -> Model:
    """The query string validated by ``model`` (422 naming the parameter on error)."""
    values = request.args.to_dict()
    problems = [
        errors.field_error(f"query.{name}", rule, _TEXT_RULES[rule])
        for name, value in values.items()
        if (rule := _bad_text(name) or _bad_text(value)) is not None
    ]
    if problems:
        raise errors.Unprocessable(
            f"Invalid fields: {', '.join(p['field'] for p in problems)}", errors=problems[:MAX_REPORTED_ERRORS]
        )
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        raise _validation_error(exc, prefix="query") from exc


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
    data = load_json(raw) if raw else {}
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _validation_error(exc) from exc


class _LongNumber(str):
    """A number literal over ``MAX_NUMBER_LENGTH`` characters, kept as text until it is reported."""


def _number(text: str) -> Any:
    if len(text) > MAX_NUMBER_LENGTH:
        return _LongNumber(text)
    return float(text) if any(c in text for c in ".eE") else int(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_TEXT_RULES = {
    "nul_character": "must not contain the NUL character (U+0000)",
    "invalid_unicode": "must be valid Unicode text (no lone surrogate)",
}


def _bad_text(text: str) -> str | None:
    """The rule a string breaks when the database could not store it, else ``None``."""
    if "\x00" in text:
        return "nul_character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "invalid_unicode"
    return None


def load_json(raw: bytes) -> Any:
    """A JSON document within the platform's limits: 400 when it is not JSON or nests deeper than
    ``MAX_JSON_DEPTH``; 422 naming each field whose number is too long or whose text (key or value)
    the database could not store."""
    try:
        data = json.loads(raw, parse_int=_number, parse_float=_number, parse_constant=_constant)
    except RecursionError as exc:
        raise errors.BadRequest(f"The body nests deeper than {MAX_JSON_DEPTH} levels", code="json_too_deep") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise errors.BadRequest("The body is not valid JSON", code="malformed_json") from exc
    problems: list[dict[str, str]] = []
    stack: list[tuple[Any, tuple[str, ...], int]] = [(data, (), 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise errors.BadRequest(f"The body nests deeper than {MAX_JSON_DEPTH} levels", code="json_too_deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = str(key)
                if isinstance(key, str) and (rule := _bad_text(key)) is not None:
                    problems.append(errors.field_error(".".join((*where, name)), rule, _TEXT_RULES[rule]))
                stack.append((item, (*where, name), depth + 1))
        elif isinstance(value, _LongNumber):
            message = f"must be a number of at most {MAX_NUMBER_LENGTH} characters"
            problems.append(errors.field_error(".".join(where) or "body", "number_too_long", message))
        elif isinstance(value, str) and (rule := _bad_text(value)) is not None:
            problems.append(errors.field_error(".".join(where) or "body", rule, _TEXT_RULES[rule]))
    if problems:
        problems.sort(key=lambda p: p["field"])
        fields = ", ".join(dict.fromkeys(p["field"] for p in problems[:MAX_REPORTED_ERRORS]))
        raise errors.Unprocessable(f"Invalid fields: {fields}", errors=problems[:MAX_REPORTED_ERRORS])
    return data


def _validation_error(exc: pydantic.ValidationError, prefix: str = "") -> errors.Unprocessable:
    items = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        items.append(errors.field_error(f"{prefix}.{loc}" if prefix else loc, err["type"], err["msg"]))
    fields = ", ".join(item["field"] for item in items)
    return errors.Unprocessable(f"Invalid fields: {fields}", errors=items)


def translate_database_error(exc: Exception) -> errors.AppError | None:
    """Database errors a caller can cause, as domain errors; ``None`` for genuine failures."""
    refusal = dberrors.to_app_error(exc)  # PTxxx and hinted refusals, the same for every capability
    if refusal is not None:
        return refusal
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


def request_id_of(request: flask.Request) -> str:
    """The caller's ``X-Request-Id`` when well formed, else a new one."""
    incoming = request.headers.get("X-Request-Id", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def problem_response(exc: errors.AppError, request: flask.Request) -> flask.Response:
    """The problem+json answer, with its request id, for a request that reaches no router (the local
    server's index, storage and unknown paths answer errors exactly as functions do)."""
    request_id = request_id_of(request)
    response = _problem(exc, request_id)
    response.headers["X-Request-Id"] = request_id
    return response


def reserved_path_not_found(error: Exception) -> flask.Response:
    """The 404 of a path the hosting framework answers itself (functions-framework's ``/robots.txt``)."""
    return problem_response(errors.NotFound(f"No route {flask.request.path}"), flask.request)


def _render(result: Any, status: int) -> flask.Response:
    if isinstance(result, flask.Response):
        return result
    if isinstance(result, WithStatus):
        response = _render(result.body, result.status)
        response.headers.update(result.headers)
        return response
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
