-- Why: organizations connect their own tools (CRM, accounting, chat) to what happens on the platform.
-- Owners and admins register HTTPS endpoints for chosen event types; each event becomes one
-- delivery per subscribed endpoint, written in the event's transaction, signed per the Standard
-- Webhooks specification by the `webhook-dispatch` cron, retried with back-off, kept in a delivery
-- log admins read and can replay. An endpoint failing for 3 days is disabled and its admins told.

create table if not exists public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  url text not null check (url ~ '^https?://[^\s/?#]+[^\s]*$' and length(url) <= 2000),
  description text not null default '' check (length(description) <= 500),
  -- Event codes of public.notification_events, or '*' for all of them.
  event_types text[] not null check (cardinality(event_types) between 1 and 100),
  -- The signing secret, shown to admins so that their receiver can verify (Standard Webhooks form).
  secret text not null default 'whsec_' || encode(decode(
    replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'), 'base64'),
  enabled boolean not null default true,
  disabled_reason text,
  failing_since timestamptz,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists webhook_endpoints_organization_id_idx on public.webhook_endpoints (organization_id);

create or replace function private.check_webhook_endpoint() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  unknown text;
begin
  select t into unknown from unnest(new.event_types) t
  where t <> '*' and not exists (select 1 from public.notification_events e where e.code = t) limit 1;
  if unknown is not null then
    raise exception 'unknown event type %', unknown using errcode = 'PT422', hint = 'validation_failed',
      detail = jsonb_build_object('field', 'event_types', 'rule', 'unknown_event_type')::text;
  end if;
  if tg_op = 'INSERT' then
    new.created_by := coalesce((select auth.uid()), new.created_by);
  elsif (select auth.role()) = 'authenticated'
        and (new.organization_id, new.created_by, new.created_at) is distinct from
            (old.organization_id, old.created_by, old.created_at) then
    raise exception 'an endpoint stays in its organization' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if tg_op = 'UPDATE' and new.enabled and not old.enabled then
    new.disabled_reason := null;
    new.failing_since := null;
  end if;
  new.updated_at := now();
  return new;
end
$$;
revoke execute on function private.check_webhook_endpoint() from public, anon, authenticated;
create or replace trigger webhook_endpoints_check before insert or update on public.webhook_endpoints
  for each row execute function private.check_webhook_endpoint();

create table if not exists public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  -- The Standard Webhooks `webhook-id`: the same for every attempt and replay, so receivers dedupe.
  message_id text not null,
  event_type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivering', 'succeeded', 'failed')),
  attempts smallint not null default 0,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  last_status_code smallint,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (endpoint_id, message_id)
);
create index if not exists webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at)
  where status in ('pending', 'delivering');
create index if not exists webhook_deliveries_organization_created_idx
  on public.webhook_deliveries (organization_id, created_at desc);

alter table public.webhook_endpoints enable row level security;
alter table public.webhook_deliveries enable row level security;
grant select, insert, delete on public.webhook_endpoints to authenticated;
grant update (url, description, event_types, enabled) on public.webhook_endpoints to authenticated;
grant select on public.webhook_deliveries to authenticated;
grant all on public.webhook_endpoints, public.webhook_deliveries to service_role;

create policy "Owners and admins see their organization's webhook endpoints" on public.webhook_endpoints
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins register webhook endpoints" on public.webhook_endpoints
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins change their webhook endpoints" on public.webhook_endpoints
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins remove their webhook endpoints" on public.webhook_endpoints
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
create policy "Owners and admins read their organization's webhook deliveries" on public.webhook_deliveries
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- One delivery per enabled endpoint of the organization subscribed to the event (server code, in the
-- event's transaction); a repeated message id delivers nothing more. Returns how many were queued.
create or replace function private.enqueue_webhooks(p_organization uuid, p_event_type text, p_message_id text,
                                                    p_payload jsonb)
returns integer
language plpgsql security definer
set search_path = ''
as $$
declare
  queued integer;
begin
  insert into public.webhook_deliveries (endpoint_id, organization_id, message_id, event_type, payload)
  select e.id, e.organization_id, p_message_id, p_event_type, p_payload
  from public.webhook_endpoints e
  where e.organization_id = p_organization and e.enabled
    and (p_event_type = any(e.event_types) or '*' = any(e.event_types))
  on conflict (endpoint_id, message_id) do nothing;
  get diagnostics queued = row_count;
  return queued;
end
$$;
revoke execute on function private.enqueue_webhooks(uuid, text, text, jsonb) from public, anon, authenticated;
grant execute on function private.enqueue_webhooks(uuid, text, text, jsonb) to service_role;

-- An admin sends a delivery again (same webhook-id: the receiver recognises it), whatever its state.
create or replace function public.replay_webhook_delivery(p_delivery_id uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.webhook_deliveries d
  set status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = null, last_error = null
  where d.id = p_delivery_id
    and d.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
    and d.status <> 'delivering';
  if not found then
    raise exception 'no such delivery, or it is being delivered' using errcode = 'PT404', hint = 'delivery_not_found';
  end if;
end
$$;
revoke execute on function public.replay_webhook_delivery(uuid) from public, anon;
grant execute on function public.replay_webhook_delivery(uuid) to authenticated;

-- The people to tell about an organization's own set-up (an endpoint switched off): its owners and
-- admins with their address, name and language. auth.users is not readable by the API roles.
create or replace function private.organization_admin_contacts(p_organization uuid)
returns table (user_id uuid, email text, name text, locale text, organization text, primary_color text,
               legal_footer text)
language sql stable security definer
set search_path = ''
as $$
  select u.id, u.email::text, coalesce(u.raw_user_meta_data ->> 'full_name', ''), coalesce(s.locale, 'fr'),
         o.name, o.primary_color, o.legal_footer
  from public.memberships m
  join auth.users u on u.id = m.user_id
  join public.organizations o on o.id = m.organization_id
  left join public.notification_settings s on s.user_id = u.id
  where m.organization_id = p_organization and m.role in ('owner', 'admin') and u.email is not null
  order by u.email
$$;
revoke execute on function private.organization_admin_contacts(uuid) from public, anon, authenticated;
grant execute on function private.organization_admin_contacts(uuid) to service_role;
