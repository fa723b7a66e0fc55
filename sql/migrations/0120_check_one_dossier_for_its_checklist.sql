-- Why: a dossier's detail took ~1.5 s on 1 000 000 dossiers, and more with every dossier added.
-- Its checklist asked `p_dossier not in (select private.my_document_dossier_ids())`: for staff that set
-- is every dossier of their organization, built and hashed on every call to test one id. The same
-- question about one dossier is answered from its row and the caller's memberships by
-- private.can_read_dossier_documents (the rules of private.my_document_dossier_ids, unchanged: staff
-- of the dossier's organization, its company's client users, its assigned expert), and the
-- checklist asks that instead. Nothing else in the checklist changes. (PL/pgSQL: its plan is kept
-- for the session; a security-definer SQL function is planned again at every call.)
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
           or d.expert_id in (select private.my_expert_profile_ids())));
end
$$;
revoke execute on function private.can_read_dossier_documents(uuid) from public, anon;
grant execute on function private.can_read_dossier_documents(uuid) to authenticated, service_role;

create or replace function private.dossier_checklist(p_dossier uuid, p_on date default current_date)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  if (select auth.uid()) is not null and not private.can_read_dossier_documents(p_dossier) then
    return null;
  end if;
  with states as (
    select * from private.dossier_document_states(p_dossier, coalesce(p_on, current_date))
  ),
  best as (
    select distinct on (s.document_type) s.*
    from states s
    order by s.document_type,
             case when s.expired then 3 when s.review_state = 'validated' then 0
                  when s.review_state = 'pending' then 1 else 2 end,
             s.uploaded_at desc
  ),
  files as (select s.document_type, count(*) as n from states s group by s.document_type)
  select jsonb_build_object(
    'items', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'phase', pd.phase, 'document_type', pd.document_type, 'label_fr', t.label_fr, 'label_en', t.label_en,
               'required', pd.required, 'note_fr', pd.note_fr, 'note_en', pd.note_en, 'formats', t.formats,
               'max_size_bytes', t.max_size_bytes, 'validity_months', t.validity_months, 'reusable', t.reusable,
               'state', case when b.document_id is null then 'missing' when b.expired then 'expired'
                             else b.review_state end,
               'document_id', b.document_id, 'version_id', b.version_id, 'version', b.version,
               'file_name', b.file_name, 'issue_date', b.issue_date, 'valid_until', b.valid_until,
               'rejection_reason', b.reason, 'rejection_category', b.category, 'files', coalesce(f.n, 0))
             order by pd.phase = 'collection', pd.position), '[]'::jsonb)
      from public.dossiers d
      join public.product_documents pd on pd.product_code = d.product_code
      join public.document_types t on t.code = pd.document_type
      left join best b on b.document_type = pd.document_type
      left join files f on f.document_type = pd.document_type
      where d.id = p_dossier),
    'requests', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'id', q.id, 'status', q.status, 'due_date', q.due_date, 'note', q.note, 'created_at', q.created_at,
               'items', (select coalesce(jsonb_agg(jsonb_build_object(
                                  'id', i.id, 'document_type', i.document_type,
                                  'label', coalesce(nullif(i.label, ''), t.label_fr), 'note', i.note,
                                  'required', i.required, 'state', i.state, 'document_id', i.document_id)
                                order by i.position), '[]'::jsonb)
                         from public.document_request_items i
                         join public.document_types t on t.code = i.document_type
                         where i.request_id = q.id))
             order by q.created_at desc), '[]'::jsonb)
      from public.document_requests q
      where q.dossier_id = p_dossier and q.status <> 'cancelled')
  ) into v_result;
  return v_result;
end
$$;
