-- Why: simulations and dossiers are written only by the `simulate` function, which first asks the
-- database, as the caller, whether they may simulate for a company (its client users, the partner
-- managing it, its organization's owners and admins; never viewers or experts). Anonymous visitors
-- are rate-limited per client address through counters only the service role touches.
create or replace function private.can_simulate_for(company uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (
      select 1 from public.client_companies c
      where c.id = company
        and (
          exists (select 1 from public.memberships m
                  where m.organization_id = c.organization_id and m.user_id = (select auth.uid())
                    and m.role in ('owner', 'admin'))
          or c.id in (select private.my_client_company_ids())
          or c.id in (select private.my_partner_company_ids())
        )
    )
  );
end
$$;
revoke execute on function private.can_simulate_for(uuid) from public, anon;
grant execute on function private.can_simulate_for(uuid) to authenticated, service_role;

create table if not exists public.rate_limit_counters (
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (bucket, window_start)
);
create index if not exists rate_limit_counters_window_idx on public.rate_limit_counters (window_start);
alter table public.rate_limit_counters enable row level security;
grant all on public.rate_limit_counters to service_role;
-- No policy for anon or authenticated: only the service role (which bypasses RLS) counts hits.
create policy "Nobody reads rate limit counters through the API" on public.rate_limit_counters
  for select to authenticated using (false);
