-- Why: document files live in Supabase Storage (a private `documents` bucket, keys
-- `<org>/companies/<company>/<document>/v<n>`), and a front end may reach them with supabase-js
-- (upload to a signed URL, download, remove) as well as through the `documents` function. Storage
-- authorizes those calls with RLS on `storage.objects`, so the policies below give the same answers
-- as the documents tables: read what you may read of the document (your own upload in progress
-- included), upload only to the key of a version you started, delete only your own version while it
-- is pending, never overwrite (no UPDATE policy, so no upsert: a replacement is a new version).
--
-- storage.objects is shared by every bucket and may carry ONE permissive policy per command and
-- role: each policy calls a dispatcher below that answers per bucket. Another bucket adds its own
-- branch by replacing the dispatcher (keep the `documents` branch).

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('documents', 'documents', false, 52428800,
        array['application/pdf', 'image/jpeg', 'image/png', 'application/xml', 'text/xml'])
on conflict (id) do nothing;

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
    else false
  end
$$;

revoke execute on function private.storage_object_readable(text, text), private.storage_object_insertable(text, text),
  private.storage_object_deletable(text, text) from public, anon;
grant execute on function private.storage_object_readable(text, text), private.storage_object_insertable(text, text),
  private.storage_object_deletable(text, text) to authenticated, service_role;


drop policy if exists "Users read the stored files they may see" on storage.objects;
create policy "Users read the stored files they may see" on storage.objects
  for select to authenticated
  using (private.storage_object_readable(bucket_id, name));

drop policy if exists "Users upload to the keys they were given" on storage.objects;
create policy "Users upload to the keys they were given" on storage.objects
  for insert to authenticated
  with check (private.storage_object_insertable(bucket_id, name));

drop policy if exists "Uploaders delete their pending files" on storage.objects;
create policy "Uploaders delete their pending files" on storage.objects
  for delete to authenticated
  using (private.storage_object_deletable(bucket_id, name));
