"""Database helpers for tests: impersonation exactly as PostgREST does it, and factories."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row

Conn = psycopg.Connection[dict[str, Any]]


def connect(url: str) -> Conn:
    return psycopg.connect(url, row_factory=dict_row, prepare_threshold=None)


def as_user(conn: Conn, user_id: uuid.UUID | str, email: str = "") -> None:
    """Act as a signed-in user for the rest of the transaction (role + request.jwt.claims only)."""
    claims = {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": "authenticated",
        "email": email,
        "aal": "aal1",
        "is_anonymous": False,
    }
    conn.execute(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
        (json.dumps(claims),),
    )


def as_anon(conn: Conn) -> None:
    conn.execute(
        """select set_config('role', 'anon', true), set_config('request.jwt.claims', '{"role":"anon"}', true)"""
    )


def as_service(conn: Conn) -> None:
    conn.execute(
        """select set_config('role', 'service_role', true),
                  set_config('request.jwt.claims', '{"role":"service_role"}', true)"""
    )


def as_owner(conn: Conn) -> None:
    """Back to the connecting (superuser) role, e.g. to arrange data mid-test."""
    conn.execute("select set_config('role', 'none', true), set_config('request.jwt.claims', '', true)")


def make_user(conn: Conn, email: str | None = None) -> uuid.UUID:
    user_id = uuid.uuid4()
    conn.execute(
        "insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)"
        " values (%s, 'authenticated', 'authenticated', %s, '{}', now(), now())",
        (user_id, email or f"{user_id.hex[:12]}@example.test"),
    )
    return user_id


def make_org(conn: Conn, name: str = "Org") -> uuid.UUID:
    row = conn.execute(
        "insert into public.organizations (name, slug) values (%s, %s) returning id",
        (name, f"org-{uuid.uuid4().hex[:12]}"),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def add_member(conn: Conn, org: uuid.UUID, user: uuid.UUID, role: str) -> None:
    conn.execute(
        "insert into public.memberships (organization_id, user_id, role) values (%s, %s, %s)",
        (org, user, role),
    )


def make_company(
    conn: Conn,
    org: uuid.UUID,
    *,
    name: str = "Company",
    partner: uuid.UUID | None = None,
    users: tuple[uuid.UUID, ...] = (),
) -> uuid.UUID:
    row = conn.execute(
        "insert into public.client_companies (organization_id, name, sector, departement, partner_user_id)"
        " values (%s, %s, 'Transport et Logistique', '69', %s) returning id",
        (org, name, partner),
    ).fetchone()
    assert row is not None
    company = uuid.UUID(str(row["id"]))
    for user in users:
        conn.execute("insert into public.client_company_users (company_id, user_id) values (%s, %s)", (company, user))
    return company


def make_expert(conn: Conn, org: uuid.UUID, user: uuid.UUID, *, status: str = "approved") -> uuid.UUID:
    row = conn.execute(
        "insert into public.expert_profiles (organization_id, user_id, display_name, approval_status)"
        " values (%s, %s, 'Expert', %s) returning id",
        (org, user, status),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))
