-- Why: every write to the documents tables is one security-definer function that checks the
-- caller, the dossier's status and the fields (WORKFLOW.md, Documents): starting an upload (a
-- version `uploading` whose storage key the `documents` function signs), completing it once the
-- function has checked the stored object (size, real type, SHA-256), abandoning or deleting it, a
-- logged download, and the two dossier commands W1's `public.dossier_command` dispatches to:
-- `request_documents` and `review_document`. The system moves a dossier to `documents_received`
-- when its requests' required items are all uploaded, through W1's `change_dossier_status`.
-- Lock order, everywhere: the dossier row, then the document row, then the version row.

-- Due dates: plain Monday–Friday business days (no public holidays: the follow-up calendar that
-- will own them does not exist yet).
create or replace function private.add_business_days(p_from date, p_days integer) returns date
language plpgsql immutable
set search_path = ''
as $$
declare
  v_day date := p_from;
  v_count integer := 0;
begin
  while v_count < p_days loop
    v_day := v_day + 1;
    if extract(isodow from v_day) < 6 then
      v_count := v_count + 1;
    end if;
  end loop;
  return v_day;
end
$$;
revoke execute on function private.add_business_days(date, integer) from public, anon;
grant execute on function private.add_business_days(date, integer) to authenticated, service_role;

-- The format a file name claims (jpeg = jpg); NULL when none we know.
create or replace function private.document_format_of(p_file_name text) returns text
language sql immutable
set search_path = ''
as $$
  select case lower(substring(p_file_name from '\.([A-Za-z0-9]+)$'))
           when 'pdf' then 'pdf' when 'jpg' then 'jpg' when 'jpeg' then 'jpg' when 'png' then 'png'
           when 'xml' then 'xml' end
$$;
revoke execute on function private.document_format_of(text) from public, anon;
grant execute on function private.document_format_of(text) to authenticated, service_role;

-- Request items follow the review of their document's current version on their dossier
-- (none → open, pending → uploaded, validated → accepted, rejected → open again); a request is
-- completed when all its required items are accepted, open otherwise.
create or replace function private.sync_document_requests(p_dossier uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.document_request_items i
  set state = x.new_state,
      document_id = case when x.new_state = 'open' and x.version_id is null then null else i.document_id end
  from (
    select i2.id,
           cur.version_id,
           case when cur.version_id is null then 'open'
                when r.state = 'validated' then 'accepted'
                when r.state = 'rejected' then 'open'
                else 'uploaded' end as new_state
    from public.document_request_items i2
    left join lateral (
      select v.id as version_id from public.document_versions v
      where v.document_id = i2.document_id and v.state = 'uploaded'
      order by v.version desc limit 1) cur on true
    left join public.document_reviews r on r.dossier_id = i2.dossier_id and r.version_id = cur.version_id
    where i2.dossier_id = p_dossier and i2.state <> 'cancelled' and i2.document_id is not null
  ) x
  where i.id = x.id and i.state <> x.new_state;

  update public.document_requests q
  set status = case when done then 'completed' else 'open' end,
      closed_at = case when done then coalesce(q.closed_at, now()) end
  from (
    select q2.id, bool_and(i.state = 'accepted' or not i.required) as done
    from public.document_requests q2
    join public.document_request_items i on i.request_id = q2.id and i.state <> 'cancelled'
    where q2.dossier_id = p_dossier and q2.status <> 'cancelled'
    group by q2.id
  ) s
  where q.id = s.id and q.status <> case when s.done then 'completed' else 'open' end;
end
$$;
revoke execute on function private.sync_document_requests(uuid) from public, anon, authenticated;

-- The caller's roles that may upload on a dossier, or 403/409.
create or replace function private.document_uploader_roles(p_dossier public.dossiers) returns text[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_roles text[] := private.dossier_roles(p_dossier.id);
begin
  if not v_roles && array['client', 'expert', 'admin'] then
    raise exception 'your role on this dossier does not allow uploading documents'
      using errcode = 'PT403', hint = 'forbidden';
  end if;
  if p_dossier.status in ('closed', 'cancelled') then
    raise exception 'the dossier is %', p_dossier.status using errcode = 'PT409', hint = 'dossier_closed';
  end if;
  return v_roles;
end
$$;
revoke execute on function private.document_uploader_roles(public.dossiers) from public, anon, authenticated;

-- 1. Upload: start ----------------------------------------------------------------------------------
create or replace function private.document_begin_upload(
  p_dossier uuid, p_document_type text, p_file_name text, p_size bigint, p_issue_date date default null,
  p_request_item uuid default null, p_document uuid default null, p_label text default null
) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  v_roles text[];
  t public.document_types;
  v_item public.document_request_items;
  v_doc public.documents;
  v_type text := p_document_type;
  v_format text := private.document_format_of(p_file_name);
  v_label text := coalesce(nullif(btrim(p_label), ''), '');
  v_version integer;
  v_version_id uuid;
  v_key text;
  v_stale jsonb;
begin
  d := private.visible_dossier(p_dossier, p_lock => true);
  v_roles := private.document_uploader_roles(d);
  if p_request_item is not null then
    select i.* into v_item from public.document_request_items i
    where i.id = p_request_item and i.dossier_id = p_dossier;
    if v_item.id is null then
      perform private.raise_field_error('request_item_id', 'exists', 'No such request item on this dossier');
    elsif v_item.state not in ('open', 'uploaded') then
      perform private.raise_field_error('request_item_id', 'open', 'This request item is accepted or cancelled');
    end if;
    v_type := coalesce(v_type, v_item.document_type);
    if v_type <> v_item.document_type then
      perform private.raise_field_error('document_type', 'matches_request_item',
                                        'The document type differs from the request item''s');
    end if;
    v_label := coalesce(nullif(v_label, ''), v_item.label);
  end if;
  if p_document is not null then
    select x.* into v_doc from public.documents x
    where x.id = p_document and x.client_company_id = d.client_company_id
      and (x.dossier_id = p_dossier or (x.dossier_id is null and private.dossier_needs_type(p_dossier, x.document_type)));
    if v_doc.id is null then
      perform private.raise_field_error('document_id', 'exists', 'No such document on this dossier');
    end if;
    v_type := coalesce(v_type, v_doc.document_type);
    if v_type <> v_doc.document_type then
      perform private.raise_field_error('document_type', 'matches_document',
                                        'A new version keeps its document''s type');
    end if;
  end if;
  select x.* into t from public.document_types x where x.code = v_type;
  if t.code is null then
    perform private.raise_field_error('document_type', 'known', 'Unknown document type');
  end if;
  if t.expert_document and not v_roles && array['expert', 'admin'] then
    raise exception 'only the expert uploads this document' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if not t.expert_document and t.code <> 'autre' and not v_roles && array['client', 'admin'] then
    raise exception 'the client uploads this document' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if not (t.expert_document or t.code = 'autre' or private.dossier_needs_type(p_dossier, t.code)) then
    perform private.raise_field_error('document_type', 'needed',
                                      'This dossier neither lists nor requests this document type');
  end if;
  if p_file_name is null or length(btrim(p_file_name)) not between 1 and 255 or p_file_name ~ '[/\\[:cntrl:]]' then
    perform private.raise_field_error('file_name', 'valid', 'A file name of 1 to 255 characters, without a path');
  end if;
  if v_format is null or not v_format = any (t.formats) then
    perform private.raise_field_error('file_name', 'format',
                                      format('Accepted formats: %s', array_to_string(t.formats, ', ')));
  end if;
  if p_size is null or p_size < 1 or p_size > t.max_size_bytes then
    perform private.raise_field_error('size', 'max_size', format('Between 1 and %s bytes', t.max_size_bytes));
  end if;
  if t.validity_months is not null and p_issue_date is null then
    perform private.raise_field_error('issue_date', 'required',
                                      format('This document is valid %s months from its issue date', t.validity_months));
  end if;
  if p_issue_date > current_date then
    perform private.raise_field_error('issue_date', 'not_future', 'The issue date cannot be in the future');
  end if;
  if t.code = 'autre' and length(v_label) < 2 then
    perform private.raise_field_error('label', 'required', 'An "autre" document needs a label');
  end if;

  -- The document: the one named, the request item's, the company's reusable one, or a new one.
  if v_doc.id is null and v_item.document_id is not null then
    select x.* into v_doc from public.documents x where x.id = v_item.document_id;
  end if;
  if v_doc.id is null and t.reusable then
    insert into public.documents (organization_id, client_company_id, dossier_id, document_type, created_by)
    values (d.organization_id, d.client_company_id, null, t.code, (select auth.uid()))
    on conflict (client_company_id, document_type) where dossier_id is null do nothing;
    select x.* into v_doc from public.documents x
    where x.client_company_id = d.client_company_id and x.document_type = t.code and x.dossier_id is null;
  elsif v_doc.id is null then
    insert into public.documents (organization_id, client_company_id, dossier_id, document_type, label, created_by)
    values (d.organization_id, d.client_company_id, p_dossier, t.code, v_label, (select auth.uid()))
    returning * into v_doc;
  end if;
  perform 1 from public.documents x where x.id = v_doc.id for update;

  -- Numbers only grow (the document row is locked): a key is never signed twice. Uploads started
  -- over an hour ago were never completed and their forms have expired: they go, with their files.
  select coalesce(max(v.version), 0) + 1 into v_version from public.document_versions v where v.document_id = v_doc.id;
  with gone as (
    delete from public.document_versions v
    where v.document_id = v_doc.id and v.state = 'uploading' and v.created_at < now() - interval '1 hour'
    returning v.storage_key)
  select coalesce(jsonb_agg(g.storage_key), '[]'::jsonb) into v_stale from gone g;
  v_key := format('%s/companies/%s/%s/v%s', d.organization_id, d.client_company_id, v_doc.id, v_version);
  insert into public.document_versions (document_id, organization_id, version, storage_key, file_name, declared_format,
                                        declared_size, issue_date, uploaded_by, uploaded_for_dossier_id,
                                        request_item_id)
  values (v_doc.id, d.organization_id, v_version, v_key, btrim(p_file_name), v_format, p_size, p_issue_date,
          (select auth.uid()), p_dossier, v_item.id)
  returning id into v_version_id;
  return jsonb_build_object('document_id', v_doc.id, 'version_id', v_version_id, 'version', v_version,
                            'storage_key', v_key, 'document_type', t.code, 'format', v_format,
                            'formats', to_jsonb(t.formats), 'max_size_bytes', t.max_size_bytes,
                            'stale_keys', v_stale);
end
$$;
revoke execute on function private.document_begin_upload(uuid, text, text, bigint, date, uuid, uuid, text)
  from public, anon;
grant execute on function private.document_begin_upload(uuid, text, text, bigint, date, uuid, uuid, text)
  to authenticated, service_role;

-- The caller's own upload in progress, with its dossier locked first (lock order), or 404/409.
create or replace function private.my_upload(p_version uuid) returns public.document_versions
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.document_versions;
begin
  select x.* into v from public.document_versions x where x.id = p_version;
  if v.id is null or v.uploaded_by is distinct from (select auth.uid()) then
    raise exception 'no such upload' using errcode = 'PT404', hint = 'upload_not_found';
  end if;
  perform 1 from public.dossiers d where d.id = v.uploaded_for_dossier_id for update;
  perform 1 from public.documents x where x.id = v.document_id for update;
  select x.* into v from public.document_versions x where x.id = p_version for update;
  if v.state <> 'uploading' then
    raise exception 'this upload is already complete' using errcode = 'PT409', hint = 'upload_already_completed';
  end if;
  return v;
end
$$;
revoke execute on function private.my_upload(uuid) from public, anon, authenticated;

-- 2. Upload: complete (the function has read the object: its size, real format and SHA-256) --------
create or replace function private.document_complete_upload(p_version uuid, p_size bigint, p_sha256 text,
                                                            p_format text) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.document_versions := private.my_upload(p_version);
  doc public.documents;
  t public.document_types;
  v_dossier uuid := v.uploaded_for_dossier_id;
  v_status text;
begin
  select x.* into doc from public.documents x where x.id = v.document_id;
  select x.* into t from public.document_types x where x.code = doc.document_type;
  if p_size is null or p_size < 1 or p_size > t.max_size_bytes then
    perform private.raise_field_error('file', 'max_size', format('Between 1 and %s bytes', t.max_size_bytes));
  end if;
  if p_format is null or p_format <> v.declared_format or not p_format = any (t.formats) then
    perform private.raise_field_error('file', 'type_mismatch', 'The file''s content does not match its name');
  end if;
  if p_sha256 is null or p_sha256 !~ '^[0-9a-f]{64}$' then
    perform private.raise_field_error('sha256', 'hex', 'A SHA-256 as 64 lowercase hexadecimal digits');
  end if;
  update public.document_versions set state = 'replaced', replaced_at = now()
  where document_id = doc.id and state = 'uploaded';
  update public.document_versions
  set state = 'uploaded', size_bytes = p_size, sha256 = p_sha256, detected_format = p_format, completed_at = now()
  where id = v.id;
  -- The request item it answers (named, or the dossier's open item of that type) now points to it.
  update public.document_request_items i set document_id = doc.id
  where i.id = (
    select i2.id from public.document_request_items i2
    join public.document_requests q on q.id = i2.request_id and q.status = 'open'
    where (v.request_item_id is not null and i2.id = v.request_item_id)
       or (v.request_item_id is null and i2.dossier_id = v_dossier and i2.document_type = doc.document_type
           and i2.document_type <> 'autre' and i2.state = 'open' and i2.document_id is null)
    order by i2.position limit 1);
  perform private.sync_document_requests(v_dossier);
  perform private.add_dossier_event(
    v_dossier, 'document_uploaded',
    format('Document déposé : %s (v%s)', coalesce(nullif(doc.label, ''), t.label_fr), v.version),
    format('Document uploaded: %s (v%s)', coalesce(nullif(doc.label, ''), t.label_en), v.version),
    jsonb_build_object('document_id', doc.id, 'version_id', v.id, 'version', v.version,
                       'document_type', doc.document_type, 'file_name', v.file_name, 'size_bytes', p_size),
    'client');
  select d.status into v_status from public.dossiers d where d.id = v_dossier;
  if v_status = 'documents_requested'
     and exists (select 1 from public.document_requests q where q.dossier_id = v_dossier and q.status = 'open')
     and not exists (select 1 from public.document_request_items i
                     join public.document_requests q on q.id = i.request_id and q.status = 'open'
                     where i.dossier_id = v_dossier and i.required and i.state = 'open') then
    v_status := private.change_dossier_status(
      v_dossier, 'mark_documents_received', 'documents_received', 'Documents reçus', 'Documents received',
      jsonb_build_object('version_id', v.id), 'client', p_actor => 'system');
  end if;
  return jsonb_build_object('document_id', doc.id, 'version_id', v.id, 'version', v.version, 'state', 'pending',
                            'document_type', doc.document_type, 'size_bytes', p_size, 'sha256', p_sha256,
                            'dossier_status', v_status);
end
$$;
revoke execute on function private.document_complete_upload(uuid, bigint, text, text) from public, anon;
grant execute on function private.document_complete_upload(uuid, bigint, text, text) to authenticated, service_role;

-- A completion the function refused (object missing, too big, lying about its type): the version
-- goes, so the number is free again; returns the key whose object the function deletes.
create or replace function private.document_abandon_upload(p_version uuid) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.document_versions := private.my_upload(p_version);
begin
  delete from public.document_versions where id = v.id;
  if not exists (select 1 from public.document_versions x where x.document_id = v.document_id) then
    delete from public.documents where id = v.document_id;
  end if;
  return v.storage_key;
end
$$;
revoke execute on function private.document_abandon_upload(uuid) from public, anon;
grant execute on function private.document_abandon_upload(uuid) to authenticated, service_role;

-- 3. Delete a pending version: its uploader only, before any review; the previous version comes back.
create or replace function private.document_delete_version(p_version uuid) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.document_versions;
  doc public.documents;
  t public.document_types;
  v_previous uuid;
begin
  select x.* into v from public.document_versions x where x.id = p_version;
  select x.* into doc from public.documents x where x.id = v.document_id;
  if v.id is null or not private.can_read_document(doc.organization_id, doc.client_company_id, doc.dossier_id,
                                                    doc.document_type) then
    raise exception 'no such document' using errcode = 'PT404', hint = 'document_not_found';
  end if;
  if v.uploaded_by is distinct from (select auth.uid()) then
    raise exception 'only its uploader may delete a pending version' using errcode = 'PT403', hint = 'forbidden';
  end if;
  perform 1 from public.dossiers d where d.id = v.uploaded_for_dossier_id for update;
  perform 1 from public.documents x where x.id = doc.id for update;
  select x.* into v from public.document_versions x where x.id = p_version for update;
  if v.state = 'replaced' or exists (select 1 from public.document_reviews r where r.version_id = v.id) then
    raise exception 'only a pending version can be deleted' using errcode = 'PT409', hint = 'document_not_pending';
  end if;
  delete from public.document_versions where id = v.id;
  if v.state = 'uploaded' then
    select x.id into v_previous from public.document_versions x
    where x.document_id = doc.id and x.state = 'replaced' order by x.version desc limit 1;
    update public.document_versions set state = 'uploaded', replaced_at = null where id = v_previous;
    select x.* into t from public.document_types x where x.code = doc.document_type;
    perform private.add_dossier_event(
      v.uploaded_for_dossier_id, 'document_deleted',
      format('Document retiré : %s (v%s)', coalesce(nullif(doc.label, ''), t.label_fr), v.version),
      format('Document removed: %s (v%s)', coalesce(nullif(doc.label, ''), t.label_en), v.version),
      jsonb_build_object('document_id', doc.id, 'version', v.version, 'document_type', doc.document_type), 'client');
  end if;
  if not exists (select 1 from public.document_versions x where x.document_id = doc.id) then
    update public.document_request_items set state = 'open', document_id = null where document_id = doc.id;
    delete from public.documents where id = doc.id;
  end if;
  perform private.sync_document_requests(v.uploaded_for_dossier_id);
  return v.storage_key;
end
$$;
revoke execute on function private.document_delete_version(uuid) from public, anon;
grant execute on function private.document_delete_version(uuid) to authenticated, service_role;

-- 4. Download: the same access check as reading, then one logged row -------------------------------
create or replace function private.document_download(p_version uuid, p_dossier uuid default null) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.document_versions;
  doc public.documents;
begin
  select x.* into v from public.document_versions x where x.id = p_version;
  select x.* into doc from public.documents x where x.id = v.document_id;
  if v.id is null or ((select auth.uid()) is not null
                      and not private.can_read_document(doc.organization_id, doc.client_company_id, doc.dossier_id,
                                                        doc.document_type)) then
    raise exception 'no such document' using errcode = 'PT404', hint = 'document_not_found';
  end if;
  if v.state = 'uploading' then
    raise exception 'this upload is not complete' using errcode = 'PT409', hint = 'upload_incomplete';
  end if;
  insert into public.document_downloads (organization_id, version_id, dossier_id, user_id)
  values (v.organization_id, v.id, coalesce(p_dossier, doc.dossier_id, v.uploaded_for_dossier_id),
          (select auth.uid()));
  return jsonb_build_object('storage_key', v.storage_key, 'file_name', v.file_name, 'sha256', v.sha256,
                            'size_bytes', v.size_bytes, 'format', v.detected_format);
end
$$;
revoke execute on function private.document_download(uuid, uuid) from public, anon;
grant execute on function private.document_download(uuid, uuid) to authenticated, service_role;

-- 5. Dossier commands (dispatched by public.dossier_command, dossier locked, actor checked) ---------
create or replace function private.dossier_cmd_request_documents(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_items jsonb := p_payload -> 'items';
  v_errors jsonb := '[]'::jsonb;
  v_item jsonb;
  v_index bigint;
  v_type public.document_types;
  v_note text := coalesce(p_payload ->> 'note', '');
  v_days integer := 5;
  v_due date;
  v_org uuid;
  v_request uuid;
  v_count integer;
begin
  if v_items is null or jsonb_typeof(v_items) <> 'array' or jsonb_array_length(v_items) < 1 then
    perform private.raise_field_error('items', 'min_items', 'Request at least one document');
  end if;
  if jsonb_array_length(v_items) > 50 then
    perform private.raise_field_error('items', 'max_items', 'At most 50 documents per request');
  end if;
  for v_item, v_index in select e, n - 1 from jsonb_array_elements(v_items) with ordinality as x(e, n) loop
    if jsonb_typeof(v_item) <> 'object' then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s]', v_index), 'rule', 'object',
                                                 'message', 'Each item is an object');
      continue;
    end if;
    select x.* into v_type from public.document_types x where x.code = v_item ->> 'document_type';
    if v_type.code is null or v_type.expert_document then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].document_type', v_index),
                                                 'rule', 'known', 'message', 'A document type a client provides');
    elsif v_type.code = 'autre' and length(btrim(coalesce(v_item ->> 'label', ''))) < 2 then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].label', v_index), 'rule', 'required',
                                                 'message', 'An "autre" item needs a label');
    end if;
    if length(coalesce(v_item ->> 'label', '')) > 200 then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].label', v_index), 'rule', 'max_length',
                                                 'message', 'At most 200 characters');
    end if;
    if length(coalesce(v_item ->> 'note', '')) > 1000 then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].note', v_index), 'rule', 'max_length',
                                                 'message', 'At most 1000 characters');
    end if;
    if v_item ? 'required' and jsonb_typeof(v_item -> 'required') <> 'boolean' then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].required', v_index), 'rule', 'boolean',
                                                 'message', 'true or false');
    end if;
  end loop;
  if length(v_note) > 2000 then
    v_errors := v_errors || jsonb_build_object('field', 'note', 'rule', 'max_length',
                                               'message', 'At most 2000 characters');
  end if;
  if p_payload ? 'due_in_business_days' then
    if jsonb_typeof(p_payload -> 'due_in_business_days') <> 'number'
       or (p_payload ->> 'due_in_business_days') !~ '^[0-9]+$'
       or (p_payload ->> 'due_in_business_days')::numeric not between 1 and 30 then
      v_errors := v_errors || jsonb_build_object('field', 'due_in_business_days', 'rule', 'range',
                                                 'message', 'Between 1 and 30 business days');
    else
      v_days := (p_payload ->> 'due_in_business_days')::integer;
    end if;
  end if;
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;
  v_due := private.add_business_days(current_date, v_days);

  select d.organization_id into v_org from public.dossiers d where d.id = p_dossier;
  insert into public.document_requests (organization_id, dossier_id, requested_by, note, due_date)
  values (v_org, p_dossier, (select auth.uid()), v_note, v_due)
  returning id into v_request;
  insert into public.document_request_items (request_id, organization_id, dossier_id, document_type, label, note,
                                             required, position)
  select v_request, v_org, p_dossier, e ->> 'document_type', coalesce(btrim(e ->> 'label'), ''),
         coalesce(e ->> 'note', ''), coalesce((e ->> 'required')::boolean, true), n
  from jsonb_array_elements(v_items) with ordinality as x(e, n);
  get diagnostics v_count = row_count;
  perform private.change_dossier_status(
    p_dossier, 'request_documents', 'documents_requested',
    format('Documents demandés : %s pièce%s, avant le %s', v_count, case when v_count > 1 then 's' else '' end,
           to_char(v_due, 'DD/MM/YYYY')),
    format('Documents requested: %s item%s, due %s', v_count, case when v_count > 1 then 's' else '' end,
           to_char(v_due, 'YYYY-MM-DD')),
    jsonb_build_object('request_id', v_request, 'due_date', v_due, 'note', v_note,
                       'items', (select jsonb_agg(jsonb_build_object('document_type', e ->> 'document_type',
                                                                     'label', coalesce(e ->> 'label', ''),
                                                                     'required', coalesce((e ->> 'required')::boolean, true)))
                                 from jsonb_array_elements(v_items) e)),
    'client');
  return jsonb_build_object('request_id', v_request, 'due_date', v_due, 'items', v_count);
end
$$;
revoke execute on function private.dossier_cmd_request_documents(uuid, jsonb) from public, anon, authenticated;

create or replace function private.dossier_cmd_review_document(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  v public.document_versions;
  doc public.documents;
  t public.document_types;
  v_version uuid;
  v_decision text := p_payload ->> 'decision';
  v_reason text := nullif(btrim(coalesce(p_payload ->> 'reason', '')), '');
  v_category text := coalesce(p_payload ->> 'category', 'autre');
  v_errors jsonb := '[]'::jsonb;
  v_state text;
  v_to text;
  v_name_fr text;
  v_name_en text;
begin
  begin
    v_version := (p_payload ->> 'version_id')::uuid;
  exception when invalid_text_representation then
    v_version := null;
  end;
  if v_version is null then
    v_errors := v_errors || jsonb_build_object('field', 'version_id', 'rule', 'uuid',
                                               'message', 'The reviewed version''s id');
  end if;
  if v_decision is null or v_decision not in ('validate', 'reject') then
    v_errors := v_errors || jsonb_build_object('field', 'decision', 'rule', 'enum', 'message', 'validate or reject');
  end if;
  if v_decision = 'reject' and (v_reason is null or length(v_reason) not between 3 and 1000) then
    v_errors := v_errors || jsonb_build_object('field', 'reason', 'rule', 'length',
                                               'message', 'A rejection needs a reason of 3 to 1000 characters');
  end if;
  if v_category not in ('illisible', 'incomplet', 'expire', 'non_conforme', 'mauvais_document', 'autre') then
    v_errors := v_errors || jsonb_build_object('field', 'category', 'rule', 'enum', 'message',
                                               'illisible, incomplet, expire, non_conforme, mauvais_document or autre');
  end if;
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;

  select x.* into d from public.dossiers x where x.id = p_dossier;
  select x.* into v from public.document_versions x where x.id = v_version;
  select x.* into doc from public.documents x
  where x.id = v.document_id and x.client_company_id = d.client_company_id
    and (x.dossier_id = p_dossier or (x.dossier_id is null and private.dossier_needs_type(p_dossier, x.document_type)));
  if doc.id is null then
    raise exception 'no such document on this dossier' using errcode = 'PT404', hint = 'document_not_found';
  end if;
  perform 1 from public.documents x where x.id = doc.id for update;
  select x.* into v from public.document_versions x where x.id = v_version for update;
  if v.state = 'uploading' then
    raise exception 'this upload is not complete' using errcode = 'PT409', hint = 'upload_incomplete';
  elsif v.state = 'replaced' then
    raise exception 'a newer version replaced this one' using errcode = 'PT409', hint = 'version_replaced';
  end if;
  v_state := case v_decision when 'validate' then 'validated' else 'rejected' end;
  insert into public.document_reviews (dossier_id, version_id, organization_id, state, reason, category, reviewed_by)
  values (p_dossier, v.id, d.organization_id, v_state, case when v_state = 'rejected' then v_reason end,
          case when v_state = 'rejected' then v_category end, (select auth.uid()))
  on conflict (dossier_id, version_id) do update
    set state = excluded.state, reason = excluded.reason, category = excluded.category,
        reviewed_by = excluded.reviewed_by, reviewed_at = now();
  perform private.sync_document_requests(p_dossier);
  select x.* into t from public.document_types x where x.code = doc.document_type;
  v_name_fr := coalesce(nullif(doc.label, ''), t.label_fr);
  v_name_en := coalesce(nullif(doc.label, ''), t.label_en);
  v_to := case when v_state = 'rejected' and d.status = 'documents_received' then 'documents_requested'
               else d.status end;
  perform private.change_dossier_status(
    p_dossier, 'review_document', v_to,
    case v_state when 'validated' then format('Document validé : %s (v%s)', v_name_fr, v.version)
                 else format('Document refusé : %s (v%s) — %s', v_name_fr, v.version, v_reason) end,
    case v_state when 'validated' then format('Document validated: %s (v%s)', v_name_en, v.version)
                 else format('Document rejected: %s (v%s) — %s', v_name_en, v.version, v_reason) end,
    jsonb_build_object('document_id', doc.id, 'version_id', v.id, 'version', v.version,
                       'document_type', doc.document_type, 'decision', v_state, 'reason', v_reason,
                       'category', case when v_state = 'rejected' then v_category end),
    'client');
  return jsonb_build_object('document_id', doc.id, 'version_id', v.id, 'review', v_state);
end
$$;
revoke execute on function private.dossier_cmd_review_document(uuid, jsonb) from public, anon, authenticated;
