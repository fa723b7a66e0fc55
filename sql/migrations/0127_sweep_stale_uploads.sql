-- Why: starting an upload records a version `uploading` and signs a form valid 15 minutes; a browser
-- that never uploads, or never calls `complete`, leaves that row (and maybe its object) behind for
-- ever. Migration 0063 removed such leftovers only when the same document got a new upload. The
-- hourly `upload-cleanup` cron now removes every version still `uploading` an hour after it started
-- (the form's 15 minutes plus 45 for the completion call, the same hour 0063 uses), with its
-- object, and the document it created when it has no other version.
--
-- Safe beside a completion: the sweep takes the dossier row, the document row, then the version row
-- (the lock order of 0063), each with SKIP LOCKED, and never waits: a completion in progress holds them and is left
-- to finish; a completion that comes after the sweep finds no upload (404 upload_not_found), which
-- `private.my_upload` now checks once the row is locked (before, a version deleted while the
-- completion waited for its lock came back as an empty row). Idempotent: a second run finds nothing.

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
  if v.id is null then -- removed (upload-cleanup) while we waited for the lock
    raise exception 'no such upload' using errcode = 'PT404', hint = 'upload_not_found';
  end if;
  if v.state <> 'uploading' then
    raise exception 'this upload is already complete' using errcode = 'PT409', hint = 'upload_already_completed';
  end if;
  return v;
end
$$;
revoke execute on function private.my_upload(uuid) from public, anon, authenticated;

-- Removes up to p_limit versions still `uploading` that started more than p_older_than ago and that
-- no other transaction holds; answers their storage keys (the caller deletes the objects before it
-- commits, so a failed deletion leaves the rows for the next run).
create or replace function private.sweep_stale_uploads(p_older_than interval, p_limit integer default 200)
returns table (version_id uuid, document_id uuid, storage_key text)
language plpgsql security definer
set search_path = ''
as $$
declare
  c record;
  v public.document_versions;
begin
  if p_older_than is null or p_older_than < interval '15 minutes' then
    raise exception 'an upload lives at least its form''s 15 minutes' using errcode = 'PT422',
      hint = 'invalid_age';
  end if;
  for c in
    select x.id, x.document_id, x.uploaded_for_dossier_id from public.document_versions x
    where x.state = 'uploading' and x.created_at < now() - p_older_than
    order by x.created_at
    limit greatest(coalesce(p_limit, 200), 1)
  loop
    if c.uploaded_for_dossier_id is not null then
      perform 1 from public.dossiers d where d.id = c.uploaded_for_dossier_id for update skip locked;
      continue when not found;
    end if;
    perform 1 from public.documents d where d.id = c.document_id for update skip locked;
    continue when not found;
    select x.* into v from public.document_versions x
    where x.id = c.id and x.state = 'uploading' and x.created_at < now() - p_older_than
    for update skip locked;
    continue when v.id is null;
    delete from public.document_versions x where x.id = v.id;
    if not exists (select 1 from public.document_versions x where x.document_id = v.document_id) then
      delete from public.documents d where d.id = v.document_id;
    end if;
    version_id := v.id;
    document_id := v.document_id;
    storage_key := v.storage_key;
    return next;
  end loop;
end
$$;
revoke execute on function private.sweep_stale_uploads(interval, integer) from public, anon, authenticated;
grant execute on function private.sweep_stale_uploads(interval, integer) to service_role;
