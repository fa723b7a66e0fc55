-- Why: conversations update live over Supabase Realtime private channels (domain/MESSAGING.md
-- "Realtime design"). Triggers broadcast on `conversation:<id>` (message_created, message_updated
-- without the old body, read unless the reader hides receipts) and on `user:<id>` (unread_changed,
-- conversation_added, conversation_removed). private.may_receive_topic gains both families through
-- the same participation helper as the table policies (a malformed topic is false, never an
-- error), and clients may write only presence on conversations they take part in.

-- 1. Messages -------------------------------------------------------------------------------------
create or replace function private.message_payload(m public.messages) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', m.id, 'conversation_id', m.conversation_id, 'sender_id', m.sender_id, 'kind', m.kind,
    'body', case when m.deleted_at is null and m.hidden_at is null then m.body end,
    'reply_to', m.reply_to, 'created_at', m.created_at, 'edited_at', m.edited_at,
    'deleted', m.deleted_at is not null, 'hidden', m.hidden_at is not null,
    'sender_name', (select p.display_name from public.conversation_participants p
                    where p.conversation_id = m.conversation_id and p.user_id = m.sender_id))
$$;
revoke execute on function private.message_payload(public.messages) from public, anon;
grant execute on function private.message_payload(public.messages) to authenticated, service_role;

create or replace function private.broadcast_message() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform realtime.send(private.message_payload(new),
                        case when tg_op = 'INSERT' then 'message_created' else 'message_updated' end,
                        'conversation:' || new.conversation_id, true);
  return null;
end
$$;
revoke execute on function private.broadcast_message() from public, anon, authenticated;
create or replace trigger messages_broadcast after insert or update on public.messages
  for each row execute function private.broadcast_message();

-- 2. Participants: read pointers, unread counts, joining and leaving -----------------------------
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
  return null;
end
$$;
revoke execute on function private.broadcast_participant() from public, anon, authenticated;
create or replace trigger conversation_participants_broadcast
  after insert or delete or update of last_read_message_id, unread_count on public.conversation_participants
  for each row execute function private.broadcast_participant();

-- 3. Who may receive a topic: the 0055 branch kept, two families added ----------------------------
create or replace function private.may_receive_topic(p_topic text) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_parts text[] := string_to_array(p_topic, ':');
  v_uuid constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
begin
  if p_topic is null or (select auth.uid()) is null then
    return false;
  end if;
  if v_parts[1] = 'dossier' and cardinality(v_parts) = 3 and v_parts[2] ~ v_uuid then
    return v_parts[3] = any (private.my_event_audience(v_parts[2]::uuid));
  elsif v_parts[1] = 'conversation' and cardinality(v_parts) = 2 and v_parts[2] ~ v_uuid then
    return private.is_conversation_participant(v_parts[2]::uuid);
  elsif v_parts[1] = 'user' and cardinality(v_parts) = 2 and v_parts[2] ~ v_uuid then
    return v_parts[2]::uuid = (select auth.uid());
  end if;
  return false;
end
$$;
revoke execute on function private.may_receive_topic(text) from public, anon;
grant execute on function private.may_receive_topic(text) to authenticated, service_role;

drop policy if exists "Participants receive the private topics meant for them" on realtime.messages;
create policy "Participants receive the private topics meant for them" on realtime.messages
  for select to authenticated
  using (extension in ('broadcast', 'presence') and private.may_receive_topic(topic));

-- Clients never broadcast (messages go through the table): only presence on their conversations.
drop policy if exists "Participants share presence on their conversations" on realtime.messages;
create policy "Participants share presence on their conversations" on realtime.messages
  for insert to authenticated
  with check (extension = 'presence' and topic like 'conversation:%' and private.may_receive_topic(topic));
