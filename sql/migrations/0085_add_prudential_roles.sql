-- Why: the prudential simulator brings two roles of a bank's risk team: `analyst` (builds portfolios,
-- imports, runs scenarios, submits) and `approver` (an analyst who may also approve or reject the
-- versions others prepared). They belong to the prudential product only: the marketplace's policies
-- that let "any member" read (approved expert profiles, the organization's simulation rule sets,
-- expert reviews) are narrowed to the marketplace roles, so these two see nothing of the marketplace,
-- exactly as expert, client and partner see nothing prudential. Organizations and one's own
-- membership stay readable to every member (branding, `me`).
alter table public.memberships drop constraint if exists memberships_role_check;
alter table public.memberships add constraint memberships_role_check
  check (role in ('owner', 'admin', 'expert', 'client', 'viewer', 'partner', 'analyst', 'approver'));

-- `private.my_organization_ids()` is what every "any member of the organization" policy of the
-- marketplace uses (approved expert profiles, simulation rule sets, reviews, and any added later):
-- from now on it lists the organizations where the caller holds a marketplace role, every role but
-- the prudential ones. Reading one's organizations (name, branding) stays open to every member.
create or replace function private.my_organization_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.organization_id from public.memberships m
    where m.user_id = (select auth.uid()) and m.role not in ('analyst', 'approver');
end
$$;

create or replace function private.my_member_organization_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.organization_id from public.memberships m where m.user_id = (select auth.uid());
end
$$;
revoke execute on function private.my_member_organization_ids() from public, anon;
grant execute on function private.my_member_organization_ids() to authenticated, service_role;

drop policy if exists "Members can read their organizations" on public.organizations;
create policy "Members can read their organizations" on public.organizations
  for select to authenticated
  using (id in (select private.my_member_organization_ids()));

create or replace function private.can_read_rule_set(target uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (
      select 1 from public.rule_sets r
      where r.id = target
        and (r.organization_id is null or r.organization_id in (select private.my_organization_ids()))
    )
  );
end
$$;

-- Role groups of the prudential product, one place for every policy and function that needs them.
create or replace function private.prudential_roles(p_right text) returns text[]
language sql immutable parallel safe
set search_path = ''
as $$
  select case p_right
    when 'read' then array['owner', 'admin', 'analyst', 'approver', 'viewer']
    when 'write' then array['owner', 'admin', 'analyst', 'approver']
    when 'approve' then array['owner', 'admin', 'approver']
    when 'manage' then array['owner', 'admin']
    else array[]::text[]
  end
$$;
revoke execute on function private.prudential_roles(text) from public, anon;
grant execute on function private.prudential_roles(text) to authenticated, service_role;

-- The organizations where the caller has a prudential right ('read', 'write', 'approve', 'manage').
create or replace function private.my_prudential_organization_ids(p_right text) returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.organization_id from public.memberships m
    where m.user_id = (select auth.uid()) and m.role = any (private.prudential_roles(p_right));
end
$$;
revoke execute on function private.my_prudential_organization_ids(text) from public, anon;
grant execute on function private.my_prudential_organization_ids(text) to authenticated, service_role;
