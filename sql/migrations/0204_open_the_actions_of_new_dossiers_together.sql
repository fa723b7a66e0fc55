-- Why: a completed simulation creates its company's dossiers in one statement (8 in the benchmark), and
-- each new dossier opened its awaited action through a row trigger: select the dossier, seed and read the
-- rules, insert the action, insert its segment, then read the action back, walk the calendar for its four
-- instants and update the row just written. The 8 walks were the same walk (same organization, same
-- action, same instant). With the workflow (actions, events, notifications) the completion's p95 went
-- from 22 ms to 58 ms (target 25 ms; `bench/bench_simulate.py`); track_functions on that benchmark put
-- 10.8 ms of the completion's 18.5 ms in the database on opening the 8 actions, 3.0 ms of it in
-- business_windows.
--
-- Now the insert's statement trigger opens the actions of all its new dossiers together: the deadlines
-- are computed once per organization, action and instant, and each action is written once, already
-- carrying them. The thresholds come from one function, awaited_action_deadlines, which the refresh of a
-- single action (every other path: pauses, resumes, rule and calendar changes) now calls too, so both
-- compute them the same way. A status change of an existing dossier still goes through the row trigger
-- (private.track_dossier_status), unchanged.

-- An action's thresholds (minutes of its clock) and their instants, for a clock running since p_since with
-- p_elapsed minutes already counted. No instant when the rule is inactive or the clock stopped.
create or replace function private.awaited_action_deadlines(
  p_calendar public.business_calendars, p_rule public.awaited_action_rules, p_clock text, p_since timestamptz,
  p_elapsed integer, p_shift integer
) returns table (target_minutes integer, warning_minutes integer, breach_minutes integer, target_at timestamptz,
                 warning_at timestamptz, breach_at timestamptz, notice_at timestamptz)
language plpgsql stable
set search_path = ''
as $$
declare
  per_unit integer := case when p_clock = 'wall' then 60 else private.calendar_day_minutes(p_calendar) end;
  t integer := greatest(round(p_rule.target * per_unit) + p_shift, 0);
  w integer := greatest(round(p_rule.warning * per_unit) + p_shift, 0);
  b integer := case when p_rule.breach is not null then greatest(round(p_rule.breach * per_unit) + p_shift, 0) end;
  -- The 75 % notice goes to the experts and admins among the target's recipients.
  n integer := case when p_rule.target_recipients && '{E,A}'::text[] and t > 0 then round(t * 0.75) end;
  dues timestamptz[];
begin
  target_minutes := t;
  warning_minutes := w;
  breach_minutes := b;
  if p_rule.active and p_since is not null then
    if p_clock = 'wall' then
      target_at := private.clock_due(p_calendar, p_clock, p_since, p_elapsed, t);
      warning_at := private.clock_due(p_calendar, p_clock, p_since, p_elapsed, w);
      breach_at := private.clock_due(p_calendar, p_clock, p_since, p_elapsed, b);
      notice_at := private.clock_due(p_calendar, p_clock, p_since, p_elapsed, n);
    else
      -- One walk over the calendar for the four instants (0122); a missing threshold has none.
      dues := private.business_dues(p_calendar, p_since,
                                    array[greatest(t - p_elapsed, 0), greatest(w - p_elapsed, 0),
                                          greatest(coalesce(b, 0) - p_elapsed, 0),
                                          greatest(coalesce(n, 0) - p_elapsed, 0)]);
      target_at := dues[1];
      warning_at := dues[2];
      breach_at := case when b is not null then dues[3] end;
      notice_at := case when n is not null then dues[4] end;
    end if;
  end if;
  return next;
end
$$;
revoke execute on function private.awaited_action_deadlines(public.business_calendars, public.awaited_action_rules,
  text, timestamptz, integer, integer) from public, anon, authenticated;

-- One action's thresholds and next step, from its rule, its calendar and its clock (0130), through the
-- function above.
create or replace function private.refresh_awaited_action(p_action bigint) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  a public.awaited_actions;
  r public.awaited_action_rules;
  x record;
  sent_rank integer;
begin
  select * into a from public.awaited_actions where id = p_action;
  if a.id is null or a.closed_at is not null then
    return;
  end if;
  select * into r from public.awaited_action_rules where organization_id = a.organization_id and code = a.code;
  select * into x from private.awaited_action_deadlines(private.organization_calendar(a.organization_id), r, a.clock,
                                                        a.running_since, a.elapsed_minutes, a.shift_minutes);
  if r.active and a.running_since is not null then
    select max(private.reminder_step_rank(l.step)) into sent_rank from public.reminder_ledger l
    where l.action_id = a.id;
  end if;
  update public.awaited_actions
  set target_minutes = x.target_minutes, warning_minutes = x.warning_minutes, breach_minutes = x.breach_minutes,
      target_at = x.target_at, warning_at = x.warning_at, breach_at = x.breach_at, notice_at = x.notice_at,
      next_step_at = private.awaited_action_next_step(x.notice_at, x.target_at, x.warning_at, x.breach_at, sent_rank)
  where id = p_action;
end
$$;

-- The actions the statement's new dossiers wait on, opened together: one computation of the deadlines per
-- organization, action and instant; each action written once, with them; its running segment beside it.
-- What a new dossier waits on is what its status asks (private.status_awaited_action), as for a change.
create or replace function private.open_actions_of_created_dossiers() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.seed_awaited_action_rules(o.organization_id)
  from (select distinct c.organization_id from created c) o;
  with wanted as (
    select c.id as dossier_id, c.organization_id, private.status_awaited_action(c.status) as code,
           coalesce(c.status_changed_at, now()) as at_
    from created c
  ),
  -- materialized: joined back to the dossiers, the deadlines would be computed again for each of them
  due as materialized (
    select g.organization_id, g.code, g.at_, r.clock, x.*
    from (select distinct w.organization_id, w.code, w.at_ from wanted w where w.code is not null) g
    join public.awaited_action_rules r on r.organization_id = g.organization_id and r.code = g.code
    cross join lateral private.awaited_action_deadlines(private.organization_calendar(g.organization_id), r, r.clock,
                                                        g.at_, 0, 0) x
  ),
  opened as (
    insert into public.awaited_actions (organization_id, dossier_id, code, subject, clock, opened_at, running_since,
                                        shift_minutes, target_minutes, warning_minutes, breach_minutes, target_at,
                                        warning_at, breach_at, notice_at, next_step_at)
    select w.organization_id, w.dossier_id, w.code, '', d.clock, w.at_, w.at_, 0, d.target_minutes,
           d.warning_minutes, d.breach_minutes, d.target_at, d.warning_at, d.breach_at, d.notice_at,
           private.awaited_action_next_step(d.notice_at, d.target_at, d.warning_at, d.breach_at, null)
    from wanted w
    join due d on d.organization_id = w.organization_id and d.code = w.code and d.at_ = w.at_
    order by w.dossier_id
    on conflict (dossier_id, code, subject) where closed_at is null do nothing
    returning id, organization_id, opened_at
  )
  -- (a change to `audit` may start paused, waiting on the client's documents: a dossier that did not
  -- exist has no document request, so a new one never does)
  insert into public.awaited_action_segments (organization_id, action_id, state, started_at)
  select o.organization_id, o.id, 'running', o.opened_at from opened o;
  return null;
end
$$;
revoke execute on function private.open_actions_of_created_dossiers() from public, anon, authenticated;

-- Inserts open their actions per statement (named to fire before dossiers_created_events, as the row
-- trigger's work did); a change of status still goes row by row.
create or replace trigger dossiers_track_awaited_actions after update of status on public.dossiers
  for each row execute function private.track_dossier_status();
create or replace trigger dossiers_awaited_actions_on_insert after insert on public.dossiers
  referencing new table as created for each statement execute function private.open_actions_of_created_dossiers();
