-- Why: an expert is qualified for a dossier only through an active link to its product, at a level
-- (debutant, intermediaire, avance, expert) that weighs in the match score. Experts declare their
-- own products; owners and admins manage everyone's. A link is readable exactly when its expert's
-- profile is (the policy defers to the profile's own RLS), so clients see levels, never more.
create table if not exists public.expert_products (
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  product_code text not null references public.products (code),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  level text not null default 'intermediaire'
    check (level in ('debutant', 'intermediaire', 'avance', 'expert')),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (expert_id, product_code)
);
create index if not exists expert_products_organization_product_idx
  on public.expert_products (organization_id, product_code);
create index if not exists expert_products_product_code_idx on public.expert_products (product_code);
create or replace trigger expert_products_touch_updated_at before update on public.expert_products
  for each row execute function private.touch_updated_at();

-- A link always carries its expert's organization, whatever the caller sent.
create or replace function private.expert_product_organization() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  select e.organization_id into new.organization_id from public.expert_profiles e where e.id = new.expert_id;
  if tg_op = 'UPDATE' and new.expert_id <> old.expert_id then
    raise exception 'a product link cannot move to another expert' using errcode = '42501';
  end if;
  return new;
end
$$;
revoke execute on function private.expert_product_organization() from public, anon;
create or replace trigger expert_products_organization before insert or update on public.expert_products
  for each row execute function private.expert_product_organization();

alter table public.expert_products enable row level security;
grant select, insert, update, delete on public.expert_products to authenticated;
grant all on public.expert_products to service_role;

create policy "Readers of an expert profile read its products" on public.expert_products
  for select to authenticated
  using (exists (select 1 from public.expert_profiles p where p.id = expert_id));

create policy "Experts add products to their own profile" on public.expert_products
  for insert to authenticated
  with check (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins add products to expert profiles" on public.expert_products
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Experts change their own products" on public.expert_products
  for update to authenticated
  using (expert_id in (select private.my_expert_profile_ids()))
  with check (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins change expert products" on public.expert_products
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Experts remove their own products" on public.expert_products
  for delete to authenticated
  using (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins remove expert products" on public.expert_products
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
