-- Why: a bank exports its exposures from its own systems with its own column headers; once someone
-- has matched those headers to the engine's exposure fields for a template (say "core-banking
-- monthly"), the organization keeps that mapping and every later import of the template reuses it.
-- Mappings are read by every prudential role and maintained by owners and admins.
create table if not exists public.prudential_import_mappings (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  template text not null check (length(btrim(template)) between 1 and 100),
  -- normalised source header → exposure field
  columns jsonb not null check (jsonb_typeof(columns) = 'object'),
  created_by uuid not null default auth.uid() references auth.users (id),
  updated_by uuid references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, template)
);
create index if not exists prudential_import_mappings_created_by_idx on public.prudential_import_mappings (created_by);
create index if not exists prudential_import_mappings_updated_by_idx on public.prudential_import_mappings (updated_by);
create or replace trigger prudential_import_mappings_touch_updated_at before update on public.prudential_import_mappings
  for each row execute function private.touch_updated_at();

alter table public.prudential_import_mappings enable row level security;
grant select, insert, update, delete on public.prudential_import_mappings to authenticated;
grant all on public.prudential_import_mappings to service_role;

create policy "Prudential readers read their organization's import mappings" on public.prudential_import_mappings
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Owners and admins save import mappings" on public.prudential_import_mappings
  for insert to authenticated
  with check (organization_id in (select private.my_prudential_organization_ids('manage')));
create policy "Owners and admins change import mappings" on public.prudential_import_mappings
  for update to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('manage')))
  with check (organization_id in (select private.my_prudential_organization_ids('manage')));
create policy "Owners and admins delete import mappings" on public.prudential_import_mappings
  for delete to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('manage')));
