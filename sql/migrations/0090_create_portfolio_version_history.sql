-- Why: everyone who works on a portfolio (analysts and approvers included, who do not read the
-- organization's whole audit log) must see who submitted, approved or rejected a version, when, with
-- which comment and which hashes; an auditor checks those rows against the hash chain. This RPC
-- returns the audit rows of one version to its prudential readers only.
create or replace function public.portfolio_version_history(p_version uuid)
returns table (id bigint, action text, actor_id uuid, details jsonb, created_at timestamptz, chain_seq bigint,
               prev_hash text, row_hash text)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  org uuid;
begin
  select v.organization_id into org from public.prudential_portfolio_versions v where v.id = p_version;
  if org is null or not (private.has_role(org, private.prudential_roles('read'))
                         or (select auth.role()) = 'service_role') then
    raise exception 'no such portfolio version' using errcode = 'PT404', hint = 'version_not_found';
  end if;
  return query
    select a.id, a.action, a.actor_id, a.details, a.created_at, a.chain_seq, a.prev_hash, a.row_hash
    from public.audit_log a
    where a.organization_id = org and a.table_name = 'prudential_portfolio_versions' and a.row_id = p_version
    order by a.chain_seq, a.id;
end
$$;
revoke execute on function public.portfolio_version_history(uuid) from public, anon;
grant execute on function public.portfolio_version_history(uuid) to authenticated, service_role;
