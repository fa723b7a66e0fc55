"""Settings, read once from the environment into a frozen, typed object.

Nothing else in the code base reads ``os.environ``. Secrets are wrapped in :class:`Secret` so that
they never show up in a repr, a log line or an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Secret:
    """A string that hides itself from repr() and str()."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')" if self.value else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class Settings:
    """Everything the functions need to know about their environment."""

    database_url: Secret = Secret("")
    supabase_url: str = ""
    jwks_url: str = ""
    jwks_json: str = ""
    jwt_secret: Secret = Secret("")
    jwt_audience: str = "authenticated"
    jwt_issuer: str = ""
    db_pool_max: int = 4
    statement_timeout_ms: int = 8000
    cors_allowed_origins: tuple[str, ...] = ("*",)
    storage_backend: str = "local"
    storage_dir: str = ".local/storage"
    public_base_url: str = "http://127.0.0.1:8080"
    # Where people land from an email (dossiers, conversations, invitations): the front end. Empty:
    # the API's public base URL (the local stack, where no front end runs).
    app_base_url: str = ""
    signing_secret: Secret = Secret("")
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: Secret = Secret("")
    s3_secret_access_key: Secret = Secret("")
    cron_secret: Secret = Secret("")
    log_level: str = "INFO"
    mail_from: str = "FinancialTracker <notifications@financialtracker.local>"
    mail_dir: str = ".local/mail"
    resend_api_key: Secret = Secret("")
    resend_api_url: str = "https://api.resend.com"
    resend_webhook_secret: Secret = Secret("")
    webhooks_allow_private_hosts: bool = False
    # Supabase Auth's admin API (invitations); stays in the function, never sent to a client.
    supabase_service_role_key: Secret = Secret("")
    # Anonymous simulation visitors, per client address; None: the production defaults below.
    anonymous_starts_per_hour: int | None = None
    anonymous_calls_per_10_minutes: int | None = None
    # COREP downloads of a calculation with more exposures become export jobs (issue 14 item 6).
    corep_inline_max_exposures: int = 50_000

    @property
    def anonymous_start_limit(self) -> int:
        """Drafts an anonymous address may start per hour (``ANONYMOUS_STARTS_PER_HOUR``, default 20)."""
        return 20 if self.anonymous_starts_per_hour is None else self.anonymous_starts_per_hour

    @property
    def anonymous_call_limit(self) -> int:
        """Calls an anonymous address may make per 10 minutes (``ANONYMOUS_CALLS_PER_10_MINUTES``, default 600)."""
        return 600 if self.anonymous_calls_per_10_minutes is None else self.anonymous_calls_per_10_minutes

    @property
    def app_url(self) -> str:
        """The front end's base URL for links in emails (``APP_BASE_URL``, else ``PUBLIC_BASE_URL``)."""
        return (self.app_base_url or self.public_base_url).rstrip("/")

    @property
    def issuer(self) -> str:
        """The expected ``iss`` claim: explicit, else Supabase's ``<url>/auth/v1``."""
        if self.jwt_issuer:
            return self.jwt_issuer
        return f"{self.supabase_url.rstrip('/')}/auth/v1" if self.supabase_url else ""

    @property
    def jwks_endpoint(self) -> str:
        if self.jwks_url:
            return self.jwks_url
        return f"{self.issuer}/.well-known/jwks.json" if self.supabase_url else ""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    return int(raw) if raw else None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping (``os.environ`` in production)."""
    origins = tuple(o.strip() for o in env.get("CORS_ALLOWED_ORIGINS", "*").split(",") if o.strip())
    return Settings(
        database_url=Secret(env.get("DATABASE_URL", "")),
        supabase_url=env.get("SUPABASE_URL", ""),
        jwks_url=env.get("SUPABASE_JWKS_URL", ""),
        jwks_json=env.get("SUPABASE_JWKS", ""),
        jwt_secret=Secret(env.get("SUPABASE_JWT_SECRET", "")),
        jwt_audience=env.get("JWT_AUDIENCE", "authenticated"),
        jwt_issuer=env.get("JWT_ISSUER", ""),
        db_pool_max=_int(env, "DB_POOL_MAX", 4),
        statement_timeout_ms=_int(env, "STATEMENT_TIMEOUT_MS", 8000),
        cors_allowed_origins=origins or ("*",),
        storage_backend=env.get("STORAGE_BACKEND", "local"),
        storage_dir=env.get("STORAGE_DIR", ".local/storage"),
        public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
        app_base_url=env.get("APP_BASE_URL", ""),
        signing_secret=Secret(env.get("SIGNING_SECRET", "")),
        s3_bucket=env.get("S3_BUCKET", ""),
        s3_endpoint_url=env.get("S3_ENDPOINT_URL", ""),
        s3_region=env.get("S3_REGION", ""),
        s3_access_key_id=Secret(env.get("S3_ACCESS_KEY_ID", "")),
        s3_secret_access_key=Secret(env.get("S3_SECRET_ACCESS_KEY", "")),
        cron_secret=Secret(env.get("CRON_SECRET", "")),
        log_level=env.get("LOG_LEVEL", "INFO"),
        mail_from=env.get("MAIL_FROM") or "FinancialTracker <notifications@financialtracker.local>",
        mail_dir=env.get("MAIL_DIR", ".local/mail"),
        resend_api_key=Secret(env.get("RESEND_API_KEY", "")),
        resend_api_url=env.get("RESEND_API_URL", "https://api.resend.com"),
        resend_webhook_secret=Secret(env.get("RESEND_WEBHOOK_SECRET", "")),
        webhooks_allow_private_hosts=env.get("WEBHOOKS_ALLOW_PRIVATE_HOSTS", "").lower() in ("1", "true", "yes"),
        supabase_service_role_key=Secret(env.get("SUPABASE_SERVICE_ROLE_KEY", "")),
        anonymous_starts_per_hour=_optional_int(env, "ANONYMOUS_STARTS_PER_HOUR"),
        anonymous_calls_per_10_minutes=_optional_int(env, "ANONYMOUS_CALLS_PER_10_MINUTES"),
        corep_inline_max_exposures=_int(env, "COREP_INLINE_MAX_EXPOSURES", 50_000),
    )


_override: Settings | None = None


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return load_settings(os.environ)


def get_settings() -> Settings:
    """The process's settings: an explicit override (local stack, tests) or the environment."""
    return _override if _override is not None else _from_environment()


def use_settings(settings: Settings | None) -> None:
    """Install settings for this process (the local stack and tests do this at start-up)."""
    global _override
    _override = settings
