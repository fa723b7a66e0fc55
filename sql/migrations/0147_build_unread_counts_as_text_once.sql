-- Why: with 0145 the unread counts of a user in 2 000 conversations read 200 index entries in
-- 0.15 ms, then spent 1.4 ms building the answer: a jsonb object per conversation, each copied again
-- into the jsonb array. The list is now built as json text and converted to jsonb once (the same
-- jsonb value: keys, values and order are unchanged), and the body is PL/pgSQL so that a pooled
-- connection plans it once instead of at every call.

create or replace function private.unread_counts() returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      'total', coalesce(sum(p.unread_count), 0),
      'conversations', coalesce(json_agg(json_build_object(
        'conversation_id', p.conversation_id, 'unread_count', p.unread_count, 'muted', p.muted,
        'last_read_message_id', p.last_read_message_id))::jsonb, '[]'::jsonb))
    from public.conversation_participants p
    where p.user_id = (select auth.uid()) and p.unread_count > 0);
end
$$;
