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
