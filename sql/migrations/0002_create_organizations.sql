-- Why: an organization is a tenant running one marketplace; memberships give each user a role in
-- it (a user may belong to several). Every tenant-scoped policy in later migrations is built on the
-- helpers defined here.
create table if not exists public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 200),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  primary_color text not null default '#1F4E79' check (primary_color ~ '^#[0-9A-Fa-f]{6}$'),
  legal_footer text not null default '',
  time_zone text not null default 'Europe/Paris',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create or replace trigger organizations_touch_updated_at before update on public.organizations
  for each row execute function private.touch_updated_at();

create table if not exists public.memberships (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'expert', 'client', 'viewer', 'partner')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, user_id)
);
create index if not exists memberships_user_id_idx on public.memberships (user_id);
create index if not exists memberships_organization_role_idx on public.memberships (organization_id, role);
create or replace trigger memberships_touch_updated_at before update on public.memberships
  for each row execute function private.touch_updated_at();

-- Helpers: security definer (they read memberships without RLS), pinned search_path, stable.
create or replace function private.my_organization_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.organization_id from public.memberships m where m.user_id = (select auth.uid());
end
$$;

create or replace function private.my_organization_ids_with_role(roles text[]) returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.organization_id from public.memberships m
    where m.user_id = (select auth.uid()) and m.role = any (roles);
end
$$;

create or replace function private.is_member(org uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (
      select 1 from public.memberships m where m.organization_id = org and m.user_id = (select auth.uid())
    )
  );
end
$$;

create or replace function private.has_role(org uuid, roles text[]) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (
      select 1 from public.memberships m
      where m.organization_id = org and m.user_id = (select auth.uid()) and m.role = any (roles)
    )
  );
end
$$;

revoke execute on function private.my_organization_ids(), private.my_organization_ids_with_role(text[]),
  private.is_member(uuid), private.has_role(uuid, text[]) from public, anon;
grant execute on function private.my_organization_ids(), private.my_organization_ids_with_role(text[]),
  private.is_member(uuid), private.has_role(uuid, text[]) to authenticated, service_role;

-- The last owner of an organization can be neither removed nor demoted.
create or replace function private.keep_one_owner() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner')
     and exists (select 1 from public.organizations o where o.id = old.organization_id)
     and not exists (
       select 1 from public.memberships m
       where m.organization_id = old.organization_id and m.role = 'owner' and m.id <> old.id
     ) then
    raise exception 'an organization keeps at least one owner'
      using errcode = 'P0001', hint = 'last_owner';
  end if;
  return coalesce(new, old);
end
$$;
revoke execute on function private.keep_one_owner() from public, anon;
create or replace trigger memberships_keep_one_owner before update or delete on public.memberships
  for each row execute function private.keep_one_owner();

alter table public.organizations enable row level security;
alter table public.memberships enable row level security;

grant select, update on public.organizations to authenticated;
grant select, insert, update, delete on public.memberships to authenticated;
grant all on public.organizations, public.memberships to service_role;

create policy "Members can read their organizations" on public.organizations
  for select to authenticated
  using (id in (select private.my_organization_ids()));

create policy "Owners and admins can update their organization" on public.organizations
  for update to authenticated
  using (id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Users read their own memberships and staff read their organization's" on public.memberships
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
  );

-- Admins manage members below owner; only owners create, change or remove owners.
create policy "Owners and admins add members" on public.memberships
  for insert to authenticated
  with check (
    organization_id in (select private.my_organization_ids_with_role(array['owner']))
    or (role <> 'owner'
        and organization_id in (select private.my_organization_ids_with_role(array['admin'])))
  );

create policy "Owners and admins change members" on public.memberships
  for update to authenticated
  using (
    organization_id in (select private.my_organization_ids_with_role(array['owner']))
    or (role <> 'owner'
        and organization_id in (select private.my_organization_ids_with_role(array['admin'])))
  )
  with check (
    organization_id in (select private.my_organization_ids_with_role(array['owner']))
    or (role <> 'owner'
        and organization_id in (select private.my_organization_ids_with_role(array['admin'])))
  );

create policy "Owners and admins remove members" on public.memberships
  for delete to authenticated
  using (
    organization_id in (select private.my_organization_ids_with_role(array['owner']))
    or (role <> 'owner'
        and organization_id in (select private.my_organization_ids_with_role(array['admin'])))
  );
