-- Why: a bank's risk team keeps its prudential figures per organization: a portfolio (say "Solo
-- quarterly") has numbered versions, each holding one complete engine input (exposures, own funds,
-- other risks, requirements, leverage and liquidity inputs, validated by the engine's own validator
-- before it is stored) with its SHA-256 and a summary; calculations keep the rule set, reference date,
-- SHA-256 of the canonical input and of the canonical result, and the result itself, so that anyone
-- can recompute one and compare bytes. A calculation becomes `superseded` when its draft's input
-- changes afterwards. Only the `prudential` function records calculations (as the service role, after
-- checking the caller's right as the caller), so no figure reaches a reviewer without the engine.
-- Scenarios are named sets of deterministic shocks (data, never code) on a portfolio. Readers: owner, admin, analyst, approver, viewer; writers: the same but viewer; expert,
-- client and partner see nothing. Status changes and approval are functions (next migrations).
create table if not exists public.prudential_portfolios (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 200),
  description text not null default '' check (length(description) <= 2000),
  created_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, name),
  unique (id, organization_id)
);
create index if not exists prudential_portfolios_created_by_idx on public.prudential_portfolios (created_by);
create or replace trigger prudential_portfolios_touch_updated_at before update on public.prudential_portfolios
  for each row execute function private.touch_updated_at();

create table if not exists public.prudential_portfolio_versions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  portfolio_id uuid not null,
  version integer not null check (version >= 1),
  status text not null default 'draft' check (status in ('draft', 'in_review', 'approved', 'rejected')),
  input jsonb not null check (jsonb_typeof(input) = 'object'),
  input_sha256 text not null check (input_sha256 ~ '^[0-9a-f]{64}$'),
  reference_date date not null,
  exposure_count integer not null default 0 check (exposure_count >= 0),
  summary jsonb not null default '{}'::jsonb check (jsonb_typeof(summary) = 'object'),
  source text not null default 'manual' check (source in ('manual', 'import', 'revision')),
  based_on_version_id uuid references public.prudential_portfolio_versions (id) on delete set null,
  created_by uuid not null default auth.uid() references auth.users (id),
  -- Everyone who wrote this version's input (its author first): none of them may approve it.
  contributors uuid[] not null default '{}',
  submitted_by uuid references auth.users (id),
  submitted_at timestamptz,
  decided_by uuid references auth.users (id),
  decided_at timestamptz,
  decision_comment text check (decision_comment is null or length(decision_comment) between 1 and 4000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (portfolio_id, organization_id)
    references public.prudential_portfolios (id, organization_id) on delete cascade,
  unique (portfolio_id, version),
  unique (id, organization_id),
  check (status = 'draft' or (submitted_by is not null and submitted_at is not null)),
  check (status not in ('approved', 'rejected') or (decided_by is not null and decided_at is not null)),
  check (status <> 'rejected' or decision_comment is not null)
);
create index if not exists prudential_portfolio_versions_portfolio_org_idx
  on public.prudential_portfolio_versions (portfolio_id, organization_id);
create index if not exists prudential_portfolio_versions_organization_idx
  on public.prudential_portfolio_versions (organization_id, status);
create index if not exists prudential_portfolio_versions_based_on_idx
  on public.prudential_portfolio_versions (based_on_version_id);
create index if not exists prudential_portfolio_versions_created_by_idx
  on public.prudential_portfolio_versions (created_by);
create index if not exists prudential_portfolio_versions_submitted_by_idx
  on public.prudential_portfolio_versions (submitted_by);
create index if not exists prudential_portfolio_versions_decided_by_idx
  on public.prudential_portfolio_versions (decided_by);
create or replace trigger prudential_portfolio_versions_touch_updated_at
  before update on public.prudential_portfolio_versions
  for each row execute function private.touch_updated_at();

create table if not exists public.prudential_calculations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  portfolio_version_id uuid not null,
  rule_set text not null check (length(rule_set) between 1 and 64),
  reference_date date not null,
  input_sha256 text not null check (input_sha256 ~ '^[0-9a-f]{64}$'),
  result_sha256 text not null check (result_sha256 ~ '^[0-9a-f]{64}$'),
  result jsonb not null check (jsonb_typeof(result) = 'object'),
  status text not null default 'current' check (status in ('current', 'superseded')),
  created_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now(),
  foreign key (portfolio_version_id, organization_id)
    references public.prudential_portfolio_versions (id, organization_id) on delete cascade,
  unique (id, organization_id)
);
create index if not exists prudential_calculations_version_idx
  on public.prudential_calculations (portfolio_version_id, organization_id, created_at desc);
create index if not exists prudential_calculations_organization_idx
  on public.prudential_calculations (organization_id, created_at desc);
create index if not exists prudential_calculations_created_by_idx on public.prudential_calculations (created_by);

-- The calculation a version was submitted with (set by the submit function).
alter table public.prudential_portfolio_versions add column if not exists calculation_id uuid
  references public.prudential_calculations (id);
create index if not exists prudential_portfolio_versions_calculation_idx
  on public.prudential_portfolio_versions (calculation_id);

create table if not exists public.prudential_scenarios (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  portfolio_id uuid not null,
  name text not null check (length(btrim(name)) between 1 and 200),
  description text not null default '' check (length(description) <= 2000),
  shocks jsonb not null check (jsonb_typeof(shocks) = 'array'),
  created_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (portfolio_id, organization_id)
    references public.prudential_portfolios (id, organization_id) on delete cascade,
  unique (portfolio_id, name)
);
create index if not exists prudential_scenarios_organization_idx on public.prudential_scenarios (organization_id);
create index if not exists prudential_scenarios_portfolio_org_idx
  on public.prudential_scenarios (portfolio_id, organization_id);
create index if not exists prudential_scenarios_created_by_idx on public.prudential_scenarios (created_by);
create or replace trigger prudential_scenarios_touch_updated_at before update on public.prudential_scenarios
  for each row execute function private.touch_updated_at();

-- A new version takes the next number of its portfolio (the portfolio row is locked, so concurrent
-- inserts queue) and starts as a draft whose author is its only contributor.
create or replace function private.number_portfolio_version() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform 1 from public.prudential_portfolios p where p.id = new.portfolio_id for update;
  select coalesce(max(v.version), 0) + 1 into new.version
  from public.prudential_portfolio_versions v where v.portfolio_id = new.portfolio_id;
  new.status := 'draft';
  new.submitted_by := null;
  new.submitted_at := null;
  new.decided_by := null;
  new.decided_at := null;
  new.decision_comment := null;
  new.calculation_id := null;
  if not (new.created_by = any (new.contributors)) then
    new.contributors := array_prepend(new.created_by, new.contributors);
  end if;
  return new;
end
$$;
revoke execute on function private.number_portfolio_version() from public, anon;
create or replace trigger prudential_portfolio_versions_number before insert on public.prudential_portfolio_versions
  for each row execute function private.number_portfolio_version();

-- An approved version never changes and is never deleted, whoever asks (service role included);
-- only a draft's input may change, and whoever changes it becomes a contributor. The status columns
-- move only through the transition functions (authenticated callers have no update right on them).
create or replace function private.guard_portfolio_version() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
begin
  if old.status = 'approved' then
    raise exception 'an approved version cannot be changed or deleted; create version n+1'
      using errcode = 'PT409', hint = 'version_approved';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  if old.status <> 'draft' and (new.input is distinct from old.input
                                or new.input_sha256 is distinct from old.input_sha256
                                or new.reference_date is distinct from old.reference_date) then
    raise exception 'only a draft version can be edited (this one is %)', old.status
      using errcode = 'PT409', hint = 'version_not_draft';
  end if;
  if new.id <> old.id or new.organization_id <> old.organization_id or new.portfolio_id <> old.portfolio_id
     or new.version <> old.version or new.created_by <> old.created_by then
    raise exception 'a version keeps its identity' using errcode = 'PT409', hint = 'version_identity';
  end if;
  if new.input_sha256 is distinct from old.input_sha256 and uid is not null
     and not (uid = any (new.contributors)) then
    new.contributors := array_append(new.contributors, uid);
  end if;
  return new;
end
$$;
revoke execute on function private.guard_portfolio_version() from public, anon;
create or replace trigger prudential_portfolio_versions_guard before update or delete
  on public.prudential_portfolio_versions
  for each row execute function private.guard_portfolio_version();

-- When a draft's input changes, its calculations no longer describe it.
create or replace function private.supersede_calculations() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.prudential_calculations c set status = 'superseded'
  where c.portfolio_version_id = new.id and c.status = 'current';
  return null;
end
$$;
revoke execute on function private.supersede_calculations() from public, anon;
create or replace trigger prudential_portfolio_versions_supersede after update of input_sha256
  on public.prudential_portfolio_versions
  for each row when (old.input_sha256 is distinct from new.input_sha256)
  execute function private.supersede_calculations();

-- A calculation is a record: its figures never change; only `current` → `superseded` is allowed, and
-- a calculation of an approved version is kept as it is, whoever asks.
create or replace function private.guard_calculation() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.prudential_portfolio_versions v
             where v.id = old.portfolio_version_id and v.status = 'approved') then
    raise exception 'the calculation of an approved version cannot be changed or deleted'
      using errcode = 'PT409', hint = 'version_approved';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  if (new.id, new.organization_id, new.portfolio_version_id, new.rule_set, new.reference_date,
      new.input_sha256, new.result_sha256, new.result, new.created_by, new.created_at)
     is distinct from
     (old.id, old.organization_id, old.portfolio_version_id, old.rule_set, old.reference_date,
      old.input_sha256, old.result_sha256, old.result, old.created_by, old.created_at)
     or not (old.status = new.status or (old.status = 'current' and new.status = 'superseded')) then
    raise exception 'a calculation is never changed' using errcode = 'PT409', hint = 'calculation_immutable';
  end if;
  return new;
end
$$;
revoke execute on function private.guard_calculation() from public, anon;
create or replace trigger prudential_calculations_guard before update or delete on public.prudential_calculations
  for each row execute function private.guard_calculation();

alter table public.prudential_portfolios enable row level security;
alter table public.prudential_portfolio_versions enable row level security;
alter table public.prudential_calculations enable row level security;
alter table public.prudential_scenarios enable row level security;

grant select, insert, update, delete on public.prudential_portfolios to authenticated;
grant select, insert, delete on public.prudential_portfolio_versions to authenticated;
grant update (input, input_sha256, reference_date, exposure_count, summary) on public.prudential_portfolio_versions
  to authenticated;
grant select on public.prudential_calculations to authenticated;
grant select, insert, update, delete on public.prudential_scenarios to authenticated;
grant all on public.prudential_portfolios, public.prudential_portfolio_versions, public.prudential_calculations,
  public.prudential_scenarios to service_role;

create policy "Prudential readers read their organization's portfolios" on public.prudential_portfolios
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Prudential writers create portfolios as themselves" on public.prudential_portfolios
  for insert to authenticated
  with check (created_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers rename their organization's portfolios" on public.prudential_portfolios
  for update to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('write')))
  with check (organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Owners and admins delete portfolios" on public.prudential_portfolios
  for delete to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('manage')));

create policy "Prudential readers read their organization's versions" on public.prudential_portfolio_versions
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Prudential writers add draft versions as their author" on public.prudential_portfolio_versions
  for insert to authenticated
  with check (created_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers edit draft versions" on public.prudential_portfolio_versions
  for update to authenticated
  using (status = 'draft' and organization_id in (select private.my_prudential_organization_ids('write')))
  with check (status = 'draft' and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers delete draft versions" on public.prudential_portfolio_versions
  for delete to authenticated
  using (status = 'draft' and organization_id in (select private.my_prudential_organization_ids('write')));

create policy "Prudential readers read their organization's calculations" on public.prudential_calculations
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));

create policy "Prudential readers read their organization's scenarios" on public.prudential_scenarios
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));
create policy "Prudential writers create scenarios as themselves" on public.prudential_scenarios
  for insert to authenticated
  with check (created_by = (select auth.uid())
              and organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers change scenarios" on public.prudential_scenarios
  for update to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('write')))
  with check (organization_id in (select private.my_prudential_organization_ids('write')));
create policy "Prudential writers delete scenarios" on public.prudential_scenarios
  for delete to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('write')));
