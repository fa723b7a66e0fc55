-- Why: every write to a simulation (answers, completion, abandon) first needs the caller's right to
-- change it, then its row lock. Doing both in one PL/pgSQL call (plans cached per connection) instead
-- of three statements keeps the hot completion path short. The rule is the one of migration 0010:
-- a simulation of a company may be changed by whoever may simulate for that company; anyone else
-- who can read it (the organization's viewers; owners and admins for an anonymous draft) is told it
-- is read-only, and everyone else that it does not exist. The row is locked only after the check.
create or replace function private.simulation_for_writing(target uuid)
returns table (
  access text, id uuid, organization_id uuid, client_company_id uuid, rule_set_id uuid,
  rule_set_version text, status text, answers jsonb, result jsonb, total numeric, abandon_reason text,
  created_by uuid, created_at timestamptz, updated_at timestamptz, completed_at timestamptz, stale boolean
)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  found_org uuid;
  found_company uuid;
begin
  select s.organization_id, s.client_company_id into found_org, found_company
  from public.simulations s where s.id = target;
  if found_org is null then
    return;
  end if;
  if found_company is null or not private.can_simulate_for(found_company) then
    if private.has_role(found_org, array['owner', 'admin', 'viewer']) then
      return query select 'read_only'::text, null::uuid, null::uuid, null::uuid, null::uuid, null::text,
                          null::text, null::jsonb, null::jsonb, null::numeric, null::text, null::uuid,
                          null::timestamptz, null::timestamptz, null::timestamptz, null::boolean;
    end if;
    return;
  end if;
  return query
    select 'write'::text, s.id, s.organization_id, s.client_company_id, s.rule_set_id, s.rule_set_version,
           s.status, s.answers, s.result, s.total, s.abandon_reason, s.created_by, s.created_at, s.updated_at,
           s.completed_at, s.status = 'draft' and s.updated_at < now() - interval '24 hours'
    from public.simulations s where s.id = target
    for update;
end
$$;
revoke execute on function private.simulation_for_writing(uuid) from public, anon;
grant execute on function private.simulation_for_writing(uuid) to authenticated;
