-- Why: reminders must follow the awaited actions' thresholds without ever reaching anyone twice and
-- without losing a step when a run is missed (the original fired only when the days elapsed *equalled*
-- a configured day). One ledger row per (instance, step), unique, is the record of what was sent or
-- skipped; the sweep claims due instances FOR UPDATE SKIP LOCKED, sends only the highest step reached,
-- writes the in-app reminders (each replacing the previous one) and returns the emails to render.
-- Closing an instance cancels its unsent mail and resolves its in-app reminders.

create table if not exists public.reminder_ledger (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  action_id bigint not null references public.awaited_actions (id) on delete cascade,
  step text not null check (step in ('reminder', 'escalated', 'critical')),
  status text not null check (status in ('sent', 'skipped')),
  due_at timestamptz not null,
  created_at timestamptz not null default now(),
  unique (action_id, step)
);
create index if not exists reminder_ledger_organization_id_idx on public.reminder_ledger (organization_id);

-- Which outbox messages carry which ledger rows (one message groups a recipient's dossiers).
create table if not exists public.reminder_messages (
  ledger_id bigint not null references public.reminder_ledger (id) on delete cascade,
  outbox_id uuid not null references public.email_outbox (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  primary key (ledger_id, outbox_id)
);
create index if not exists reminder_messages_outbox_id_idx on public.reminder_messages (outbox_id);
create index if not exists reminder_messages_organization_id_idx on public.reminder_messages (organization_id);

alter table public.reminder_ledger enable row level security;
alter table public.reminder_messages enable row level security;
grant select on public.reminder_ledger, public.reminder_messages to authenticated;
grant all on public.reminder_ledger, public.reminder_messages to service_role;
drop policy if exists "Staff read their organization's reminder ledger" on public.reminder_ledger;
create policy "Staff read their organization's reminder ledger" on public.reminder_ledger
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

drop policy if exists "Staff read which messages carried their reminders" on public.reminder_messages;
create policy "Staff read which messages carried their reminders" on public.reminder_messages
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- The people behind C, E, P, A on a dossier, with their address and language.
create or replace function private.dossier_contacts(p_dossier uuid, p_roles text[])
returns table (user_id uuid, email text, name text, locale text)
language sql stable security definer
set search_path = ''
as $$
  with d as (select * from public.dossiers where id = p_dossier),
  people as (
    select u.user_id from public.client_company_users u, d where 'C' = any(p_roles) and u.company_id = d.client_company_id
    union
    select e.user_id from public.expert_profiles e, d where 'E' = any(p_roles) and e.id = d.expert_id
    union
    select e.user_id from public.assignment_offers o join public.expert_profiles e on e.id = o.expert_id, d
    where 'E' = any(p_roles) and o.dossier_id = d.id and o.status = 'offered'
    union
    select c.partner_user_id from public.client_companies c, d
    where 'P' = any(p_roles) and c.id = d.client_company_id and c.partner_user_id is not null
    union
    select m.user_id from public.memberships m, d
    where 'A' = any(p_roles) and m.organization_id = d.organization_id and m.role in ('owner', 'admin')
  )
  select u.id, u.email::text, coalesce(u.raw_user_meta_data ->> 'full_name', ''), coalesce(s.locale, 'fr')
  from people p
  join auth.users u on u.id = p.user_id
  left join public.notification_settings s on s.user_id = u.id
  where u.email is not null
  order by u.id
$$;
revoke execute on function private.dossier_contacts(uuid, text[]) from public, anon, authenticated;
grant execute on function private.dossier_contacts(uuid, text[]) to service_role;

-- Whether p_at is inside the calendar's working time.
create or replace function private.in_working_time(p_calendar public.business_calendars, p_at timestamptz)
returns boolean
language sql stable
set search_path = ''
as $$
  select private.business_due(p_calendar, p_at, 0) = p_at
$$;
revoke execute on function private.in_working_time(public.business_calendars, timestamptz) from public, anon,
  authenticated;
grant execute on function private.in_working_time(public.business_calendars, timestamptz) to service_role;

-- Organizations with a running instance whose first threshold has passed (the sweep's work list).
create or replace function private.organizations_with_due_actions(p_now timestamptz)
returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select distinct a.organization_id from public.awaited_actions a
  where a.closed_at is null and a.running_since is not null and a.target_at <= p_now
$$;
revoke execute on function private.organizations_with_due_actions(timestamptz) from public, anon, authenticated;
grant execute on function private.organizations_with_due_actions(timestamptz) to service_role;

-- One organization's sweep at p_now, in the caller's transaction. Per due instance (claimed SKIP
-- LOCKED, re-checked under its lock): the highest step reached and not in the ledger is sent, lower
-- unsent ones are recorded `skipped`; business-clock steps only inside working time. Writes the in-app
-- reminders (the previous one of the instance becomes `replaced`) and returns one row per ledger row
-- and recipient for the caller to group into emails.
create or replace function private.sweep_awaited_actions(p_organization uuid, p_now timestamptz)
returns table (ledger_id bigint, action_id bigint, dossier_id uuid, code text, label_fr text, label_en text,
               step text, due_at timestamptz, recipient_id uuid, email text, name text, locale text,
               product_code text, company text)
language plpgsql security definer
set search_path = ''
as $$
declare
  cal public.business_calendars := private.organization_calendar(p_organization);
  working boolean := private.in_working_time(private.organization_calendar(p_organization), p_now);
  a public.awaited_actions;
  r public.awaited_action_rules;
  d record;
  chosen text;
  chosen_due timestamptz;
  sent_id bigint;
  roles text[];
  c record;
begin
  for a in
    select * from public.awaited_actions x
    where x.organization_id = p_organization and x.closed_at is null and x.running_since is not null
      and x.target_at <= p_now
    order by x.target_at, x.id
    for update skip locked
  loop
    continue when a.clock = 'business' and not working;
    select * into r from public.awaited_action_rules x where x.organization_id = a.organization_id and x.code = a.code;
    continue when not r.active;
    if r.breach is not null and a.breach_at <= p_now then
      chosen := 'critical'; chosen_due := a.breach_at; roles := r.breach_recipients;
    elsif a.warning_at <= p_now then
      chosen := 'escalated'; chosen_due := a.warning_at; roles := r.warning_recipients;
    else
      chosen := 'reminder'; chosen_due := a.target_at; roles := r.target_recipients;
    end if;
    continue when exists (select 1 from public.reminder_ledger l where l.action_id = a.id and l.step = chosen);
    insert into public.reminder_ledger (organization_id, action_id, step, status, due_at)
    select a.organization_id, a.id, s.step, 'skipped', s.due_at
    from (values ('reminder', 1, a.target_at), ('escalated', 2, a.warning_at)) s(step, rank, due_at)
    where s.rank < case chosen when 'critical' then 3 when 'escalated' then 2 else 1 end
    on conflict on constraint reminder_ledger_action_id_step_key do nothing;
    sent_id := null;
    insert into public.reminder_ledger (organization_id, action_id, step, status, due_at)
    values (a.organization_id, a.id, chosen, 'sent', chosen_due)
    on conflict on constraint reminder_ledger_action_id_step_key do nothing
    returning id into sent_id;
    continue when sent_id is null;
    -- The previous in-app reminder of this instance gives way to this step.
    update public.notifications n set status = 'replaced'
    where n.dossier_id = a.dossier_id and n.status in ('unread', 'read') and n.event in ('reminder', 'critical_reminder')
      and split_part(n.dedupe_key, ':', 1) = 'reminder'
      and split_part(n.dedupe_key, ':', 2) in (select l.id::text from public.reminder_ledger l
                                                where l.action_id = a.id and l.id <> sent_id);
    select dd.product_code, cc.name into d
    from public.dossiers dd join public.client_companies cc on cc.id = dd.client_company_id
    where dd.id = a.dossier_id;
    for c in select * from private.dossier_contacts(a.dossier_id, roles) loop
      perform private.notify(
        a.organization_id, c.user_id, case when chosen = 'critical' then 'critical_reminder' else 'reminder' end,
        'reminder:' || sent_id || ':' || c.user_id,
        case when c.locale = 'en'
             then (case chosen when 'critical' then 'Critical reminder' when 'escalated' then 'Urgent reminder'
                   else 'Reminder' end) || ': ' || r.label_en
             else (case chosen when 'critical' then 'Relance critique' when 'escalated' then 'Relance urgente'
                   else 'Relance' end) || ' : ' || r.label_fr end,
        d.name,
        '/dossiers/' || a.dossier_id,
        case chosen when 'critical' then 'urgent' when 'escalated' then 'high' else 'normal' end,
        a.dossier_id);
      ledger_id := sent_id; action_id := a.id; dossier_id := a.dossier_id; code := a.code;
      label_fr := r.label_fr; label_en := r.label_en; step := chosen; due_at := chosen_due;
      recipient_id := c.user_id; email := c.email; name := c.name; locale := c.locale;
      product_code := d.product_code; company := d.name;
      return next;
    end loop;
  end loop;
end
$$;
revoke execute on function private.sweep_awaited_actions(uuid, timestamptz) from public, anon, authenticated;
grant execute on function private.sweep_awaited_actions(uuid, timestamptz) to service_role;

-- Links a queued reminder email to the ledger rows it carries.
create or replace function private.link_reminder_message(p_outbox uuid, p_ledger bigint[]) returns void
language sql security definer
set search_path = ''
as $$
  insert into public.reminder_messages (ledger_id, outbox_id, organization_id)
  select l.id, p_outbox, l.organization_id from public.reminder_ledger l where l.id = any(p_ledger)
  on conflict do nothing
$$;
revoke execute on function private.link_reminder_message(uuid, bigint[]) from public, anon, authenticated;
grant execute on function private.link_reminder_message(uuid, bigint[]) to service_role;

-- A closed instance: its unsent mail (when every dossier it carries is settled) is cancelled and its
-- in-app reminders are resolved.
create or replace function private.settle_closed_awaited_action() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.email_outbox o set status = 'cancelled'
  where o.status = 'queued'
    and o.id in (select m.outbox_id from public.reminder_messages m
                 join public.reminder_ledger l on l.id = m.ledger_id where l.action_id = new.id)
    and not exists (select 1 from public.reminder_messages m
                    join public.reminder_ledger l on l.id = m.ledger_id
                    join public.awaited_actions a on a.id = l.action_id
                    where m.outbox_id = o.id and a.closed_at is null);
  update public.notifications n set status = 'resolved'
  where n.dossier_id = new.dossier_id and n.status in ('unread', 'read') and n.event in ('reminder', 'critical_reminder')
    and split_part(n.dedupe_key, ':', 1) = 'reminder'
    and split_part(n.dedupe_key, ':', 2) in (select l.id::text from public.reminder_ledger l
                                              where l.action_id = new.id);
  return null;
end
$$;
revoke execute on function private.settle_closed_awaited_action() from public, anon, authenticated;
create or replace trigger awaited_actions_settle_on_close after update of closed_at on public.awaited_actions
  for each row when (old.closed_at is null and new.closed_at is not null)
  execute function private.settle_closed_awaited_action();
