"""The local stack's wiring: where its files live and the settings it runs with."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from infra.embedded import Cluster
from infra.localauth import LOCAL_SUPABASE_URL, LocalIssuer, local_secret
from shared.platform.settings import Secret, Settings, get_settings

__all__ = ["get_settings"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCAL_DIR = PROJECT_ROOT / ".local"
LOCAL_ANONYMOUS_LIMIT = 10_000  # anonymous starts per hour and calls per 10 minutes on the local stack


def cluster() -> Cluster:
    return Cluster(LOCAL_DIR / "postgres")


def issuer() -> LocalIssuer:
    return LocalIssuer(LOCAL_DIR / "keys")


def database_url(*, start: bool = True) -> str:
    """``DATABASE_URL`` when set, else the embedded cluster's (started when asked)."""
    configured = get_settings().database_url.value
    if configured:
        return configured
    return cluster().start() if start else cluster().url()


def local_settings(*, port: int = 8080, start_db: bool = True) -> Settings:
    """The environment's settings, completed with local defaults for whatever is not configured."""
    base = get_settings()
    changes: dict[str, object] = {"database_url": Secret(database_url(start=start_db))}
    if not (base.supabase_url or base.jwks_json or base.jwks_url or base.jwt_secret):
        changes.update(supabase_url=LOCAL_SUPABASE_URL, jwks_json=issuer().jwks_json())
    if not base.signing_secret:
        changes["signing_secret"] = Secret(local_secret(LOCAL_DIR / "keys", "signing"))
    if not base.cron_secret:
        changes["cron_secret"] = Secret(local_secret(LOCAL_DIR / "keys", "cron"))
    if base.storage_dir == ".local/storage":
        changes["storage_dir"] = str(LOCAL_DIR / "storage")
    changes["public_base_url"] = f"http://127.0.0.1:{port}"
    if base.mail_dir == ".local/mail":
        changes["mail_dir"] = str(LOCAL_DIR / "mail")
    # The local stack talks to receivers on this machine (a developer's webhook listener).
    changes["webhooks_allow_private_hosts"] = True
    # Locally one address (127.0.0.1) is every visitor: keep the anonymous limits out of the way.
    if base.anonymous_starts_per_hour is None:
        changes["anonymous_starts_per_hour"] = LOCAL_ANONYMOUS_LIMIT
    if base.anonymous_calls_per_10_minutes is None:
        changes["anonymous_calls_per_10_minutes"] = LOCAL_ANONYMOUS_LIMIT
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
