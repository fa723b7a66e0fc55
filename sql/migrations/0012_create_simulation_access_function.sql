-- Why: every `simulate` call first asks whether the caller may see (RLS) and change a simulation.
-- As a PL/pgSQL security-invoker function the RLS-expanded plan is cached per connection instead
-- of being re-planned on every call (no prepared statements behind a transaction pooler).
create or replace function private.simulation_access(target uuid)
returns table (visible boolean, may_write boolean)
language plpgsql stable
set search_path = ''
as $$
begin
  return query
    select true, s.client_company_id is not null and private.can_simulate_for(s.client_company_id)
    from public.simulations s
    where s.id = target;
end
$$;
revoke execute on function private.simulation_access(uuid) from public, anon;
grant execute on function private.simulation_access(uuid) to authenticated, service_role;
