-- Why: submit_eligibility and start_audit (W1's commands) must refuse a dossier whose documents are
-- missing, rejected, still pending, expired or still requested, and every participant's detail view
-- shows the checklist with each item's state. Both read one function of the documents' state on a
-- dossier, so the guard and the screen never disagree.
--
-- CONTRACT (W2 owns it; W1 calls the guard from its security-definer commands):
--   private.dossier_document_problems(p_dossier uuid, p_phase text, p_on date) returns jsonb
--     an array of {"document_type", "problem"} ordered as the checklist, [] when fine.
--     p_phase 'eligibility' (submit_eligibility): each required eligibility type needs a current
--       version pending or validated and valid on p_on; problems `missing`, `rejected`, `expired`.
--     p_phase 'collection' (start_audit): each required type of both phases needs a current version
--       validated and valid on p_on; problems `missing`, `pending`, `rejected`, `expired`; plus
--       `pending` for any current version still unreviewed on the dossier, and `open_request` for
--       each required request item not uploaded yet.
--     Valid = p_on < issue date + validity months (calendar months): a Kbis (3 months) issued
--     2026-01-10 passes on 2026-04-09 and fails on 2026-04-10.
--   private.dossier_checklist(p_dossier uuid, p_on date default current_date) returns jsonb
--     {"items": [...per product checklist row, with state missing|pending|validated|rejected|expired
--      and the chosen version], "requests": [...open and completed requests with their items]};
--     NULL when the caller may not see the dossier's documents.

-- The current (not replaced) versions a dossier shows: its own documents and the company's reusable
-- ones it needs, each with its review on THIS dossier (no review row = pending) and its validity.
create or replace function private.dossier_document_states(p_dossier uuid, p_on date)
returns table (
  document_type text, document_id uuid, version_id uuid, version integer, file_name text, issue_date date,
  valid_until date, review_state text, reason text, category text, expired boolean, uploaded_at timestamptz
)
language sql stable security definer
set search_path = ''
as $$
  select doc.document_type, doc.id, v.id, v.version, v.file_name, v.issue_date,
         case when t.validity_months is not null
              then (v.issue_date + make_interval(months => t.validity_months))::date - 1 end,
         coalesce(r.state, 'pending'), r.reason, r.category,
         t.validity_months is not null
           and (v.issue_date is null or p_on >= (v.issue_date + make_interval(months => t.validity_months))::date),
         v.completed_at
  from public.dossiers d
  join public.documents doc
    on doc.client_company_id = d.client_company_id
   and (doc.dossier_id = d.id
        or (doc.dossier_id is null and private.dossier_needs_type(d.id, doc.document_type)))
  join public.document_types t on t.code = doc.document_type
  join public.document_versions v on v.document_id = doc.id and v.state = 'uploaded'
  left join public.document_reviews r on r.dossier_id = d.id and r.version_id = v.id
  where d.id = p_dossier
$$;
revoke execute on function private.dossier_document_states(uuid, date) from public, anon, authenticated;
grant execute on function private.dossier_document_states(uuid, date) to service_role;

create or replace function private.dossier_document_problems(p_dossier uuid, p_phase text, p_on date)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_product text;
  v_result jsonb;
begin
  if p_phase is null or p_phase not in ('eligibility', 'collection') then
    raise exception 'unknown document phase %', p_phase using errcode = '22023';
  end if;
  select d.product_code into v_product from public.dossiers d where d.id = p_dossier;
  if not found then
    raise exception 'no such dossier' using errcode = 'PT404', hint = 'dossier_not_found';
  end if;
  with states as (
    select * from private.dossier_document_states(p_dossier, coalesce(p_on, current_date))
  ),
  required as (
    select pd.document_type, min(case pd.phase when 'eligibility' then 0 else 1000 end + pd.position) as pos
    from public.product_documents pd
    where pd.product_code = v_product and pd.required and (pd.phase = p_phase or p_phase = 'collection')
    group by pd.document_type
  ),
  checked as (
    select r.document_type, r.pos,
           case
             when p_phase = 'eligibility' and bool_or(s.review_state in ('pending', 'validated') and not s.expired)
               then null
             when p_phase = 'collection' and bool_or(s.review_state = 'validated' and not s.expired) then null
             when p_phase = 'collection' and bool_or(s.review_state = 'pending' and not s.expired) then 'pending'
             when bool_or(s.review_state = 'rejected' and not s.expired) then 'rejected'
             when bool_or(s.expired) then 'expired'
             else 'missing'
           end as problem
    from required r
    left join states s on s.document_type = r.document_type
    group by r.document_type, r.pos
  ),
  found as (
    select c.document_type, c.problem, c.pos from checked c where c.problem is not null
    union all
    select s.document_type, 'pending', 5000 from states s
    where p_phase = 'collection' and s.review_state = 'pending' and not s.expired
    union all
    select i.document_type, 'open_request', 6000 + i.position
    from public.document_request_items i
    join public.document_requests q on q.id = i.request_id
    where p_phase = 'collection' and i.dossier_id = p_dossier and q.status = 'open' and i.state = 'open'
      and i.required
  )
  select coalesce(jsonb_agg(jsonb_build_object('document_type', x.document_type, 'problem', x.problem)
                            order by x.pos, x.document_type, x.problem), '[]'::jsonb)
  into v_result
  from (select f.document_type, f.problem, min(f.pos) as pos from found f group by f.document_type, f.problem) x;
  return v_result;
end
$$;
revoke execute on function private.dossier_document_problems(uuid, text, date) from public, anon, authenticated;
grant execute on function private.dossier_document_problems(uuid, text, date) to service_role;

create or replace function private.dossier_checklist(p_dossier uuid, p_on date default current_date)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  if (select auth.uid()) is not null and p_dossier not in (select private.my_document_dossier_ids()) then
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
revoke execute on function private.dossier_checklist(uuid, date) from public, anon;
grant execute on function private.dossier_checklist(uuid, date) to authenticated, service_role;
