-- Why: the unread counts of a user taking part in 2 000 conversations must come back under 5 ms
-- (issue 12, item 9); they took 12 ms at the 95th percentile. Both that RPC and every policy keyed by
-- conversation (private.my_conversation_ids(), the search's list of the caller's conversations)
-- read the caller's participant rows through the index on user_id alone, then one heap page per
-- conversation (1 200 pages for 2 000 rows on the benchmark's data).
--
-- - The index on (user_id) becomes (user_id, conversation_id): the caller's conversation list is
--   read from the index (it still serves the foreign key on user_id).
-- - A partial index holds, per user, only the conversations with unread messages, with what the
--   counts return: private.unread_counts() reads those rows (a tenth of them on the benchmark's data)
--   instead of all of them. unread_count is never negative (check constraint), so the total over the
--   rows with unread messages is the total over all of them; the answer is unchanged.
-- Updates of unread_count can no longer be HOT updates: they almost never were (the table's pages
-- are full; 14 HOT updates in 120 000 on the benchmark's data).

create index if not exists conversation_participants_user_conversation_idx
  on public.conversation_participants (user_id, conversation_id);
drop index if exists public.conversation_participants_user_idx;

create index if not exists conversation_participants_unread_idx
  on public.conversation_participants (user_id) include (conversation_id, unread_count, muted, last_read_message_id)
  where unread_count > 0;

create or replace function private.unread_counts() returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'total', coalesce(sum(p.unread_count), 0),
    'conversations', coalesce(jsonb_agg(jsonb_build_object(
      'conversation_id', p.conversation_id, 'unread_count', p.unread_count, 'muted', p.muted,
      'last_read_message_id', p.last_read_message_id)), '[]'::jsonb))
  from public.conversation_participants p
  where p.user_id = (select auth.uid()) and p.unread_count > 0
$$;
