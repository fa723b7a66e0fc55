-- Why: messages are kept while the conversation lives and 5 years after its last message or its
-- dossier's closure, whichever is later; tombstoned messages and edit versions 12 months; reports 5
-- years (domain/MESSAGING.md "Retention"). The daily `messages-retention` job calls
-- private.purge_messaging, which deletes in bounded batches and is idempotent (a second run finds
-- nothing). Every deleted attachment row, however it goes (purge, cascade, abandoned upload),
-- leaves its storage key in private.messaging_purged_objects; the job removes those objects after
-- the deleting transaction committed and forgets each key once its object is gone.

-- A report outlives the tombstone it is about (5 years against 12 months): it keeps its conversation.
alter table public.message_reports drop constraint if exists message_reports_message_id_fkey;
alter table public.message_reports add constraint message_reports_message_id_fkey
  foreign key (message_id) references public.messages (id) on delete set null;

create table if not exists private.messaging_purged_objects (
  storage_key text primary key,
  purged_at timestamptz not null default now()
);
revoke all on private.messaging_purged_objects from public, anon, authenticated;
grant all on private.messaging_purged_objects to service_role;

create or replace function private.remember_purged_attachment() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into private.messaging_purged_objects (storage_key) values (old.storage_key) on conflict do nothing;
  return null;
end
$$;
revoke execute on function private.remember_purged_attachment() from public, anon, authenticated;
drop trigger if exists message_attachments_remember_objects on public.message_attachments;
create trigger message_attachments_remember_objects after delete on public.message_attachments
  for each row execute function private.remember_purged_attachment();

-- When a conversation's content may go: 5 years after the later of its last message (or creation)
-- and its dossier's end (closed or cancelled); never while its dossier is still running.
create or replace function private.conversation_retained_until(p_conversation uuid) returns timestamptz
language sql stable security definer
set search_path = ''
as $$
  select case when c.dossier_id is not null and coalesce(d.closed_at, d.cancelled_at) is null then null
              else greatest(coalesce(c.last_message_at, c.created_at), coalesce(d.closed_at, d.cancelled_at))
                   + interval '5 years' end
  from public.conversations c left join public.dossiers d on d.id = c.dossier_id
  where c.id = p_conversation
$$;
revoke execute on function private.conversation_retained_until(uuid) from public, anon, authenticated;
grant execute on function private.conversation_retained_until(uuid) to service_role;

create or replace function private.purge_messaging(p_now timestamptz default now(), p_limit integer default 2000)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_conversations integer;
  v_messages integer;
  v_tombstones integer;
  v_versions integer;
  v_reports integer;
  v_attachments integer;
begin
  -- 1. conversations past retention (their messages, versions, attachments and reports cascade)
  with gone as (
    select c.id from public.conversations c left join public.dossiers d on d.id = c.dossier_id
    where (c.dossier_id is null or coalesce(d.closed_at, d.cancelled_at) is not null)
      and greatest(coalesce(c.last_message_at, c.created_at), coalesce(d.closed_at, d.cancelled_at))
          + interval '5 years' <= p_now
    order by c.id limit p_limit
  ), counted as (
    select count(*)::integer as n from public.messages m where m.conversation_id in (select id from gone)
  ), deleted as (
    delete from public.conversations c where c.id in (select id from gone) returning 1
  )
  select (select count(*) from deleted)::integer, (select n from counted) into v_conversations, v_messages;
  -- 2. edit versions (and the kept bodies of tombstones) after 12 months
  with gone as (
    select v.id from public.message_versions v where v.replaced_at <= p_now - interval '12 months'
    order by v.id limit p_limit
  )
  delete from public.message_versions v where v.id in (select id from gone);
  get diagnostics v_versions = row_count;
  -- 3. tombstones (deleted or hidden) after 12 months, with their attachments and versions
  with gone as (
    select m.id from public.messages m
    where coalesce(m.deleted_at, m.hidden_at) <= p_now - interval '12 months'
    order by m.id limit p_limit
  )
  delete from public.messages m where m.id in (select id from gone);
  get diagnostics v_tombstones = row_count;
  -- 4. reports after 5 years
  delete from public.message_reports r
  where r.id in (select x.id from public.message_reports x where x.created_at <= p_now - interval '5 years'
                 order by x.id limit p_limit);
  get diagnostics v_reports = row_count;
  -- 5. attachments uploaded but never sent, after a day
  delete from public.message_attachments a
  where a.id in (select x.id from public.message_attachments x
                 where x.state in ('uploading', 'ready') and x.created_at <= p_now - interval '1 day'
                 order by x.id limit p_limit);
  get diagnostics v_attachments = row_count;
  return jsonb_build_object('conversations', v_conversations, 'messages', v_messages, 'tombstones', v_tombstones,
                            'versions', v_versions, 'reports', v_reports, 'attachments', v_attachments);
end
$$;
revoke execute on function private.purge_messaging(timestamptz, integer) from public, anon, authenticated;
grant execute on function private.purge_messaging(timestamptz, integer) to service_role;
