-- Why: an event that concerns people must reach them without anyone writing code per event. Every
-- dossier timeline event and marketplace event is routed, in the transaction that records it, through
-- the catalogue (notification_routes: which source event is which notifiable event, for which
-- audience, at which priority) to its recipients (client users, the expert, the company's partner,
-- the organization's owners and admins; never the person who acted), their preferences (in-app and
-- email per event, immediate or daily digest, essential email always on), their quiet hours (email
-- waits, in-app does not, urgent passes) and the outbox. The work is set-based: one statement-level
-- trigger per source table reads the statement's transition table, so a statement writing 10 000
-- events does one insert into notifications, one into the outbox and one into realtime.messages (one
-- `notifications` broadcast per recipient on `user:<id>`, listing each of their new notifications).
-- A notification and its email share their key (`<event key>:<user id>`: dedupe_key = idempotency_key).
-- Outbox rows carry a template and its values instead of rendered text; the dispatcher renders them
-- (Jinja, the recipient's language, the organization's footer, a signed unsubscribe link) when it
-- freezes a batch, and a retry sends the frozen text.

-- 1. Routes: source event → notifiable event × audience -------------------------------------------
create table if not exists public.notification_routes (
  source text not null check (source in ('dossier', 'marketplace')),
  kind text not null check (kind ~ '^[a-z][a-z_]*$'),
  to_status text, -- the dossier status the event leads to (null: any)
  details_match jsonb not null default '{}'::jsonb check (jsonb_typeof(details_match) = 'object'),
  event text not null references public.notification_events (code),
  audience text not null check (audience in ('client', 'expert', 'partner', 'admin')),
  priority text not null default 'normal' check (priority in ('normal', 'high', 'urgent')),
  -- told only when the organization lets its clients choose their expert (FOLLOWUP.md: "C in client_choice")
  only_client_choice boolean not null default false,
  primary key (source, kind, event, audience)
);
create index if not exists notification_routes_event_idx on public.notification_routes (event);

insert into public.notification_routes (source, kind, to_status, details_match, event, audience, priority,
                                        only_client_choice)
select v.source, v.kind, v.to_status, v.details_match::jsonb, v.event, a.audience,
       case when a.audience = any (v.high::text[]) then v.high_priority else 'normal' end, a.audience = any (v.choice_only::text[])
from (values
  ('dossier', 'submit_eligibility', null, '{}', 'dossier_submitted', '{admin,partner}', '{admin}', 'high', '{}'),
  ('dossier', 'validate_eligibility', null, '{}', 'eligibility_validated', '{client,partner}', '{client}', 'high', '{}'),
  ('dossier', 'reject_eligibility', null, '{}', 'eligibility_rejected', '{client,partner}', '{client}', 'high', '{}'),
  ('dossier', 'request_documents', null, '{}', 'documents_requested', '{client}', '{client}', 'high', '{}'),
  ('dossier', 'review_document', null, '{"decision": "rejected"}', 'document_rejected', '{client}', '{client}', 'high',
   '{}'),
  ('dossier', 'document_uploaded', null, '{}', 'document_uploaded', '{expert}', '{}', 'normal', '{}'),
  ('dossier', 'mark_documents_received', null, '{}', 'documents_received', '{expert}', '{}', 'normal', '{}'),
  ('dossier', 'start_audit', null, '{}', 'audit_started', '{client,admin,partner}', '{}', 'normal', '{}'),
  ('dossier', 'complete_audit', null, '{}', 'audit_completed', '{client,admin,partner}', '{client}', 'high', '{}'),
  ('dossier', 'revise_audit', null, '{}', 'audit_revised', '{client,admin,partner}', '{client}', 'high', '{}'),
  ('dossier', 'accept_audit', null, '{}', 'audit_accepted', '{expert,admin,partner}', '{expert}', 'high', '{}'),
  ('dossier', 'refuse_audit', null, '{}', 'audit_refused', '{expert,admin,partner}', '{expert}', 'high', '{}'),
  ('dossier', 'file_claim', null, '{}', 'claim_filed', '{client,admin,partner}', '{}', 'normal', '{}'),
  ('dossier', 'record_result', 'result_recorded', '{}', 'result_recorded', '{client,admin,partner}', '{client}', 'high',
   '{}'),
  ('dossier', 'record_result', 'claim_refused', '{}', 'claim_refused', '{client,admin,partner}', '{client}', 'high',
   '{}'),
  ('dossier', 'confirm_refund', null, '{}', 'invoice_issued', '{client,admin,partner}', '{client}', 'high', '{}'),
  ('dossier', 'record_payment', 'closed', '{}', 'dossier_closed', '{client,expert,partner,admin}', '{}', 'normal', '{}'),
  ('dossier', 'close_refused', null, '{}', 'dossier_closed', '{client,expert,partner,admin}', '{}', 'normal', '{}'),
  ('dossier', 'hold', null, '{}', 'dossier_on_hold', '{client,expert,partner,admin}', '{}', 'normal', '{}'),
  ('dossier', 'resume', null, '{}', 'dossier_resumed', '{client,expert,partner,admin}', '{}', 'normal', '{}'),
  ('dossier', 'cancel', null, '{}', 'dossier_cancelled', '{client,expert,partner,admin}', '{}', 'normal', '{}'),
  ('marketplace', 'offer_made', null, '{}', 'offer_made', '{expert}', '{expert}', 'high', '{}'),
  ('marketplace', 'expert_proposed', null, '{}', 'expert_proposed', '{client}', '{}', 'normal', '{}'),
  ('marketplace', 'offer_accepted', null, '{}', 'offer_accepted', '{client,partner,admin}', '{client}', 'high', '{}'),
  ('marketplace', 'offer_declined', null, '{}', 'offer_declined', '{admin,client}', '{}', 'normal', '{client}'),
  ('marketplace', 'offer_expired', null, '{}', 'offer_expired', '{admin,client}', '{}', 'normal', '{client}'),
  ('marketplace', 'assignment_failed', null, '{}', 'assignment_failed', '{admin,client}', '{admin}', 'urgent',
   '{client}')
) as v(source, kind, to_status, details_match, event, audiences, high, high_priority, choice_only)
cross join lateral unnest(v.audiences::text[]) as a(audience)
on conflict (source, kind, event, audience) do nothing;

alter table public.notification_routes enable row level security;
grant select on public.notification_routes to authenticated;
grant all on public.notification_routes to service_role;
create policy "Signed-in users read the notification routes" on public.notification_routes
  for select to authenticated using (true);

-- 2. Outbox rows rendered by the dispatcher, notifications waiting for the digest -----------------
alter table public.email_outbox
  add column if not exists template text check (template is null or template ~ '^[a-z_]+$'),
  add column if not exists template_values jsonb check (template_values is null or jsonb_typeof(template_values) = 'object'),
  add column if not exists locale text not null default 'fr' check (locale in ('fr', 'en'));
alter table public.email_outbox alter column subject drop not null;
alter table public.email_outbox alter column html drop not null;
alter table public.email_outbox alter column text_body drop not null;
alter table public.email_outbox drop constraint if exists email_outbox_rendered_or_template;
alter table public.email_outbox add constraint email_outbox_rendered_or_template
  check (template is not null or (subject is not null and html is not null and text_body is not null));

-- The email of a notification whose recipient reads this event in the daily digest.
alter table public.notifications add column if not exists email_digest boolean not null default false;
create index if not exists notifications_digest_idx on public.notifications (recipient_id, created_at)
  where email_digest;

-- 3. Quiet hours ------------------------------------------------------------------------------------
-- The first instant at or after p_at outside a person's quiet hours: the nightly window
-- [p_start, p_end) (crossing midnight when p_start > p_end) and, with p_weekends, Saturday and Sunday,
-- all in the wall-clock time of p_time_zone (DST respected). Leaving quiet time means p_end local.
create or replace function private.quiet_hours_end(p_at timestamptz, p_time_zone text, p_start time, p_end time,
                                                   p_weekends boolean) returns timestamptz
language sql stable parallel safe
set search_path = ''
as $$
  with local as (select (p_at at time zone p_time_zone) as ts),
  night as (
    select l.ts,
           case
             when p_start = p_end then l.ts
             when p_start > p_end and l.ts::time >= p_start then (l.ts::date + 1) + p_end
             when p_start > p_end and l.ts::time < p_end then l.ts::date + p_end
             when p_start < p_end and l.ts::time >= p_start and l.ts::time < p_end then l.ts::date + p_end
             else l.ts
           end as out_of_night
    from local l
  ),
  week as (
    select case
             when not p_weekends then n.out_of_night
             when extract(isodow from n.out_of_night) = 6 then (n.out_of_night::date + 2) + p_end
             when extract(isodow from n.out_of_night) = 7 then (n.out_of_night::date + 1) + p_end
             else n.out_of_night
           end as free
    from night n
  )
  select case when w.free = (select ts from local) then p_at else w.free at time zone p_time_zone end from week w
$$;
revoke execute on function private.quiet_hours_end(timestamptz, text, time, time, boolean)
  from public, anon, authenticated;
grant execute on function private.quiet_hours_end(timestamptz, text, time, time, boolean) to service_role;

-- The same for one user of an organization, with their settings (defaults: 20:00–08:00 and weekends,
-- the organization's time zone).
create or replace function private.user_quiet_hours_end(p_user uuid, p_organization uuid, p_at timestamptz)
returns timestamptz
language sql stable
set search_path = ''
as $$
  select private.quiet_hours_end(
    p_at,
    coalesce(s.time_zone, (select c.time_zone from public.business_calendars c where c.organization_id = p_organization),
             'Europe/Paris'),
    coalesce(s.quiet_start, '20:00'), coalesce(s.quiet_end, '08:00'), coalesce(s.quiet_weekends, true))
  from (select 1) one
  left join public.notification_settings s on s.user_id = p_user
$$;
revoke execute on function private.user_quiet_hours_end(uuid, uuid, timestamptz) from public, anon, authenticated;
grant execute on function private.user_quiet_hours_end(uuid, uuid, timestamptz) to service_role;

-- 4. The fan-out ------------------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'private' and t.typname = 'notifiable_event') then
    create type private.notifiable_event as (
      key text,               -- 'dossier_event:<id>' / 'marketplace_event:<id>': with the user, the dedupe key
      source text,
      kind text,
      organization_id uuid,
      dossier_id uuid,
      to_status text,
      details jsonb,
      actor_id uuid,
      expert_id uuid,         -- the expert the event is about (an offer's), else the dossier's
      summary_fr text,
      summary_en text
    );
  end if;
end
$$;

-- Routes a set of events to notifications, outbox rows and Realtime broadcasts, in one statement each.
create or replace function private.fan_out_notifications(p_events private.notifiable_event[]) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  with ev as (
    select e.* from unnest(p_events) e
  ),
  routed as (
    select ev.*, r.event, r.audience, r.priority, ne.essential, ne.default_mode, ne.label_fr, ne.label_en,
           d.client_company_id, coalesce(ev.expert_id, d.expert_id) as the_expert, c.partner_user_id, c.name as company,
           d.product_code, p.name as product
    from ev
    join public.notification_routes r
      on r.source = ev.source and r.kind = ev.kind and (r.to_status is null or r.to_status = ev.to_status)
     and ev.details @> r.details_match
    join public.notification_events ne on ne.code = r.event
    join public.dossiers d on d.id = ev.dossier_id
    join public.client_companies c on c.id = d.client_company_id
    left join public.products p on p.code = d.product_code
    where not r.only_client_choice
       or exists (select 1 from public.organizations o where o.id = ev.organization_id
                  and o.assignment_mode = 'client_choice')
  ),
  people as (
    select r.*, cu.user_id from routed r
    join public.client_company_users cu on cu.company_id = r.client_company_id where r.audience = 'client'
    union all
    select r.*, ep.user_id from routed r
    join public.expert_profiles ep on ep.id = r.the_expert where r.audience = 'expert'
    union all
    select r.*, r.partner_user_id from routed r where r.audience = 'partner' and r.partner_user_id is not null
    union all
    select r.*, m.user_id from routed r
    join public.memberships m on m.organization_id = r.organization_id and m.role in ('owner', 'admin')
    where r.audience = 'admin'
  ),
  -- Someone in two audiences of one event is told once, at the higher priority; nobody about their own act.
  once as (
    select distinct on (p.key, p.user_id) p.* from people p
    where p.user_id is distinct from p.actor_id
    order by p.key, p.user_id, array_position(array['urgent', 'high', 'normal'], p.priority)
  ),
  contacts as materialized (
    select o.*, u.email::text as email, coalesce(s.locale, 'fr') as locale,
           coalesce(s.time_zone, bc.time_zone, 'Europe/Paris') as tz, coalesce(s.quiet_start, '20:00') as quiet_start,
           coalesce(s.quiet_end, '08:00') as quiet_end, coalesce(s.quiet_weekends, true) as quiet_weekends,
           coalesce(pi.enabled, true) as in_app, pe.enabled as email_enabled, pe.mode as email_mode
    from once o
    join auth.users u on u.id = o.user_id
    left join public.notification_settings s on s.user_id = o.user_id
    left join public.business_calendars bc on bc.organization_id = o.organization_id
    left join public.notification_preferences pi
      on pi.user_id = o.user_id and pi.event = o.event and pi.channel = 'in_app'
    left join public.notification_preferences pe
      on pe.user_id = o.user_id and pe.event = o.event and pe.channel = 'email'
  ),
  -- quiet hours depend on the settings only: computed once per distinct set of them, not per recipient
  quiet as materialized (
    select q.tz, q.quiet_start, q.quiet_end, q.quiet_weekends,
           private.quiet_hours_end(now(), q.tz, q.quiet_start, q.quiet_end, q.quiet_weekends) as until
    from (select distinct c.tz, c.quiet_start, c.quiet_end, c.quiet_weekends from contacts c) q
  ),
  targets as materialized (
    select c.key, c.organization_id, c.dossier_id, c.event, c.essential, c.priority, c.user_id, c.email, c.locale,
           c.in_app,
           c.email is not null and (c.essential or coalesce(c.email_enabled, true)) as by_email,
           not c.essential and coalesce(c.email_mode, c.default_mode) = 'digest' and c.in_app as digest,
           case when c.priority = 'urgent' then now() else q.until end as send_after,
           left(c.label_fr || ' – ' || c.company, 300) as title, left(coalesce(c.summary_fr, ''), 4000) as body,
           jsonb_build_object('title', case c.locale when 'en' then c.label_en else c.label_fr end,
                              'body', coalesce(case c.locale when 'en' then c.summary_en else c.summary_fr end, ''),
                              'company', c.company, 'product_code', c.product_code,
                              'product', coalesce(c.product, c.product_code), 'link', '/dossiers/' || c.dossier_id)
             || (coalesce(c.details, '{}'::jsonb) - 'title' - 'body' - 'company' - 'product_code' - 'link')
             as template_values
    from contacts c
    join quiet q on q.tz = c.tz and q.quiet_start = c.quiet_start and q.quiet_end = c.quiet_end
                and q.quiet_weekends = c.quiet_weekends
  ),
  notified as (
    insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, body, link, priority,
                                      dedupe_key, email_digest)
    select t.organization_id, t.user_id, t.event, t.dossier_id, t.title, t.body, '/dossiers/' || t.dossier_id,
           t.priority, t.key || ':' || t.user_id, t.by_email and t.digest
    from targets t where t.in_app
    on conflict (dedupe_key) do nothing
    returning id, recipient_id, organization_id, event, dossier_id, title, body, link, priority, status, dedupe_key,
              created_at
  ),
  -- one Realtime message per recipient and statement, carrying each of their new notifications
  broadcast as (
    insert into realtime.messages (topic, extension, event, private, payload)
    select 'user:' || n.recipient_id, 'broadcast', 'notifications', true,
           jsonb_build_object('notifications', jsonb_agg(jsonb_build_object(
             'id', n.id, 'event', n.event, 'dossier_id', n.dossier_id, 'title', n.title, 'body', n.body,
             'link', n.link, 'priority', n.priority, 'status', n.status, 'created_at', n.created_at)
             order by n.created_at, n.id))
    from notified n
    group by n.recipient_id
    returning 1
  )
  insert into public.email_outbox (organization_id, idempotency_key, recipient_id, to_address, event, essential,
                                   status, send_after, template, template_values, locale)
  select t.organization_id, t.key || ':' || t.user_id, t.user_id, t.email, t.event, t.essential,
         case when not t.essential and exists (select 1 from public.email_suppressions x where x.address = lower(t.email))
              then 'suppressed' else 'queued' end,
         t.send_after, t.event, t.template_values, t.locale
  from targets t
  where t.by_email and not t.digest and t.email ~ '^[^@\s]+@[^@\s]+$'
  on conflict (idempotency_key) do nothing;

end
$$;
revoke execute on function private.fan_out_notifications(private.notifiable_event[]) from public, anon, authenticated;

create or replace function private.fan_out_dossier_events() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.fan_out_notifications(array(
    select row('dossier_event:' || e.id, 'dossier', e.type, e.organization_id, e.dossier_id, e.to_status, e.details,
               e.actor_id, null, e.title_fr, e.title_en)::private.notifiable_event
    from new_events e
    where exists (select 1 from public.notification_routes r where r.source = 'dossier' and r.kind = e.type)));
  return null;
end
$$;
revoke execute on function private.fan_out_dossier_events() from public, anon, authenticated;
drop trigger if exists dossier_events_fan_out on public.dossier_events;
create trigger dossier_events_fan_out after insert on public.dossier_events
  referencing new table as new_events for each statement execute function private.fan_out_dossier_events();

create or replace function private.fan_out_marketplace_events() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.fan_out_notifications(array(
    select row('marketplace_event:' || e.id, 'marketplace', e.kind, e.organization_id, e.dossier_id, null, e.detail,
               e.actor_id, e.expert_id, null, null)::private.notifiable_event
    from new_events e
    where e.dossier_id is not null
      and exists (select 1 from public.notification_routes r where r.source = 'marketplace' and r.kind = e.kind)));
  return null;
end
$$;
revoke execute on function private.fan_out_marketplace_events() from public, anon, authenticated;
drop trigger if exists marketplace_events_fan_out on public.marketplace_events;
create trigger marketplace_events_fan_out after insert on public.marketplace_events
  referencing new table as new_events for each statement execute function private.fan_out_marketplace_events();

-- What the dispatcher needs to render a frozen batch's template rows: the organization's branding and the
-- recipient's name (from auth.users, which the service role does not read directly).
create or replace function private.outbox_render_context(p_batch uuid)
returns table (id uuid, event text, template text, template_values jsonb, locale text, essential boolean,
               user_id uuid, organization text, primary_color text, legal_footer text, recipient_name text)
language sql stable security definer
set search_path = ''
as $$
  select o.id, o.event, o.template, o.template_values, o.locale, o.essential, o.recipient_id, g.name,
         g.primary_color, g.legal_footer, coalesce(u.raw_user_meta_data ->> 'full_name', '')
  from public.email_outbox o
  join public.organizations g on g.id = o.organization_id
  left join auth.users u on u.id = o.recipient_id
  where o.batch_id = p_batch and o.status = 'sending' and o.subject is null
  order by o.id
$$;
revoke execute on function private.outbox_render_context(uuid) from public, anon, authenticated;
grant execute on function private.outbox_render_context(uuid) to service_role;

-- The timeline's broadcasts (0055) become set-based too: one insert into realtime.messages per statement,
-- the same topics (`dossier:<id>:<audience>`, one per audience that may see the event) and payloads.
create or replace function private.broadcast_dossier_events() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into realtime.messages (topic, extension, event, private, payload)
  select 'dossier:' || e.dossier_id || ':' || a.audience, 'broadcast', 'dossier_event', true,
         jsonb_build_object('id', e.id, 'dossier_id', e.dossier_id, 'type', e.type, 'command', e.command,
                            'from_status', e.from_status, 'to_status', e.to_status, 'actor_role', e.actor_role,
                            'actor_name', e.actor_name, 'title_fr', e.title_fr, 'title_en', e.title_en,
                            'details', e.details, 'visibility', e.visibility, 'created_at', e.created_at)
  from new_events e
  cross join lateral unnest(case e.visibility
      when 'partner' then array['staff', 'expert', 'client', 'partner']
      when 'client' then array['staff', 'expert', 'client']
      when 'expert' then array['staff', 'expert']
      else array['staff'] end) as a(audience);
  return null;
end
$$;
revoke execute on function private.broadcast_dossier_events() from public, anon, authenticated;
drop trigger if exists dossier_events_broadcast on public.dossier_events;
create trigger dossier_events_broadcast after insert on public.dossier_events
  referencing new table as new_events for each statement execute function private.broadcast_dossier_events();
