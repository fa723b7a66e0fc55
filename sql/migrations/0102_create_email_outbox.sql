-- Why: an email must leave exactly once per idempotency key, even when Resend answers 429 or 500,
-- when two dispatchers run at once, or when one dies mid-batch. Messages are written to an outbox
-- in the transaction of the event that causes them (so a rolled-back event sends nothing); the
-- dispatcher freezes up to 100 due messages as a batch with its own key and sends it through
-- Resend's batch call; a retry resends the same batch under the same key, which Resend answers
-- without sending again. Delivery events come back through a signed webhook; a hard bounce or a
-- complaint suppresses non-essential mail to the address.

create table if not exists public.email_batches (
  id uuid primary key default gen_random_uuid(),
  idempotency_key text not null unique,
  -- Frozen with the batch: a retry must send the very same payload under the same key.
  sender text not null,
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed')),
  attempts smallint not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  -- A dispatcher holds the batch until this instant; a dead one's batch is taken over after it.
  locked_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  check ((status in ('sent', 'failed')) = (finished_at is not null))
);
create index if not exists email_batches_due_idx on public.email_batches (next_attempt_at)
  where status in ('pending', 'sending');

create table if not exists public.email_outbox (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  idempotency_key text not null unique,
  recipient_id uuid, -- the user, when the address is a user's (no foreign key into auth)
  to_address text not null check (to_address ~ '^[^@\s]+@[^@\s]+$' and length(to_address) <= 320),
  subject text not null check (length(subject) between 1 and 998),
  html text not null,
  text_body text not null,
  headers jsonb not null default '{}'::jsonb check (jsonb_typeof(headers) = 'object'),
  event text not null,
  essential boolean not null default false,
  status text not null default 'queued'
    check (status in ('queued', 'sending', 'sent', 'failed', 'cancelled', 'suppressed')),
  batch_id uuid references public.email_batches (id) on delete set null,
  send_after timestamptz not null default now(),
  resend_id text,
  last_error text,
  delivery text check (delivery in ('delivered', 'delivery_delayed', 'bounced', 'complained', 'failed',
                                    'suppressed')),
  delivery_at timestamptz,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  check ((status = 'sent') = (sent_at is not null)),
  check ((status = 'sending') <= (batch_id is not null))
);
create index if not exists email_outbox_due_idx on public.email_outbox (send_after) where status = 'queued';
create index if not exists email_outbox_batch_id_idx on public.email_outbox (batch_id);
create index if not exists email_outbox_organization_created_idx on public.email_outbox (organization_id, created_at desc);
create index if not exists email_outbox_recipient_idx on public.email_outbox (recipient_id, created_at desc);
create index if not exists email_outbox_resend_id_idx on public.email_outbox (resend_id);

-- Addresses that bounced hard or complained: only essential mail still goes to them.
create table if not exists public.email_suppressions (
  address text primary key check (address = lower(address)),
  reason text not null check (reason in ('bounced', 'complained')),
  created_at timestamptz not null default now()
);

-- Every delivery event Resend sent us, once per svix-id (deliveries can repeat).
create table if not exists public.email_events (
  svix_id text primary key,
  type text not null,
  resend_id text,
  outbox_id uuid references public.email_outbox (id) on delete set null,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
create index if not exists email_events_outbox_id_idx on public.email_events (outbox_id);

alter table public.email_batches enable row level security;
alter table public.email_outbox enable row level security;
alter table public.email_suppressions enable row level security;
alter table public.email_events enable row level security;
-- Only the server writes mail; staff read their organization's delivery log and users their own.
grant select on public.email_outbox to authenticated;
grant all on public.email_batches, public.email_outbox, public.email_suppressions, public.email_events
  to service_role;

create policy "Staff read their organization's mail and users their own" on public.email_outbox
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
         or recipient_id = (select auth.uid()));
-- Batches, suppressions and raw events are the dispatcher's and the webhook's alone: no grant.
create policy "Nobody reads batches through the Data API" on public.email_batches
  for select to authenticated using (false);
create policy "Nobody reads suppressions through the Data API" on public.email_suppressions
  for select to authenticated using (false);
create policy "Nobody reads raw delivery events through the Data API" on public.email_events
  for select to authenticated using (false);

-- Queues one message in the caller's transaction; a repeated idempotency key queues nothing and
-- returns the existing message. Non-essential mail to a suppressed address is recorded, not sent.
create or replace function private.enqueue_email(
  p_organization uuid, p_idempotency_key text, p_recipient uuid, p_to text, p_subject text, p_html text,
  p_text text, p_event text, p_essential boolean default false, p_headers jsonb default '{}'::jsonb,
  p_send_after timestamptz default now()
) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  message uuid;
  suppressed boolean := not p_essential
    and exists (select 1 from public.email_suppressions s where s.address = lower(p_to));
begin
  insert into public.email_outbox (organization_id, idempotency_key, recipient_id, to_address, subject, html,
                                   text_body, event, essential, headers, send_after, status)
  values (p_organization, p_idempotency_key, p_recipient, p_to, p_subject, p_html, p_text, p_event, p_essential,
          p_headers, p_send_after, case when suppressed then 'suppressed' else 'queued' end)
  on conflict (idempotency_key) do nothing
  returning id into message;
  if message is null then
    select o.id into message from public.email_outbox o where o.idempotency_key = p_idempotency_key;
  end if;
  return message;
end
$$;
revoke execute on function private.enqueue_email(uuid, text, uuid, text, text, text, text, text, boolean, jsonb,
                                                 timestamptz) from public, anon, authenticated;
grant execute on function private.enqueue_email(uuid, text, uuid, text, text, text, text, text, boolean, jsonb,
                                                timestamptz) to service_role;
