-- Why: policies need membership look-ups that bypass RLS without recursion. They live as security
-- definer helpers in `private`, a schema PostgREST never exposes. Functions are not executable by
-- PUBLIC by default here: each one is granted explicitly to the roles that need it.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema private revoke execute on functions from public;

-- A shared trigger function keeping `updated_at` honest on every table that has one.
create or replace function private.touch_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
revoke execute on function private.touch_updated_at() from public, anon;
