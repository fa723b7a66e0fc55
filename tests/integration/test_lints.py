"""The conditions of Supabase's database linter (splinter), checked on the migrated database.

Supabase Studio's Security and Performance Advisors run the open-source splinter lints. These tests
hold the conditions of the ones we keep at zero, stated the way splinter states them (what counts
as our schema, how `to public` expands to roles, what "covered by an index" means), so a migration
that would bring a WARN back fails here first.
"""

from __future__ import annotations

from tests.support import db as tdb

# Schemas splinter never lints: PostgreSQL's own and those Supabase (or its extensions) owns. The
# local shim creates auth, storage, realtime and extensions the way Supabase provides them.
PLATFORM_SCHEMAS = [
    "_timescaledb_cache", "_timescaledb_catalog", "_timescaledb_config", "_timescaledb_internal", "auth", "cron",
    "extensions", "graphql", "graphql_public", "information_schema", "net", "pgmq", "pgroonga", "pgsodium",
    "pgsodium_masks", "pgtle", "pgbouncer", "pg_catalog", "pg_toast", "realtime", "repack", "storage",
    "supabase_functions", "supabase_migrations", "tiger", "topology", "vault",
]  # fmt: skip
# What PostgREST serves on Supabase (its `db_schemas`), plus the platform schemas our shim exposes.
EXPOSED_SCHEMAS = ["public", "graphql_public", "storage", "realtime"]


def _names(conn: tdb.Conn, query: str, *params: object) -> list[str]:
    return [str(row["name"]) for row in conn.execute(query, params).fetchall()]


_MUTABLE_SEARCH_PATH = (
    "select p.oid::regprocedure::text as name, l.lanname = 'sql' and p.provolatile = 'i' and not p.prosecdef"
    "       and coalesce(obj_description(p.oid, 'pg_proc'), '') like 'Inlined on purpose%%' as excused"
    " from pg_catalog.pg_proc p"
    " join pg_catalog.pg_namespace n on n.oid = p.pronamespace"
    " join pg_catalog.pg_language l on l.oid = p.prolang"
    " left join pg_catalog.pg_depend dep on dep.objid = p.oid and dep.deptype = 'e'"
    " where n.nspname <> all(%s) and dep.objid is null"
    " and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')"
    " order by 1"
)


def test_every_function_of_ours_has_a_fixed_search_path(conn: tdb.Conn) -> None:
    """splinter 0011 function_search_path_mutable. The only exceptions are the per-row scoring and
    search helpers that must stay inlinable (migration 0040 measured why): immutable `language sql`,
    not security definer, and commented 'Inlined on purpose...'."""
    rows = conn.execute(_MUTABLE_SEARCH_PATH, (PLATFORM_SCHEMAS,)).fetchall()
    offenders = [row["name"] for row in rows if not row["excused"]]
    assert offenders == [], "add `set search_path = ''` to these functions"
    assert len(rows) <= 12, "no new function without a fixed search_path"


def test_at_most_one_permissive_policy_per_table_role_and_command(conn: tdb.Conn) -> None:
    """splinter 0006 multiple_permissive_policies: `to public` counts for every role, `for all` for
    every command; roles that bypass RLS and PostgreSQL's own roles do not count."""
    offenders = _names(
        conn,
        "select format('%%s.%%s %%s %%s: %%s', n.nspname, c.relname, r.rolname, act.cmd,"
        "              string_agg(p.polname, ' | ' order by p.polname)) as name"
        " from pg_catalog.pg_policy p"
        " join pg_catalog.pg_class c on c.oid = p.polrelid"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
        " join pg_catalog.pg_roles r on p.polroles @> array[r.oid] or p.polroles = array[0::oid]"
        " left join pg_catalog.pg_depend dep on dep.objid = c.oid and dep.deptype = 'e'"
        " cross join lateral unnest(case p.polcmd when 'r' then array['SELECT'] when 'a' then array['INSERT']"
        "   when 'w' then array['UPDATE'] when 'd' then array['DELETE']"
        "   else array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] end) as act(cmd)"
        " where c.relkind = 'r' and p.polpermissive and n.nspname <> all(%s)"
        " and r.rolname not like 'pg\\_%%' and r.rolname not like 'supabase%%admin' and not r.rolbypassrls"
        " and dep.objid is null"
        " group by n.nspname, c.relname, r.rolname, act.cmd having count(*) > 1 order by 1",
        PLATFORM_SCHEMAS,
    )
    assert offenders == [], "merge these into one policy per table, role and command (conditions joined by or)"


def test_every_foreign_key_has_an_index_leading_with_its_columns(conn: tdb.Conn) -> None:
    """splinter 0001 unindexed_foreign_keys: an index whose first columns are the key's, in order."""
    offenders = _names(
        conn,
        "select format('%%s.%%s (%%s)', n.nspname, cl.relname, ct.conname) as name"
        " from pg_catalog.pg_constraint ct"
        " join pg_catalog.pg_class cl on cl.oid = ct.conrelid"
        " join pg_catalog.pg_namespace n on n.oid = cl.relnamespace"
        " left join pg_catalog.pg_depend dep on dep.objid = cl.oid and dep.deptype = 'e'"
        " where ct.contype = 'f' and n.nspname <> all(%s) and dep.objid is null"
        " and not exists (select 1 from pg_catalog.pg_index i where i.indrelid = cl.oid and i.indisvalid"
        "   and ct.conkey = (string_to_array(i.indkey::text, ' ')::smallint[])[1:array_length(ct.conkey, 1)])"
        " order by 1",
        PLATFORM_SCHEMAS,
    )
    assert offenders == [], "index these foreign keys (an index leading with their columns)"


def test_every_table_of_an_exposed_schema_has_row_level_security(conn: tdb.Conn) -> None:
    """splinter 0013 rls_disabled_in_public, for every schema the API serves."""
    offenders = _names(
        conn,
        "select n.nspname || '.' || c.relname as name from pg_catalog.pg_class c"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname = any(%s) and not c.relrowsecurity order by 1",
        EXPOSED_SCHEMAS,
    )
    assert offenders == []


def test_no_security_definer_function_of_an_exposed_schema_is_executable_by_api_roles(conn: tdb.Conn) -> None:
    """splinter 0028 (anon) and 0029 (authenticated): such a function is an RPC that bypasses RLS.
    Privileged helpers live in `private`; exposed RPCs are security invoker and check the caller."""
    offenders = _names(
        conn,
        "select format('%%s executable by %%s', p.oid::regprocedure, r.role) as name"
        " from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace"
        " cross join unnest(array['anon', 'authenticated']) as r(role)"
        " where p.prosecdef and n.nspname = any(%s) and has_function_privilege(r.role, p.oid, 'execute')"
        " order by 1",
        ["public", "graphql_public"],
    )
    assert offenders == []


def test_views_of_exposed_schemas_run_as_their_caller(conn: tdb.Conn) -> None:
    """splinter 0010 security_definer_view: a view that is not security_invoker bypasses RLS."""
    offenders = _names(
        conn,
        "select n.nspname || '.' || c.relname as name from pg_catalog.pg_class c"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
        " left join pg_catalog.pg_depend dep on dep.objid = c.oid and dep.deptype = 'e'"
        " where c.relkind = 'v' and n.nspname = any(%s) and dep.objid is null"
        " and not coalesce('security_invoker=true' = any(c.reloptions) or 'security_invoker=on' = any(c.reloptions),"
        "                  false)"
        " order by 1",
        ["public", "graphql_public"],
    )
    assert offenders == []
