-- Why: the reminder sweep runs every 15 minutes over up to a million open instances; finding what is
-- due must cost the due rows only, and an idle run nothing. Each open running instance now carries
-- `next_step_at`, the instant its next unsent step is due, kept by the clock functions and by the
-- sweep, under a partial index. Experts and admins also get an in-app "à traiter avant …" notice at 75 % of the target
-- (FOLLOWUP.md), a fourth ledger step `notice`. An action without a breach threshold has no breach
-- instant (it was materialised at 0 minutes, i.e. as soon as the clock started).

alter table public.awaited_actions add column if not exists notice_at timestamptz;
alter table public.awaited_actions add column if not exists next_step_at timestamptz;

-- Each organization's claim (and whether it has anything due). It replaces the index by first threshold,
-- which nothing reads any more: fewer indexes to maintain when the sweep moves 50 000 instances on.
drop index if exists public.awaited_actions_due_idx;
create index if not exists awaited_actions_organization_next_step_idx
  on public.awaited_actions (organization_id, next_step_at)
  where closed_at is null and running_since is not null;

alter table public.reminder_ledger drop constraint if exists reminder_ledger_step_check;
alter table public.reminder_ledger add constraint reminder_ledger_step_check
  check (step in ('notice', 'reminder', 'escalated', 'critical'));

insert into public.notification_events (code, essential, default_mode, label_fr, label_en)
values ('action_due_soon', false, 'immediate', 'À traiter bientôt', 'Due soon')
on conflict (code) do nothing;

-- The rank of a ledger step (notice 0 … critical 3).
create or replace function private.reminder_step_rank(p_step text) returns integer
language sql immutable
set search_path = ''
as $$
  select case p_step when 'notice' then 0 when 'reminder' then 1 when 'escalated' then 2 when 'critical' then 3 end
$$;

-- The instant the lowest step above p_sent_rank (the highest step in the ledger, -1: none) is due; a
-- business-clock step due when work stops (18:00) leaves at the next opening, the sweep claiming
-- business clocks in working time only.
create or replace function private.awaited_action_next_step(p_notice timestamptz, p_target timestamptz,
                                                            p_warning timestamptz, p_breach timestamptz,
                                                            p_sent_rank integer)
returns timestamptz
language sql immutable
set search_path = ''
as $$
  select s.due
  from (values (0, p_notice), (1, p_target), (2, p_warning), (3, p_breach)) s(rank, due)
  where s.rank > coalesce(p_sent_rank, -1) and s.due is not null
  order by s.rank
  limit 1
$$;

-- Recomputes an instance's threshold minutes and instants from its rule, its organization's calendar
-- and its clock (paused or inactive: no instants), and when its next step may leave.
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
  n integer;
  t_at timestamptz;
  w_at timestamptz;
  b_at timestamptz;
  n_at timestamptz;
  sent_rank integer;
  dues timestamptz[];
begin
  select * into a from public.awaited_actions where id = p_action;
  if a.id is null or a.closed_at is not null then
    return;
  end if;
  select * into r from public.awaited_action_rules where organization_id = a.organization_id and code = a.code;
  cal := private.organization_calendar(a.organization_id);
  per_unit := case when a.clock = 'wall' then 60 else private.calendar_day_minutes(cal) end;
  t := greatest(round(r.target * per_unit) + a.shift_minutes, 0);
  w := greatest(round(r.warning * per_unit) + a.shift_minutes, 0);
  b := case when r.breach is not null then greatest(round(r.breach * per_unit) + a.shift_minutes, 0) end;
  -- The 75 % notice goes to the experts and admins among the target's recipients.
  n := case when r.target_recipients && '{E,A}'::text[] and t > 0 then round(t * 0.75) end;
  if r.active and a.running_since is not null then
    if a.clock = 'wall' then
      t_at := private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, t);
      w_at := private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, w);
      b_at := private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, b);
      n_at := private.clock_due(cal, a.clock, a.running_since, a.elapsed_minutes, n);
    else
      -- One walk over the calendar for the four instants (0122); a missing threshold has none.
      dues := private.business_dues(cal, a.running_since,
                                    array[greatest(t - a.elapsed_minutes, 0), greatest(w - a.elapsed_minutes, 0),
                                          greatest(coalesce(b, 0) - a.elapsed_minutes, 0),
                                          greatest(coalesce(n, 0) - a.elapsed_minutes, 0)]);
      t_at := dues[1];
      w_at := dues[2];
      b_at := case when b is not null then dues[3] end;
      n_at := case when n is not null then dues[4] end;
    end if;
    select max(private.reminder_step_rank(l.step)) into sent_rank from public.reminder_ledger l
    where l.action_id = a.id;
  end if;
  update public.awaited_actions
  set target_minutes = t, warning_minutes = w, breach_minutes = b,
      target_at = t_at, warning_at = w_at, breach_at = b_at, notice_at = n_at,
      next_step_at = private.awaited_action_next_step(n_at, t_at, w_at, b_at, sent_rank)
  where id = p_action;
end
$$;

-- A closed or paused instance has no next step.
create or replace function private.clear_awaited_action_next_step() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.closed_at is not null or new.running_since is null then
    new.next_step_at := null;
    if new.closed_at is not null then
      new.notice_at := null;
    end if;
  end if;
  return new;
end
$$;
revoke execute on function private.clear_awaited_action_next_step() from public, anon, authenticated;
create or replace trigger awaited_actions_clear_next_step before update on public.awaited_actions
  for each row when (new.closed_at is not null or new.running_since is null)
  execute function private.clear_awaited_action_next_step();

revoke execute on function private.reminder_step_rank(text),
  private.awaited_action_next_step(timestamptz, timestamptz, timestamptz, timestamptz, integer)
  from public, anon, authenticated;
grant execute on function private.reminder_step_rank(text),
  private.awaited_action_next_step(timestamptz, timestamptz, timestamptz, timestamptz, integer)
  to service_role;

-- SLA state: on_track < target ≤ late < warning ≤ at_risk < breach ≤ breached (no breach threshold:
-- at_risk stays the last state); a paused clock compares its minutes.
create or replace view public.awaited_action_states with (security_invoker = true) as
select a.id, a.organization_id, a.dossier_id, a.code, a.subject, r.label_fr, r.label_en, r.late_party, r.priority,
       a.opened_at, a.closed_at, a.running_since is null and a.closed_at is null as paused, a.pause_reason,
       a.target_at, a.warning_at, a.breach_at,
       case
         when a.closed_at is not null then 'closed'
         when a.running_since is null then
           case when a.elapsed_minutes >= a.breach_minutes then 'breached'
                when a.elapsed_minutes >= a.warning_minutes then 'at_risk'
                when a.elapsed_minutes >= a.target_minutes then 'late'
                else 'on_track' end
         when a.breach_at <= now() then 'breached'
         when a.warning_at <= now() then 'at_risk'
         when a.target_at <= now() then 'late'
         else 'on_track'
       end as state,
       -- "à traiter avant …": the next threshold still ahead
       case when a.closed_at is null then
         case when a.target_at > now() then a.target_at
              when a.warning_at > now() then a.warning_at
              when a.breach_at > now() then a.breach_at end
       end as act_before,
       a.notice_at, a.next_step_at, r.clock, a.elapsed_minutes, a.target_minutes, a.warning_minutes,
       a.breach_minutes
from public.awaited_actions a
join public.awaited_action_rules r on r.organization_id = a.organization_id and r.code = a.code;
grant select on public.awaited_action_states to authenticated, service_role;

-- Open instances get their instants and next step.
select private.refresh_awaited_action(a.id) from public.awaited_actions a where a.closed_at is null;
