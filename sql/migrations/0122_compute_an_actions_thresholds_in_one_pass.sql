-- Why: resuming a dossier (and every status change) refreshes its awaited action, whose three
-- thresholds (target, warning, breach) each walked the calendar's working windows from the clock's
-- start: three walks over the same windows. private.business_dues answers several minute counts in
-- one walk, with private.business_due's arithmetic (a count reached exactly at a window's end is
-- that end) and its refusals; private.refresh_awaited_action uses it. private.business_seconds (the
-- minutes spent, at every pause and close) becomes PL/pgSQL so its plan is kept (0121's reason).

-- The instants a business clock started at p_start reaches each of p_minutes (same order).
create or replace function private.business_dues(p_calendar public.business_calendars, p_start timestamptz,
                                                 p_minutes integer[])
returns timestamptz[]
language plpgsql stable
set search_path = ''
as $$
declare
  first_day date := (p_start at time zone p_calendar.time_zone)::date;
  n integer := coalesce(cardinality(p_minutes), 0);
  dues timestamptz[] := array_fill(null::timestamptz, array[coalesce(cardinality(p_minutes), 0)]);
  pending integer := coalesce(cardinality(p_minutes), 0);
  used bigint := 0; -- working microseconds of the windows before the current one
  w record;
  opening timestamptz;
  available bigint;
  remaining bigint;
begin
  if exists (select 1 from unnest(p_minutes) m where m is null or m < 0) then
    raise exception 'business minutes must be 0 or more' using errcode = 'PT422', hint = 'invalid_business_minutes';
  end if;
  if n = 0 then
    return dues;
  end if;
  for chunk in 0..60 loop
    for w in select * from private.business_windows(p_calendar, first_day + chunk * 31, first_day + chunk * 31 + 30)
    loop
      continue when w.closes_at <= p_start;
      opening := greatest(w.opens_at, p_start);
      available := (extract(epoch from w.closes_at - opening) * 1000000)::bigint;
      for i in 1..n loop
        remaining := p_minutes[i]::bigint * 60000000 - used;
        if dues[i] is null and remaining <= available then
          dues[i] := opening + (remaining || ' microseconds')::interval;
          pending := pending - 1;
        end if;
      end loop;
      if pending = 0 then
        return dues;
      end if;
      used := used + available;
    end loop;
  end loop;
  raise exception 'the calendar has no working time within five years' using errcode = 'PT422',
    hint = 'no_working_time';
end
$$;
revoke execute on function private.business_dues(public.business_calendars, timestamptz, integer[])
  from public, anon, authenticated;
grant execute on function private.business_dues(public.business_calendars, timestamptz, integer[]) to service_role;

create or replace function private.business_seconds(p_calendar public.business_calendars, p_start timestamptz,
                                                    p_end timestamptz)
returns numeric
language plpgsql stable
set search_path = ''
as $$
begin
  return (
    select coalesce(sum(extract(epoch from least(w.closes_at, p_end) - greatest(w.opens_at, p_start))), 0)
    from private.business_windows(p_calendar, (p_start at time zone p_calendar.time_zone)::date,
                                  (p_end at time zone p_calendar.time_zone)::date) w
    where p_end > p_start and w.closes_at > p_start and w.opens_at < p_end);
end
$$;

-- 0105's refresh, its three private.clock_due calls made one walk (the wall clock unchanged).
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
  dues timestamptz[] := array[null, null, null]::timestamptz[];
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
  b := greatest(round(r.breach * per_unit) + a.shift_minutes, 0);
  if r.active and a.running_since is not null then
    if a.clock = 'wall' then
      dues := array[a.running_since + make_interval(mins => greatest(t - a.elapsed_minutes, 0)),
                    a.running_since + make_interval(mins => greatest(w - a.elapsed_minutes, 0)),
                    a.running_since + make_interval(mins => greatest(b - a.elapsed_minutes, 0))];
    else
      dues := private.business_dues(cal, a.running_since,
                                    array[greatest(t - a.elapsed_minutes, 0), greatest(w - a.elapsed_minutes, 0),
                                          greatest(b - a.elapsed_minutes, 0)]);
    end if;
  end if;
  update public.awaited_actions
  set target_minutes = t, warning_minutes = w, breach_minutes = b,
      target_at = dues[1], warning_at = dues[2], breach_at = dues[3]
  where id = p_action;
end
$$;
