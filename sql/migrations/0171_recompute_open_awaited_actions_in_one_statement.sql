-- Why: a threshold or calendar change recomputed an organization's open awaited actions one by one
-- (private.refresh_awaited_action per instance: its rule and calendar read again, the calendar's windows
-- generated again from the clock's start, one UPDATE each) — minutes for 50 000 instances, beyond what a
-- PATCH of a rule may take. The same instants are now computed for every open instance of the
-- organization (and action code) in one UPDATE:
--   * the calendar's working windows are generated once, from the earliest running clock's local date
--     until they hold enough working time for the most distant threshold, with each window's working
--     microseconds before it (`before`) and up to its end (`upto`), as three sorted arrays;
--   * a running clock's position is the working microseconds before its start (`off`); the instant a
--     count of M minutes is reached is in the first window whose `upto` reaches off + M (M = 0: passes
--     it, i.e. the start itself when working, else the next opening), found by width_bucket's binary
--     search over the arrays (the expression written out in the UPDATE, no call per row), at opens + (off + M − before): private.business_dues' arithmetic exactly
--     (a count reached exactly at a window's end is that end, microseconds kept);
--   * wall clocks add minutes; the thresholds, the 75 % notice and the next step (from the ledger's
--     highest step) are 0130's formulas; paused instances and inactive rules get no instants.
-- private.refresh_awaited_action (one instance: pause, resume, open) is unchanged; a test holds the two
-- equal on instances with pauses, after a threshold change and after a calendar change.

create or replace function private.refresh_open_awaited_actions(p_organization uuid, p_code text default null)
returns integer
language plpgsql security definer
set search_path = ''
set work_mem = '64MB'
as $$
declare
  cal public.business_calendars := private.organization_calendar(p_organization);
  first_day date;
  start_day date;
  last_day date;
  latest timestamptz;
  farthest integer; -- the most business minutes a running business clock still needs
  covered bigint;
  day_minutes integer := private.calendar_day_minutes(cal);
  changed integer;
begin
  -- The business clocks that need instants, and how far the windows must reach.
  select min((a.running_since at time zone cal.time_zone)::date), max(a.running_since),
         max(greatest(
           greatest(round(r.target * d.per_unit) + a.shift_minutes, 0),
           greatest(round(r.warning * d.per_unit) + a.shift_minutes, 0),
           coalesce(greatest(round(r.breach * d.per_unit) + a.shift_minutes, 0), 0)) - a.elapsed_minutes)
  into first_day, latest, farthest
  from public.awaited_actions a
  join public.awaited_action_rules r on r.organization_id = a.organization_id and r.code = a.code
  cross join (select day_minutes as per_unit) d
  where a.organization_id = p_organization and (p_code is null or a.code = p_code) and a.closed_at is null
    and a.running_since is not null and a.clock = 'business' and r.active;
  if latest is not null then
    farthest := greatest(farthest, 0);
    start_day := (latest at time zone cal.time_zone)::date;
    last_day := start_day + 30;
    loop
      -- strictly more than needed: a count of 0 is found in the first window after the start
      select coalesce(sum((extract(epoch from w.closes_at - greatest(w.opens_at, latest)) * 1000000)::bigint), 0)
      into covered
      from private.business_windows(cal, start_day, last_day) w
      where w.closes_at > latest;
      exit when covered > farthest::bigint * 60000000;
      if last_day > start_day + 61 * 31 then
        raise exception 'the calendar has no working time within five years' using errcode = 'PT422',
          hint = 'no_working_time';
      end if;
      last_day := last_day + (last_day - start_day) + 31;
    end loop;
  end if;

  with win as materialized (
    select coalesce(array_agg(w.opens_at order by w.opens_at), '{}') as opens,
           coalesce(array_agg(w.closes_at order by w.opens_at), '{}') as closes,
           coalesce(array_agg(w.upto - w.len order by w.opens_at), '{}') as befores,
           coalesce(array_agg(w.upto order by w.opens_at), '{}') as uptos
    from (select w0.opens_at, w0.closes_at, w0.len,
                 (sum(w0.len) over (order by w0.opens_at rows between unbounded preceding and current row))::bigint as upto
          from (select b.opens_at, b.closes_at, (extract(epoch from b.closes_at - b.opens_at) * 1000000)::bigint as len
                from private.business_windows(cal, first_day, last_day) b
                where first_day is not null) w0) w
  ),
  -- (materialized steps: each value computed once per instance, not once per reference)
  thresholds as materialized (
    select p.id, p.clock, p.running_since, p.elapsed_minutes, p.t, p.w, p.b,
           case when p.target_recipients && '{E,A}'::text[] and p.t > 0 then round(p.t * 0.75)::integer end as n,
           p.active and p.running_since is not null as timed
    from (select a.id, a.clock, a.running_since, a.elapsed_minutes, r.active, r.target_recipients,
                 greatest(round(r.target * u.per_unit) + a.shift_minutes, 0)::integer as t,
                 greatest(round(r.warning * u.per_unit) + a.shift_minutes, 0)::integer as w,
                 case when r.breach is not null
                      then greatest(round(r.breach * u.per_unit) + a.shift_minutes, 0)::integer end as b
          from public.awaited_actions a
          join public.awaited_action_rules r on r.organization_id = a.organization_id and r.code = a.code
          cross join lateral (select case when a.clock = 'wall' then 60 else day_minutes end as per_unit) u
          where a.organization_id = p_organization and (p_code is null or a.code = p_code)
            and a.closed_at is null) p
  ),
  -- the business minutes each threshold still needs (wall clocks: minutes to add; null: no instant), and a
  -- running business clock's position: the working microseconds before its start, read in the first
  -- window closing after it (its start, or the next opening, counts from there)
  remaining as materialized (
    select t.*,
           case when t.timed then greatest(t.t - t.elapsed_minutes, 0) end as t_rem,
           case when t.timed then greatest(t.w - t.elapsed_minutes, 0) end as w_rem,
           case when t.timed and t.b is not null then greatest(t.b - t.elapsed_minutes, 0) end as b_rem,
           case when t.timed and t.n is not null then greatest(t.n - t.elapsed_minutes, 0) end as n_rem,
           case when t.timed and t.clock = 'business' then
             win.befores[k.i] + greatest((extract(epoch from t.running_since - win.opens[k.i]) * 1000000)::bigint, 0)
           end as off
    from thresholds t
    cross join win
    cross join lateral (select width_bucket(t.running_since, win.closes) + 1 as i) k
  ),
  -- the window each business count ends in: the first whose `upto` reaches off + M (passes it for M = 0),
  -- by binary search; the windows reach far enough for every one of them (the loop above)
  found as materialized (
    select r.*,
           width_bucket(r.off + r.t_rem::bigint * 60000000 - (r.t_rem > 0)::integer, win.uptos) + 1 as t_i,
           width_bucket(r.off + r.w_rem::bigint * 60000000 - (r.w_rem > 0)::integer, win.uptos) + 1 as w_i,
           width_bucket(r.off + r.b_rem::bigint * 60000000 - (r.b_rem > 0)::integer, win.uptos) + 1 as b_i,
           width_bucket(r.off + r.n_rem::bigint * 60000000 - (r.n_rem > 0)::integer, win.uptos) + 1 as n_i,
           case when r.timed then
             (select max(case l.step when 'notice' then 0 when 'reminder' then 1 when 'escalated' then 2
                                     when 'critical' then 3 end)
              from public.reminder_ledger l where l.action_id = r.id) end as sent_rank
    from remaining r cross join win
  ),
  dues as materialized (
    select f.id, f.t, f.w, f.b, f.n,
           case when f.clock = 'wall' then f.running_since + make_interval(mins => f.t_rem)
                else win.opens[f.t_i] + ((f.off + f.t_rem::bigint * 60000000 - win.befores[f.t_i]) || ' microseconds')::interval
           end as t_at,
           case when f.clock = 'wall' then f.running_since + make_interval(mins => f.w_rem)
                else win.opens[f.w_i] + ((f.off + f.w_rem::bigint * 60000000 - win.befores[f.w_i]) || ' microseconds')::interval
           end as w_at,
           case when f.clock = 'wall' then f.running_since + make_interval(mins => f.b_rem)
                else win.opens[f.b_i] + ((f.off + f.b_rem::bigint * 60000000 - win.befores[f.b_i]) || ' microseconds')::interval
           end as b_at,
           case when f.clock = 'wall' then f.running_since + make_interval(mins => f.n_rem)
                else win.opens[f.n_i] + ((f.off + f.n_rem::bigint * 60000000 - win.befores[f.n_i]) || ' microseconds')::interval
           end as n_at,
           f.sent_rank
    from found f cross join win
  )
  update public.awaited_actions a
  set target_minutes = d.t, warning_minutes = d.w, breach_minutes = d.b,
      target_at = d.t_at, warning_at = d.w_at, breach_at = d.b_at, notice_at = d.n_at,
      -- 0130's private.awaited_action_next_step written out: the lowest step above the ledger's highest
      next_step_at = case when coalesce(d.sent_rank, -1) < 0 and d.n_at is not null then d.n_at
                          when coalesce(d.sent_rank, -1) < 1 and d.t_at is not null then d.t_at
                          when coalesce(d.sent_rank, -1) < 2 and d.w_at is not null then d.w_at
                          when coalesce(d.sent_rank, -1) < 3 and d.b_at is not null then d.b_at end
  from dues d
  where a.id = d.id;
  get diagnostics changed = row_count;
  return changed;
end
$$;

revoke execute on function private.refresh_open_awaited_actions(uuid, text) from public, anon, authenticated;
grant execute on function private.refresh_open_awaited_actions(uuid, text) to service_role;

-- Threshold or calendar change: every open instance of the organization (and code) in one statement.
create or replace function private.refresh_awaited_actions_on_rule_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.refresh_open_awaited_actions(new.organization_id,
                                               case when tg_table_name = 'business_calendars' then null
                                                    else to_jsonb(new) ->> 'code' end);
  return null;
end
$$;
