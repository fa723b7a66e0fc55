-- Why: the prudential engine's regulatory parameters (risk weights, CCFs and their phase-ins, output
-- floor factors, SME factor, BIC brackets, buffers, leverage, LCR and NSFR weights) are data: one row
-- per (rule set, code, key) and validity period, so a new rule set is published without a deploy and
-- a stored calculation recomputes with the rows its reference date picked. Platform rule sets
-- (organization_id null) are shared; an organization may hold its own. Readers: members with a
-- prudential role (owner, admin, analyst, approver, viewer) — expert, client and partner see nothing.
-- Published rows never change (a new version is a new rule set); publishing is added separately.
create table if not exists public.prudential_rule_sets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid references public.organizations (id) on delete cascade,
  code text not null check (code ~ '^[A-Z][A-Z0-9]*-[0-9]{4}\.[0-9]+$'),
  effective_from date not null,
  description text not null default '',
  published_at timestamptz not null default now(),
  published_by uuid references auth.users (id) on delete set null
);
create unique index if not exists prudential_rule_sets_scope_code_key
  on public.prudential_rule_sets (coalesce(organization_id, '00000000-0000-0000-0000-000000000000'::uuid), code);
create index if not exists prudential_rule_sets_organization_id_idx on public.prudential_rule_sets (organization_id);
create index if not exists prudential_rule_sets_published_by_idx on public.prudential_rule_sets (published_by);

create table if not exists public.prudential_rule_parameters (
  rule_set_id uuid not null references public.prudential_rule_sets (id) on delete cascade,
  code text not null check (code ~ '^[a-z0-9_]+$'),
  key text not null check (key ~ '^[A-Za-z0-9_.]+$'),
  value numeric not null,
  valid_from date not null,
  valid_to date check (valid_to is null or valid_to >= valid_from),
  primary key (rule_set_id, code, key, valid_from)
);

-- Rows of one (rule set, code, key) never overlap: exactly one is in force on any date it covers.
create or replace function private.check_prudential_parameter_overlap() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if exists (
    select 1 from public.prudential_rule_parameters p
    where p.rule_set_id = new.rule_set_id and p.code = new.code and p.key = new.key
      and p.valid_from <> new.valid_from
      and p.valid_from <= coalesce(new.valid_to, 'infinity'::date)
      and new.valid_from <= coalesce(p.valid_to, 'infinity'::date)
  ) then
    raise exception 'parameter %/% overlaps another row of the rule set', new.code, new.key
      using errcode = 'PT422', hint = 'rule_parameter_overlap';
  end if;
  return new;
end
$$;
revoke execute on function private.check_prudential_parameter_overlap() from public, anon;
grant execute on function private.check_prudential_parameter_overlap() to authenticated, service_role;
create or replace trigger prudential_rule_parameters_no_overlap before insert on public.prudential_rule_parameters
  for each row execute function private.check_prudential_parameter_overlap();

-- Published rule sets are immutable (stored calculations must recompute to the same bytes).
create or replace function private.refuse_prudential_rule_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'published prudential rule sets never change; publish a new version instead'
    using errcode = 'PT409', hint = 'rule_set_immutable';
end
$$;
revoke execute on function private.refuse_prudential_rule_change() from public, anon;
grant execute on function private.refuse_prudential_rule_change() to authenticated, service_role;
create or replace trigger prudential_rule_sets_immutable before update on public.prudential_rule_sets
  for each row execute function private.refuse_prudential_rule_change();
create or replace trigger prudential_rule_parameters_immutable before update on public.prudential_rule_parameters
  for each row execute function private.refuse_prudential_rule_change();

alter table public.prudential_rule_sets enable row level security;
alter table public.prudential_rule_parameters enable row level security;

grant select on public.prudential_rule_sets, public.prudential_rule_parameters to authenticated;
grant select, insert, delete on public.prudential_rule_sets, public.prudential_rule_parameters to service_role;

drop policy if exists "Prudential members read shared and their organization's rule sets" on public.prudential_rule_sets;
create policy "Prudential members read shared and their organization's rule sets" on public.prudential_rule_sets
  for select to authenticated
  using (
    (organization_id is null and exists (
      select 1 from private.my_organization_ids_with_role(array['owner', 'admin', 'analyst', 'approver', 'viewer'])
    ))
    or organization_id in (
      select private.my_organization_ids_with_role(array['owner', 'admin', 'analyst', 'approver', 'viewer'])
    )
  );

drop policy if exists "Prudential members read the parameters of rule sets they see" on public.prudential_rule_parameters;
create policy "Prudential members read the parameters of rule sets they see" on public.prudential_rule_parameters
  for select to authenticated
  using (rule_set_id in (select s.id from public.prudential_rule_sets s));
