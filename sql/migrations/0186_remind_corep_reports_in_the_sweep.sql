-- Why: 0131's set-based sweep, in its final form, written once (nothing between 0131 and here has
-- landed, so the intermediate rewrites are folded in):
-- * per-row cost: at 50 000 due instances every per-row function call shows, so the step rank and the
--   next step are written out as plain expressions (the `language sql` helpers stay for other
--   callers), and each recipient's user row is fetched by key instead of hashing every user;
-- * conversation actions: 0142 opens `support_reply` (and `unread_message` in a conversation without a
--   dossier), which belong to a conversation; the conversation names them (its title, else "Support"),
--   their recipients are its participants in the rule's roles (owners and admins for A) through
--   private.awaited_action_contacts, and their reminders link to the conversation; each row returns
--   its `link` so the email points at the dossier or the conversation;
-- * organization actions: 0185 opens `corep_report_due` actions that belong to the organization
--   itself; the report (module, basis, reference date and remittance date, from
--   public.corep_report_reminders) names them, their recipients are the organization's members in the
--   rule's roles — R its prudential analysts, V its approvers, A its owners and admins — their
--   notification event is `report_due`, and their reminders link to the reporting calendar.
-- Everything else is 0131's sweep: SKIP LOCKED claims, the highest step reached sent once, lower ones
-- `skipped`, the previous in-app reminder `replaced`, preferences, quiet hours, one email per recipient.
drop function if exists private.sweep_awaited_actions(uuid, timestamptz);

create function private.sweep_awaited_actions(p_organization uuid, p_now timestamptz)
returns table (ledger_id bigint, action_id bigint, dossier_id uuid, code text, label_fr text, label_en text,
               step text, due_at timestamptz, recipient_id uuid, email text, name text, locale text,
               product_code text, company text, event text, priority text, essential boolean,
               wants_email boolean, time_zone text, quiet_start time, quiet_end time, quiet_weekends boolean,
               link text)
language plpgsql security definer
set search_path = ''
as $$
declare
  cal public.business_calendars := private.organization_calendar(p_organization);
  working boolean := private.in_working_time(private.organization_calendar(p_organization), p_now);
begin
  create temp table if not exists sweep_claimed (
    id bigint primary key, dossier_id uuid, conversation_id uuid, code text, clock text, notice_at timestamptz, target_at timestamptz,
    warning_at timestamptz, breach_at timestamptz, sent_rank integer, chosen_rank integer, company_id uuid,
    expert_id uuid, product_code text, company text
  ) on commit drop;
  create temp table if not exists sweep_sent (
    ledger_id bigint primary key, action_id bigint, dossier_id uuid, conversation_id uuid, code text, step text, due_at timestamptz,
    target_at timestamptz, company_id uuid, expert_id uuid, product_code text, company text
  ) on commit drop;
  create temp table if not exists sweep_out (
    ledger_id bigint, action_id bigint, dossier_id uuid, conversation_id uuid, code text, step text, due_at timestamptz,
    target_at timestamptz, product_code text, company text, label_fr text, label_en text,
    recipient_id uuid, event text, priority text, essential boolean, in_app boolean, wants_email boolean
  ) on commit drop;
  truncate sweep_claimed, sweep_sent, sweep_out;

  -- 1. Claim what may leave now (a running clock of an active action, its next step due; business
  --    clocks in working time only); rows another run holds are skipped, rows it has moved on fail the
  --    re-check under the lock. With each: the highest step reached and the highest in the ledger.
  insert into sweep_claimed (id, dossier_id, conversation_id, code, clock, notice_at, target_at, warning_at, breach_at, sent_rank,
                             chosen_rank, company_id, expert_id, product_code, company)
  select a.id, a.dossier_id, a.conversation_id, a.code, a.clock, a.notice_at, a.target_at, a.warning_at, a.breach_at,
         (select max(case l.step when 'notice' then 0 when 'reminder' then 1 when 'escalated' then 2
                              when 'critical' then 3 end)
          from public.reminder_ledger l where l.action_id = a.id),
         case when a.breach_at <= p_now then 3 when a.warning_at <= p_now then 2
              when a.target_at <= p_now then 1 when a.notice_at <= p_now then 0 end,
         d.client_company_id, d.expert_id, d.product_code,
         coalesce(cc.name, cv.title,
                  case when rk.action_id is not null then
                    'COREP ' || upper(replace(substr(rk.module, 7), '_', ' ')) || ' ' || rk.basis || ' – '
                    || to_char(rk.reference_date, 'DD/MM/YYYY') || ' → ' || to_char(rk.remittance_date, 'DD/MM/YYYY')
                  end,
                  case cv.kind when 'support' then 'Support' else 'Messagerie' end)
  from public.awaited_actions a
  join public.awaited_action_rules r on r.organization_id = a.organization_id and r.code = a.code and r.active
  -- a conversation's action (support_reply, 0142) has no dossier: its conversation names it
  left join public.dossiers d on d.id = a.dossier_id
  left join public.client_companies cc on cc.id = d.client_company_id
  left join public.conversations cv on a.dossier_id is null and cv.id = a.conversation_id
  -- an organization's action (corep_report_due, 0185): its report names it
  left join public.corep_report_reminders rk on a.dossier_id is null and a.conversation_id is null
    and rk.action_id = a.id
  where a.organization_id = p_organization and a.closed_at is null and a.running_since is not null
    and a.next_step_at <= p_now and (a.clock = 'wall' or working)
  for update of a skip locked;
  analyze sweep_claimed;

  -- 2. Lower steps never sent are skipped; the chosen one is sent unless some run already has it.
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
  insert into sweep_sent (ledger_id, action_id, dossier_id, conversation_id, code, step, due_at, target_at, company_id, expert_id,
                          product_code, company)
  select i.id, i.action_id, c.dossier_id, c.conversation_id, c.code, i.step, i.due_at, c.target_at, c.company_id, c.expert_id,
         c.product_code, c.company
  from inserted i
  join sweep_claimed c on c.id = i.action_id;
  analyze sweep_sent;

  -- 3. Each instance moves on to its next step.
  --    (private.awaited_action_next_step written out: the first threshold above the highest step
  --    reached, as one expression rather than a function call per row.)
  update public.awaited_actions a
  set next_step_at = case when k.done < 0 and c.notice_at is not null then c.notice_at
                          when k.done < 1 and c.target_at is not null then c.target_at
                          when k.done < 2 and c.warning_at is not null then c.warning_at
                          when k.done < 3 and c.breach_at is not null then c.breach_at end
  from sweep_claimed c
  cross join lateral (select coalesce(greatest(c.chosen_rank, c.sent_rank), -1) as done) k
  where a.id = c.id;

  -- 4. The previous in-app reminders of these instances give way.
  update public.notifications n set status = 'replaced'
  from sweep_sent s
  join public.reminder_ledger l on l.action_id = s.action_id and l.id <> s.ledger_id
  where n.dossier_id = s.dossier_id and n.status in ('unread', 'read')
    and n.event in ('reminder', 'critical_reminder', 'invoice_reminder', 'action_due_soon')
    and split_part(n.dedupe_key, ':', 1) = 'reminder' and split_part(n.dedupe_key, ':', 2) = l.id::text;
  update public.notifications n set status = 'replaced'
  from sweep_sent s
  join public.reminder_ledger l on l.action_id = s.action_id and l.id <> s.ledger_id
  where s.dossier_id is null and n.dossier_id is null and n.status in ('unread', 'read')
    and n.event in ('reminder', 'critical_reminder', 'report_due') and n.organization_id = p_organization
    and split_part(n.dedupe_key, ':', 1) = 'reminder' and split_part(n.dedupe_key, ':', 2) = l.id::text;

  -- 5. The recipients: C client users, E the expert (or the offered one), P the partner, A owners and
  --    admins; the notice goes to the experts and admins among the target's recipients.
  insert into sweep_out (ledger_id, action_id, dossier_id, conversation_id, code, step, due_at, target_at, product_code, company,
                         label_fr, label_en, recipient_id, event, priority, essential, in_app, wants_email)
  select distinct on (s.ledger_id, p.user_id)
         s.ledger_id, s.action_id, s.dossier_id, s.conversation_id, s.code, s.step, s.due_at, s.target_at, s.product_code, s.company,
         r.label_fr, r.label_en, p.user_id, ev.code,
         case s.step when 'critical' then 'urgent' when 'escalated' then 'high' else 'normal' end,
         ev.essential,
         coalesce(inapp.enabled, true),
         s.step <> 'notice' and (ev.essential or (coalesce(mail.enabled, true)
                                                  and coalesce(mail.mode, ev.default_mode) = 'immediate'))
  from sweep_sent s
  join public.awaited_action_rules r on r.organization_id = p_organization and r.code = s.code
  cross join lateral (
    select case s.step when 'notice' then array(select x from unnest(r.target_recipients) x where x in ('E', 'A'))
                       when 'reminder' then r.target_recipients when 'escalated' then r.warning_recipients
                       else r.breach_recipients end as roles
  ) k
  cross join lateral (
    select u.user_id from public.client_company_users u
    where 'C' = any(k.roles) and u.company_id = s.company_id
    union all
    select e.user_id from public.expert_profiles e where 'E' = any(k.roles) and e.id = s.expert_id
    union all
    select e.user_id from public.assignment_offers o join public.expert_profiles e on e.id = o.expert_id
    where 'E' = any(k.roles) and o.dossier_id = s.dossier_id and o.status = 'offered'
    union all
    select c.partner_user_id from public.client_companies c
    where 'P' = any(k.roles) and c.id = s.company_id and c.partner_user_id is not null
    union all
    select m.user_id from public.memberships m
    where 'A' = any(k.roles) and m.organization_id = p_organization and m.role in ('owner', 'admin')
    union all
    -- a conversation's action: its participants in the roles asked (and owners and admins for A)
    select x.user_id from private.awaited_action_contacts(s.action_id, k.roles) x where s.dossier_id is null
    union all
    -- an organization's action: its members in the roles asked (R analysts, V approvers; A above)
    select m.user_id from public.memberships m
    where s.dossier_id is null and s.conversation_id is null and m.organization_id = p_organization
      and ((m.role = 'analyst' and 'R' = any(k.roles)) or (m.role = 'approver' and 'V' = any(k.roles)))
  ) p
  join public.notification_events ev
    on ev.code = case when s.step = 'notice' then 'action_due_soon' when s.code = 'invoice_payment' then 'invoice_reminder'
                      when s.code = 'corep_report_due' then 'report_due'
                      when s.step = 'critical' then 'critical_reminder' else 'reminder' end
  left join public.notification_preferences inapp
    on inapp.user_id = p.user_id and inapp.event = ev.code and inapp.channel = 'in_app'
  left join public.notification_preferences mail
    on mail.user_id = p.user_id and mail.event = ev.code and mail.channel = 'email'
  order by s.ledger_id, p.user_id;
  analyze sweep_out;

  -- 6. The in-app reminders (the notice reads "à traiter avant …").
  insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, body, link, priority,
                                    dedupe_key)
  select p_organization, o.recipient_id, o.event, o.dossier_id,
         case when coalesce(st.locale, 'fr') = 'en' then
                (case o.step when 'critical' then 'Critical reminder: ' when 'escalated' then 'Urgent reminder: '
                             when 'notice' then 'Due soon: ' else 'Reminder: ' end) || o.label_en
              else (case o.step when 'critical' then 'Relance critique : ' when 'escalated' then 'Relance urgente : '
                                when 'notice' then 'À traiter bientôt : ' else 'Relance : ' end) || o.label_fr end,
         case when o.step = 'notice' then
                (case when coalesce(st.locale, 'fr') = 'en' then 'To handle before ' else 'À traiter avant le ' end)
                || to_char(o.target_at at time zone cal.time_zone, 'DD/MM/YYYY HH24:MI') || ' – ' || o.company
              else o.company end,
         coalesce('/dossiers/' || o.dossier_id, '/conversations/' || o.conversation_id,
                  '/reporting/calendar?organization_id=' || p_organization),
         o.priority, 'reminder:' || o.ledger_id || ':' || o.recipient_id
  from sweep_out o
  left join public.notification_settings st on st.user_id = o.recipient_id
  where o.in_app
  on conflict (dedupe_key) do nothing;

  -- 7. One row per ledger row and recipient for the caller.
  return query
  select o.ledger_id, o.action_id, o.dossier_id, o.code, o.label_fr, o.label_en, o.step, o.due_at, o.recipient_id,
         u.email::text, coalesce(u.raw_user_meta_data ->> 'full_name', ''), coalesce(st.locale, 'fr'),
         o.product_code, o.company, o.event, o.priority, o.essential,
         -- an unusable address gets the in-app reminder only (it must not fail the organization's run)
         o.wants_email and coalesce(u.email ~ '^[^@\s]+@[^@\s]+$' and length(u.email) <= 320, false),
         coalesce(st.time_zone, cal.time_zone), coalesce(st.quiet_start, '20:00'), coalesce(st.quiet_end, '08:00'),
         coalesce(st.quiet_weekends, true),
         coalesce('/dossiers/' || o.dossier_id, '/conversations/' || o.conversation_id,
                  '/reporting/calendar?organization_id=' || p_organization)
  from sweep_out o
  -- (each recipient's user row through its primary key: the planner would rather hash every user)
  cross join lateral (select x.email, x.raw_user_meta_data from auth.users x where x.id = o.recipient_id offset 0) u
  left join public.notification_settings st on st.user_id = o.recipient_id
  order by o.recipient_id, o.ledger_id;
end
$$;

revoke execute on function private.sweep_awaited_actions(uuid, timestamptz) from public, anon, authenticated;
grant execute on function private.sweep_awaited_actions(uuid, timestamptz) to service_role;
