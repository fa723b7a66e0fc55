-- Why: sending must stay under 5 ms at the 95th percentile with 16 concurrent senders (issue 12,
-- item 9); profiling the insert showed where it went: three AFTER INSERT triggers each calling
-- functions that looked the same rows up again, an `unread_changed` broadcast per recipient fired
-- from a second trigger on conversation_participants, and every send taking a KEY SHARE lock on the
-- single organization row (the messages → organizations foreign key), which 16 concurrent senders
-- of one organization turn into multixact churn. This migration:
-- - drops that foreign key: organization_id is set by the BEFORE trigger from the conversation,
--   whose own foreign key (ON DELETE CASCADE) already removes the messages with the organization;
-- - makes ONE AFTER INSERT trigger do the counting, the conversation's last activity, the
--   `message_created` broadcast and each recipient's `unread_changed` (count and total);
-- - leaves the participants' trigger to joining, leaving and reading (its WHEN clause keeps it
--   from firing for the counts a send increments);
-- - lets a message carry attachments without text (0140: checked at commit);
-- - returns unread counts for the conversations that have some, with the total (the list a badge
--   needs; absent means 0), without the join and sort a heavy user paid for.

alter table public.messages drop constraint if exists messages_organization_id_fkey;

-- 1. The BEFORE trigger: same rules, a body may be absent when attachments follow (0140) ----------
create or replace function private.prepare_message() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_user uuid;
begin
  new.organization_id := private.conversation_organization(new.conversation_id);
  new.created_at := now();
  if current_user not in ('authenticated', 'anon') then
    return new;  -- the server (system notices, service role)
  end if;
  v_user := (select auth.uid());
  if new.sender_id is not null and new.sender_id <> v_user then
    raise exception 'the sender is the signed-in user' using errcode = 'PT403', hint = 'sender_mismatch';
  end if;
  if new.kind <> 'text' or new.details is not null or new.edited_at is not null or new.deleted_at is not null
     or new.deleted_by is not null or new.hidden_at is not null or new.hidden_by is not null then
    raise exception 'only the text, the conversation and the reply may be given' using errcode = 'PT403',
      hint = 'forbidden_field';
  end if;
  new.sender_id := v_user;
  new.body := nullif(btrim(new.body), '');
  -- no text: only when public.send_message brings attachments (checked again at commit)
  if (new.body is null and current_setting('messaging.with_attachments', true) is distinct from 'on')
     or length(new.body) > 10000 then
    perform private.raise_field_error('body', 'length', 'Le message doit compter de 1 à 10 000 caractères.');
  end if;
  if new.reply_to is not null
     and private.message_conversation(new.reply_to) is distinct from new.conversation_id then
    perform private.raise_field_error('reply_to', 'same_conversation',
      'La réponse doit viser un message de la même conversation.');
  end if;
  -- 20 messages a minute per user: one user's sends queue on a per-user lock, so the count is exact.
  perform pg_advisory_xact_lock(hashtextextended('messages:' || v_user::text, 0));
  if private.messages_sent_last_minute(v_user) >= 20 then
    raise exception 'too many messages: at most 20 a minute' using errcode = 'PT429', hint = 'rate_limited',
      detail = jsonb_build_object('retry_after_seconds', 60)::text;
  end if;
  return new;
end
$$;
revoke execute on function private.prepare_message() from public, anon, authenticated;

-- 2. One AFTER INSERT trigger ---------------------------------------------------------------------
-- Hook for what a new message starts elsewhere (the follow-up engine, 0142 replaces it).
create or replace function private.message_sent_hooks(p_message public.messages, p_kind text) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  return;
end
$$;
revoke execute on function private.message_sent_hooks(public.messages, text) from public, anon, authenticated;

create or replace function private.after_message_insert() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_kind text;
  r record;
begin
  update public.conversations c set last_message_at = new.created_at where c.id = new.conversation_id
  returning c.kind into v_kind;
  perform realtime.send(private.message_payload(new), 'message_created', 'conversation:' || new.conversation_id, true);
  for r in
    update public.conversation_participants p
    set unread_count = p.unread_count + 1
    where p.conversation_id = new.conversation_id and p.user_id is distinct from new.sender_id
      and coalesce(p.last_read_message_id, 0) < new.id
    returning p.user_id, p.unread_count
  loop
    perform realtime.send(jsonb_build_object(
                            'conversation_id', new.conversation_id, 'count', r.unread_count,
                            'total', (select sum(x.unread_count) from public.conversation_participants x
                                      where x.user_id = r.user_id)),
                          'unread_changed', 'user:' || r.user_id, true);
  end loop;
  if v_kind <> 'direct' then
    perform private.message_sent_hooks(new, v_kind);
  end if;
  return null;
end
$$;
revoke execute on function private.after_message_insert() from public, anon, authenticated;

drop trigger if exists messages_count_unread on public.messages;
drop trigger if exists messages_broadcast on public.messages;
drop trigger if exists messages_after_insert on public.messages;
create trigger messages_after_insert after insert on public.messages
  for each row execute function private.after_message_insert();
create trigger messages_broadcast after update on public.messages
  for each row execute function private.broadcast_message();

-- 3. Participants: joining, leaving, reading (a send's increments are broadcast above) ------------
create or replace function private.broadcast_participant() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform realtime.send(jsonb_build_object('conversation_id', new.conversation_id, 'role', new.role),
                          'conversation_added', 'user:' || new.user_id, true);
    return null;
  elsif tg_op = 'DELETE' then
    perform realtime.send(jsonb_build_object('conversation_id', old.conversation_id),
                          'conversation_removed', 'user:' || old.user_id, true);
    return null;
  end if;
  if new.last_read_message_id is distinct from old.last_read_message_id and not private.hides_receipts(new.user_id) then
    perform realtime.send(jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id,
                                             'last_read_message_id', new.last_read_message_id),
                          'read', 'conversation:' || new.conversation_id, true);
  end if;
  if new.unread_count is distinct from old.unread_count then
    perform realtime.send(jsonb_build_object(
                            'conversation_id', new.conversation_id, 'count', new.unread_count,
                            'total', (select coalesce(sum(p.unread_count), 0) from public.conversation_participants p
                                      where p.user_id = new.user_id)),
                          'unread_changed', 'user:' || new.user_id, true);
  end if;
  perform private.participant_read_hooks(old, new);
  return null;
end
$$;

-- Hook for what reading ends elsewhere (the follow-up engine, 0142 replaces it).
create or replace function private.participant_read_hooks(p_old public.conversation_participants,
                                                          p_new public.conversation_participants) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  return;
end
$$;
revoke execute on function private.participant_read_hooks(public.conversation_participants,
  public.conversation_participants) from public, anon, authenticated;

drop trigger if exists conversation_participants_broadcast on public.conversation_participants;
drop trigger if exists conversation_participants_broadcast_update on public.conversation_participants;
create trigger conversation_participants_broadcast
  after insert or delete on public.conversation_participants
  for each row execute function private.broadcast_participant();
create trigger conversation_participants_broadcast_update
  after update of last_read_message_id, unread_count on public.conversation_participants
  for each row when (old.last_read_message_id is distinct from new.last_read_message_id
                     or new.unread_count < old.unread_count)
  execute function private.broadcast_participant();

-- 4. Unread counts: the conversations with unread messages, and the total -------------------------
create or replace function private.unread_counts() returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'total', coalesce(sum(p.unread_count), 0),
    'conversations', coalesce(jsonb_agg(jsonb_build_object(
      'conversation_id', p.conversation_id, 'unread_count', p.unread_count, 'muted', p.muted,
      'last_read_message_id', p.last_read_message_id)) filter (where p.unread_count > 0), '[]'::jsonb))
  from public.conversation_participants p
  where p.user_id = (select auth.uid())
$$;
