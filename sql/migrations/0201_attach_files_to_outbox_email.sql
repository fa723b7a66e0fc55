-- Why: scheduled reports carry their KPI report as a file. An outbox message may have attachments,
-- stored beside it (and purged with it); the dispatcher sends such a message alone through Resend's
-- single send (the batch call takes no attachments), under the same idempotency key and retries.

create table if not exists public.email_attachments (
  id uuid primary key default gen_random_uuid(),
  outbox_id uuid not null references public.email_outbox (id) on delete cascade,
  filename text not null check (length(filename) between 1 and 255 and filename !~ '[/\\\r\n"]'),
  content_type text not null check (content_type ~ '^[a-z]+/[a-zA-Z0-9.+-]+$'),
  content bytea not null check (octet_length(content) <= 30 * 1024 * 1024),
  created_at timestamptz not null default now(),
  unique (outbox_id, filename)
);

alter table public.email_attachments enable row level security;
grant select on public.email_attachments to authenticated;
grant all on public.email_attachments to service_role;
create policy "Recipients read the attachments of their own email" on public.email_attachments
  for select to authenticated
  using (outbox_id in (select o.id from public.email_outbox o where o.recipient_id = (select auth.uid())));

-- The dispatcher freezes messages with attachments one per batch: the outbox row says it has some.
alter table public.email_outbox add column if not exists has_attachments boolean not null default false;

create or replace function private.mark_email_attached() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.email_outbox set has_attachments = true where id = new.outbox_id and not has_attachments;
  return new;
end
$$;
revoke execute on function private.mark_email_attached() from public, anon, authenticated;
create or replace trigger email_attachments_mark after insert on public.email_attachments
  for each row execute function private.mark_email_attached();

-- A templated message to a member (server code; rendered by the dispatcher in `p_locale` with the
-- organization's footer and, non-essential, the unsubscribe link). Non-essential events respect the
-- user's email preference (nothing queued when off) and suppressed addresses (`suppressed`). Returns
-- the row and its status; nothing for a user without a usable address or a key already used.
create or replace function private.enqueue_template_email(
  p_organization uuid, p_idempotency_key text, p_user uuid, p_event text, p_template text, p_values jsonb,
  p_locale text default 'fr'
) returns table (id uuid, status text)
language sql security definer
set search_path = ''
as $$
  insert into public.email_outbox as o (organization_id, idempotency_key, recipient_id, to_address, event,
                                        essential, status, template, template_values, locale)
  select p_organization, p_idempotency_key, u.id, u.email, p_event, e.essential,
         case when not e.essential
                   and exists (select 1 from public.email_suppressions x where x.address = lower(u.email))
              then 'suppressed' else 'queued' end,
         p_template, p_values, p_locale
  from auth.users u
  join public.notification_events e on e.code = p_event
  where u.id = p_user and u.email ~ '^[^@\s]+@[^@\s]+$'
    and (e.essential or not exists (select 1 from public.notification_preferences p
                                    where p.user_id = u.id and p.event = p_event and p.channel = 'email'
                                      and not p.enabled))
  on conflict (idempotency_key) do nothing
  returning o.id, o.status
$$;
revoke execute on function private.enqueue_template_email(uuid, text, uuid, text, text, jsonb, text)
  from public, anon, authenticated;
grant execute on function private.enqueue_template_email(uuid, text, uuid, text, text, jsonb, text) to service_role;
