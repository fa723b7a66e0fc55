-- Why: COREP reporting (issue 14) keeps, per calculation and module, the result of the validation
-- rules (stored with the calculation and shown per cell) and the reviewers' explanations of the
-- WARNING rules that failed: a package is exported only when no ERROR fails and every failing WARNING
-- is explained. Both belong to the calculation's organization: prudential readers read them, writers
-- (owner, admin, analyst, approver) record them; expert, client and partner see nothing.
create table if not exists public.corep_validation_results (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  calculation_id uuid not null,
  module text not null check (module in ('corep_of', 'corep_lr', 'corep_lcr_da', 'corep_nsfr')),
  framework text not null default 'COREP 4.2' check (length(framework) between 1 and 32),
  findings jsonb not null check (jsonb_typeof(findings) = 'array'),
  error_count integer not null check (error_count >= 0),
  warning_count integer not null check (warning_count >= 0),
  evaluated_by uuid not null default auth.uid() references auth.users (id),
  evaluated_at timestamptz not null default now(),
  foreign key (calculation_id, organization_id)
    references public.prudential_calculations (id, organization_id) on delete cascade,
  unique (calculation_id, module)
);
create index if not exists corep_validation_results_organization_idx
  on public.corep_validation_results (organization_id);
create index if not exists corep_validation_results_calculation_org_idx
  on public.corep_validation_results (calculation_id, organization_id);
create index if not exists corep_validation_results_evaluated_by_idx
  on public.corep_validation_results (evaluated_by);

create table if not exists public.corep_rule_comments (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  calculation_id uuid not null,
  module text not null check (module in ('corep_of', 'corep_lr', 'corep_lcr_da', 'corep_nsfr')),
  rule_id text not null check (rule_id ~ '^[a-z0-9_]{1,64}$'),
  -- the C 07.00 exposure class of a sheet-scoped rule, '' otherwise
  scope text not null default '' check (length(scope) <= 64),
  comment text not null check (length(btrim(comment)) between 1 and 4000),
  created_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (calculation_id, organization_id)
    references public.prudential_calculations (id, organization_id) on delete cascade,
  unique (calculation_id, module, rule_id, scope)
);
create index if not exists corep_rule_comments_organization_idx on public.corep_rule_comments (organization_id);
create index if not exists corep_rule_comments_calculation_org_idx
  on public.corep_rule_comments (calculation_id, organization_id);
create index if not exists corep_rule_comments_created_by_idx on public.corep_rule_comments (created_by);
create or replace trigger corep_rule_comments_touch_updated_at before update on public.corep_rule_comments
  for each row execute function private.touch_updated_at();

alter table public.corep_validation_results enable row level security;
alter table public.corep_rule_comments enable row level security;
grant select, insert, update on public.corep_validation_results to authenticated;
grant select, insert, update, delete on public.corep_rule_comments to authenticated;
grant all on public.corep_validation_results, public.corep_rule_comments to service_role;

create policy "Prudential readers read their organization's COREP validation" on public.corep_validation_results
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Prudential writers record COREP validation" on public.corep_validation_results
  for insert to authenticated
  with check (evaluated_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers refresh COREP validation" on public.corep_validation_results
  for update to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('write')))
  with check (evaluated_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));

create policy "Prudential readers read their organization's COREP comments" on public.corep_rule_comments
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Prudential writers explain COREP warnings as themselves" on public.corep_rule_comments
  for insert to authenticated
  with check (created_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers revise their COREP comments" on public.corep_rule_comments
  for update to authenticated
  using (created_by = (select auth.uid())
         and organization_id in (select private.my_prudential_organization_ids('write')))
  with check (created_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers withdraw their COREP comments" on public.corep_rule_comments
  for delete to authenticated
  using (created_by = (select auth.uid())
         and organization_id in (select private.my_prudential_organization_ids('write')));
