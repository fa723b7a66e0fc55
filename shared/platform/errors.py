"""Domain errors with a stable ``code`` and an HTTP status, rendered once as problem+json.

Capabilities raise these (or subclasses); adapters translate vendor errors into them with
``raise ... from exc``. The HTTP layer renders them (RFC 9457) and never shows ``str(exc)`` of
anything else.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error the caller may see. The docstring of a subclass is its default title."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.errors = errors or []
        self.extra = extra


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(AppError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class Unprocessable(AppError):
    status, code, title = 422, "validation_failed", "Validation failed"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


class TooManyRequests(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"


def field_error(field: str, rule: str, message: str) -> dict[str, str]:
    """One entry of a 422's ``errors`` list: which field, which rule, in words."""
    return {"field": field, "rule": rule, "message": message}
