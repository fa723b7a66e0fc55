-- Why: one sweep must handle 50 000 due instances in seconds, not instance by instance. The sweep of
-- one organization is now a handful of set-based statements: claim the instances whose next step may
-- leave (FOR UPDATE SKIP LOCKED, re-checked under the lock), choose per instance the highest step
-- reached and not in the ledger, record the lower ones `skipped`, insert the sent ones (the unique
-- (instance, step) key decides who sends: a concurrent run's conflict sends nothing), replace the
-- previous in-app reminders, write the new ones as the recipients' preferences allow, move each
-- instance's next step, and return one row per (ledger row, recipient) with whether an email is
-- wanted and when it may leave (quiet hours: email waits, in-app does not, urgent passes). The caller
-- renders one email per recipient per run and queues them with private.queue_reminder_emails in the
-- same transaction.

drop function if exists private.sweep_awaited_actions(uuid, timestamptz);

-- When mail to a user may leave after p_at: outside their quiet hours (their time zone, else p_tz).
create or replace function private.quiet_hours_end(p_user uuid, p_tz text, p_at timestamptz)
returns timestamptz
language plpgsql stable
set search_path = ''
as $$
declare
  s public.notification_settings;
  tz text;
  q_start time := '20:00';
  q_end time := '08:00';
  weekends boolean := true;
  l timestamp;
  t time;
begin
  select * into s from public.notification_settings where user_id = p_user;
  if s.user_id is not null then
    q_start := s.quiet_start; q_end := s.quiet_end; weekends := s.quiet_weekends;
  end if;
  tz := coalesce(s.time_zone, p_tz, 'Europe/Paris');
  l := p_at at time zone tz;
  for i in 1..10 loop
    if weekends and extract(isodow from l) in (6, 7) then
      l := date_trunc('day', l) + interval '1 day';
      continue;
    end if;
    t := l::time;
    if q_start > q_end and t >= q_start then
      l := date_trunc('day', l) + interval '1 day';
      continue;
    elsif q_start > q_end and t < q_end then
      l := date_trunc('day', l) + q_end;
    elsif q_start < q_end and t >= q_start and t < q_end then
      l := date_trunc('day', l) + q_end;
    end if;
    return greatest(l at time zone tz, p_at);
  end loop;
  return p_at;
end
$$;

create or replace function private.sweep_awaited_actions(p_organization uuid, p_now timestamptz)
returns table (ledger_id bigint, action_id bigint, dossier_id uuid, code text, label_fr text, label_en text,
               step text, due_at timestamptz, recipient_id uuid, email text, name text, locale text,
               product_code text, company text, event text, priority text, essential boolean,
               wants_email boolean, send_after timestamptz)
language plpgsql security definer
set search_path = ''
as $$
declare
  cal public.business_calendars := private.organization_calendar(p_organization);
  working boolean := private.in_working_time(private.organization_calendar(p_organization), p_now);
begin
  create temp table if not exists sweep_claimed (
    id bigint primary key, dossier_id uuid, code text, clock text, notice_at timestamptz, target_at timestamptz,
    warning_at timestamptz, breach_at timestamptz, sent_rank integer, chosen_rank integer
  ) on commit drop;
  create temp table if not exists sweep_sent (
    ledger_id bigint primary key, action_id bigint, dossier_id uuid, code text, step text, due_at timestamptz
  ) on commit drop;
  create temp table if not exists sweep_out (
    ledger_id bigint, action_id bigint, dossier_id uuid, code text, step text, due_at timestamptz,
    recipient_id uuid, event text, priority text, essential boolean, in_app boolean, wants_email boolean
  ) on commit drop;
  truncate sweep_claimed, sweep_sent, sweep_out;

  -- 1. Claim what may leave now (a running clock, its next step's instant passed; business clocks in
  --    working time only); rows another run holds are skipped, rows it has moved on fail the re-check.
  insert into sweep_claimed (id, dossier_id, code, clock, notice_at, target_at, warning_at, breach_at)
  select a.id, a.dossier_id, a.code, a.clock, a.notice_at, a.target_at, a.warning_at, a.breach_at
  from public.awaited_actions a
  where a.organization_id = p_organization and a.closed_at is null and a.running_since is not null
    and a.next_step_at <= p_now and (a.clock = 'wall' or working)
  for update of a skip locked;

  -- 2. The highest step reached, and the highest already in the ledger.
  update sweep_claimed c
  set chosen_rank = case when c.breach_at <= p_now then 3 when c.warning_at <= p_now then 2
                         when c.target_at <= p_now then 1 when c.notice_at <= p_now then 0 end,
      sent_rank = (select max(private.reminder_step_rank(l.step)) from public.reminder_ledger l
                   where l.action_id = c.id);
  delete from sweep_claimed c using public.awaited_action_rules r
  where r.organization_id = p_organization and r.code = c.code and not r.active;

  -- 3. Lower steps never sent are skipped; the chosen one is sent unless some run already has it.
  insert into public.reminder_ledger (organization_id, action_id, step, status, due_at)
  select p_organization, c.id, s.step, 'skipped', s.due
  from sweep_claimed c
  cross join lateral (values ('notice', 0, c.notice_at), ('reminder', 1, c.target_at),
                             ('escalated', 2, c.warning_at)) s(step, rank, due)
  where c.chosen_rank > coalesce(c.sent_rank, -1) and s.rank < c.chosen_rank and s.rank > coalesce(c.sent_rank, -1)
    and s.due is not null
  on conflict on constraint reminder_ledger_action_id_step_key do nothing;

  with chosen as (
    select c.id, (array['notice', 'reminder', 'escalated', 'critical'])[c.chosen_rank + 1] as step,
           (array[c.notice_at, c.target_at, c.warning_at, c.breach_at])[c.chosen_rank + 1] as due
    from sweep_claimed c
    where c.chosen_rank > coalesce(c.sent_rank, -1)
  ), inserted as (
    insert into public.reminder_ledger (organization_id, action_id, step, status, due_at)
    select p_organization, chosen.id, chosen.step, 'sent', chosen.due from chosen
    on conflict on constraint reminder_ledger_action_id_step_key do nothing
    returning id, reminder_ledger.action_id, reminder_ledger.step, reminder_ledger.due_at
  )
  insert into sweep_sent (ledger_id, action_id, dossier_id, code, step, due_at)
  select i.id, i.action_id, c.dossier_id, c.code, i.step, i.due_at
  from inserted i join sweep_claimed c on c.id = i.action_id;

  -- 4. Each instance moves on to its next step.
  update public.awaited_actions a
  set next_step_at = private.awaited_action_next_step(cal, c.clock, c.notice_at, c.target_at, c.warning_at,
                                                      c.breach_at, greatest(c.chosen_rank, c.sent_rank))
  from sweep_claimed c
  where a.id = c.id;

  -- 5. The previous in-app reminders of these instances give way.
  update public.notifications n set status = 'replaced'
  from sweep_sent s
  join public.reminder_ledger l on l.action_id = s.action_id and l.id <> s.ledger_id
  where n.dossier_id = s.dossier_id and n.status in ('unread', 'read')
    and n.event in ('reminder', 'critical_reminder', 'invoice_reminder', 'action_due_soon')
    and split_part(n.dedupe_key, ':', 1) = 'reminder' and split_part(n.dedupe_key, ':', 2) = l.id::text;

  -- 6. The recipients: C client users, E the expert (or the offered one), P the partner, A owners and
  --    admins; the notice goes to the experts and admins among the target's recipients.
  insert into sweep_out (ledger_id, action_id, dossier_id, code, step, due_at, recipient_id, event, priority,
                         essential, in_app, wants_email)
  select distinct on (s.ledger_id, p.user_id)
         s.ledger_id, s.action_id, s.dossier_id, s.code, s.step, s.due_at, p.user_id, ev.code,
         case s.step when 'critical' then 'urgent' when 'escalated' then 'high' else 'normal' end,
         ev.essential,
         coalesce(inapp.enabled, true),
         s.step <> 'notice' and (ev.essential or (coalesce(mail.enabled, true)
                                                  and coalesce(mail.mode, ev.default_mode) = 'immediate'))
  from sweep_sent s
  join public.dossiers d on d.id = s.dossier_id
  join public.awaited_action_rules r on r.organization_id = p_organization and r.code = s.code
  cross join lateral (
    select case s.step when 'notice' then array(select x from unnest(r.target_recipients) x where x in ('E', 'A'))
                       when 'reminder' then r.target_recipients when 'escalated' then r.warning_recipients
                       else r.breach_recipients end as roles
  ) k
  cross join lateral (
    select u.user_id from public.client_company_users u
    where 'C' = any(k.roles) and u.company_id = d.client_company_id
    union all
    select e.user_id from public.expert_profiles e where 'E' = any(k.roles) and e.id = d.expert_id
    union all
    select e.user_id from public.assignment_offers o join public.expert_profiles e on e.id = o.expert_id
    where 'E' = any(k.roles) and o.dossier_id = d.id and o.status = 'offered'
    union all
    select c.partner_user_id from public.client_companies c
    where 'P' = any(k.roles) and c.id = d.client_company_id and c.partner_user_id is not null
    union all
    select m.user_id from public.memberships m
    where 'A' = any(k.roles) and m.organization_id = p_organization and m.role in ('owner', 'admin')
  ) p
  join public.notification_events ev
    on ev.code = case when s.step = 'notice' then 'action_due_soon' when s.code = 'invoice_payment' then 'invoice_reminder'
                      when s.step = 'critical' then 'critical_reminder' else 'reminder' end
  left join public.notification_preferences inapp
    on inapp.user_id = p.user_id and inapp.event = ev.code and inapp.channel = 'in_app'
  left join public.notification_preferences mail
    on mail.user_id = p.user_id and mail.event = ev.code and mail.channel = 'email'
  order by s.ledger_id, p.user_id;

  -- 7. The in-app reminders (the notice reads "à traiter avant …").
  insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, body, link, priority,
                                    dedupe_key)
  select p_organization, o.recipient_id, o.event, o.dossier_id,
         case when coalesce(st.locale, 'fr') = 'en' then
                (case o.step when 'critical' then 'Critical reminder: ' when 'escalated' then 'Urgent reminder: '
                             when 'notice' then 'Due soon: ' else 'Reminder: ' end) || r.label_en
              else (case o.step when 'critical' then 'Relance critique : ' when 'escalated' then 'Relance urgente : '
                                when 'notice' then 'À traiter bientôt : ' else 'Relance : ' end) || r.label_fr end,
         case when o.step = 'notice' then
                (case when coalesce(st.locale, 'fr') = 'en' then 'To handle before ' else 'À traiter avant le ' end)
                || to_char(a.target_at at time zone cal.time_zone, 'DD/MM/YYYY HH24:MI') || ' – ' || cc.name
              else cc.name end,
         '/dossiers/' || o.dossier_id, o.priority, 'reminder:' || o.ledger_id || ':' || o.recipient_id
  from sweep_out o
  join public.awaited_actions a on a.id = o.action_id
  join public.awaited_action_rules r on r.organization_id = p_organization and r.code = o.code
  join public.dossiers d on d.id = o.dossier_id
  join public.client_companies cc on cc.id = d.client_company_id
  left join public.notification_settings st on st.user_id = o.recipient_id
  where o.in_app
  on conflict (dedupe_key) do nothing;

  -- 8. One row per ledger row and recipient for the caller.
  return query
  select o.ledger_id, o.action_id, o.dossier_id, o.code, r.label_fr, r.label_en, o.step, o.due_at, o.recipient_id,
         u.email::text, coalesce(u.raw_user_meta_data ->> 'full_name', ''), coalesce(st.locale, 'fr'),
         d.product_code, cc.name, o.event, o.priority, o.essential, o.wants_email and u.email is not null,
         case when o.priority = 'urgent' then p_now
              else private.quiet_hours_end(o.recipient_id, cal.time_zone, p_now) end
  from sweep_out o
  join auth.users u on u.id = o.recipient_id
  join public.awaited_action_rules r on r.organization_id = p_organization and r.code = o.code
  join public.dossiers d on d.id = o.dossier_id
  join public.client_companies cc on cc.id = d.client_company_id
  left join public.notification_settings st on st.user_id = o.recipient_id
  order by o.recipient_id, o.ledger_id;
end
$$;

-- Queues the rendered reminder emails of one run in one statement and links each to the ledger rows it
-- carries; a repeated key queues nothing. Non-essential mail to a suppressed address is recorded, not
-- sent. p_messages: [{key, recipient_id, to, subject, html, text_body, event, essential, headers, send_after,
-- ledger_ids}].
create or replace function private.queue_reminder_emails(p_organization uuid, p_messages jsonb)
returns integer
language plpgsql security definer
set search_path = ''
as $$
declare
  queued integer;
begin
  with m as (
    select * from jsonb_to_recordset(p_messages) as x(key text, recipient_id uuid, "to" text, subject text, html text,
                                                     text_body text, event text, essential boolean, headers jsonb,
                                                     send_after timestamptz, ledger_ids bigint[])
  ), inserted as (
    insert into public.email_outbox (organization_id, idempotency_key, recipient_id, to_address, subject, html,
                                     text_body, event, essential, headers, send_after, status)
    select p_organization, m.key, m.recipient_id, m."to", m.subject, m.html, m.text_body, m.event, m.essential,
           coalesce(m.headers, '{}'::jsonb), m.send_after,
           case when not m.essential and exists (select 1 from public.email_suppressions s
                                                 where s.address = lower(m."to"))
                then 'suppressed' else 'queued' end
    from m
    on conflict (idempotency_key) do nothing
    returning id, idempotency_key
  ), linked as (
    insert into public.reminder_messages (ledger_id, outbox_id, organization_id)
    select l.ledger_id, i.id, p_organization
    from inserted i join m on m.key = i.idempotency_key
    cross join lateral unnest(m.ledger_ids) l(ledger_id)
    on conflict do nothing
  )
  select count(*) into queued from inserted;
  return queued;
end
$$;

-- Organizations with an instance whose next step may leave (the sweep's work list; an idle run reads
-- an empty index range).
create or replace function private.organizations_with_due_actions(p_now timestamptz)
returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select distinct a.organization_id from public.awaited_actions a
  where a.closed_at is null and a.running_since is not null and a.next_step_at <= p_now
$$;

revoke execute on function private.quiet_hours_end(uuid, text, timestamptz),
  private.sweep_awaited_actions(uuid, timestamptz), private.queue_reminder_emails(uuid, jsonb),
  private.organizations_with_due_actions(timestamptz)
  from public, anon, authenticated;
grant execute on function private.quiet_hours_end(uuid, text, timestamptz),
  private.sweep_awaited_actions(uuid, timestamptz), private.queue_reminder_emails(uuid, jsonb),
  private.organizations_with_due_actions(timestamptz)
  to service_role;

-- A closed instance: its unsent mail (when every dossier it carries is settled) is cancelled and its
-- in-app reminders and notices are resolved.
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
  where n.dossier_id = new.dossier_id and n.status in ('unread', 'read')
    and n.event in ('reminder', 'critical_reminder', 'invoice_reminder', 'action_due_soon')
    and split_part(n.dedupe_key, ':', 1) = 'reminder'
    and split_part(n.dedupe_key, ':', 2) in (select l.id::text from public.reminder_ledger l
                                              where l.action_id = new.id);
  return null;
end
$$;
revoke execute on function private.settle_closed_awaited_action() from public, anon, authenticated;
