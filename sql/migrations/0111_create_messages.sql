-- Why: a front end sends a message with a plain PostgREST insert (domain/MESSAGING.md "Messages").
-- RLS checks the caller may write in the conversation; a BEFORE trigger sets organization, sender
-- and server time, refuses anything else and limits a user to 20 messages a minute (PT429). Edits
-- (author, 15 minutes, text only) keep every previous text as a version; deletes are tombstones
-- whose body nobody reads again (kept in the versions for audit); `system` notices are written by
-- the server only (private.post_system_message), e.g. on dossier milestones.

create table if not exists public.messages (
  id bigint generated always as identity primary key,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  sender_id uuid references auth.users (id) on delete set null,
  kind text not null default 'text' check (kind in ('text', 'system')),
  body text,
  details jsonb,
  reply_to bigint references public.messages (id) on delete set null,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid references auth.users (id) on delete set null,
  hidden_at timestamptz,
  hidden_by uuid references auth.users (id) on delete set null,
  check ((deleted_at is null and hidden_at is null) = (body is not null)),
  check (body is null or length(btrim(body)) between 1 and 10000),
  check (kind = 'text' or sender_id is null)
);
create index if not exists messages_conversation_idx on public.messages (conversation_id, id);
create index if not exists messages_organization_idx on public.messages (organization_id);
create index if not exists messages_sender_idx on public.messages (sender_id, created_at);
create index if not exists messages_reply_to_idx on public.messages (reply_to);
create index if not exists messages_deleted_by_idx on public.messages (deleted_by);
create index if not exists messages_hidden_by_idx on public.messages (hidden_by);

create table if not exists public.message_versions (
  id bigint generated always as identity primary key,
  message_id bigint not null references public.messages (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  body text not null,
  reason text not null check (reason in ('edited', 'deleted', 'hidden')),
  replaced_at timestamptz not null default now(),
  replaced_by uuid references auth.users (id) on delete set null
);
create index if not exists message_versions_message_idx on public.message_versions (message_id, id);
create index if not exists message_versions_organization_idx on public.message_versions (organization_id);
create index if not exists message_versions_replaced_by_idx on public.message_versions (replaced_by);

create table if not exists public.message_reports (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  message_id bigint references public.messages (id) on delete cascade,
  reporter_id uuid references auth.users (id) on delete set null,
  reason text not null check (reason in ('spam', 'harcelement', 'contenu_inapproprie', 'fraude', 'autre')),
  comment text check (length(comment) <= 1000),
  status text not null default 'open' check (status in ('open', 'handled', 'dismissed')),
  action text check (action in ('hide', 'delete', 'lock', 'suspend', 'dismiss')),
  handled_by uuid references auth.users (id) on delete set null,
  handled_at timestamptz,
  created_at timestamptz not null default now()
);
create index if not exists message_reports_organization_idx on public.message_reports (organization_id, status);
create index if not exists message_reports_conversation_idx on public.message_reports (conversation_id);
create index if not exists message_reports_message_idx on public.message_reports (message_id);
create index if not exists message_reports_reporter_idx on public.message_reports (reporter_id);
create index if not exists message_reports_handled_by_idx on public.message_reports (handled_by);
create unique index if not exists message_reports_one_open_per_reporter
  on public.message_reports (reporter_id, message_id) where status = 'open' and message_id is not null;

-- Moderators: owners and admins of the organization.
create or replace function private.is_moderator(p_org uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select private.has_role(p_org, array['owner', 'admin'])
$$;
revoke execute on function private.is_moderator(uuid) from public, anon;
grant execute on function private.is_moderator(uuid) to authenticated, service_role;

-- A moderator handling an open report may read the reported content.
create or replace function private.my_reported_message_ids() returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select r.message_id from public.message_reports r
  where r.status = 'open' and r.message_id is not null
    and r.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
$$;
revoke execute on function private.my_reported_message_ids() from public, anon;
grant execute on function private.my_reported_message_ids() to authenticated, service_role;

-- 1. Sending --------------------------------------------------------------------------------------
-- The row triggers below are SECURITY INVOKER on purpose: `current_user` then tells a client of the
-- Data API (authenticated) from the server (a security-definer function or the service role). What
-- they must read or write beyond the caller's rights goes through these definer helpers.
create or replace function private.conversation_organization(p_conversation uuid) returns uuid
language sql stable security definer
set search_path = ''
as $$
  select c.organization_id from public.conversations c where c.id = p_conversation
$$;
create or replace function private.conversation_is_active(p_conversation uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select coalesce((select c.status = 'active' from public.conversations c where c.id = p_conversation), false)
$$;
create or replace function private.message_conversation(p_message bigint) returns uuid
language sql stable security definer
set search_path = ''
as $$
  select m.conversation_id from public.messages m where m.id = p_message
$$;
create or replace function private.messages_sent_last_minute(p_user uuid) returns integer
language sql stable security definer
set search_path = ''
as $$
  select count(*)::integer from public.messages m
  where m.sender_id = p_user and m.created_at > clock_timestamp() - interval '1 minute'
$$;
create or replace function private.keep_message_version(p_message bigint, p_org uuid, p_body text, p_reason text)
returns void
language sql security definer
set search_path = ''
as $$
  insert into public.message_versions (message_id, organization_id, body, reason, replaced_by)
  values (p_message, p_org, p_body, p_reason, (select auth.uid()))
$$;
revoke execute on function private.conversation_organization(uuid), private.conversation_is_active(uuid),
  private.message_conversation(bigint), private.messages_sent_last_minute(uuid),
  private.keep_message_version(bigint, uuid, text, text) from public, anon;
grant execute on function private.conversation_organization(uuid), private.conversation_is_active(uuid),
  private.message_conversation(bigint), private.messages_sent_last_minute(uuid),
  private.keep_message_version(bigint, uuid, text, text) to authenticated, service_role;

create or replace function private.prepare_message() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_sent integer;
begin
  new.organization_id := private.conversation_organization(new.conversation_id);
  new.created_at := now();
  if current_user not in ('authenticated', 'anon') then
    return new;  -- the server (system notices, service role)
  end if;
  if new.sender_id is not null and new.sender_id <> v_user then
    raise exception 'the sender is the signed-in user' using errcode = 'PT403', hint = 'sender_mismatch';
  end if;
  if new.kind <> 'text' or new.details is not null or new.edited_at is not null or new.deleted_at is not null
     or new.deleted_by is not null or new.hidden_at is not null or new.hidden_by is not null then
    raise exception 'only the text, the conversation and the reply may be given' using errcode = 'PT403',
      hint = 'forbidden_field';
  end if;
  new.sender_id := v_user;
  new.body := btrim(new.body);
  if new.body is null or length(new.body) not between 1 and 10000 then
    perform private.raise_field_error('body', 'length', 'Le message doit compter de 1 à 10 000 caractères.');
  end if;
  if new.reply_to is not null
     and private.message_conversation(new.reply_to) is distinct from new.conversation_id then
    perform private.raise_field_error('reply_to', 'same_conversation',
      'La réponse doit viser un message de la même conversation.');
  end if;
  -- 20 messages a minute per user: one user's sends queue on a per-user lock, so the count is exact.
  perform pg_advisory_xact_lock(hashtextextended('messages:' || v_user::text, 0));
  v_sent := private.messages_sent_last_minute(v_user);
  if v_sent >= 20 then
    raise exception 'too many messages: at most 20 a minute' using errcode = 'PT429', hint = 'rate_limited',
      detail = jsonb_build_object('retry_after_seconds', 60)::text;
  end if;
  return new;
end
$$;
revoke execute on function private.prepare_message() from public, anon, authenticated;
create or replace trigger messages_prepare before insert on public.messages
  for each row execute function private.prepare_message();

-- 2. Edits, deletes, moderation ------------------------------------------------------------------
create or replace function private.guard_message_update() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_reason text;
begin
  if old.kind = 'system' then
    raise exception 'system messages are never edited or deleted' using errcode = 'PT409', hint = 'system_message';
  end if;
  if old.deleted_at is not null or old.hidden_at is not null then
    raise exception 'the message was removed' using errcode = 'PT409', hint = 'message_removed';
  end if;
  if current_user in ('authenticated', 'anon') then
    -- the author through the Data API: the text, or a deletion (deleted_at set)
    if (new.id, new.conversation_id, new.organization_id, new.sender_id, new.kind, new.details, new.reply_to,
        new.created_at, new.edited_at, new.deleted_by, new.hidden_at, new.hidden_by)
       is distinct from
       (old.id, old.conversation_id, old.organization_id, old.sender_id, old.kind, old.details, old.reply_to,
        old.created_at, old.edited_at, old.deleted_by, old.hidden_at, old.hidden_by) then
      raise exception 'only the text may be edited' using errcode = 'PT403', hint = 'forbidden_field';
    end if;
    if old.sender_id is distinct from v_user then
      raise exception 'only the author edits a message' using errcode = 'PT403', hint = 'forbidden';
    end if;
    if now() > old.created_at + interval '15 minutes' then
      raise exception 'messages can be edited or deleted within 15 minutes' using errcode = 'PT409',
        hint = 'edit_window_closed';
    end if;
    if not private.conversation_is_active(old.conversation_id) then
      raise exception 'the conversation is locked' using errcode = 'PT409', hint = 'conversation_locked';
    end if;
    if new.deleted_at is not null then
      new.deleted_at := now();
      new.deleted_by := v_user;
      new.body := null;
    else
      new.body := btrim(new.body);
      if new.body is null or length(new.body) not between 1 and 10000 then
        perform private.raise_field_error('body', 'length', 'Le message doit compter de 1 à 10 000 caractères.');
      end if;
      if new.body = old.body then
        return new;
      end if;
      new.edited_at := now();
    end if;
  end if;
  v_reason := case when new.hidden_at is not null then 'hidden' when new.deleted_at is not null then 'deleted'
                   else 'edited' end;
  if v_reason <> 'edited' then
    new.body := null;
  end if;
  perform private.keep_message_version(old.id, old.organization_id, old.body, v_reason);
  return new;
end
$$;
revoke execute on function private.guard_message_update() from public, anon, authenticated;
create or replace trigger messages_guard_update before update on public.messages
  for each row execute function private.guard_message_update();

-- 3. System notices (other capabilities call this; never granted to API roles) -----------------
create or replace function private.post_system_message(p_dossier uuid, p_body text, p_details jsonb default null)
returns bigint
language plpgsql security definer
set search_path = ''
as $$
declare
  v_conversation uuid;
  v_id bigint;
begin
  perform private.sync_dossier_conversation(p_dossier);
  select c.id into v_conversation from public.conversations c where c.dossier_id = p_dossier;
  if v_conversation is null then
    return null;  -- no expert yet: no dossier conversation
  end if;
  insert into public.messages (conversation_id, organization_id, kind, body, details)
  values (v_conversation, (select c.organization_id from public.conversations c where c.id = v_conversation),
          'system', left(p_body, 10000), p_details)
  returning id into v_id;
  return v_id;
end
$$;
revoke execute on function private.post_system_message(uuid, text, jsonb) from public, anon, authenticated;

-- Dossier milestones become notices: documents requested (with the list), audit completed, claim filed.
create or replace function private.notice_dossier_milestone() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_list text;
begin
  if new.to_status = 'documents_requested' then
    select string_agg('• ' || coalesce(nullif(i.label, ''), t.label_fr, i.document_type) || coalesce(' — ' || nullif(i.note, ''), ''),
                      E'\n' order by i.position)
    into v_list
    from public.document_request_items i
    left join public.document_types t on t.code = i.document_type
    where i.dossier_id = new.dossier_id and i.state = 'open';
    perform private.post_system_message(new.dossier_id,
      'Documents demandés' || coalesce(E' :\n' || v_list, ''),
      jsonb_build_object('event', 'documents_requested', 'dossier_event_id', new.id));
  elsif new.to_status = 'audit_completed' then
    perform private.post_system_message(new.dossier_id, 'Audit terminé : il est prêt pour votre validation.',
      jsonb_build_object('event', 'audit_completed', 'dossier_event_id', new.id));
  elsif new.to_status = 'claim_filed' then
    perform private.post_system_message(new.dossier_id, 'Réclamation déposée auprès de l''administration.',
      jsonb_build_object('event', 'claim_filed', 'dossier_event_id', new.id));
  end if;
  return null;
end
$$;
revoke execute on function private.notice_dossier_milestone() from public, anon, authenticated;
create or replace trigger dossier_events_notice_conversation after insert on public.dossier_events
  for each row when (new.to_status in ('documents_requested', 'audit_completed', 'claim_filed')
                     and new.from_status is distinct from new.to_status)
  execute function private.notice_dossier_milestone();

-- 4. Reports ----------------------------------------------------------------------------------------
create or replace function private.prepare_report() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') then
    new.reporter_id := (select auth.uid());
    new.status := 'open';
    new.action := null;
    new.handled_by := null;
    new.handled_at := null;
    new.created_at := now();
  end if;
  if new.message_id is not null then
    new.conversation_id := private.message_conversation(new.message_id);
  end if;
  new.organization_id := private.conversation_organization(new.conversation_id);
  return new;
end
$$;
revoke execute on function private.prepare_report() from public, anon, authenticated;
create or replace trigger message_reports_prepare before insert on public.message_reports
  for each row execute function private.prepare_report();

-- 5. Moderation (owners and admins; each action audited, the report closed) --------------------
create or replace function public.moderate(
  p_action text, p_report_id uuid default null, p_message_id bigint default null,
  p_conversation_id uuid default null, p_user_id uuid default null, p_reason text default null
) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  r public.message_reports;
  v_org uuid;
  v_message bigint := p_message_id;
  v_conversation uuid := p_conversation_id;
begin
  if p_report_id is not null then
    select x.* into r from public.message_reports x where x.id = p_report_id for update;
    if r.id is null or not private.is_moderator(r.organization_id) then
      raise exception 'no such report' using errcode = 'PT404', hint = 'report_not_found';
    end if;
    v_message := coalesce(v_message, r.message_id);
    v_conversation := coalesce(v_conversation, r.conversation_id);
  end if;
  if p_action not in ('hide', 'delete', 'lock', 'unlock', 'suspend', 'unsuspend', 'dismiss') then
    perform private.raise_field_error('action', 'one_of', 'Action : hide, delete, lock, unlock, suspend, unsuspend, dismiss.');
  end if;
  if p_action in ('hide', 'delete') then
    select m.organization_id into v_org from public.messages m where m.id = v_message;
  elsif p_action in ('lock', 'unlock') then
    select c.organization_id into v_org from public.conversations c where c.id = v_conversation;
  elsif p_action in ('suspend', 'unsuspend') then
    v_org := coalesce(r.organization_id, (select c.organization_id from public.conversations c where c.id = v_conversation));
  else
    v_org := r.organization_id;
  end if;
  if v_org is null or not private.is_moderator(v_org) then
    raise exception 'nothing to moderate here' using errcode = 'PT404', hint = 'not_found';
  end if;
  if p_action = 'hide' then
    update public.messages set hidden_at = now(), hidden_by = v_user where id = v_message and hidden_at is null
      and deleted_at is null and kind = 'text';
  elsif p_action = 'delete' then
    update public.messages set deleted_at = now(), deleted_by = v_user where id = v_message and hidden_at is null
      and deleted_at is null and kind = 'text';
  elsif p_action in ('lock', 'unlock') then
    update public.conversations set status = case when p_action = 'lock' then 'locked' else 'active' end
    where id = v_conversation;
  elsif p_action = 'suspend' then
    if p_user_id is null then
      perform private.raise_field_error('user_id', 'required', 'La personne à suspendre est requise.');
    end if;
    insert into public.messaging_suspensions (organization_id, user_id, reason, suspended_by)
    values (v_org, p_user_id, p_reason, v_user) on conflict do nothing;
  elsif p_action = 'unsuspend' then
    delete from public.messaging_suspensions s where s.organization_id = v_org and s.user_id = p_user_id;
  end if;
  if r.id is not null then
    update public.message_reports set status = case when p_action = 'dismiss' then 'dismissed' else 'handled' end,
      action = case when p_action in ('hide', 'delete', 'lock', 'suspend', 'dismiss') then p_action end,
      handled_by = v_user, handled_at = now()
    where id = r.id;
  end if;
  insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role, new_values)
  values (v_org, 'message_moderation', coalesce(r.id, v_conversation, p_user_id,
                                                (select m.conversation_id from public.messages m where m.id = v_message)),
          'update', v_user, 'admin',
          jsonb_build_object('action', p_action, 'report_id', r.id, 'message_id', v_message,
                             'conversation_id', v_conversation, 'user_id', p_user_id, 'reason', p_reason));
  return jsonb_build_object('action', p_action, 'report_id', r.id, 'message_id', v_message,
                            'conversation_id', v_conversation, 'user_id', p_user_id);
end
$$;
revoke execute on function public.moderate(text, uuid, bigint, uuid, uuid, text) from public, anon;
grant execute on function public.moderate(text, uuid, bigint, uuid, uuid, text) to authenticated;

-- 6. RLS ----------------------------------------------------------------------------------------------
alter table public.messages enable row level security;
grant select, insert (conversation_id, sender_id, kind, body, reply_to), update (body, deleted_at)
  on public.messages to authenticated;
grant all on public.messages to service_role;
drop policy if exists "Participants and moderators handling a report read messages" on public.messages;
create policy "Participants and moderators handling a report read messages" on public.messages
  for select to authenticated
  using (conversation_id in (select private.my_conversation_ids())
         or id in (select private.my_reported_message_ids()));
drop policy if exists "Participants who may write send their own messages" on public.messages;
create policy "Participants who may write send their own messages" on public.messages
  for insert to authenticated
  with check (sender_id = (select auth.uid()) and kind = 'text'
              and private.is_conversation_participant(conversation_id, true));
drop policy if exists "Authors edit or delete their own messages" on public.messages;
create policy "Authors edit or delete their own messages" on public.messages
  for update to authenticated
  using (sender_id = (select auth.uid()) and conversation_id in (select private.my_conversation_ids()))
  with check (sender_id = (select auth.uid()) and conversation_id in (select private.my_conversation_ids()));

alter table public.message_versions enable row level security;
grant select on public.message_versions to authenticated;
grant all on public.message_versions to service_role;
drop policy if exists "Moderators read the versions of messages they may read" on public.message_versions;
create policy "Moderators read the versions of messages they may read" on public.message_versions
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
         and message_id in (select m.id from public.messages m));

alter table public.message_reports enable row level security;
grant select, insert (conversation_id, message_id, reason, comment) on public.message_reports to authenticated;
grant all on public.message_reports to service_role;
drop policy if exists "Reporters read their reports and moderators their organization's" on public.message_reports;
create policy "Reporters read their reports and moderators their organization's" on public.message_reports
  for select to authenticated
  using (reporter_id = (select auth.uid())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
drop policy if exists "Participants report what they can read" on public.message_reports;
create policy "Participants report what they can read" on public.message_reports
  for insert to authenticated
  with check (reporter_id = (select auth.uid()) and private.is_conversation_participant(conversation_id));
