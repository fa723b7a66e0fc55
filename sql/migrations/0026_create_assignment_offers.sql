-- Why: a dossier reaches its expert through offers (`offered` → `accepted` | `declined` | `expired`
-- | `withdrawn`), each carrying its match score and breakdown as the "why this expert". The database
-- itself guarantees the marketplace's invariants, whatever code path writes: at most one open offer
-- per dossier (a partial unique index), nobody ineligible is ever offered a dossier (checked on
-- insert while the expert's profile and terms rows are share-locked, so a concurrent suspension or
-- assignment cannot slip in between), a closed offer never changes again. Offers and the dossier
-- columns below are written only by the security-definer transitions of the next migrations.
alter table public.dossiers
  add column if not exists proposed_expert_id uuid references public.expert_profiles (id) on delete set null,
  add column if not exists proposed_at timestamptz,
  add column if not exists proposed_by uuid,
  add column if not exists matching_started_at timestamptz,
  add column if not exists resume_status text,
  add column if not exists assigned_at timestamptz;
create index if not exists dossiers_proposed_expert_id_idx on public.dossiers (proposed_expert_id);

-- Statuses in which a dossier without an expert may be offered to one.
create or replace function private.dossier_is_matchable(status text) returns boolean
language sql immutable parallel safe
as $$
  select status in ('admin_validated', 'awaiting_reassignment', 'assignment_failed')
$$;
revoke execute on function private.dossier_is_matchable(text) from public, anon;
grant execute on function private.dossier_is_matchable(text) to authenticated, service_role;

-- Why an expert may not take a dossier now, or null when they may (MARKETPLACE.md "Who can take a
-- dossier"). With p_lock the expert's profile and terms stay share-locked until the transaction ends.
create or replace function private.ineligibility(
  p_expert uuid, p_dossier uuid, p_lock boolean default false, p_check_capacity boolean default true
) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  p record;
  t record;
begin
  select x.organization_id, x.product_code into d from public.dossiers x where x.id = p_dossier;
  if p_lock then
    select e.organization_id, e.approval_status, e.activity into p
    from public.expert_profiles e where e.id = p_expert for share;
    select x.open_dossiers, x.capacity into t from public.expert_terms x where x.expert_id = p_expert for share;
  else
    select e.organization_id, e.approval_status, e.activity into p from public.expert_profiles e where e.id = p_expert;
    select x.open_dossiers, x.capacity into t from public.expert_terms x where x.expert_id = p_expert;
  end if;
  if p.organization_id is null or d.organization_id is null or p.organization_id <> d.organization_id then
    return 'unknown_expert';
  elsif p.approval_status <> 'approved' then
    return 'not_approved';
  elsif p.activity <> 'active' then
    return 'paused';
  elsif not exists (select 1 from public.expert_products ep
                    where ep.expert_id = p_expert and ep.product_code = d.product_code and ep.active) then
    return 'not_qualified';
  elsif exists (select 1 from public.expert_absences a
                where a.expert_id = p_expert and a.starts_at <= now() and a.ends_at > now()) then
    return 'out_of_office';
  elsif p_check_capacity and t.open_dossiers >= t.capacity then
    return 'no_capacity';
  end if;
  return null;
end
$$;
revoke execute on function private.ineligibility(uuid, uuid, boolean, boolean) from public, anon, authenticated;

create table if not exists public.assignment_offers (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  status text not null default 'offered'
    check (status in ('offered', 'accepted', 'declined', 'expired', 'withdrawn')),
  source text not null check (source in ('client_choice', 'admin_proposal', 'auto')),
  attempt integer not null default 1 check (attempt >= 1),
  score numeric(5, 2) not null,
  score_parts jsonb not null check (jsonb_typeof(score_parts) = 'object'),
  offered_by uuid,
  offered_at timestamptz not null default now(),
  expires_at timestamptz not null,
  responded_at timestamptz,
  responded_by uuid,
  reason text check (length(reason) <= 1000),
  check (expires_at > offered_at),
  check ((status = 'offered') = (responded_at is null)),
  check (status <> 'declined' or length(btrim(coalesce(reason, ''))) > 0)
);
create unique index if not exists assignment_offers_one_open_per_dossier
  on public.assignment_offers (dossier_id) where status = 'offered';
create index if not exists assignment_offers_dossier_idx on public.assignment_offers (dossier_id, offered_at);
create index if not exists assignment_offers_expert_idx on public.assignment_offers (expert_id, status);
create index if not exists assignment_offers_organization_idx
  on public.assignment_offers (organization_id, offered_at desc);
create index if not exists assignment_offers_due_idx
  on public.assignment_offers (organization_id, expires_at) where status = 'offered';

-- On insert: an open offer, for a dossier that has no expert, to an eligible expert.
create or replace function private.check_new_offer() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  why text;
begin
  select x.organization_id, x.expert_id into d from public.dossiers x where x.id = new.dossier_id;
  new.organization_id := d.organization_id;
  if new.status <> 'offered' then
    raise exception 'offers are created open' using errcode = '23514', hint = 'offer_not_open';
  end if;
  if d.expert_id is not null then
    raise exception 'the dossier already has an expert' using errcode = 'PT409', hint = 'already_assigned';
  end if;
  why := private.ineligibility(new.expert_id, new.dossier_id, p_lock => true);
  if why = 'unknown_expert' then
    raise exception 'no such expert in this organization' using errcode = 'PT404', hint = 'expert_not_found';
  elsif why is not null then
    raise exception 'this expert cannot take this dossier now (%)', why
      using errcode = 'PT409', hint = 'expert_not_eligible', detail = why;
  end if;
  return new;
end
$$;
revoke execute on function private.check_new_offer() from public, anon;
create or replace trigger assignment_offers_check_new before insert on public.assignment_offers
  for each row execute function private.check_new_offer();

-- A closed offer is final; an open one only closes, and what was offered never changes.
create or replace function private.check_offer_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status <> 'offered' then
    raise exception 'this offer is already %', old.status using errcode = 'PT409', hint = 'offer_' || old.status;
  end if;
  if (new.dossier_id, new.expert_id, new.organization_id, new.score, new.score_parts, new.offered_at, new.source)
     is distinct from
     (old.dossier_id, old.expert_id, old.organization_id, old.score, old.score_parts, old.offered_at, old.source) then
    raise exception 'what was offered cannot change' using errcode = '42501';
  end if;
  return new;
end
$$;
revoke execute on function private.check_offer_change() from public, anon;
create or replace trigger assignment_offers_check_change before update on public.assignment_offers
  for each row execute function private.check_offer_change();

-- The dossiers an expert is being offered right now (they may read them to decide).
create or replace function private.my_offered_dossier_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select o.dossier_id from public.assignment_offers o
  join public.expert_profiles e on e.id = o.expert_id
  where e.user_id = (select auth.uid()) and o.status = 'offered'
$$;
create or replace function private.my_offered_company_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select d.client_company_id from public.dossiers d where d.id in (select private.my_offered_dossier_ids())
$$;
revoke execute on function private.my_offered_dossier_ids(), private.my_offered_company_ids() from public, anon;
grant execute on function private.my_offered_dossier_ids(), private.my_offered_company_ids()
  to authenticated, service_role;

alter table public.assignment_offers enable row level security;
grant select on public.assignment_offers to authenticated;
grant all on public.assignment_offers to service_role;

create policy "Staff read their organization's offers" on public.assignment_offers
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

create policy "Experts read the offers made to them" on public.assignment_offers
  for select to authenticated
  using (expert_id in (select private.my_expert_profile_ids()));

create policy "Clients and partners read the offers of their dossiers" on public.assignment_offers
  for select to authenticated
  using (dossier_id in (select private.my_followed_dossier_ids()));

create policy "Experts read the dossiers offered to them" on public.dossiers
  for select to authenticated
  using (id in (select private.my_offered_dossier_ids()));

create policy "Experts read the companies of dossiers offered to them" on public.client_companies
  for select to authenticated
  using (id in (select private.my_offered_company_ids()));
