-- Why: the `unread_changed` broadcast carries the user's total of unread messages, summed over every
-- conversation the user takes part in: through (user_id, conversation_id), then each participation's heap
-- row for its count. A message to an expert in 2 000 conversations read 2 000 rows to add them up (0.8 ms,
-- 98 pages, on the messaging benchmark's heavy user), more than the rest of the send. Zeros add nothing:
-- the sum now goes through conversation_participants_unread_idx (user_id) include (unread_count) where
-- unread_count > 0, as public.unread_counts() already does, and reads only the conversations with unread
-- messages (0.05 ms for the same user). Same totals (the count is never negative), same triggers.

-- The insert trigger of 0192, unchanged but for the total's predicate.
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
  if coalesce(current_setting('messaging.with_attachments', true), 'off') <> 'on' then
    perform realtime.send(private.message_payload(new), 'message_created', 'conversation:' || new.conversation_id,
                          true);
  end if;
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
                                      where x.user_id = r.user_id and x.unread_count > 0)),
                          'unread_changed', 'user:' || r.user_id, true);
  end loop;
  if v_kind <> 'direct' then
    perform private.message_sent_hooks(new, v_kind);
  end if;
  return null;
end
$$;

-- The participants' broadcast of 0113, unchanged but for the total's predicate.
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
                                      where p.user_id = new.user_id and p.unread_count > 0)),
                          'unread_changed', 'user:' || new.user_id, true);
  end if;
  perform private.participant_read_hooks(old, new);
  return null;
end
$$;
