-- Why: the reporting calendar (issue 14) knows, per organization, which COREP modules it files, on
-- which basis, from which portfolio and to which member state's authority (whose holidays move the
-- remittance date), and which packages have been produced — so it can list the next due reports with
-- their state (no calculation, draft, in review, approved, exported). Owners and admins set the plan;
-- prudential readers read it; whoever downloads a package records the export as themselves.
create table if not exists public.corep_filing_plans (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  module text not null check (module in ('corep_of', 'corep_lr', 'corep_lcr_da', 'corep_nsfr')),
  basis text not null check (basis in ('CON', 'IND')),
  portfolio_id uuid not null,
  country text not null check (country ~ '^[A-Z]{2}$'),
  created_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (portfolio_id, organization_id)
    references public.prudential_portfolios (id, organization_id) on delete cascade,
  unique (organization_id, module, basis)
);
create index if not exists corep_filing_plans_portfolio_org_idx
  on public.corep_filing_plans (portfolio_id, organization_id);
create index if not exists corep_filing_plans_created_by_idx on public.corep_filing_plans (created_by);
create or replace trigger corep_filing_plans_touch_updated_at before update on public.corep_filing_plans
  for each row execute function private.touch_updated_at();

create table if not exists public.corep_exports (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  calculation_id uuid not null,
  module text not null check (module in ('corep_of', 'corep_lr', 'corep_lcr_da', 'corep_nsfr')),
  file_name text not null check (length(file_name) between 1 and 255),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  exported_by uuid not null default auth.uid() references auth.users (id),
  exported_at timestamptz not null default now(),
  foreign key (calculation_id, organization_id)
    references public.prudential_calculations (id, organization_id) on delete cascade
);
create index if not exists corep_exports_calculation_org_idx on public.corep_exports (calculation_id, organization_id);
create index if not exists corep_exports_organization_idx on public.corep_exports (organization_id);
create index if not exists corep_exports_exported_by_idx on public.corep_exports (exported_by);

alter table public.corep_filing_plans enable row level security;
alter table public.corep_exports enable row level security;
grant select, insert, update, delete on public.corep_filing_plans to authenticated;
grant select, insert on public.corep_exports to authenticated;
grant all on public.corep_filing_plans, public.corep_exports to service_role;

create policy "Prudential readers read their organization's filing plans" on public.corep_filing_plans
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Owners and admins plan COREP filings" on public.corep_filing_plans
  for insert to authenticated
  with check (created_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('manage')));
create policy "Owners and admins change COREP filing plans" on public.corep_filing_plans
  for update to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('manage')))
  with check (organization_id in (select private.my_prudential_organization_ids('manage')));
create policy "Owners and admins drop COREP filing plans" on public.corep_filing_plans
  for delete to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('manage')));

create policy "Prudential readers read their organization's COREP exports" on public.corep_exports
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Prudential readers record the packages they download" on public.corep_exports
  for insert to authenticated
  with check (exported_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('read')));
