-- Why: the Factur-X PDFs of invoices and credit notes are files in Storage (`<org>/invoices/<number>.pdf`,
-- recorded in `document_path`). In the shared bucket no `storage.objects` policy named them, so a
-- front end reading Storage with supabase-js got nothing, and nothing said who may. They now live in
-- a private `invoices` bucket whose read rule is the invoices' own (migration 0066): staff of the
-- organization (viewers included), the client company's users and the dossier's expert read an
-- invoice's or a credit note's file; partners and everyone else read none. Nobody writes or deletes
-- these files but the system (the `invoices` function, as the service writes the document once):
-- no insert or delete branch, and issued documents are immutable like their rows.
--
-- The dispatcher (0064) is redefined with every existing branch kept and one line added; the rule
-- itself sits in its own function, as TEAM.md asks.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('invoices', 'invoices', false, 10485760, array['application/pdf'])
on conflict (id) do nothing;

create or replace function private.invoice_object_readable(p_name text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
           select 1 from public.invoices i
           where i.document_path = p_name
             and (i.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
                  or i.client_company_id in (select private.my_client_company_ids())
                  or i.expert_id in (select private.my_expert_profile_ids())))
      or exists (
           select 1 from public.credit_notes c
           where c.document_path = p_name
             and (c.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
                  or c.client_company_id in (select private.my_client_company_ids())
                  or c.expert_id in (select private.my_expert_profile_ids())))
$$;
revoke execute on function private.invoice_object_readable(text) from public, anon;
grant execute on function private.invoice_object_readable(text) to authenticated, service_role;

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
    else false
  end
$$;
