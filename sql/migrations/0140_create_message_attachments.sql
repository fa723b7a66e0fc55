-- Why: people matched on a dossier exchange documents in their conversations (domain/MESSAGING.md
-- "Messages", attachments). Files go to a private Storage bucket `message-attachments` under
-- `<organization>/conversations/<conversation>/<attachment>`; the `messages` function hands out an
-- upload form scoped to that key, checks the stored object (size, leading bytes) on completion, and
-- signs downloads after a participant check. An attachment is uploaded first (state `uploading`,
-- then `ready`), then sent with a message (public.send_message links it: `attached`). A message may
-- then have an empty body when it carries attachments (checked at commit). A client user or the
-- expert files an attachment into the dossier's documents as a chosen type through the documents'
-- own upload path (0063), so the workflow's rules apply unchanged. storage.objects answers through
-- the per-bucket dispatchers of 0064: this migration adds the `message-attachments` branch.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('message-attachments', 'message-attachments', false, 10485760,
        array['application/pdf', 'image/jpeg', 'image/png', 'text/csv', 'text/plain',
              'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'])
on conflict (id) do nothing;

create table if not exists public.message_attachments (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  message_id bigint references public.messages (id) on delete cascade,
  uploaded_by uuid references auth.users (id) on delete set null,
  file_name text not null check (length(file_name) between 1 and 255 and file_name !~ '[/\\[:cntrl:]]'),
  declared_format text not null check (declared_format in ('pdf', 'jpg', 'png', 'docx', 'xlsx', 'csv', 'txt')),
  declared_size bigint not null check (declared_size between 1 and 10485760),
  size_bytes bigint check (size_bytes between 1 and 10485760),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text not null unique,
  state text not null default 'uploading' check (state in ('uploading', 'ready', 'attached')),
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  check ((state = 'attached') = (message_id is not null)),
  check ((state = 'uploading') = (size_bytes is null))
);
create index if not exists message_attachments_organization_idx on public.message_attachments (organization_id);
create index if not exists message_attachments_conversation_idx on public.message_attachments (conversation_id);
create index if not exists message_attachments_message_idx on public.message_attachments (message_id);
create index if not exists message_attachments_uploaded_by_idx on public.message_attachments (uploaded_by, state);

-- 1. Format of a file name (the allowed list of MESSAGING.md: no executables, no archives) ---------
create or replace function private.attachment_format_of(p_file_name text) returns text
language sql immutable
set search_path = ''
as $$
  select case lower(substring(p_file_name from '\.([A-Za-z0-9]+)$'))
    when 'pdf' then 'pdf' when 'jpg' then 'jpg' when 'jpeg' then 'jpg' when 'png' then 'png'
    when 'docx' then 'docx' when 'xlsx' then 'xlsx' when 'csv' then 'csv' when 'txt' then 'txt'
  end
$$;
revoke execute on function private.attachment_format_of(text) from public, anon;
grant execute on function private.attachment_format_of(text) to authenticated, service_role;

-- 2. Upload: start (a participant who may write; returns the key the function signs a form for) ---
create or replace function private.attachment_begin_upload(p_conversation uuid, p_file_name text, p_size bigint)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_org uuid;
  v_format text := private.attachment_format_of(p_file_name);
  v_id uuid := gen_random_uuid();
  v_key text;
begin
  select c.organization_id into v_org from public.conversations c where c.id = p_conversation;
  if v_org is null or v_user is null or not private.is_conversation_participant(p_conversation) then
    raise exception 'no such conversation' using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if not private.is_conversation_participant(p_conversation, true) then
    raise exception 'you cannot write in this conversation' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if p_file_name is null or length(btrim(p_file_name)) not between 1 and 255 or p_file_name ~ '[/\\[:cntrl:]]' then
    perform private.raise_field_error('file_name', 'format', 'Un nom de fichier de 1 à 255 caractères, sans « / ».');
  end if;
  if v_format is null then
    perform private.raise_field_error('file_name', 'format',
      'Formats acceptés : pdf, jpg, png, docx, xlsx, csv, txt.');
  end if;
  if p_size is null or p_size not between 1 and 10485760 then
    perform private.raise_field_error('size', 'max_size', 'Un fichier de 1 octet à 10 Mo.');
  end if;
  -- Abandoned uploads of the caller older than a day make room (their objects are removed by the caller).
  v_key := v_org || '/conversations/' || p_conversation || '/' || v_id;
  insert into public.message_attachments (id, organization_id, conversation_id, uploaded_by, file_name,
                                          declared_format, declared_size, storage_key)
  values (v_id, v_org, p_conversation, v_user, btrim(p_file_name), v_format, p_size, v_key);
  return jsonb_build_object('attachment_id', v_id, 'storage_key', v_key, 'declared_format', v_format,
                            'max_size_bytes', 10485760, 'file_name', btrim(p_file_name));
end
$$;
revoke execute on function private.attachment_begin_upload(uuid, text, bigint) from public, anon;
grant execute on function private.attachment_begin_upload(uuid, text, bigint) to authenticated, service_role;

-- The caller's own upload still in progress, locked.
create or replace function private.my_attachment_upload(p_attachment uuid) returns public.message_attachments
language plpgsql security definer
set search_path = ''
as $$
declare
  a public.message_attachments;
begin
  select x.* into a from public.message_attachments x where x.id = p_attachment for update;
  if a.id is null or a.uploaded_by is distinct from (select auth.uid()) then
    raise exception 'no such upload' using errcode = 'PT404', hint = 'upload_not_found';
  end if;
  if a.state <> 'uploading' then
    raise exception 'this upload is already complete' using errcode = 'PT409', hint = 'upload_already_completed';
  end if;
  return a;
end
$$;
revoke execute on function private.my_attachment_upload(uuid) from public, anon;
grant execute on function private.my_attachment_upload(uuid) to authenticated, service_role;

-- 3. Upload: complete (the function read the object: its size, real format and SHA-256) ----------
create or replace function private.attachment_complete_upload(p_attachment uuid, p_size bigint, p_sha256 text,
                                                              p_format text)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  a public.message_attachments := private.my_attachment_upload(p_attachment);
begin
  if p_size is null or p_size not between 1 and 10485760 then
    perform private.raise_field_error('file', 'max_size', 'Un fichier de 1 octet à 10 Mo.');
  end if;
  if p_format is distinct from a.declared_format then
    perform private.raise_field_error('file', 'type_mismatch', 'Le contenu du fichier ne correspond pas à son nom.');
  end if;
  if p_sha256 is null or p_sha256 !~ '^[0-9a-f]{64}$' then
    perform private.raise_field_error('sha256', 'hex', 'A SHA-256 as 64 lowercase hexadecimal digits');
  end if;
  update public.message_attachments set state = 'ready', size_bytes = p_size, sha256 = p_sha256,
    completed_at = now()
  where id = a.id;
  return jsonb_build_object('attachment_id', a.id, 'state', 'ready', 'file_name', a.file_name,
                            'size_bytes', p_size, 'sha256', p_sha256, 'format', p_format);
end
$$;
revoke execute on function private.attachment_complete_upload(uuid, bigint, text, text) from public, anon;
grant execute on function private.attachment_complete_upload(uuid, bigint, text, text) to authenticated, service_role;

-- A refused completion: the row goes; returns the key whose object the function deletes.
create or replace function private.attachment_abandon_upload(p_attachment uuid) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  a public.message_attachments := private.my_attachment_upload(p_attachment);
begin
  delete from public.message_attachments where id = a.id;
  return a.storage_key;
end
$$;
revoke execute on function private.attachment_abandon_upload(uuid) from public, anon;
grant execute on function private.attachment_abandon_upload(uuid) to authenticated, service_role;

-- 4. Sending with attachments ----------------------------------------------------------------------
-- Links the caller's ready attachments of the conversation to its new message (at most 5).
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
  return v_linked;
end
$$;
revoke execute on function private.attach_to_message(bigint, uuid[]) from public, anon;
grant execute on function private.attach_to_message(bigint, uuid[]) to authenticated, service_role;

-- The Data API's way to send with attachments (a plain insert still sends text): security invoker,
-- so RLS and the insert trigger decide exactly as for a plain insert.
create or replace function public.send_message(p_conversation_id uuid, p_body text default null,
                                               p_attachment_ids uuid[] default '{}', p_reply_to bigint default null)
returns bigint
language plpgsql security invoker
set search_path = ''
as $$
declare
  v_id bigint;
begin
  perform set_config('messaging.with_attachments',
                     case when coalesce(cardinality(p_attachment_ids), 0) > 0 then 'on' else 'off' end, true);
  insert into public.messages (conversation_id, sender_id, body, reply_to)
  values (p_conversation_id, (select auth.uid()), nullif(btrim(coalesce(p_body, '')), ''), p_reply_to)
  returning id into v_id;
  perform set_config('messaging.with_attachments', 'off', true);
  if v_id is null then
    raise exception 'you cannot write in this conversation' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if coalesce(cardinality(p_attachment_ids), 0) > 0 then
    perform private.attach_to_message(v_id, p_attachment_ids);
  end if;
  return v_id;
end
$$;
revoke execute on function public.send_message(uuid, text, uuid[], bigint) from public, anon;
grant execute on function public.send_message(uuid, text, uuid[], bigint) to authenticated, service_role;

-- A live message has a body or attachments: checked at commit, once they are linked.
alter table public.messages drop constraint if exists messages_check;
alter table public.messages drop constraint if exists messages_removed_have_no_body;
alter table public.messages add constraint messages_removed_have_no_body
  check ((deleted_at is null and hidden_at is null) or body is null);

create or replace function private.check_message_content() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.messages m where m.id = new.id and m.body is null and m.deleted_at is null
               and m.hidden_at is null)
     and not exists (select 1 from public.message_attachments a where a.message_id = new.id) then
    perform private.raise_field_error('body', 'length', 'Le message doit compter de 1 à 10 000 caractères.');
  end if;
  return null;
end
$$;
revoke execute on function private.check_message_content() from public, anon, authenticated;
drop trigger if exists messages_need_content on public.messages;
create constraint trigger messages_need_content after insert on public.messages
  deferrable initially deferred
  for each row when (new.body is null and new.deleted_at is null and new.hidden_at is null)
  execute function private.check_message_content();

-- 5. Downloads and filing --------------------------------------------------------------------------
-- The caller's readable attachment: a participant's attached file of a message not removed, or its
-- own upload (to check it before sending).
create or replace function private.readable_attachment(p_attachment uuid) returns public.message_attachments
language plpgsql stable security definer
set search_path = ''
as $$
declare
  a public.message_attachments;
begin
  select x.* into a from public.message_attachments x where x.id = p_attachment;
  if a.id is null or not private.is_conversation_participant(a.conversation_id)
     or (a.state <> 'attached' and a.uploaded_by is distinct from (select auth.uid()))
     or (a.state = 'uploading')
     or exists (select 1 from public.messages m where m.id = a.message_id
                  and (m.deleted_at is not null or m.hidden_at is not null)) then
    raise exception 'no such attachment' using errcode = 'PT404', hint = 'attachment_not_found';
  end if;
  return a;
end
$$;
revoke execute on function private.readable_attachment(uuid) from public, anon;
grant execute on function private.readable_attachment(uuid) to authenticated, service_role;

create or replace function private.attachment_download(p_attachment uuid) returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object('storage_key', a.storage_key, 'file_name', a.file_name, 'size_bytes', a.size_bytes,
                            'sha256', a.sha256)
  from private.readable_attachment(p_attachment) a
$$;
revoke execute on function private.attachment_download(uuid) from public, anon;
grant execute on function private.attachment_download(uuid) to authenticated, service_role;

-- Filing: a client user of the dossier's company or its expert, on an attached file of the dossier's
-- conversation; returns what the function needs to start the documents' own upload.
create or replace function private.attachment_to_file(p_attachment uuid) returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  a public.message_attachments := private.readable_attachment(p_attachment);
  c public.conversations;
  v_role text;
begin
  select x.* into c from public.conversations x where x.id = a.conversation_id;
  select p.role into v_role from public.conversation_participants p
  where p.conversation_id = c.id and p.user_id = (select auth.uid());
  if c.kind <> 'dossier' or a.state <> 'attached' then
    raise exception 'only an attachment sent in a dossier conversation can be filed' using errcode = 'PT409',
      hint = 'not_a_dossier_attachment';
  end if;
  if v_role not in ('client', 'expert') then
    raise exception 'a client user or the expert files attachments' using errcode = 'PT403', hint = 'forbidden';
  end if;
  return jsonb_build_object('dossier_id', c.dossier_id, 'storage_key', a.storage_key, 'file_name', a.file_name,
                            'size_bytes', a.size_bytes, 'format', a.declared_format);
end
$$;
revoke execute on function private.attachment_to_file(uuid) from public, anon;
grant execute on function private.attachment_to_file(uuid) to authenticated, service_role;

-- 6. RLS --------------------------------------------------------------------------------------------
alter table public.message_attachments enable row level security;
grant select on public.message_attachments to authenticated;
grant all on public.message_attachments to service_role;
drop policy if exists "Participants see the attachments of messages they may read" on public.message_attachments;
create policy "Participants see the attachments of messages they may read" on public.message_attachments
  for select to authenticated
  using (conversation_id in (select private.my_conversation_ids())
         and (uploaded_by = (select auth.uid())
              or (state = 'attached' and message_id in (select m.id from public.messages m
                                                        where m.deleted_at is null and m.hidden_at is null))));

-- 7. storage.objects: the attachments' branch of each dispatcher (0064 keeps `documents`) --------
create or replace function private.attachment_object_readable(p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.message_attachments a
    where a.storage_key = p_name and private.is_conversation_participant(a.conversation_id)
      and ((a.state = 'attached'
            and not exists (select 1 from public.messages m where m.id = a.message_id
                              and (m.deleted_at is not null or m.hidden_at is not null)))
           or a.uploaded_by = (select auth.uid())))
$$;

create or replace function private.attachment_object_insertable(p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.message_attachments a
                 where a.storage_key = p_name and a.state = 'uploading' and a.uploaded_by = (select auth.uid()))
$$;

create or replace function private.attachment_object_deletable(p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.message_attachments a
                 where a.storage_key = p_name and a.state in ('uploading', 'ready')
                   and a.uploaded_by = (select auth.uid()))
$$;

revoke execute on function private.attachment_object_readable(text), private.attachment_object_insertable(text),
  private.attachment_object_deletable(text) from public, anon;
grant execute on function private.attachment_object_readable(text), private.attachment_object_insertable(text),
  private.attachment_object_deletable(text) to authenticated, service_role;

create or replace function private.storage_object_readable(p_bucket text, p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select case p_bucket
    when 'documents' then exists (
      select 1 from public.document_versions v
      join public.documents doc on doc.id = v.document_id
      where v.storage_key = p_name
        and ((v.state <> 'uploading'
              and private.can_read_document(doc.organization_id, doc.client_company_id, doc.dossier_id,
                                            doc.document_type))
             or v.uploaded_by = (select auth.uid())))
    when 'invoices' then private.invoice_object_readable(p_name)
    when 'message-attachments' then private.attachment_object_readable(p_name)
    else false
  end
$$;

create or replace function private.storage_object_insertable(p_bucket text, p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select case p_bucket
    when 'documents' then exists (
      select 1 from public.document_versions v
      where v.storage_key = p_name and v.state = 'uploading' and v.uploaded_by = (select auth.uid()))
    when 'message-attachments' then private.attachment_object_insertable(p_name)
    else false
  end
$$;

create or replace function private.storage_object_deletable(p_bucket text, p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select case p_bucket
    when 'documents' then exists (
      select 1 from public.document_versions v
      where v.storage_key = p_name and v.state in ('uploading', 'uploaded') and v.uploaded_by = (select auth.uid())
        and not exists (select 1 from public.document_reviews r where r.version_id = v.id))
    when 'message-attachments' then private.attachment_object_deletable(p_name)
    else false
  end
$$;
