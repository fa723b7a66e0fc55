-- Why: a simulation is a client company's (or an anonymous visitor's) answers to the questionnaire,
-- computed with one rule set; completing it creates or updates the company's dossiers, one per
-- eligible product, without ever destroying work already done on a dossier. This is the minimal
-- dossier (later migrations extend it with workflow, documents, experts and invoices).
create table if not exists public.simulations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  client_company_id uuid references public.client_companies (id) on delete cascade,
  rule_set_id uuid not null references public.rule_sets (id) on delete restrict,
  rule_set_version text not null,
  status text not null default 'draft' check (status in ('draft', 'completed', 'abandoned', 'expired')),
  answers jsonb not null default '{}'::jsonb check (jsonb_typeof(answers) = 'object'),
  result jsonb,
  total numeric(14, 2),
  abandon_reason text,
  resume_token_hash text unique,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz,
  check (status <> 'abandoned' or length(btrim(coalesce(abandon_reason, ''))) > 0),
  check (status <> 'completed' or (result is not null and total is not null)),
  check (client_company_id is not null or resume_token_hash is not null)
);
create index if not exists simulations_organization_id_idx on public.simulations (organization_id);
create index if not exists simulations_client_company_id_idx on public.simulations (client_company_id);
create index if not exists simulations_draft_updated_idx on public.simulations (updated_at) where status = 'draft';
create index if not exists simulations_rule_set_id_idx on public.simulations (rule_set_id);
create or replace trigger simulations_touch_updated_at before update on public.simulations
  for each row execute function private.touch_updated_at();

create table if not exists public.dossiers (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  client_company_id uuid not null references public.client_companies (id) on delete cascade,
  product_code text not null references public.products (code),
  status text not null default 'pending_upload',
  estimated_amount numeric(14, 2) check (estimated_amount >= 0),
  audited_amount numeric(14, 2) check (audited_amount >= 0),
  priority smallint check (priority between 1 and 3),
  source_simulation_id uuid references public.simulations (id) on delete set null,
  expert_id uuid references public.expert_profiles (id) on delete set null,
  document_count integer not null default 0 check (document_count >= 0),
  invoice_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_company_id, product_code)
);
create index if not exists dossiers_organization_status_idx on public.dossiers (organization_id, status);
create index if not exists dossiers_expert_id_idx on public.dossiers (expert_id);
create index if not exists dossiers_source_simulation_id_idx on public.dossiers (source_simulation_id);
create or replace trigger dossiers_touch_updated_at before update on public.dossiers
  for each row execute function private.touch_updated_at();

-- Every estimate a dossier received, with where it came from (the merge rules never lose one).
create table if not exists public.dossier_amount_history (
  id bigint generated always as identity primary key,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  amount numeric(14, 2),
  previous_amount numeric(14, 2),
  priority smallint,
  source text not null check (source in ('simulation', 'audit', 'admin')),
  simulation_id uuid references public.simulations (id) on delete set null,
  applied boolean not null,
  note text not null default '',
  recorded_at timestamptz not null default now()
);
create index if not exists dossier_amount_history_dossier_idx on public.dossier_amount_history (dossier_id, id);
create index if not exists dossier_amount_history_organization_id_idx on public.dossier_amount_history (organization_id);

create or replace function private.my_expert_profile_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select e.id from public.expert_profiles e where e.user_id = (select auth.uid());
end
$$;
create or replace function private.my_visible_dossier_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select d.id from public.dossiers d
    where d.organization_id in (select m.organization_id from public.memberships m
                                where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin', 'viewer'))
       or d.client_company_id in (select private.my_client_company_ids())
       or d.client_company_id in (select private.my_partner_company_ids())
       or d.expert_id in (select private.my_expert_profile_ids());
end
$$;
revoke execute on function private.my_expert_profile_ids(), private.my_visible_dossier_ids() from public, anon;
grant execute on function private.my_expert_profile_ids(), private.my_visible_dossier_ids()
  to authenticated, service_role;

alter table public.simulations enable row level security;
alter table public.dossiers enable row level security;
alter table public.dossier_amount_history enable row level security;
-- Simulations and dossiers are written through the `simulate` function (service transactions
-- after explicit checks), never directly: the merge rules must not be bypassed.
grant select on public.simulations, public.dossiers, public.dossier_amount_history to authenticated;
grant all on public.simulations, public.dossiers, public.dossier_amount_history to service_role;

create policy "Staff read their organization's simulations" on public.simulations
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));
create policy "Clients read their company's simulations" on public.simulations
  for select to authenticated
  using (client_company_id in (select private.my_client_company_ids()));
create policy "Partners read the simulations of companies they manage" on public.simulations
  for select to authenticated
  using (client_company_id in (select private.my_partner_company_ids()));

create policy "Staff read their organization's dossiers" on public.dossiers
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));
create policy "Clients read their company's dossiers" on public.dossiers
  for select to authenticated
  using (client_company_id in (select private.my_client_company_ids()));
create policy "Partners read the dossiers of companies they manage" on public.dossiers
  for select to authenticated
  using (client_company_id in (select private.my_partner_company_ids()));
create policy "Experts read the dossiers assigned to them" on public.dossiers
  for select to authenticated
  using (expert_id in (select private.my_expert_profile_ids()));

create policy "Readers of a dossier read its amount history" on public.dossier_amount_history
  for select to authenticated
  using (dossier_id in (select private.my_visible_dossier_ids()));

-- Experts see the companies of the dossiers assigned to them.
create or replace function private.my_expert_company_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select d.client_company_id from public.dossiers d
    join public.expert_profiles e on e.id = d.expert_id
    where e.user_id = (select auth.uid());
end
$$;
revoke execute on function private.my_expert_company_ids() from public, anon;
grant execute on function private.my_expert_company_ids() to authenticated, service_role;

create policy "Experts read the companies of their dossiers" on public.client_companies
  for select to authenticated
  using (id in (select private.my_expert_company_ids()));
