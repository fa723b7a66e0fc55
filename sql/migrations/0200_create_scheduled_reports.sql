-- Why: FOLLOWUP.md's scheduled reports. Owners and admins choose which members receive the KPI report
-- of their organization daily (07:00, the previous day plus the queues), weekly (Monday 07:00, the
-- previous ISO week) or monthly (the 1st 07:00, the previous month), in the organization's time zone.
-- The `report-schedule` cron keeps a ledger keyed `report:<org>:<kind>:<period start>`: a rerun or two
-- overlapping runs send a period once. Reports are not essential mail: the `scheduled_report` event
-- can be switched off by each recipient (one-click unsubscribe) and suppressed addresses get nothing.

insert into public.notification_events (code, essential, default_mode, label_fr, label_en)
values ('scheduled_report', false, 'immediate', 'Rapport périodique de suivi', 'Scheduled follow-up report')
on conflict (code) do nothing;

create table if not exists public.report_subscriptions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  kind text not null check (kind in ('daily', 'weekly', 'monthly')),
  recipient_id uuid not null references auth.users (id) on delete cascade,
  locale text not null default 'fr' check (locale in ('fr', 'en')),
  active boolean not null default true,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  unique (organization_id, kind, recipient_id)
);
create index if not exists report_subscriptions_recipient_id_idx on public.report_subscriptions (recipient_id);

-- A recipient is a member of the organization; a subscription stays in its organization and with its
-- recipient (change the kind, locale or active flag, or delete it).
create or replace function private.check_report_subscription() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.created_by := coalesce((select auth.uid()), new.created_by);
    new.created_at := now();
  elsif (new.organization_id, new.recipient_id, new.created_by, new.created_at) is distinct from
        (old.organization_id, old.recipient_id, old.created_by, old.created_at) then
    raise exception 'a subscription keeps its organization and recipient' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if not exists (select 1 from public.memberships m
                 where m.organization_id = new.organization_id and m.user_id = new.recipient_id) then
    raise exception 'the recipient is not a member of the organization' using errcode = 'PT422',
      hint = 'validation_failed',
      detail = jsonb_build_object('field', 'recipient_id', 'rule', 'not_a_member')::text;
  end if;
  return new;
end
$$;
revoke execute on function private.check_report_subscription() from public, anon, authenticated;
create or replace trigger report_subscriptions_check before insert or update on public.report_subscriptions
  for each row execute function private.check_report_subscription();

alter table public.report_subscriptions enable row level security;
grant select, insert, delete on public.report_subscriptions to authenticated;
grant update (kind, locale, active) on public.report_subscriptions to authenticated;
grant all on public.report_subscriptions to service_role;

create policy "Owners and admins see their organization's report subscriptions and recipients their own"
  on public.report_subscriptions
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
         or recipient_id = (select auth.uid()));
create policy "Owners and admins subscribe members to reports" on public.report_subscriptions
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins change report subscriptions" on public.report_subscriptions
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins remove report subscriptions" on public.report_subscriptions
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- The ledger: one row per organization, kind and period, taken in the transaction that queues the
-- period's mail (none when the period had no data: `messages` = 0, nothing queued, nothing sent later).
create table if not exists public.scheduled_reports (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  kind text not null check (kind in ('daily', 'weekly', 'monthly')),
  period_start date not null,
  period_end date not null,
  idempotency_key text not null unique
    check (idempotency_key ~ '^report:[0-9a-f-]{36}:(daily|weekly|monthly):\d{4}-\d{2}-\d{2}$'),
  messages integer not null default 0 check (messages >= 0),
  created_at timestamptz not null default now(),
  check (period_end >= period_start),
  unique (organization_id, kind, period_start)
);

alter table public.scheduled_reports enable row level security;
grant select on public.scheduled_reports to authenticated;
grant all on public.scheduled_reports to service_role;
create policy "Owners and admins read their organization's sent reports" on public.scheduled_reports
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
