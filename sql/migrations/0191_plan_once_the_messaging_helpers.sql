-- Why: as in 0121 and 0190, `language sql` helpers with `set search_path` are planned again at every
-- call on PostgreSQL 15. Each send called five of them (its trigger's organization, suspension and
-- rate-limit checks, the broadcast payload, and the participants policy), about 0.4 ms of a send's
-- ~1 ms in the database (track_functions on the messaging benchmark's data). Same signatures, same
-- results, same privileges: the same queries, written as PL/pgSQL, which keeps their plans for the
-- session. The messaging tests (rate limit, suspension, payloads, policies) hold the behaviour.

-- The conversations the caller takes part in (0110; the messages and participants policies).
create or replace function private.my_conversation_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query select p.conversation_id from public.conversation_participants p where p.user_id = (select auth.uid());
end
$$;

-- Whether moderation suspended the user's sending in the organization (0110).
create or replace function private.sending_suspended(p_org uuid, p_user uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.messaging_suspensions s where s.organization_id = p_org and s.user_id = p_user);
end
$$;

-- Messages the user sent in the last minute (0111; the 20-a-minute limit).
create or replace function private.messages_sent_last_minute(p_user uuid) returns integer
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select count(*)::integer from public.messages m
          where m.sender_id = p_user and m.created_at > clock_timestamp() - interval '1 minute');
end
$$;

-- The organization a conversation belongs to (0111).
create or replace function private.conversation_organization(p_conversation uuid) returns uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select c.organization_id from public.conversations c where c.id = p_conversation);
end
$$;

-- What Realtime carries of a message: never the body of a deleted or hidden one (0113).
create or replace function private.message_payload(m public.messages) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'id', m.id, 'conversation_id', m.conversation_id, 'sender_id', m.sender_id, 'kind', m.kind,
    'body', case when m.deleted_at is null and m.hidden_at is null then m.body end,
    'reply_to', m.reply_to, 'created_at', m.created_at, 'edited_at', m.edited_at,
    'deleted', m.deleted_at is not null, 'hidden', m.hidden_at is not null,
    'sender_name', (select p.display_name from public.conversation_participants p
                    where p.conversation_id = m.conversation_id and p.user_id = m.sender_id));
end
$$;
