-- Why: client companies are the businesses whose money is recovered. Their users (role `client`)
-- see only their own company; partners (apporteurs d'affaires) see the prospects they registered;
-- staff see every company of their organization.

-- SIREN: 9 digits with a Luhn checksum; La Poste's 356000000 is the one documented exception.
create or replace function private.is_valid_siren(siren text) returns boolean
language plpgsql immutable
set search_path = ''
as $$
declare
  total int := 0;
  digit int;
begin
  if siren is null or siren !~ '^[0-9]{9}$' then
    return false;
  end if;
  if siren = '356000000' then
    return true;
  end if;
  for i in 1..9 loop
    digit := substr(siren, i, 1)::int;
    if i % 2 = 0 then
      digit := digit * 2;
      if digit > 9 then
        digit := digit - 9;
      end if;
    end if;
    total := total + digit;
  end loop;
  return total % 10 = 0;
end
$$;
grant execute on function private.is_valid_siren(text) to anon, authenticated, service_role;

create table if not exists public.client_companies (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 200),
  siren text check (siren is null or private.is_valid_siren(siren)),
  sector text check (sector in (
    'Transport et Logistique', 'Commerce et Distribution', 'Industrie et Fabrication',
    'Services aux Entreprises', 'BTP et Construction', 'Restauration et Hôtellerie',
    'Santé et Services Sociaux', 'Agriculture et Agroalimentaire', 'Services à la Personne',
    'Autre secteur')),
  departement text check (departement ~ '^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$'),
  address text not null default '',
  postal_code text check (postal_code ~ '^[0-9]{5}$'),
  city text not null default '',
  partner_user_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, siren)
);
create index if not exists client_companies_organization_id_idx on public.client_companies (organization_id);
create index if not exists client_companies_partner_user_id_idx on public.client_companies (partner_user_id);
create or replace trigger client_companies_touch_updated_at before update on public.client_companies
  for each row execute function private.touch_updated_at();

create table if not exists public.client_company_users (
  company_id uuid not null references public.client_companies (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (company_id, user_id)
);
create index if not exists client_company_users_user_id_idx on public.client_company_users (user_id);
create index if not exists client_company_users_organization_id_idx
  on public.client_company_users (organization_id);

-- A company user row always carries its company's organization.
create or replace function private.company_user_organization() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  select c.organization_id into new.organization_id from public.client_companies c where c.id = new.company_id;
  return new;
end
$$;
revoke execute on function private.company_user_organization() from public, anon;
create or replace trigger client_company_users_organization before insert or update on public.client_company_users
  for each row execute function private.company_user_organization();

create or replace function private.my_client_company_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select u.company_id from public.client_company_users u
    join public.memberships m
      on m.organization_id = u.organization_id and m.user_id = u.user_id and m.role = 'client'
    where u.user_id = (select auth.uid());
end
$$;

create or replace function private.my_partner_company_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select c.id from public.client_companies c
    join public.memberships m
      on m.organization_id = c.organization_id and m.user_id = c.partner_user_id and m.role = 'partner'
    where c.partner_user_id = (select auth.uid());
end
$$;
revoke execute on function private.my_client_company_ids(), private.my_partner_company_ids() from public, anon;
grant execute on function private.my_client_company_ids(), private.my_partner_company_ids()
  to authenticated, service_role;

alter table public.client_companies enable row level security;
alter table public.client_company_users enable row level security;
grant select, insert, update, delete on public.client_companies to authenticated;
grant select, insert, delete on public.client_company_users to authenticated;
grant all on public.client_companies, public.client_company_users to service_role;

create policy "Staff read their organization's companies" on public.client_companies
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

create policy "Clients read their own company" on public.client_companies
  for select to authenticated
  using (id in (select private.my_client_company_ids()));

create policy "Partners read the companies they manage" on public.client_companies
  for select to authenticated
  using (id in (select private.my_partner_company_ids()));

create policy "Owners and admins create companies" on public.client_companies
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Partners register prospect companies they manage" on public.client_companies
  for insert to authenticated
  with check (
    partner_user_id = (select auth.uid())
    and organization_id in (select private.my_organization_ids_with_role(array['partner']))
  );

create policy "Owners and admins update companies" on public.client_companies
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Partners update the companies they manage" on public.client_companies
  for update to authenticated
  using (id in (select private.my_partner_company_ids()))
  with check (
    partner_user_id = (select auth.uid())
    and organization_id in (select private.my_organization_ids_with_role(array['partner']))
  );

create policy "Owners and admins delete companies" on public.client_companies
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Users read their own company links and staff read all" on public.client_company_users
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
  );

create policy "Owners and admins link users to companies" on public.client_company_users
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Owners and admins unlink users from companies" on public.client_company_users
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
