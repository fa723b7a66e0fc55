-- Why: some events (document uploads, audits started, claims filed by default, any event a user
-- chose) are better read once a day than mailed one by one. Their notifications are written at once
-- (in-app does not wait) and flagged `email_digest`; at 08:30 in the user's time zone on the
-- organization's working days, one email per user and organization lists the ones still unread (none
-- unread: nothing is sent). A ledger row per user, organization and local day makes a rerun or two
-- overlapping runs send one digest; a run after downtime sends the day's digest late rather than never.

create table if not exists public.notification_digests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  local_day date not null,
  items integer not null check (items >= 0),
  outbox_id uuid references public.email_outbox (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (user_id, organization_id, local_day)
);
create index if not exists notification_digests_organization_idx on public.notification_digests (organization_id);
create index if not exists notification_digests_outbox_id_idx on public.notification_digests (outbox_id);

alter table public.notification_digests enable row level security;
grant select on public.notification_digests to authenticated;
grant all on public.notification_digests to service_role;
create policy "Users read their own digests" on public.notification_digests
  for select to authenticated using (user_id = (select auth.uid()));

-- Composes the digests due at p_now: for every (user, organization) with notifications waiting for the
-- digest, when it is at least 08:30 on a working day of the organization in the user's time zone and no
-- digest left that local day. The items still unread go in one outbox row (template `digest`); every
-- waiting notification (read ones included) stops waiting. Returns how many digests were queued.
create or replace function private.compose_digests(p_now timestamptz default now()) returns integer
language plpgsql security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  with waiting as (
    select n.recipient_id as user_id, n.organization_id,
           coalesce(s.time_zone, c.time_zone, 'Europe/Paris') as tz,
           coalesce(s.locale, 'fr') as locale,
           coalesce(c.working_days, '{1,2,3,4,5}'::smallint[]) as working_days
    from public.notifications n
    left join public.notification_settings s on s.user_id = n.recipient_id
    left join public.business_calendars c on c.organization_id = n.organization_id
    where n.email_digest
    group by 1, 2, 3, 4, 5
  ),
  due as (
    select w.*, (p_now at time zone w.tz)::date as local_day
    from waiting w
    where (p_now at time zone w.tz)::time >= '08:30'
      and extract(isodow from (p_now at time zone w.tz))::smallint = any (w.working_days)
      and not exists (select 1 from public.notification_digests d
                      where d.user_id = w.user_id and d.organization_id = w.organization_id
                        and d.local_day = (p_now at time zone w.tz)::date)
  ),
  claimed as (
    insert into public.notification_digests (user_id, organization_id, local_day, items)
    select d.user_id, d.organization_id, d.local_day,
           (select count(*) from public.notifications n
            where n.recipient_id = d.user_id and n.organization_id = d.organization_id and n.email_digest
              and n.status = 'unread' and n.created_at <= p_now)
    from due d
    on conflict (user_id, organization_id, local_day) do nothing
    returning id, user_id, organization_id, local_day, items
  ),
  items as (
    select c.id as digest_id,
           jsonb_agg(jsonb_build_object('title', n.title, 'body', n.body, 'link', n.link, 'at', n.created_at)
                     order by n.created_at) as list
    from claimed c
    join public.notifications n
      on n.recipient_id = c.user_id and n.organization_id = c.organization_id and n.email_digest
     and n.status = 'unread' and n.created_at <= p_now
    group by c.id
  ),
  mailed as (
    insert into public.email_outbox (organization_id, idempotency_key, recipient_id, to_address, event, essential,
                                     status, template, template_values, locale)
    select c.organization_id, 'digest:' || c.user_id || ':' || c.organization_id || ':' || c.local_day, c.user_id,
           u.email, 'digest', false,
           case when exists (select 1 from public.email_suppressions x where x.address = lower(u.email))
                then 'suppressed' else 'queued' end,
           'digest', jsonb_build_object('items', i.list, 'count', c.items, 'day', c.local_day), d.locale
    from claimed c
    join items i on i.digest_id = c.id
    join due d on d.user_id = c.user_id and d.organization_id = c.organization_id
    join auth.users u on u.id = c.user_id
    where c.items > 0 and u.email ~ '^[^@\s]+@[^@\s]+$'
    on conflict (idempotency_key) do nothing
    returning id, recipient_id, organization_id
  ),
  settled as (
    update public.notifications n set email_digest = false
    from claimed c
    where n.recipient_id = c.user_id and n.organization_id = c.organization_id and n.email_digest
      and n.created_at <= p_now
    returning 1
  )
  select count(*) into v_count from mailed;
  -- the ledger rows of this run point at their message (rows written above are visible from here on)
  update public.notification_digests g set outbox_id = o.id
  from public.email_outbox o
  where g.outbox_id is null and g.created_at = now() and g.items > 0
    and o.idempotency_key = 'digest:' || g.user_id || ':' || g.organization_id || ':' || g.local_day;
  return v_count;
end
$$;
revoke execute on function private.compose_digests(timestamptz) from public, anon, authenticated;
grant execute on function private.compose_digests(timestamptz) to service_role;
