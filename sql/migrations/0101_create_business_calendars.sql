-- Why: every SLA clock and reminder counts business time on its organization's calendar (time zone,
-- working days, daily windows in local wall-clock time, public holidays, extra closed dates). The
-- sweep is set-based, so the arithmetic of shared/followup/calendar.py exists here too; a property
-- test holds the two equal. A local time that a DST change repeats or skips is read as standard
-- time, as `timestamp at time zone` does (the Python side follows the same rule).

create or replace function private.minute_of_day(p_time text) returns integer
language sql immutable parallel safe
set search_path = ''
as $$
  select case when p_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
              then split_part(p_time, ':', 1)::integer * 60 + split_part(p_time, ':', 2)::integer
              when p_time = '24:00' then 1440 end
$$;

-- Windows are a JSON array of ["HH:MM", "HH:MM"] pairs, each non-empty, in order, not overlapping.
create or replace function private.valid_business_hours(p_hours jsonb) returns boolean
language plpgsql immutable
set search_path = ''
as $$
declare
  w jsonb;
  previous_end integer := -1;
  s integer;
  e integer;
begin
  if jsonb_typeof(p_hours) <> 'array' then
    return false;
  end if;
  for w in select value from jsonb_array_elements(p_hours) loop
    if jsonb_typeof(w) <> 'array' or jsonb_array_length(w) <> 2 then
      return false;
    end if;
    s := private.minute_of_day(w ->> 0);
    e := private.minute_of_day(w ->> 1);
    if s is null or e is null or s >= e or s < previous_end then
      return false;
    end if;
    previous_end := e;
  end loop;
  return true;
end
$$;

create or replace function private.is_time_zone(p_name text) returns boolean
language sql stable
set search_path = ''
as $$
  select exists (select 1 from pg_catalog.pg_timezone_names where name = p_name)
$$;

create table if not exists public.business_calendars (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  time_zone text not null default 'Europe/Paris' check (private.is_time_zone(time_zone)),
  working_days smallint[] not null default '{1,2,3,4,5}'
    check (working_days <@ '{1,2,3,4,5,6,7}'::smallint[] and array_position(working_days, null) is null),
  hours jsonb not null default '[["09:00", "12:30"], ["14:00", "18:00"]]'::jsonb
    check (private.valid_business_hours(hours)),
  public_holidays text default 'FR' references public.holiday_regions (code),
  closed_days date[] not null default '{}' check (array_position(closed_days, null) is null),
  updated_at timestamptz not null default now()
);
create index if not exists business_calendars_public_holidays_idx on public.business_calendars (public_holidays);
create or replace trigger business_calendars_touch_updated_at before update on public.business_calendars
  for each row execute function private.touch_updated_at();

alter table public.business_calendars enable row level security;
grant select, insert, update on public.business_calendars to authenticated;
grant all on public.business_calendars to service_role;

create policy "Members read their organization's calendar" on public.business_calendars
  for select to authenticated
  using (organization_id in (select private.my_organization_ids()));
create policy "Owners and admins set their organization's calendar" on public.business_calendars
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins change their organization's calendar" on public.business_calendars
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- The calendar in force for an organization: its row, else the defaults.
create or replace function private.organization_calendar(p_organization uuid) returns public.business_calendars
language sql stable security definer
set search_path = ''
as $$
  select coalesce(
    (select c from public.business_calendars c where c.organization_id = p_organization),
    row(p_organization, 'Europe/Paris', '{1,2,3,4,5}', '[["09:00", "12:30"], ["14:00", "18:00"]]', 'FR', '{}',
        now())::public.business_calendars)
$$;
revoke execute on function private.organization_calendar(uuid) from public, anon;
grant execute on function private.organization_calendar(uuid) to authenticated, service_role;

create or replace function private.is_business_day(p_calendar public.business_calendars, p_day date)
returns boolean
language sql stable
set search_path = ''
as $$
  select extract(isodow from p_day)::smallint = any(p_calendar.working_days)
     and not (p_day = any(p_calendar.closed_days))
     and not exists (select 1 from public.public_holidays h
                     where h.region = p_calendar.public_holidays and h.day = p_day)
$$;

-- The working windows of the local dates [p_from, p_to] as instants, in order.
create or replace function private.business_windows(p_calendar public.business_calendars, p_from date, p_to date)
returns table (opens_at timestamptz, closes_at timestamptz)
language sql stable
set search_path = ''
as $$
  select (g.day + make_interval(mins => private.minute_of_day(w.value ->> 0))) at time zone p_calendar.time_zone,
         (g.day + make_interval(mins => private.minute_of_day(w.value ->> 1))) at time zone p_calendar.time_zone
  from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as g(day)
  cross join lateral jsonb_array_elements(p_calendar.hours) with ordinality as w(value, n)
  where private.is_business_day(p_calendar, g.day::date)
  order by g.day, w.n
$$;

-- Working seconds (exact, with microseconds) inside [p_start, p_end).
create or replace function private.business_seconds(p_calendar public.business_calendars, p_start timestamptz,
                                                    p_end timestamptz)
returns numeric
language sql stable
set search_path = ''
as $$
  select coalesce(sum(extract(epoch from least(w.closes_at, p_end) - greatest(w.opens_at, p_start))), 0)
  from private.business_windows(p_calendar, (p_start at time zone p_calendar.time_zone)::date,
                                (p_end at time zone p_calendar.time_zone)::date) w
  where p_end > p_start and w.closes_at > p_start and w.opens_at < p_end
$$;

-- The earliest instant at which p_minutes working minutes have elapsed since p_start (0: p_start when
-- inside working time, else the next opening). Looks five years ahead at most.
create or replace function private.business_due(p_calendar public.business_calendars, p_start timestamptz,
                                                p_minutes integer)
returns timestamptz
language plpgsql stable
set search_path = ''
as $$
declare
  remaining bigint := p_minutes::bigint * 60000000; -- microseconds
  first_day date := (p_start at time zone p_calendar.time_zone)::date;
  w record;
  opening timestamptz;
  available bigint;
begin
  if p_minutes is null or p_minutes < 0 then
    raise exception 'business minutes must be 0 or more' using errcode = 'PT422', hint = 'invalid_business_minutes';
  end if;
  -- Scan a month at a time so that a short delay does not build years of windows.
  for chunk in 0..60 loop
    for w in select * from private.business_windows(p_calendar, first_day + chunk * 31, first_day + chunk * 31 + 30)
    loop
      continue when w.closes_at <= p_start;
      opening := greatest(w.opens_at, p_start);
      available := (extract(epoch from w.closes_at - opening) * 1000000)::bigint;
      if remaining <= available then
        return opening + (remaining || ' microseconds')::interval;
      end if;
      remaining := remaining - available;
    end loop;
  end loop;
  raise exception 'the calendar has no working time within five years' using errcode = 'PT422',
    hint = 'no_working_time';
end
$$;

revoke execute on function private.minute_of_day(text), private.valid_business_hours(jsonb),
  private.is_time_zone(text), private.is_business_day(public.business_calendars, date),
  private.business_windows(public.business_calendars, date, date),
  private.business_seconds(public.business_calendars, timestamptz, timestamptz),
  private.business_due(public.business_calendars, timestamptz, integer) from public, anon;
grant execute on function private.minute_of_day(text), private.valid_business_hours(jsonb),
  private.is_time_zone(text), private.is_business_day(public.business_calendars, date),
  private.business_windows(public.business_calendars, date, date),
  private.business_seconds(public.business_calendars, timestamptz, timestamptz),
  private.business_due(public.business_calendars, timestamptz, integer) to authenticated, service_role;
