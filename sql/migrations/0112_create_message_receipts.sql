-- Why: reliable read receipts and unread counts (domain/MESSAGING.md "Read receipts, unread counts").
-- The last-read pointer only moves forward; the unread count of each participant is kept by a
-- trigger (others' messages after the pointer) and recomputed exactly when marking read, under the
-- participant row's lock so that concurrent sends and reads never drift. Users may hide their
-- receipts (others then see `envoyé`) and mute conversations (they still count, never email).

create table if not exists public.messaging_preferences (
  user_id uuid primary key references auth.users (id) on delete cascade,
  hide_receipts boolean not null default false,
  updated_at timestamptz not null default now()
);
alter table public.messaging_preferences enable row level security;
grant select, insert (user_id, hide_receipts), update (hide_receipts) on public.messaging_preferences to authenticated;
grant all on public.messaging_preferences to service_role;
drop policy if exists "Users read their own messaging preferences" on public.messaging_preferences;
create policy "Users read their own messaging preferences" on public.messaging_preferences
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own messaging preferences" on public.messaging_preferences;
create policy "Users create their own messaging preferences" on public.messaging_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users change their own messaging preferences" on public.messaging_preferences;
create policy "Users change their own messaging preferences" on public.messaging_preferences
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

create or replace function private.hides_receipts(p_user uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select coalesce((select p.hide_receipts from public.messaging_preferences p where p.user_id = p_user), false)
$$;
revoke execute on function private.hides_receipts(uuid) from public, anon;
grant execute on function private.hides_receipts(uuid) to authenticated, service_role;

-- Others' messages count for every other participant whose pointer is behind the new message (the
-- condition is re-evaluated on the latest row version when a concurrent read holds the row).
create or replace function private.count_new_message() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.conversation_participants p
  set unread_count = p.unread_count + 1
  where p.conversation_id = new.conversation_id and p.user_id is distinct from new.sender_id
    and coalesce(p.last_read_message_id, 0) < new.id;
  update public.conversations c set last_message_at = new.created_at where c.id = new.conversation_id;
  return null;
end
$$;
revoke execute on function private.count_new_message() from public, anon, authenticated;
create or replace trigger messages_count_unread after insert on public.messages
  for each row execute function private.count_new_message();

-- Marks the caller's conversation read up to a message (default: the latest); never moves back.
create or replace function public.mark_conversation_read(p_conversation_id uuid, p_up_to bigint default null)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_pointer bigint;
  v_target bigint;
  v_count integer;
begin
  -- 1. the row lock first: concurrent sends for this participant wait or are already committed
  select p.last_read_message_id into v_pointer from public.conversation_participants p
  where p.conversation_id = p_conversation_id and p.user_id = v_user for update;
  if not found then
    raise exception 'no such conversation' using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  -- 2. a new statement (new snapshot) sees every message committed before the lock was granted
  select max(m.id) into v_target from public.messages m
  where m.conversation_id = p_conversation_id and (p_up_to is null or m.id <= p_up_to);
  v_target := greatest(coalesce(v_pointer, 0), coalesce(v_target, 0));
  select count(*) into v_count from public.messages m
  where m.conversation_id = p_conversation_id and m.id > v_target and m.sender_id is distinct from v_user;
  update public.conversation_participants p
  set last_read_message_id = nullif(v_target, 0),
      last_read_at = case when v_target > coalesce(v_pointer, 0) then now() else p.last_read_at end,
      unread_count = v_count
  where p.conversation_id = p_conversation_id and p.user_id = v_user;
  return jsonb_build_object('conversation_id', p_conversation_id, 'last_read_message_id', nullif(v_target, 0),
                            'unread_count', v_count);
end
$$;
revoke execute on function public.mark_conversation_read(uuid, bigint) from public, anon;
grant execute on function public.mark_conversation_read(uuid, bigint) to authenticated;

create or replace function public.set_conversation_muted(p_conversation_id uuid, p_muted boolean) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.conversation_participants p set muted = p_muted
  where p.conversation_id = p_conversation_id and p.user_id = (select auth.uid());
  if not found then
    raise exception 'no such conversation' using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
end
$$;
revoke execute on function public.set_conversation_muted(uuid, boolean) from public, anon;
grant execute on function public.set_conversation_muted(uuid, boolean) to authenticated;

-- The caller's unread counts per conversation, and the total.
create or replace function public.unread_counts() returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'total', coalesce(sum(p.unread_count), 0),
    'conversations', coalesce(jsonb_agg(jsonb_build_object(
      'conversation_id', p.conversation_id, 'unread_count', p.unread_count, 'muted', p.muted,
      'last_read_message_id', p.last_read_message_id) order by c.last_message_at desc nulls last), '[]'::jsonb))
  from public.conversation_participants p
  join public.conversations c on c.id = p.conversation_id
  where p.user_id = (select auth.uid())
$$;
revoke execute on function public.unread_counts() from public, anon;
grant execute on function public.unread_counts() to authenticated;

-- Receipt of each message of a page: 'envoyé', 'lu par N' or 'lu' (by every other participant);
-- a participant hiding receipts counts as not having read.
create or replace function public.message_receipts(p_conversation_id uuid, p_message_ids bigint[])
returns table (message_id bigint, read_by integer, others integer, state text)
language sql stable security definer
set search_path = ''
as $$
  select m.id,
         count(p.user_id) filter (where p.last_read_message_id >= m.id and not private.hides_receipts(p.user_id))::integer,
         count(p.user_id)::integer,
         case when count(p.user_id) filter (where p.last_read_message_id >= m.id
                                            and not private.hides_receipts(p.user_id)) = 0 then 'envoyé'
              when count(p.user_id) filter (where p.last_read_message_id >= m.id
                                            and not private.hides_receipts(p.user_id)) = count(p.user_id) then 'lu'
              else 'lu par ' || count(p.user_id) filter (where p.last_read_message_id >= m.id
                                                          and not private.hides_receipts(p.user_id)) end
  from public.messages m
  left join public.conversation_participants p on p.conversation_id = m.conversation_id
    and p.user_id is distinct from m.sender_id
  where m.conversation_id = p_conversation_id and m.id = any (p_message_ids)
    and private.is_conversation_participant(p_conversation_id)
  group by m.id
  order by m.id
$$;
revoke execute on function public.message_receipts(uuid, bigint[]) from public, anon;
grant execute on function public.message_receipts(uuid, bigint[]) to authenticated;
