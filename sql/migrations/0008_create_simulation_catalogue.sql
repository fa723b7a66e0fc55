-- Why: the simulator's products, questionnaire, eligibility rules and rates are data, versioned by
-- rule set, so that a new rule set (say FR-2026.1) is published without a deploy and a stored
-- simulation can always be recomputed with the version it was computed with. Platform rule sets
-- (organization_id null) are published by platform operators; an organization's owners and admins
-- may publish their own, which then applies to their organization. Published rule sets never change.
-- Everyone may read the catalogue, anonymous visitors included (they fill in the questionnaire).
create table if not exists public.products (
  code text primary key check (code ~ '^[a-z][a-z0-9_]{1,40}$'),
  name text not null,
  category text not null default '',
  kind text not null check (kind in ('financial', 'qualitative')),
  active boolean not null default true,
  sectors text[] not null default '{}',
  notes text not null default '',
  benefits jsonb not null default '[]'::jsonb check (jsonb_typeof(benefits) = 'array'),
  details jsonb not null default '{}'::jsonb check (jsonb_typeof(details) = 'object'),
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create or replace trigger products_touch_updated_at before update on public.products
  for each row execute function private.touch_updated_at();

create table if not exists public.rule_sets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid references public.organizations (id) on delete cascade,
  version text not null check (version ~ '^[A-Z]{2}-[0-9]{4}\.[0-9]+$'),
  effective_from date not null,
  published_at timestamptz not null default now(),
  published_by uuid,
  description text
);
create unique index if not exists rule_sets_scope_version_key
  on public.rule_sets (coalesce(organization_id, '00000000-0000-0000-0000-000000000000'::uuid), version);
create index if not exists rule_sets_organization_id_idx on public.rule_sets (organization_id);

create table if not exists public.questions (
  rule_set_id uuid not null references public.rule_sets (id) on delete cascade,
  code text not null check (code ~ '^[A-Z][A-Z0-9_]{1,60}$'),
  position integer not null,
  definition jsonb not null check (jsonb_typeof(definition) = 'object'),
  primary key (rule_set_id, code)
);

create table if not exists public.product_rules (
  rule_set_id uuid not null references public.rule_sets (id) on delete cascade,
  product_code text not null references public.products (code),
  active boolean not null default true,
  rule jsonb check (rule is null or jsonb_typeof(rule) = 'object'),
  formula jsonb check (formula is null or jsonb_typeof(formula) = 'object'),
  primary key (rule_set_id, product_code)
);
create index if not exists product_rules_product_code_idx on public.product_rules (product_code);

-- Published rule sets are immutable: stored simulations must recompute to the same result.
create or replace function private.refuse_rule_set_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'published rule sets never change; publish a new version instead'
    using errcode = '42501', hint = 'rule_set_immutable';
end
$$;
revoke execute on function private.refuse_rule_set_change() from public, anon;
grant execute on function private.refuse_rule_set_change() to authenticated, service_role;
create or replace trigger rule_sets_immutable before update on public.rule_sets
  for each row execute function private.refuse_rule_set_change();
create or replace trigger questions_immutable before update on public.questions
  for each row execute function private.refuse_rule_set_change();
create or replace trigger product_rules_immutable before update on public.product_rules
  for each row execute function private.refuse_rule_set_change();

alter table public.products enable row level security;
alter table public.rule_sets enable row level security;
alter table public.questions enable row level security;
alter table public.product_rules enable row level security;

grant select on public.products, public.rule_sets, public.questions, public.product_rules to anon, authenticated;
grant insert, update on public.products to authenticated;
grant insert, delete on public.rule_sets, public.questions, public.product_rules to authenticated;
grant all on public.products, public.rule_sets, public.questions, public.product_rules to service_role;

create policy "Anyone reads the product catalogue" on public.products
  for select to anon, authenticated using (true);
create policy "Platform operators maintain the product catalogue" on public.products
  for insert to authenticated with check ((select private.is_platform_operator()));
create policy "Platform operators update the product catalogue" on public.products
  for update to authenticated
  using ((select private.is_platform_operator())) with check ((select private.is_platform_operator()));

create policy "Anyone reads platform rule sets" on public.rule_sets
  for select to anon, authenticated using (organization_id is null);
create policy "Members read their organization's rule sets" on public.rule_sets
  for select to authenticated using (organization_id in (select private.my_organization_ids()));
create policy "Operators publish platform rule sets and admins their organization's" on public.rule_sets
  for insert to authenticated
  with check (
    (organization_id is null and (select private.is_platform_operator()))
    or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
  );
create policy "Operators and admins withdraw rule sets nobody used" on public.rule_sets
  for delete to authenticated
  using (
    (organization_id is null and (select private.is_platform_operator()))
    or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
  );

-- Questions and rules follow their rule set's visibility and write rights.
create or replace function private.can_read_rule_set(target uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (
      select 1 from public.rule_sets r
      where r.id = target
        and (r.organization_id is null
             or r.organization_id in (select m.organization_id from public.memberships m
                                      where m.user_id = (select auth.uid())))
    )
  );
end
$$;
create or replace function private.can_write_rule_set(target uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select exists (
      select 1 from public.rule_sets r
      where r.id = target
        and ((r.organization_id is null and exists (select 1 from public.platform_operators p
                                                    where p.user_id = (select auth.uid())))
             or r.organization_id in (select m.organization_id from public.memberships m
                                      where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin')))
    )
  );
end
$$;
revoke execute on function private.can_read_rule_set(uuid), private.can_write_rule_set(uuid) from public;
grant execute on function private.can_read_rule_set(uuid) to anon, authenticated, service_role;
grant execute on function private.can_write_rule_set(uuid) to authenticated, service_role;
grant usage on schema private to anon;

create policy "Readers of a rule set read its questions" on public.questions
  for select to anon, authenticated using (private.can_read_rule_set(rule_set_id));
create policy "Writers of a rule set add its questions" on public.questions
  for insert to authenticated with check (private.can_write_rule_set(rule_set_id));
create policy "Writers of a rule set remove its questions" on public.questions
  for delete to authenticated using (private.can_write_rule_set(rule_set_id));
create policy "Readers of a rule set read its rules" on public.product_rules
  for select to anon, authenticated using (private.can_read_rule_set(rule_set_id));
create policy "Writers of a rule set add its rules" on public.product_rules
  for insert to authenticated with check (private.can_write_rule_set(rule_set_id));
create policy "Writers of a rule set remove its rules" on public.product_rules
  for delete to authenticated using (private.can_write_rule_set(rule_set_id));
