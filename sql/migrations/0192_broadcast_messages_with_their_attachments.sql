-- Why: a message sent with attachments (public.send_message, 0140) was broadcast as `message_created`
-- by the insert trigger, before its attachments were linked: a front end showed a message without its
-- files (or an empty one, when it carried files only) until it reloaded the conversation.
-- Now the broadcast payload (private.message_payload) lists the message's attachments — id, file name,
-- format and size, never the storage key, and nothing for a deleted or hidden message — and a message
-- sent with attachments is broadcast once, after they are linked: the insert trigger leaves it to
-- private.attach_to_message while public.send_message says attachments follow
-- (`messaging.with_attachments`, set by send_message since 0140). Linking outside a send broadcasts
-- `message_updated`. A plain insert through the Data API is broadcast by its trigger as before.

-- What Realtime carries of a message (0113, 0191) plus its attachments.
create or replace function private.message_payload(m public.messages) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_removed boolean := m.deleted_at is not null or m.hidden_at is not null;
begin
  return jsonb_build_object(
    'id', m.id, 'conversation_id', m.conversation_id, 'sender_id', m.sender_id, 'kind', m.kind,
    'body', case when not v_removed then m.body end,
    'reply_to', m.reply_to, 'created_at', m.created_at, 'edited_at', m.edited_at,
    'deleted', m.deleted_at is not null, 'hidden', m.hidden_at is not null,
    'sender_name', (select p.display_name from public.conversation_participants p
                    where p.conversation_id = m.conversation_id and p.user_id = m.sender_id),
    'attachments', case when v_removed then '[]'::jsonb else coalesce(
      (select jsonb_agg(jsonb_build_object('id', a.id, 'file_name', a.file_name, 'format', a.declared_format,
                                           'size', a.size_bytes) order by a.created_at, a.file_name, a.id)
       from public.message_attachments a where a.message_id = m.id),
      '[]'::jsonb) end);
end
$$;

-- The insert trigger of 0141, unchanged but for the broadcast of a send whose attachments follow.
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
                                      where x.user_id = r.user_id)),
                          'unread_changed', 'user:' || r.user_id, true);
  end loop;
  if v_kind <> 'direct' then
    perform private.message_sent_hooks(new, v_kind);
  end if;
  return null;
end
$$;

-- 0140's linking, then the broadcast: `message_created` within a send, `message_updated` otherwise.
create or replace function private.attach_to_message(p_message bigint, p_attachments uuid[]) returns integer
language plpgsql security definer
set search_path = ''
as $$
declare
  m public.messages;
  v_linked integer;
begin
  select x.* into m from public.messages x where x.id = p_message;
  if m.id is null or m.sender_id is distinct from (select auth.uid()) then
    raise exception 'no such message' using errcode = 'PT404', hint = 'message_not_found';
  end if;
  if cardinality(p_attachments) > 5 then
    perform private.raise_field_error('attachment_ids', 'max_items', 'Au plus 5 pièces jointes par message.');
  end if;
  update public.message_attachments a set message_id = m.id, state = 'attached'
  where a.id = any (p_attachments) and a.conversation_id = m.conversation_id and a.state = 'ready'
    and a.uploaded_by = m.sender_id;
  get diagnostics v_linked = row_count;
  if v_linked <> (select count(distinct x) from unnest(p_attachments) x) then
    perform private.raise_field_error('attachment_ids', 'ready',
      'Chaque pièce jointe doit être un fichier déposé par vous dans cette conversation et non encore envoyé.');
  end if;
  perform realtime.send(private.message_payload(m),
                        case when coalesce(current_setting('messaging.with_attachments', true), 'off') = 'on'
                             then 'message_created' else 'message_updated' end,
                        'conversation:' || m.conversation_id, true);
  return v_linked;
end
$$;

-- 0140's send, saying "attachments follow" until they are linked.
create or replace function public.send_message(p_conversation_id uuid, p_body text default null,
                                               p_attachment_ids uuid[] default '{}', p_reply_to bigint default null)
returns bigint
language plpgsql security invoker
set search_path = ''
as $$
declare
  v_id bigint;
  v_with boolean := coalesce(cardinality(p_attachment_ids), 0) > 0;
begin
  perform set_config('messaging.with_attachments', case when v_with then 'on' else 'off' end, true);
  insert into public.messages (conversation_id, sender_id, body, reply_to)
  values (p_conversation_id, (select auth.uid()), nullif(btrim(coalesce(p_body, '')), ''), p_reply_to)
  returning id into v_id;
  if v_id is null then
    perform set_config('messaging.with_attachments', 'off', true);
    raise exception 'you cannot write in this conversation' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if v_with then
    perform private.attach_to_message(v_id, p_attachment_ids);
  end if;
  perform set_config('messaging.with_attachments', 'off', true);
  return v_id;
end
$$;
