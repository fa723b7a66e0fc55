-- Why: every waiting state must open one awaited action with one clock (FOLLOWUP.md "Awaited actions"),
-- so that late parties are chased from data instead of "no update for N days" rules. This migration
-- holds the catalogue per organization (late party, thresholds, recipients per step, priority,
-- active; defaults seeded, admins edit under RLS), the instances with their running and paused clock
-- segments, the materialised target/warning/breach instants (recomputed on pause, resume, threshold
-- or calendar change), and the SLA state readable on every dossier plus the staff queue.

-- 1. The catalogue ---------------------------------------------------------------------------------
-- Thresholds are business days (× the calendar's working minutes per day) for `business` clocks and
-- hours for `wall` clocks. Recipients: C client users, E the expert, P the company's partner, A owners
-- and admins.
create table if not exists public.awaited_action_rules (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  code text not null check (code ~ '^[a-z][a-z_]{1,60}$'),
  label_fr text not null check (length(label_fr) between 1 and 200),
  label_en text not null check (length(label_en) between 1 and 200),
  late_party text not null check (late_party in ('client', 'admins', 'expert', 'administration')),
  open_while text not null default '' check (length(open_while) <= 300),
  clock text not null default 'business' check (clock in ('business', 'wall')),
  target numeric(6, 2) not null check (target >= 0),
  warning numeric(6, 2) not null,
  breach numeric(6, 2),
  target_recipients text[] not null check (target_recipients <@ '{C,E,P,A}'::text[]),
  warning_recipients text[] not null check (warning_recipients <@ '{C,E,P,A}'::text[]),
  breach_recipients text[] not null default '{}' check (breach_recipients <@ '{C,E,P,A}'::text[]),
  priority smallint not null default 2 check (priority between 1 and 3),
  active boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (organization_id, code),
  check (warning >= target),
  check (breach is null or breach >= warning)
);
create or replace trigger awaited_action_rules_touch_updated_at before update on public.awaited_action_rules
  for each row execute function private.touch_updated_at();

alter table public.awaited_action_rules enable row level security;
grant select, update on public.awaited_action_rules to authenticated;
grant all on public.awaited_action_rules to service_role;
drop policy if exists "Members read their organization's awaited actions" on public.awaited_action_rules;
create policy "Members read their organization's awaited actions" on public.awaited_action_rules
  for select to authenticated
  using (organization_id in (select private.my_organization_ids()));
drop policy if exists "Owners and admins tune their organization's awaited actions" on public.awaited_action_rules;
create policy "Owners and admins tune their organization's awaited actions" on public.awaited_action_rules
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- Admins tune thresholds, recipients, priority and activity; what an action is stays fixed.
create or replace function private.guard_awaited_action_rule() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (select auth.role()) = 'authenticated'
     and (new.organization_id, new.code, new.late_party, new.open_while, new.clock)
         is distinct from (old.organization_id, old.code, old.late_party, old.open_while, old.clock) then
    raise exception 'only thresholds, recipients, priority and activity of an awaited action can change'
      using errcode = 'PT403', hint = 'forbidden';
  end if;
  return new;
end
$$;
revoke execute on function private.guard_awaited_action_rule() from public, anon, authenticated;
create or replace trigger awaited_action_rules_guard before update on public.awaited_action_rules
  for each row execute function private.guard_awaited_action_rule();

-- The defaults of FOLLOWUP.md, written for one organization (existing rows are kept).
create or replace function private.seed_awaited_action_rules(p_organization uuid) returns void
language sql security definer
set search_path = ''
as $$
  insert into public.awaited_action_rules (organization_id, code, label_fr, label_en, late_party, open_while, clock,
                                           target, warning, breach, target_recipients, warning_recipients,
                                           breach_recipients, priority)
  select p_organization, v.* from (values
    ('eligibility_documents', 'Documents d''éligibilité à déposer', 'Eligibility documents to upload', 'client',
     'pending_upload, admin_rejected', 'business', 3, 7, 15, '{C}'::text[], '{C,P}'::text[], '{A}'::text[], 2::smallint),
    ('eligibility_review', 'Éligibilité à valider', 'Eligibility to review', 'admins', 'pending_admin_validation',
     'business', 1, 2, 3, '{A}', '{A}', '{A}', 1),
    ('expert_choice', 'Expert à choisir', 'Expert to choose', 'client', 'matchable, no open offer', 'business',
     2, 5, 10, '{C}', '{C,P,A}', '{A}', 2),
    ('expert_acceptance', 'Proposition à accepter', 'Offer to accept', 'expert', 'open offer', 'wall',
     24, 40, null, '{E}', '{E,A}', '{}', 1),
    ('expert_next_step', 'Prochaine étape de l''expert', 'Expert''s next step', 'expert',
     'expert_assigned, documents_received', 'business', 1, 2, 3, '{E}', '{E}', '{E,A}', 2),
    ('document_review', 'Document à vérifier', 'Document to review', 'expert', 'a document pending review',
     'business', 2, 5, 7, '{E}', '{E,C}', '{E,A}', 2),
    ('client_documents', 'Documents demandés à déposer', 'Requested documents to upload', 'client',
     'a request with required items missing', 'business', 5, 10, 15, '{C}', '{C,E,P}', '{C,E,A}', 2),
    ('audit', 'Audit à terminer', 'Audit to complete', 'expert', 'start_audit → complete_audit', 'business',
     7, 14, 21, '{E}', '{E,A}', '{E,A}', 2),
    ('client_decision', 'Audit à valider par le client', 'Audit awaiting the client''s decision', 'client',
     'audit_completed', 'business', 3, 7, 10, '{C}', '{C,E,P}', '{C,E,A}', 2),
    ('audit_revision', 'Audit à réviser', 'Audit to revise', 'expert', 'audit_refused', 'business', 3, 7, 10,
     '{E}', '{E,A}', '{A}', 2),
    ('claim_filing', 'Réclamation à déposer', 'Claim to file', 'expert', 'audit_accepted, claim_refused',
     'business', 7, 14, 21, '{E}', '{E,A}', '{A}', 2),
    ('administration_decision', 'Décision de l''administration attendue', 'Administration''s decision awaited',
     'administration', 'claim_filed', 'business', 30, 60, 90, '{E}', '{E,A}', '{A}', 3),
    ('refund_confirmation', 'Remboursement à confirmer', 'Refund to confirm', 'expert', 'result_recorded',
     'business', 20, 40, 60, '{E}', '{E,A}', '{A}', 3),
    ('invoice_payment', 'Facture à régler', 'Invoice to pay', 'client', 'invoice past due', 'business', 0, 10, 20,
     '{C}', '{C,A}', '{A}', 1),
    ('unread_message', 'Message client non lu', 'Unread client message', 'expert', 'a client message unread',
     'business', 2, 4, null, '{E}', '{E,A}', '{}', 3),
    ('support_reply', 'Message support sans réponse', 'Unanswered support message', 'admins',
     'a support message unanswered', 'business', 1, 2, 3, '{A}', '{A}', '{A}', 2)
  ) as v(code, label_fr, label_en, late_party, open_while, clock, target, warning, breach, target_recipients,
         warning_recipients, breach_recipients, priority)
  on conflict (organization_id, code) do nothing
$$;
revoke execute on function private.seed_awaited_action_rules(uuid) from public, anon, authenticated;
grant execute on function private.seed_awaited_action_rules(uuid) to service_role;

create or replace function private.seed_awaited_action_rules_for_new_organization() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.seed_awaited_action_rules(new.id);
  return new;
end
$$;
revoke execute on function private.seed_awaited_action_rules_for_new_organization() from public, anon, authenticated;
create or replace trigger organizations_seed_awaited_action_rules after insert on public.organizations
  for each row execute function private.seed_awaited_action_rules_for_new_organization();
select private.seed_awaited_action_rules(o.id) from public.organizations o;

-- 2. Instances and their clock ---------------------------------------------------------------------
create table if not exists public.awaited_actions (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  code text not null,
  -- what inside the dossier is awaited ('' for the dossier's status; a document request's id, …)
  subject text not null default '',
  clock text not null check (clock in ('business', 'wall')),
  opened_at timestamptz not null,
  closed_at timestamptz,
  close_reason text,
  -- minutes of the closed running segments; the open one runs since running_since (null = paused)
  elapsed_minutes integer not null default 0 check (elapsed_minutes >= 0),
  running_since timestamptz,
  pause_reason text check (pause_reason in ('on_hold', 'waiting_on_client')),
  -- business minutes moved by the subject (a document request's own due date)
  shift_minutes integer not null default 0,
  target_minutes integer,
  warning_minutes integer,
  breach_minutes integer,
  target_at timestamptz,
  warning_at timestamptz,
  breach_at timestamptz,
  check ((running_since is null) = (pause_reason is not null) or closed_at is not null),
  foreign key (organization_id, code) references public.awaited_action_rules (organization_id, code)
);
create unique index if not exists awaited_actions_one_open_idx on public.awaited_actions (dossier_id, code, subject)
  where closed_at is null;
create index if not exists awaited_actions_dossier_id_idx on public.awaited_actions (dossier_id);
create index if not exists awaited_actions_organization_code_idx on public.awaited_actions (organization_id, code);
-- The sweep's and the queue's entry: open running instances by their first threshold.
create index if not exists awaited_actions_due_idx on public.awaited_actions (organization_id, target_at)
  where closed_at is null and running_since is not null;

create table if not exists public.awaited_action_segments (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  action_id bigint not null references public.awaited_actions (id) on delete cascade,
  state text not null check (state in ('running', 'paused')),
  reason text check (reason in ('on_hold', 'waiting_on_client')),
  started_at timestamptz not null,
  ended_at timestamptz,
  -- clock minutes of a closed running segment
  minutes integer check (minutes >= 0),
  check ((state = 'paused') = (reason is not null)),
  check (ended_at is null or ended_at >= started_at)
);
create index if not exists awaited_action_segments_action_id_idx on public.awaited_action_segments (action_id, id);
create index if not exists awaited_action_segments_organization_id_idx
  on public.awaited_action_segments (organization_id);

alter table public.awaited_actions enable row level security;
alter table public.awaited_action_segments enable row level security;
grant select on public.awaited_actions, public.awaited_action_segments to authenticated;
grant all on public.awaited_actions, public.awaited_action_segments to service_role;
-- Whoever sees the dossier sees what is awaited on it (the dossiers' own policies decide).
drop policy if exists "Who sees a dossier sees its awaited actions" on public.awaited_actions;
create policy "Who sees a dossier sees its awaited actions" on public.awaited_actions
  for select to authenticated
  using (organization_id in (select private.my_organization_ids())
         and exists (select 1 from public.dossiers d where d.id = dossier_id));
drop policy if exists "Who sees an awaited action sees its clock" on public.awaited_action_segments;
create policy "Who sees an awaited action sees its clock" on public.awaited_action_segments
  for select to authenticated
  using (organization_id in (select private.my_organization_ids())
         and exists (select 1 from public.awaited_actions a where a.id = action_id));

-- 3. Clock arithmetic ------------------------------------------------------------------------------
-- The calendar's working minutes per day (`d`; 450 by default).
create or replace function private.calendar_day_minutes(p_calendar public.business_calendars) returns integer
language sql immutable
set search_path = ''
as $$
  select coalesce(sum(private.minute_of_day(w.value ->> 1) - private.minute_of_day(w.value ->> 0)), 0)::integer
  from jsonb_array_elements(p_calendar.hours) w
$$;

-- Clock minutes in [p_start, p_end): working minutes on a business clock, wall minutes otherwise.
create or replace function private.clock_minutes(p_calendar public.business_calendars, p_clock text,
                                                 p_start timestamptz, p_end timestamptz)
returns integer
language sql stable
set search_path = ''
as $$
  select case when p_end <= p_start then 0
              when p_clock = 'wall' then floor(extract(epoch from p_end - p_start) / 60)::integer
              else floor(private.business_seconds(p_calendar, p_start, p_end) / 60)::integer end
$$;

-- The instant the clock reaches p_minutes, running since p_since with p_elapsed already counted.
create or replace function private.clock_due(p_calendar public.business_calendars, p_clock text,
                                             p_since timestamptz, p_elapsed integer, p_minutes integer)
returns timestamptz
language sql stable
set search_path = ''
as $$
  select case when p_minutes is null or p_since is null then null
              when p_clock = 'wall' then p_since + make_interval(mins => greatest(p_minutes - p_elapsed, 0))
              else private.business_due(p_calendar, p_since, greatest(p_minutes - p_elapsed, 0)) end
$$;

-- Recomputes an instance's threshold minutes and instants from its rule, its organization's calendar
-- and its clock (paused or inactive: no instants).
create or replace function private.refresh_awaited_action(p_action bigint) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  a public.awaited_actions;
  r public.awaited_action_rules;
  cal public.business_calendars;
  per_unit integer;
  t integer;
  w integer;
  b integer;
begin
  select * into a from public.awaited_actions where id = p_action;
  if a.id is null or a.closed_at is not null then
    return;
  end if;
  select * into r from public.awaited_action_rules where organization_id = a.organization_id and code = a.code;
  cal := private.organization_calendar(a.organization_id);
  per_unit := case when a.clock = 'wall' then 60 else private.calendar_day_minutes(cal) end;
  t := round(r.target * per_unit) + a.shift_minutes;
  w := round(r.warning * per_unit) + a.shift_minutes;
  b := round(r.breach * per_unit) + a.shift_minutes;
  update public.awaited_actions
  set target_minutes = greatest(t, 0), warning_minutes = greatest(w, 0), breach_minutes = greatest(b, 0),
      target_at = case when r.active then private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, greatest(t, 0)) end,
      warning_at = case when r.active then private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, greatest(w, 0)) end,
      breach_at = case when r.active then private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, greatest(b, 0)) end
  where id = p_action;
end
$$;

-- Opens (dossier, code, subject) at p_at with a running clock, unless it is open already; returns its id.
create or replace function private.open_awaited_action(p_dossier uuid, p_code text, p_subject text default '',
                                                       p_at timestamptz default now(),
                                                       p_shift_minutes integer default 0)
returns bigint
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  r public.awaited_action_rules;
  created bigint;
begin
  select * into d from public.dossiers where id = p_dossier;
  perform private.seed_awaited_action_rules(d.organization_id);
  select * into r from public.awaited_action_rules where organization_id = d.organization_id and code = p_code;
  insert into public.awaited_actions (organization_id, dossier_id, code, subject, clock, opened_at, running_since,
                                      shift_minutes)
  values (d.organization_id, p_dossier, p_code, p_subject, r.clock, p_at, p_at, p_shift_minutes)
  on conflict (dossier_id, code, subject) where closed_at is null do nothing
  returning id into created;
  if created is null then
    select id into created from public.awaited_actions
    where dossier_id = p_dossier and code = p_code and subject = p_subject and closed_at is null;
    return created;
  end if;
  insert into public.awaited_action_segments (organization_id, action_id, state, started_at)
  values (d.organization_id, created, 'running', p_at);
  perform private.refresh_awaited_action(created);
  return created;
end
$$;

-- Ends the open segment at p_at (a running one keeps its minutes) and starts p_state unless closing.
create or replace function private.switch_awaited_action(p_action bigint, p_state text, p_reason text,
                                                         p_at timestamptz)
returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  a public.awaited_actions;
  spent integer := 0;
begin
  select * into a from public.awaited_actions where id = p_action and closed_at is null for update;
  if a.id is null then
    return;
  end if;
  if a.running_since is not null then
    spent := private.clock_minutes(private.organization_calendar(a.organization_id), a.clock, a.running_since,
                                   greatest(p_at, a.running_since));
  end if;
  update public.awaited_action_segments
  set ended_at = greatest(p_at, started_at), minutes = case when state = 'running' then spent end
  where action_id = p_action and ended_at is null;
  if p_state = 'closed' then
    update public.awaited_actions
    set closed_at = greatest(p_at, opened_at), close_reason = p_reason, elapsed_minutes = elapsed_minutes + spent,
        running_since = null
    where id = p_action;
    return;
  end if;
  insert into public.awaited_action_segments (organization_id, action_id, state, reason, started_at)
  values (a.organization_id, p_action, p_state, case when p_state = 'paused' then p_reason end, p_at);
  update public.awaited_actions
  set elapsed_minutes = elapsed_minutes + spent,
      running_since = case when p_state = 'running' then p_at end,
      pause_reason = case when p_state = 'paused' then p_reason end
  where id = p_action;
  perform private.refresh_awaited_action(p_action);
end
$$;

create or replace function private.pause_awaited_action(p_action bigint, p_reason text,
                                                        p_at timestamptz default now())
returns void
language sql security definer
set search_path = ''
as $$
  select private.switch_awaited_action(a.id, 'paused', p_reason, p_at)
  from public.awaited_actions a
  where a.id = p_action and a.closed_at is null and a.running_since is not null
$$;

-- Resumes an instance paused for p_reason (a pause for another reason stays).
create or replace function private.resume_awaited_action(p_action bigint, p_reason text,
                                                         p_at timestamptz default now())
returns void
language sql security definer
set search_path = ''
as $$
  select private.switch_awaited_action(a.id, 'running', null, p_at)
  from public.awaited_actions a
  where a.id = p_action and a.closed_at is null and a.pause_reason = p_reason
$$;

create or replace function private.close_awaited_action(p_action bigint, p_reason text,
                                                        p_at timestamptz default now())
returns void
language sql security definer
set search_path = ''
as $$
  select private.switch_awaited_action(p_action, 'closed', p_reason, p_at)
$$;

revoke execute on function private.calendar_day_minutes(public.business_calendars),
  private.clock_minutes(public.business_calendars, text, timestamptz, timestamptz),
  private.clock_due(public.business_calendars, text, timestamptz, integer, integer),
  private.refresh_awaited_action(bigint), private.open_awaited_action(uuid, text, text, timestamptz, integer),
  private.switch_awaited_action(bigint, text, text, timestamptz),
  private.pause_awaited_action(bigint, text, timestamptz), private.resume_awaited_action(bigint, text, timestamptz),
  private.close_awaited_action(bigint, text, timestamptz)
  from public, anon, authenticated;
grant execute on function private.calendar_day_minutes(public.business_calendars),
  private.clock_minutes(public.business_calendars, text, timestamptz, timestamptz),
  private.clock_due(public.business_calendars, text, timestamptz, integer, integer),
  private.refresh_awaited_action(bigint), private.open_awaited_action(uuid, text, text, timestamptz, integer),
  private.switch_awaited_action(bigint, text, text, timestamptz),
  private.pause_awaited_action(bigint, text, timestamptz), private.resume_awaited_action(bigint, text, timestamptz),
  private.close_awaited_action(bigint, text, timestamptz)
  to service_role;

-- Threshold or calendar change: every open instance of the organization (and code) is recomputed.
create or replace function private.refresh_awaited_actions_on_rule_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.refresh_awaited_action(a.id)
  from public.awaited_actions a
  where a.organization_id = new.organization_id and a.closed_at is null
    and (tg_table_name = 'business_calendars' or a.code = to_jsonb(new) ->> 'code');
  return null;
end
$$;
revoke execute on function private.refresh_awaited_actions_on_rule_change() from public, anon, authenticated;
create or replace trigger awaited_action_rules_refresh_instances after update on public.awaited_action_rules
  for each row execute function private.refresh_awaited_actions_on_rule_change();
create or replace trigger business_calendars_refresh_awaited_actions after insert or update on public.business_calendars
  for each row execute function private.refresh_awaited_actions_on_rule_change();

-- 4. SLA state and the staff queue ------------------------------------------------------------------
-- on_track < target ≤ late < warning ≤ at_risk < breach ≤ breached; a paused clock compares its minutes.
create or replace view public.awaited_action_states with (security_invoker = true) as
select a.id, a.organization_id, a.dossier_id, a.code, a.subject, r.label_fr, r.label_en, r.late_party, r.priority,
       a.opened_at, a.closed_at, a.running_since is null and a.closed_at is null as paused, a.pause_reason,
       a.target_at, a.warning_at, a.breach_at,
       case
         when a.closed_at is not null then 'closed'
         when a.running_since is null then
           case when a.elapsed_minutes >= a.breach_minutes and r.breach is not null then 'breached'
                when a.elapsed_minutes >= a.warning_minutes then 'at_risk'
                when a.elapsed_minutes >= a.target_minutes then 'late'
                else 'on_track' end
         when a.breach_at <= now() and r.breach is not null then 'breached'
         when a.warning_at <= now() then 'at_risk'
         when a.target_at <= now() then 'late'
         else 'on_track'
       end as state,
       -- "à traiter avant …": the next threshold still ahead
       case when a.closed_at is null then
         case when a.target_at > now() then a.target_at
              when a.warning_at > now() then a.warning_at
              when r.breach is not null and a.breach_at > now() then a.breach_at end
       end as act_before
from public.awaited_actions a
join public.awaited_action_rules r on r.organization_id = a.organization_id and r.code = a.code;
grant select on public.awaited_action_states to authenticated, service_role;

-- The staff queue: open running instances the caller can see, by their next threshold (breached ones,
-- with none ahead, first), then priority.
create or replace function public.awaited_action_queue(p_limit integer default 100)
returns setof public.awaited_action_states
language sql stable
set search_path = ''
as $$
  select s.* from public.awaited_action_states s
  where s.closed_at is null and not s.paused and s.target_at is not null
  order by s.act_before nulls first, s.priority, s.target_at, s.id
  limit least(greatest(coalesce(p_limit, 100), 1), 500)
$$;
revoke execute on function public.awaited_action_queue(integer) from public, anon;
grant execute on function public.awaited_action_queue(integer) to authenticated, service_role;
