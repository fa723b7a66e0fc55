-- Why: cross-tenant support staff are a separate, audited list, never a membership role, so no
-- organization admin can grant platform access. Rows are managed by the service only.
create table if not exists public.platform_operators (
  user_id uuid primary key references auth.users (id) on delete cascade,
  note text not null default '',
  created_at timestamptz not null default now()
);
alter table public.platform_operators enable row level security;
grant select on public.platform_operators to authenticated;
grant all on public.platform_operators to service_role;

create or replace function private.is_platform_operator() returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (select 1 from public.platform_operators p where p.user_id = (select auth.uid()))
  );
end
$$;
revoke execute on function private.is_platform_operator() from public, anon;
grant execute on function private.is_platform_operator() to authenticated, service_role;

create policy "Operators can read their own operator row" on public.platform_operators
  for select to authenticated
  using (user_id = (select auth.uid()));
