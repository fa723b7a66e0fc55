-- Why: people must be told what happened and what is awaited of them, in the app and by email,
-- without being told twice and without being able to silence what they must not miss. This
-- migration holds the catalogue of notifiable events (with the essential ones that cannot be
-- switched off), the in-app notifications each user reads and marks under RLS, and each user's
-- settings (language, time zone, quiet hours) and per event × channel preferences. Notifications are
-- written by the server only (private.notify); users may only mark theirs read, unread or archived.

create table if not exists public.notification_events (
  code text primary key check (code ~ '^[a-z][a-z_]*$'),
  essential boolean not null default false,
  default_mode text not null default 'immediate' check (default_mode in ('immediate', 'digest')),
  label_fr text not null,
  label_en text not null
);

insert into public.notification_events (code, essential, default_mode, label_fr, label_en) values
  ('dossier_submitted', false, 'immediate', 'Dossier soumis', 'Dossier submitted'),
  ('eligibility_validated', false, 'immediate', 'Éligibilité validée', 'Eligibility validated'),
  ('eligibility_rejected', false, 'immediate', 'Éligibilité refusée', 'Eligibility rejected'),
  ('offer_made', true, 'immediate', 'Nouvelle proposition de dossier', 'New dossier offer'),
  ('expert_proposed', false, 'immediate', 'Expert proposé', 'Expert proposed'),
  ('offer_accepted', false, 'immediate', 'Expert assigné', 'Expert assigned'),
  ('offer_declined', false, 'immediate', 'Proposition déclinée', 'Offer declined'),
  ('offer_expired', false, 'immediate', 'Proposition expirée', 'Offer expired'),
  ('assignment_failed', false, 'immediate', 'Assignation impossible', 'Assignment failed'),
  ('documents_requested', false, 'immediate', 'Documents demandés', 'Documents requested'),
  ('document_rejected', false, 'immediate', 'Document refusé', 'Document rejected'),
  ('document_uploaded', false, 'digest', 'Document déposé', 'Document uploaded'),
  ('documents_received', false, 'immediate', 'Documents reçus', 'Documents received'),
  ('audit_started', false, 'digest', 'Audit démarré', 'Audit started'),
  ('audit_completed', false, 'immediate', 'Audit terminé', 'Audit completed'),
  ('audit_revised', false, 'immediate', 'Audit révisé', 'Audit revised'),
  ('audit_accepted', false, 'immediate', 'Audit accepté', 'Audit accepted'),
  ('audit_refused', false, 'immediate', 'Audit refusé', 'Audit refused'),
  ('claim_filed', false, 'digest', 'Réclamation déposée', 'Claim filed'),
  ('result_recorded', false, 'immediate', 'Décision enregistrée', 'Decision recorded'),
  ('claim_refused', false, 'immediate', 'Réclamation refusée', 'Claim refused'),
  ('invoice_issued', true, 'immediate', 'Facture émise', 'Invoice issued'),
  ('invoice_reminder', true, 'immediate', 'Relance de facture', 'Invoice reminder'),
  ('dossier_closed', false, 'immediate', 'Dossier clôturé', 'Dossier closed'),
  ('dossier_on_hold', false, 'immediate', 'Dossier suspendu', 'Dossier on hold'),
  ('dossier_resumed', false, 'immediate', 'Dossier repris', 'Dossier resumed'),
  ('dossier_cancelled', false, 'immediate', 'Dossier annulé', 'Dossier cancelled'),
  ('reminder', false, 'immediate', 'Relance', 'Reminder'),
  ('critical_reminder', true, 'immediate', 'Relance critique', 'Critical reminder'),
  ('security', true, 'immediate', 'Sécurité du compte', 'Account security')
on conflict (code) do nothing;

create table if not exists public.notifications (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  recipient_id uuid not null,
  event text not null references public.notification_events (code),
  dossier_id uuid references public.dossiers (id) on delete cascade,
  title text not null check (length(title) between 1 and 300),
  body text not null default '' check (length(body) <= 4000),
  link text check (link is null or link ~ '^/[^\s]*$'),
  priority text not null default 'normal' check (priority in ('normal', 'high', 'urgent')),
  status text not null default 'unread' check (status in ('unread', 'read', 'archived', 'replaced', 'resolved')),
  -- One notification per cause and person (`<event id>:<user id>`, `reminder:<ledger id>:<user id>`).
  dedupe_key text not null unique,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  archived_at timestamptz
);
create index if not exists notifications_recipient_status_idx on public.notifications (recipient_id, status, created_at desc);
create index if not exists notifications_organization_id_idx on public.notifications (organization_id);
create index if not exists notifications_dossier_id_idx on public.notifications (dossier_id);
create index if not exists notifications_event_idx on public.notifications (event);
create index if not exists notifications_purge_idx on public.notifications (read_at) where status in ('read', 'archived');

-- What a user may do to a notification: read, unread, archive it; `replaced` and `resolved` are the
-- server's, and a notification in one of them stays there.
create or replace function private.guard_notification_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (select auth.role()) = 'authenticated' then
    if old.status in ('replaced', 'resolved') or new.status not in ('unread', 'read', 'archived') then
      raise exception 'a notification can only be marked read, unread or archived'
        using errcode = 'PT422', hint = 'validation_failed',
              detail = '{"field": "status", "rule": "one_of_unread_read_archived"}';
    end if;
    if (new.recipient_id, new.organization_id, new.event, new.dossier_id, new.title, new.body, new.link,
        new.priority, new.dedupe_key, new.created_at)
       is distinct from
       (old.recipient_id, old.organization_id, old.event, old.dossier_id, old.title, old.body, old.link,
        old.priority, old.dedupe_key, old.created_at) then
      raise exception 'only the status of a notification can change' using errcode = 'PT403', hint = 'forbidden';
    end if;
  end if;
  new.read_at := case when new.status = 'unread' then null else coalesce(old.read_at, now()) end;
  new.archived_at := case when new.status = 'archived' then coalesce(old.archived_at, now()) end;
  return new;
end
$$;
revoke execute on function private.guard_notification_update() from public, anon, authenticated;
create or replace trigger notifications_guard_update before update on public.notifications
  for each row execute function private.guard_notification_update();

create table if not exists public.notification_settings (
  user_id uuid primary key,
  locale text not null default 'fr' check (locale in ('fr', 'en')),
  time_zone text check (time_zone is null or private.is_time_zone(time_zone)), -- null: the organization's
  quiet_start time not null default '20:00',
  quiet_end time not null default '08:00',
  quiet_weekends boolean not null default true,
  updated_at timestamptz not null default now()
);

create table if not exists public.notification_preferences (
  user_id uuid not null,
  event text not null references public.notification_events (code),
  channel text not null check (channel in ('email', 'in_app')),
  enabled boolean not null default true,
  mode text not null default 'immediate' check (mode in ('immediate', 'digest')),
  updated_at timestamptz not null default now(),
  primary key (user_id, event, channel)
);
create index if not exists notification_preferences_event_idx on public.notification_preferences (event);

-- Essential email (offers, invoices and their reminders, critical steps, security) cannot be turned off.
create or replace function private.guard_notification_preference() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.user_id := coalesce((select auth.uid()), new.user_id);
  if new.channel = 'email' and not new.enabled
     and exists (select 1 from public.notification_events e where e.code = new.event and e.essential) then
    raise exception 'essential email cannot be switched off' using errcode = 'PT422', hint = 'validation_failed',
      detail = '{"field": "enabled", "rule": "essential_event"}';
  end if;
  new.updated_at := now();
  return new;
end
$$;
revoke execute on function private.guard_notification_preference() from public, anon, authenticated;
create or replace trigger notification_preferences_guard before insert or update on public.notification_preferences
  for each row execute function private.guard_notification_preference();

create or replace function private.force_settings_owner() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.user_id := coalesce((select auth.uid()), new.user_id);
  new.updated_at := now();
  return new;
end
$$;
revoke execute on function private.force_settings_owner() from public, anon, authenticated;
create or replace trigger notification_settings_owner before insert or update on public.notification_settings
  for each row execute function private.force_settings_owner();

alter table public.notification_events enable row level security;
alter table public.notifications enable row level security;
alter table public.notification_settings enable row level security;
alter table public.notification_preferences enable row level security;
grant select on public.notification_events to authenticated;
grant select on public.notifications to authenticated;
grant update (status) on public.notifications to authenticated;
grant select, insert, update, delete on public.notification_settings, public.notification_preferences to authenticated;
grant all on public.notification_events, public.notifications, public.notification_settings,
  public.notification_preferences to service_role;

create policy "Signed-in users read the notification catalogue" on public.notification_events
  for select to authenticated using (true);
create policy "Users read their own notifications" on public.notifications
  for select to authenticated using (recipient_id = (select auth.uid()));
create policy "Users mark their own notifications" on public.notifications
  for update to authenticated
  using (recipient_id = (select auth.uid())) with check (recipient_id = (select auth.uid()));
create policy "Users read their own notification settings" on public.notification_settings
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users create their own notification settings" on public.notification_settings
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "Users change their own notification settings" on public.notification_settings
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "Users remove their own notification settings" on public.notification_settings
  for delete to authenticated using (user_id = (select auth.uid()));
create policy "Users read their own notification preferences" on public.notification_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users create their own notification preferences" on public.notification_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "Users change their own notification preferences" on public.notification_preferences
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "Users remove their own notification preferences" on public.notification_preferences
  for delete to authenticated using (user_id = (select auth.uid()));

-- The caller's unread and total (not archived) notifications, for the badge.
create or replace function public.notification_counts(out unread bigint, out visible bigint)
language sql stable
set search_path = ''
as $$
  select count(*) filter (where n.status = 'unread'), count(*) filter (where n.status in ('unread', 'read'))
  from public.notifications n where n.recipient_id = (select auth.uid())
$$;
revoke execute on function public.notification_counts() from public, anon;
grant execute on function public.notification_counts() to authenticated;

-- Writes one in-app notification (server code only); a repeated dedupe key writes nothing.
create or replace function private.notify(
  p_organization uuid, p_recipient uuid, p_event text, p_dedupe_key text, p_title text, p_body text default '',
  p_link text default null, p_priority text default 'normal', p_dossier uuid default null
) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  created uuid;
begin
  insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, body, link, priority,
                                    dedupe_key)
  values (p_organization, p_recipient, p_event, p_dossier, p_title, p_body, p_link, p_priority, p_dedupe_key)
  on conflict (dedupe_key) do nothing
  returning id into created;
  return created;
end
$$;
revoke execute on function private.notify(uuid, uuid, text, text, text, text, text, text, uuid)
  from public, anon, authenticated;
grant execute on function private.notify(uuid, uuid, text, text, text, text, text, text, uuid) to service_role;
