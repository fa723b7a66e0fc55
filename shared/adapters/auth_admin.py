"""Creating accounts for invited people: Supabase Auth's admin API in production, the local shim's
``auth.users`` on the local stack.

Production goes through the ``supabase`` package (``auth.admin.invite_user_by_email``) with the service
role key, which never leaves the function. Supabase Auth then sends its own invitation email (the
account's sign-in link, leading to our ``redirect_to`` with the invitation token). An address that
already has an account is not invited again by Supabase: the caller sends our invitation email instead.
Locally, the shim's ``auth.users`` gets the account (through the local database's own connection, as
GoTrue has its own) and our invitation email is written to the mail directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from shared.platform.errors import ServiceUnavailable
from shared.platform.settings import Settings

Outcome = Literal["invited", "existing"]


class AuthAdminError(ServiceUnavailable):
    """Supabase Auth could not create the account; nothing was sent."""


class Inviter(Protocol):
    def invite(self, email: str, *, redirect_to: str, data: dict[str, Any]) -> Outcome:
        """``invited``: an account was created and Supabase Auth sent its email; ``existing``: the address
        already has an account and the caller must send the invitation email itself."""
        ...


@dataclass(frozen=True)
class SupabaseInviter:
    """Supabase Auth's admin API through the ``supabase`` SDK."""

    url: str
    service_role_key: str

    def __repr__(self) -> str:
        return f"SupabaseInviter({self.url!r})"

    def invite(self, email: str, *, redirect_to: str, data: dict[str, Any]) -> Outcome:
        from supabase import AuthApiError, AuthError, create_client

        client = create_client(self.url, self.service_role_key)
        try:
            client.auth.admin.invite_user_by_email(email, {"redirect_to": redirect_to, "data": data})
        except AuthApiError as exc:
            if exc.code == "email_exists" or exc.status == 422:
                return "existing"
            raise AuthAdminError(f"Supabase Auth refused the invitation ({exc.status})", code="auth_admin") from exc
        except AuthError as exc:
            raise AuthAdminError("Supabase Auth could not be reached", code="auth_admin") from exc
        return "invited"


@dataclass(frozen=True)
class LocalInviter:
    """The local stack: the account in the shim's ``auth.users``; the caller writes the email to files."""

    database_url: str

    def invite(self, email: str, *, redirect_to: str, data: dict[str, Any]) -> Outcome:
        import psycopg
        from psycopg.types.json import Jsonb

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute(
                "insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at,"
                " updated_at)"
                " values (gen_random_uuid(), 'authenticated', 'authenticated', %s, '{}', %s, now(), now())"
                " on conflict (email) where is_sso_user = false do nothing returning id",
                (email, Jsonb(data)),
            ).fetchone()
        return "invited" if row is not None else "existing"


def inviter_from_settings(settings: Settings) -> Inviter:
    """Supabase Auth when the service role key is configured; the local shim only for a local stack (no
    project URL, or one on this machine): a deployed project without the key is a 503, never a direct write
    into its ``auth.users``."""
    if settings.supabase_service_role_key:
        return SupabaseInviter(settings.supabase_url, settings.supabase_service_role_key.value)
    host = urlsplit(settings.supabase_url).hostname if settings.supabase_url else None
    if host not in (None, "127.0.0.1", "localhost", "::1"):
        raise AuthAdminError("Invitations need SUPABASE_SERVICE_ROLE_KEY", code="auth_admin_not_configured")
    return LocalInviter(settings.database_url.value)
