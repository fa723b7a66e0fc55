-- Why: experts are approved by an organization's admins before they can be offered dossiers.
-- Public fields (what clients and colleagues may see once approved) live in expert_profiles;
-- commercial terms and load counters live in expert_terms, readable only by the expert and staff,
-- so that no select through the Data API can leak a fee rate or a capacity to a client.
create table if not exists public.expert_profiles (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  display_name text not null check (length(btrim(display_name)) between 1 and 200),
  company_name text not null default '',
  approval_status text not null default 'pending'
    check (approval_status in ('pending', 'approved', 'rejected', 'suspended')),
  approval_reason text,
  approved_at timestamptz,
  activity text not null default 'active' check (activity in ('active', 'paused')),
  sectors text[] not null default '{}',
  departements text[] not null default '{}',
  languages text[] not null default '{fr}',
  time_zone text not null default 'Europe/Paris',
  working_hours jsonb not null default '{}'::jsonb,
  description text not null default '',
  certifications text[] not null default '{}',
  rating numeric(2, 1) check (rating between 1 and 5),
  review_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, user_id),
  check (departements <@ array[
    'national', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14', '15',
    '16', '17', '18', '19', '21', '22', '23', '24', '25', '26', '27', '28', '29', '2A', '2B', '30', '31',
    '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47', '48',
    '49', '50', '51', '52', '53', '54', '55', '56', '57', '58', '59', '60', '61', '62', '63', '64', '65',
    '66', '67', '68', '69', '70', '71', '72', '73', '74', '75', '76', '77', '78', '79', '80', '81', '82',
    '83', '84', '85', '86', '87', '88', '89', '90', '91', '92', '93', '94', '95', '971', '972', '973',
    '974', '975', '976']::text[])
);
create index if not exists expert_profiles_user_id_idx on public.expert_profiles (user_id);
create index if not exists expert_profiles_organization_status_idx
  on public.expert_profiles (organization_id, approval_status);
create or replace trigger expert_profiles_touch_updated_at before update on public.expert_profiles
  for each row execute function private.touch_updated_at();

create table if not exists public.expert_terms (
  expert_id uuid primary key references public.expert_profiles (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  capacity integer not null default 10 check (capacity between 0 and 1000),
  fee_rate numeric(5, 4) not null default 0.30 check (fee_rate >= 0 and fee_rate <= 1),
  open_dossiers integer not null default 0 check (open_dossiers >= 0),
  completed_dossiers integer not null default 0 check (completed_dossiers >= 0),
  last_assigned_at timestamptz,
  updated_at timestamptz not null default now()
);
create index if not exists expert_terms_user_id_idx on public.expert_terms (user_id);
create index if not exists expert_terms_organization_id_idx on public.expert_terms (organization_id);
create or replace trigger expert_terms_touch_updated_at before update on public.expert_terms
  for each row execute function private.touch_updated_at();

-- Every profile gets its terms row, with the profile's organization and user.
create or replace function private.create_expert_terms() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.expert_terms (expert_id, organization_id, user_id)
  values (new.id, new.organization_id, new.user_id)
  on conflict (expert_id) do nothing;
  return new;
end
$$;
revoke execute on function private.create_expert_terms() from public, anon;
create or replace trigger expert_profiles_create_terms after insert on public.expert_profiles
  for each row execute function private.create_expert_terms();

-- Experts edit their own profile, but approval, rating and the organization are not theirs to change.
-- Security invoker on purpose: `current_user` must be the caller's role, not the definer's.
create or replace function private.protect_expert_fields() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  is_staff boolean := private.has_role(old.organization_id, array['owner', 'admin']);
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if new.organization_id <> old.organization_id or new.user_id <> old.user_id then
    raise exception 'organization_id and user_id cannot change' using errcode = '42501';
  end if;
  if not is_staff and (new.approval_status is distinct from old.approval_status
      or new.approval_reason is distinct from old.approval_reason
      or new.approved_at is distinct from old.approved_at) then
    raise exception 'only admins change an expert''s approval' using errcode = '42501';
  end if;
  if new.rating is distinct from old.rating or new.review_count is distinct from old.review_count then
    raise exception 'rating is maintained by the database' using errcode = '42501';
  end if;
  return new;
end
$$;
revoke execute on function private.protect_expert_fields() from public, anon;
grant execute on function private.protect_expert_fields() to authenticated, service_role;
create or replace trigger expert_profiles_protect_fields before update on public.expert_profiles
  for each row execute function private.protect_expert_fields();

create or replace function private.protect_expert_terms() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if new.expert_id <> old.expert_id or new.organization_id <> old.organization_id
     or new.user_id <> old.user_id then
    raise exception 'expert_id, organization_id and user_id cannot change' using errcode = '42501';
  end if;
  if new.open_dossiers <> old.open_dossiers or new.completed_dossiers <> old.completed_dossiers
     or new.last_assigned_at is distinct from old.last_assigned_at then
    raise exception 'counters are maintained by the database' using errcode = '42501';
  end if;
  if new.fee_rate <> old.fee_rate and not private.has_role(old.organization_id, array['owner', 'admin']) then
    raise exception 'only admins change the client fee rate' using errcode = '42501';
  end if;
  return new;
end
$$;
revoke execute on function private.protect_expert_terms() from public, anon;
grant execute on function private.protect_expert_terms() to authenticated, service_role;
create or replace trigger expert_terms_protect_fields before update on public.expert_terms
  for each row execute function private.protect_expert_terms();

alter table public.expert_profiles enable row level security;
alter table public.expert_terms enable row level security;
grant select, insert, update, delete on public.expert_profiles to authenticated;
grant select, update on public.expert_terms to authenticated;
grant all on public.expert_profiles, public.expert_terms to service_role;

create policy "Members read approved experts of their organization" on public.expert_profiles
  for select to authenticated
  using (approval_status = 'approved' and organization_id in (select private.my_organization_ids()));

create policy "Experts read their own profile" on public.expert_profiles
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Staff read every expert profile of their organization" on public.expert_profiles
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

create policy "Experts create their own pending profile" on public.expert_profiles
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and approval_status = 'pending' and rating is null and review_count = 0
    and organization_id in (select private.my_organization_ids_with_role(array['expert']))
  );

create policy "Owners and admins create expert profiles" on public.expert_profiles
  for insert to authenticated
  with check (
    rating is null and review_count = 0
    and organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
  );

create policy "Experts update their own profile" on public.expert_profiles
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "Owners and admins update expert profiles" on public.expert_profiles
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Owners and admins delete expert profiles" on public.expert_profiles
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Experts read their own terms" on public.expert_terms
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Staff read expert terms of their organization" on public.expert_terms
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

create policy "Experts update their own capacity" on public.expert_terms
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "Owners and admins update expert terms" on public.expert_terms
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
