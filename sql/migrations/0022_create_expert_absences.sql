-- Why: an expert who is away must not be offered dossiers, and the dossiers they hold must move on
-- when the absence starts: to the substitute they named when that colleague is eligible, else back
-- to matching (the assignment-timeouts job does the hand-over and stamps `handed_over_at`).
-- Absences are private: the expert, the named substitute and staff read them; clients only learn
-- "available now" through the search.
create table if not exists public.expert_absences (
  id uuid primary key default gen_random_uuid(),
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  substitute_id uuid references public.expert_profiles (id) on delete set null,
  note text not null default '' check (length(note) <= 500),
  handed_over_at timestamptz,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (ends_at > starts_at),
  check (substitute_id is null or substitute_id <> expert_id)
);
create index if not exists expert_absences_expert_idx on public.expert_absences (expert_id, starts_at);
create index if not exists expert_absences_organization_current_idx
  on public.expert_absences (organization_id, starts_at, ends_at);
create index if not exists expert_absences_substitute_idx on public.expert_absences (substitute_id);
create index if not exists expert_absences_pending_handover_idx
  on public.expert_absences (organization_id, starts_at) where handed_over_at is null;
create or replace trigger expert_absences_touch_updated_at before update on public.expert_absences
  for each row execute function private.touch_updated_at();

-- The absence carries its expert's organization; a substitute must be a colleague of the same one.
create or replace function private.check_expert_absence() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  select e.organization_id into new.organization_id from public.expert_profiles e where e.id = new.expert_id;
  if tg_op = 'UPDATE' and new.expert_id <> old.expert_id then
    raise exception 'an absence cannot move to another expert' using errcode = '42501';
  end if;
  if new.substitute_id is not null and not exists (
      select 1 from public.expert_profiles s
      where s.id = new.substitute_id and s.organization_id = new.organization_id) then
    raise exception 'the substitute must be an expert of the same organization'
      using errcode = '23514', hint = 'substitute_unknown';
  end if;
  -- Security definer: the caller's API role is the `role` setting, not current_user.
  if current_setting('role') in ('authenticated', 'anon') and tg_op = 'UPDATE'
     and new.handed_over_at is distinct from old.handed_over_at then
    raise exception 'handed_over_at is maintained by the database' using errcode = '42501';
  end if;
  if current_setting('role') in ('authenticated', 'anon') and tg_op = 'INSERT' then
    new.handed_over_at := null;
  end if;
  return new;
end
$$;
revoke execute on function private.check_expert_absence() from public, anon;
create or replace trigger expert_absences_check before insert or update on public.expert_absences
  for each row execute function private.check_expert_absence();

alter table public.expert_absences enable row level security;
grant select, insert, update, delete on public.expert_absences to authenticated;
grant all on public.expert_absences to service_role;

create policy "Experts and their substitutes read the expert's absences" on public.expert_absences
  for select to authenticated
  using (expert_id in (select private.my_expert_profile_ids())
         or substitute_id in (select private.my_expert_profile_ids()));

create policy "Staff read the absences of their organization" on public.expert_absences
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

create policy "Experts declare their own absences" on public.expert_absences
  for insert to authenticated
  with check (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins declare absences" on public.expert_absences
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Experts change their own absences" on public.expert_absences
  for update to authenticated
  using (expert_id in (select private.my_expert_profile_ids()))
  with check (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins change absences" on public.expert_absences
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create policy "Experts remove their own absences" on public.expert_absences
  for delete to authenticated
  using (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins remove absences" on public.expert_absences
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
