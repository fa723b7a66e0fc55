-- Why: 0124 made the read policies of document reviews, requests and request items ask
-- private.can_read_dossier_documents (0120) about their one dossier, while 0126 let a partner read the
-- documents of the dossiers a client shared with them through private.my_document_dossier_ids. The
-- one-dossier question must give the same answer as the set: it gains the shared-dossier branch
-- (the share's partner, still the company's partner), so a partner with a share reads the reviews,
-- requests and checklist of that dossier and nothing more.
create or replace function private.can_read_dossier_documents(p_dossier uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.dossiers d
    where d.id = p_dossier
      and (exists (select 1 from public.memberships m
                   where m.organization_id = d.organization_id and m.user_id = (select auth.uid())
                     and m.role in ('owner', 'admin', 'viewer'))
           or d.client_company_id in (select private.my_client_company_ids())
           or d.expert_id in (select private.my_expert_profile_ids())
           or (exists (select 1 from public.dossier_document_shares s
                       where s.dossier_id = d.id and s.partner_user_id = (select auth.uid()))
               and d.client_company_id in (select private.my_partner_company_ids()))));
end
$$;
revoke execute on function private.can_read_dossier_documents(uuid) from public, anon;
grant execute on function private.can_read_dossier_documents(uuid) to authenticated, service_role;
