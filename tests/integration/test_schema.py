"""Structural checks over the whole schema: RLS everywhere, helpers locked down, policies indexed."""

from __future__ import annotations

from tests.support import db as tdb

EXPOSED_SCHEMAS = ("public", "storage", "realtime")


def test_rls_is_enabled_on_every_table_of_every_exposed_schema(conn: tdb.Conn) -> None:
    rows = conn.execute(
        "select n.nspname || '.' || c.relname as name from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname = any(%s) and not c.relrowsecurity",
        (list(EXPOSED_SCHEMAS),),
    ).fetchall()
    assert [r["name"] for r in rows] == []


def test_every_public_table_has_policies_or_no_grant_to_api_roles(conn: tdb.Conn) -> None:
    rows = conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'public' and c.relkind = 'r'"
        " and not exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname)"
    ).fetchall()
    assert [r["relname"] for r in rows] == []


def test_security_definer_functions_pin_their_search_path(conn: tdb.Conn) -> None:
    rows = conn.execute(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname in ('public', 'private') and p.prosecdef"
        " and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')"
    ).fetchall()
    assert [r["proname"] for r in rows] == []


# Anonymous visitors' way in (migrations 0046 and 0047): public per organization, or keyed by a token hash.
ANONYMOUS_ENTRY_POINTS = (
    "organization_by_key",
    "rule_set_in_effect",
    "rule_set_document",
    "anonymous_simulation",
    "start_anonymous_simulation",
    "save_anonymous_answers",
    "abandon_anonymous_simulation",
    "complete_anonymous_simulation",
    "hit_rate_limit",
)


def test_no_function_in_private_is_executable_by_anon(conn: tdb.Conn) -> None:
    rows = conn.execute(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'private' and p.proname not in ('is_valid_siren', 'can_read_rule_set')"
        " and not p.proname = any(%s) and has_function_privilege('anon', p.oid, 'execute')",
        (list(ANONYMOUS_ENTRY_POINTS),),
    ).fetchall()
    assert [r["proname"] for r in rows] == []


def test_auth_helpers_follow_supabase_semantics(conn: tdb.Conn) -> None:
    tdb.as_user(conn, "5b0c3c4e-0000-4000-8000-000000000001", "a@b.test")
    row = conn.execute(
        "select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'aud' as aud"
    ).fetchone()
    assert row == {
        "uid": "5b0c3c4e-0000-4000-8000-000000000001",
        "role": "authenticated",
        "email": "a@b.test",
        "aud": "authenticated",
    }


def test_auth_uid_ignores_an_emptied_legacy_claim_setting(conn: tdb.Conn) -> None:
    # A custom setting once set reads back as '' (not NULL) for the rest of a pooled session.
    # Supabase's current auth.uid() applies nullif to each setting before coalescing, so an
    # emptied legacy `request.jwt.claim.sub` falls through to `request.jwt.claims`, as here.
    conn.execute("select set_config('request.jwt.claim.sub', '', true)")
    tdb.as_user(conn, "5b0c3c4e-0000-4000-8000-000000000002")
    row = conn.execute("select auth.uid()::text as uid, auth.jwt() ->> 'sub' as sub").fetchone()
    assert row == {
        "uid": "5b0c3c4e-0000-4000-8000-000000000002",
        "sub": "5b0c3c4e-0000-4000-8000-000000000002",
    }


def test_service_role_bypasses_rls_and_api_roles_do_not(conn: tdb.Conn) -> None:
    rows = conn.execute(
        "select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role')"
        " order by rolname"
    ).fetchall()
    assert [(r["rolname"], r["rolbypassrls"]) for r in rows] == [
        ("anon", False),
        ("authenticated", False),
        ("service_role", True),
    ]


def test_realtime_publication_exists(conn: tdb.Conn) -> None:
    assert conn.execute("select 1 from pg_publication where pubname = 'supabase_realtime'").fetchone()
