-- Why: issue 14 item 7 asks for a reminder of each due COREP report through the follow-up engine.
-- Each next due report of a filing plan (organization × module × basis × reference date, with its
-- remittance date) opens one awaited action `corep_report_due` that belongs to the organization —
-- neither a dossier nor a conversation — and closes in the transaction that records the export of
-- its package (public.corep_exports of the approved calculation of that report): the reporting team
-- is done when the package it files has been produced, the submission itself happening in the
-- authority's portal. Thresholds, recipients and priority are data like the other actions: the clock
-- counts business days from 20 business days before the end of the remittance day (the instance's
-- shift), so the defaults read: a reminder 5 business days before (target 15) and an urgent one on
-- the morning of the remittance day (warning 19) to the prudential analysts (R) and approvers (V), and
-- once the remittance day has ended without a package the critical step to them and to the owners
-- and admins (breach 20, A). The link table holds the unique key and the dates the mail shows;
-- private.open_corep_report_actions opens what is missing in one statement (idempotent, run by the
-- `followup-sweep` cron before it sweeps) and private.corep_report_reminders gives the calendar the
-- state of each report's reminder as the caller may see it.

-- 1. Two more recipients: R the organization's prudential analysts, V its approvers ----------------
alter table public.awaited_action_rules drop constraint if exists awaited_action_rules_target_recipients_check;
alter table public.awaited_action_rules drop constraint if exists awaited_action_rules_warning_recipients_check;
alter table public.awaited_action_rules drop constraint if exists awaited_action_rules_breach_recipients_check;
alter table public.awaited_action_rules add constraint awaited_action_rules_target_recipients_check
  check (target_recipients <@ '{C,E,P,A,R,V}'::text[]);
alter table public.awaited_action_rules add constraint awaited_action_rules_warning_recipients_check
  check (warning_recipients <@ '{C,E,P,A,R,V}'::text[]);
alter table public.awaited_action_rules add constraint awaited_action_rules_breach_recipients_check
  check (breach_recipients <@ '{C,E,P,A,R,V}'::text[]);

-- 2. An action of the organization itself names its subject -----------------------------------------
alter table public.awaited_actions drop constraint if exists awaited_actions_subject_check;
alter table public.awaited_actions add constraint awaited_actions_subject_check
  check (dossier_id is not null or conversation_id is not null or subject <> '');
create unique index if not exists awaited_actions_one_per_organization_subject_idx
  on public.awaited_actions (organization_id, code, subject) where dossier_id is null and conversation_id is null;

-- 3. The catalogue: the event and the rule ------------------------------------------------------------
-- A regulatory deadline: essential (it cannot be switched off).
insert into public.notification_events (code, essential, default_mode, label_fr, label_en)
values ('report_due', true, 'immediate', 'Déclaration réglementaire à remettre', 'Regulatory report due')
on conflict (code) do nothing;

create or replace function private.seed_corep_report_rule(p_organization uuid) returns void
language sql security definer
set search_path = ''
as $$
  insert into public.awaited_action_rules (organization_id, code, label_fr, label_en, late_party, open_while, clock,
                                           target, warning, breach, target_recipients, warning_recipients,
                                           breach_recipients, priority)
  values (p_organization, 'corep_report_due', 'Déclaration COREP à remettre', 'COREP report to submit', 'admins',
          'a filed module''s report without its package; days counted from 20 business days before the end of the remittance day',
          'business', 15, 19, 20, '{R,V}', '{R,V}', '{R,V,A}', 1)
  on conflict (organization_id, code) do nothing
$$;
revoke execute on function private.seed_corep_report_rule(uuid) from public, anon, authenticated;
grant execute on function private.seed_corep_report_rule(uuid) to service_role;

-- Seeded for the organizations that file COREP: with their first filing plan (owners and admins then
-- tune it like the other actions); private.open_corep_report_actions seeds it too if missing.
create or replace function private.seed_corep_report_rule_for_plan() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.seed_corep_report_rule(new.organization_id);
  return null;
end
$$;
revoke execute on function private.seed_corep_report_rule_for_plan() from public, anon, authenticated;
create or replace trigger corep_filing_plans_seed_report_rule after insert on public.corep_filing_plans
  for each row execute function private.seed_corep_report_rule_for_plan();
select private.seed_corep_report_rule(o.organization_id)
from (select distinct p.organization_id from public.corep_filing_plans p) o;

-- 4. One reminder per due report ------------------------------------------------------------------------
create table if not exists public.corep_report_reminders (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  module text not null check (module in ('corep_of', 'corep_lr', 'corep_lcr_da', 'corep_nsfr')),
  basis text not null check (basis in ('CON', 'IND')),
  reference_date date not null,
  remittance_date date not null check (remittance_date > reference_date),
  action_id bigint not null unique references public.awaited_actions (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (organization_id, module, basis, reference_date)
);
alter table public.corep_report_reminders enable row level security;
grant select on public.corep_report_reminders to authenticated;
grant all on public.corep_report_reminders to service_role;
create policy "Prudential readers read their organization's report reminders" on public.corep_report_reminders
  for select to authenticated
  using (organization_id in (select private.my_prudential_organization_ids('read')));

-- The business minutes from p_at to the end of p_day in the organization's time zone (negative once past).
create or replace function private.business_minutes_until_day_end(p_cal public.business_calendars,
                                                                  p_at timestamptz, p_day date)
returns integer
language sql stable
set search_path = ''
as $$
  select case when p_at <= e.at then floor(private.business_seconds(p_cal, p_at, e.at) / 60)::integer
              else -floor(private.business_seconds(p_cal, e.at, p_at) / 60)::integer end
  from (select ((p_day + 1)::timestamp at time zone p_cal.time_zone) as at) e
$$;
revoke execute on function private.business_minutes_until_day_end(public.business_calendars, timestamptz, date)
  from public, anon, authenticated;
grant execute on function private.business_minutes_until_day_end(public.business_calendars, timestamptz, date)
  to service_role;

-- Opens the missing instances of p_reports ([{organization_id, module, basis, reference_date,
-- remittance_date}], the next due reports of each plan the caller computed on the authority's
-- calendar) at p_at, in one statement: a report already reminded (open or closed) or whose package
-- exists is skipped; plans no longer filed close their open instances. Returns the instances opened.
create or replace function private.open_corep_report_actions(p_reports jsonb, p_at timestamptz default now())
returns integer
language plpgsql security definer
set search_path = ''
as $$
declare
  opened_ids bigint[];
begin
  perform private.seed_corep_report_rule(x.organization_id)
  from (select distinct (e ->> 'organization_id')::uuid as organization_id
        from jsonb_array_elements(p_reports) e) x
  where not exists (select 1 from public.awaited_action_rules r
                    where r.organization_id = x.organization_id and r.code = 'corep_report_due');

  with wanted as (
    select (e ->> 'organization_id')::uuid as organization_id, e ->> 'module' as module, e ->> 'basis' as basis,
           (e ->> 'reference_date')::date as reference_date, (e ->> 'remittance_date')::date as remittance_date
    from jsonb_array_elements(p_reports) e
  ), fresh as (
    select w.*, w.module || ':' || w.basis || ':' || w.reference_date as subject, r.clock,
           private.organization_calendar(w.organization_id) as cal
    from wanted w
    join public.awaited_action_rules r on r.organization_id = w.organization_id and r.code = 'corep_report_due'
    join public.corep_filing_plans p on p.organization_id = w.organization_id and p.module = w.module
      and p.basis = w.basis
    where not exists (select 1 from public.corep_report_reminders k
                      where k.organization_id = w.organization_id and k.module = w.module and k.basis = w.basis
                        and k.reference_date = w.reference_date)
      -- its package already produced: nothing to remind
      and not exists (select 1 from public.prudential_portfolio_versions v
                      join public.corep_exports x on x.calculation_id = v.calculation_id and x.module = w.module
                      where v.portfolio_id = p.portfolio_id and v.reference_date = w.reference_date
                        and v.status = 'approved')
  ), inserted as (
    insert into public.awaited_actions (organization_id, dossier_id, conversation_id, code, subject, clock, opened_at,
                                        running_since, shift_minutes)
    select f.organization_id, null, null, 'corep_report_due', f.subject, f.clock, p_at, p_at,
           private.business_minutes_until_day_end(f.cal, p_at, f.remittance_date)
             - 20 * private.calendar_day_minutes(f.cal)
    from fresh f
    on conflict (organization_id, code, subject) where dossier_id is null and conversation_id is null do nothing
    returning id, organization_id, subject
  ), linked as (
    insert into public.corep_report_reminders (organization_id, module, basis, reference_date, remittance_date,
                                               action_id)
    select f.organization_id, f.module, f.basis, f.reference_date, f.remittance_date, i.id
    from inserted i join fresh f on f.organization_id = i.organization_id and f.subject = i.subject
    returning action_id, organization_id
  ), segments as (
    insert into public.awaited_action_segments (organization_id, action_id, state, started_at)
    select l.organization_id, l.action_id, 'running', p_at from linked l
    returning action_id
  )
  select coalesce(array_agg(s.action_id), '{}') into opened_ids from segments s;
  -- (a statement of its own: the instances just written are visible to the refresh)
  perform private.refresh_awaited_action(x) from unnest(opened_ids) x;

  -- a plan dropped: its reports are no longer awaited
  perform private.close_awaited_action(a.id, 'not_filed', p_at)
  from public.corep_report_reminders k
  join public.awaited_actions a on a.id = k.action_id and a.closed_at is null
  where not exists (select 1 from public.corep_filing_plans p
                    where p.organization_id = k.organization_id and p.module = k.module and p.basis = k.basis);
  return cardinality(opened_ids);
end
$$;
revoke execute on function private.open_corep_report_actions(jsonb, timestamptz) from public, anon, authenticated;
grant execute on function private.open_corep_report_actions(jsonb, timestamptz) to service_role;

-- 5. The package recorded for the approved calculation of a due report closes its action ---------------
create or replace function private.close_corep_report_action() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.close_awaited_action(k.action_id, 'exported', new.exported_at)
  from public.prudential_calculations c
  join public.prudential_portfolio_versions v on v.id = c.portfolio_version_id and v.status = 'approved'
    and v.calculation_id = c.id
  join public.corep_filing_plans p on p.organization_id = new.organization_id and p.module = new.module
    and p.portfolio_id = v.portfolio_id
  join public.corep_report_reminders k on k.organization_id = p.organization_id and k.module = p.module
    and k.basis = p.basis and k.reference_date = v.reference_date
  join public.awaited_actions a on a.id = k.action_id and a.closed_at is null
  where c.id = new.calculation_id and c.organization_id = new.organization_id;
  return null;
end
$$;
revoke execute on function private.close_corep_report_action() from public, anon, authenticated;
create or replace trigger corep_exports_close_report_action after insert on public.corep_exports
  for each row execute function private.close_corep_report_action();

-- Closing an organization's action resolves its in-app reminders (0131's settling matches a dossier's).
create or replace function private.settle_closed_organization_awaited_action() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  claims text := current_setting('request.jwt.claims', true);
  claim_role text := current_setting('request.jwt.claim.role', true);
begin
  -- `resolved` is the server's status (0103's guard refuses it to a signed-in user), and the export
  -- that closes the action is recorded by one: the update runs as the service for its statement.
  perform set_config('request.jwt.claims', '{"role": "service_role"}', true),
          set_config('request.jwt.claim.role', '', true);
  update public.notifications n set status = 'resolved'
  where n.organization_id = new.organization_id and n.dossier_id is null and n.status in ('unread', 'read')
    and n.event in ('report_due', 'action_due_soon')
    and split_part(n.dedupe_key, ':', 1) = 'reminder'
    and split_part(n.dedupe_key, ':', 2) in (select l.id::text from public.reminder_ledger l
                                              where l.action_id = new.id);
  perform set_config('request.jwt.claims', coalesce(claims, ''), true),
          set_config('request.jwt.claim.role', coalesce(claim_role, ''), true);
  return null;
end
$$;
revoke execute on function private.settle_closed_organization_awaited_action() from public, anon, authenticated;
create or replace trigger awaited_actions_settle_organization_action_on_close after update of closed_at
  on public.awaited_actions
  for each row when (old.closed_at is null and new.closed_at is not null and new.dossier_id is null
                     and new.conversation_id is null)
  execute function private.settle_closed_organization_awaited_action();

-- 6. The state of each report's reminder, for whoever reads the organization's prudential data --------
create or replace function private.corep_report_reminders(p_organization uuid default null)
returns table (organization_id uuid, module text, basis text, reference_date date, remittance_date date,
               action_id bigint, state text, act_before timestamptz, next_step_at timestamptz, last_step text,
               last_sent_at timestamptz, closed_at timestamptz, close_reason text)
language sql stable security definer
set search_path = ''
as $$
  select k.organization_id, k.module, k.basis, k.reference_date, k.remittance_date, k.action_id,
         case when a.closed_at is not null then 'closed'
              when a.breach_at <= now() then 'breached' when a.warning_at <= now() then 'at_risk'
              when a.target_at <= now() then 'late' else 'on_track' end,
         case when a.closed_at is null then
           case when a.target_at > now() then a.target_at when a.warning_at > now() then a.warning_at
                when a.breach_at > now() then a.breach_at end end,
         a.next_step_at, l.step, l.created_at, a.closed_at, a.close_reason
  from public.corep_report_reminders k
  join public.awaited_actions a on a.id = k.action_id
  left join lateral (select x.step, x.created_at from public.reminder_ledger x
                     where x.action_id = k.action_id and x.status = 'sent'
                     order by private.reminder_step_rank(x.step) desc limit 1) l on true
  where k.organization_id in (select private.my_prudential_organization_ids('read'))
    and (p_organization is null or k.organization_id = p_organization)
  order by k.remittance_date, k.module, k.basis
$$;
revoke execute on function private.corep_report_reminders(uuid) from public, anon;
grant execute on function private.corep_report_reminders(uuid) to authenticated, service_role;
