"""Database refusals as domain errors, translated once for every capability.

Our SQL raises SQLSTATE ``PTxxx`` where ``xxx`` is the HTTP status, with the stable error code in the
HINT (migration 0028); PostgREST answers such errors with that status, and so do the functions.
A capability may name the stable code of its own unique constraints and check constraints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from shared.platform import errors

_BY_STATUS: dict[str, type[errors.AppError]] = {
    "PT400": errors.BadRequest,
    "PT401": errors.Unauthorized,
    "PT403": errors.Forbidden,
    "PT404": errors.NotFound,
    "PT409": errors.Conflict,
    "PT413": errors.PayloadTooLarge,
    "PT422": errors.Unprocessable,
    "PT429": errors.TooManyRequests,
}


def to_app_error(exc: BaseException, *, unique_codes: Mapping[str, str] | None = None) -> errors.AppError | None:
    """The domain error a database refusal stands for, or None when it is a genuine failure (or not
    a database error at all)."""
    if not isinstance(exc, psycopg.Error):
        return None
    diag = exc.diag
    kind = _BY_STATUS.get(exc.sqlstate or "")
    if kind is not None:
        return _refusal(kind, diag)
    if isinstance(exc, pg_errors.UniqueViolation) and unique_codes and diag.constraint_name in unique_codes:
        return errors.Conflict("This already exists", code=unique_codes[diag.constraint_name or ""])
    if isinstance(exc, pg_errors.CheckViolation) and diag.message_hint:
        return errors.Unprocessable(diag.message_primary or "A value breaks a rule", code=diag.message_hint)
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return errors.Forbidden("You are not allowed to do this", code="forbidden")
    return None


def _refusal(kind: type[errors.AppError], diag: Any) -> errors.AppError:
    """A PTxxx refusal: its message, the code in its HINT, and what its DETAIL (JSON) adds: field
    errors for a 422 (``{"field", "rule"}`` or ``{"errors": [...]}``), extra problem members otherwise
    (``invalid_transition`` names the current status and the commands allowed now)."""
    message = diag.message_primary or kind.title
    hint = diag.message_hint or kind.code
    try:
        detail = json.loads(diag.message_detail or "null")
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return kind(message, code=hint)
    if kind is errors.Unprocessable:
        items = detail.get("errors")
        if not isinstance(items, list):
            items = [errors.field_error(str(detail.get("field", "body")), str(detail.get("rule", "invalid")), message)]
        return kind(message, code=hint, errors=[e for e in items if isinstance(e, dict)])
    if hint == "invalid_transition":
        allowed = detail.get("allowed_commands") or []
        message = f"{message}; allowed now: {', '.join(allowed) if allowed else 'nothing for you'}"
    return kind(message, code=hint, members=detail)


@contextmanager
def translated(*, unique_codes: Mapping[str, str] | None = None) -> Iterator[None]:
    """Re-raise a database refusal inside the block as its domain error (``from`` the original)."""
    try:
        yield
    except psycopg.Error as exc:
        error = to_app_error(exc, unique_codes=unique_codes)
        if error is None:
            raise
        raise error from exc
