-- Demo documents for the local stack, on top of demo.sql and demo_marketplace.sql: Transports
-- Durand (client1) has an URSSAF dossier with Sophie Social (expert3) in `documents_requested`, and
-- its documents show every state: a Kbis replaced by a newer version and reused by its TICPE
-- dossier, validated documents, a rejected DSN, a pending RIB answering an open request, the
-- request's open and optional items, a logged download. The files' bytes are a tiny PDF derived
-- from each key (`pg_temp.demo_pdf`); `fintrack seed` writes them to the documents storage
-- (shared/documents/demo.py makes the same bytes), so downloads work.
-- Idempotent: a company that already has documents is left alone. Local only.
create or replace function pg_temp.demo_pdf(p_key text) returns bytea
language sql immutable
as $$
  select convert_to(format(E'%%PDF-1.4\n%% FinancialTracker demo document %s\n%%%%EOF\n', p_key), 'UTF8')
$$;

do $$
declare
  org record;
  doc record;
  v_company uuid;
  v_client uuid;
  v_expert uuid;
  v_expert_user uuid;
  v_admin uuid;
  v_urssaf uuid;
  v_ticpe uuid;
  v_document uuid;
  v_version uuid;
  v_key text;
  v_request uuid;
  v_rib_document uuid;
  v_item_document uuid;
begin
  for org in select o.id, o.slug from public.organizations o where o.slug in ('profitum', 'horizon') loop
    v_company := md5('fintrack-demo-company:client1@' || org.slug)::uuid;
    v_client := md5('fintrack-demo-user:client1@' || org.slug || '.demo')::uuid;
    v_expert_user := md5('fintrack-demo-user:expert3@' || org.slug || '.demo')::uuid;
    v_admin := md5('fintrack-demo-user:admin@' || org.slug || '.demo')::uuid;
    select e.id into v_expert from public.expert_profiles e where e.user_id = v_expert_user;
    continue when v_expert is null
             or not exists (select 1 from public.client_companies c where c.id = v_company)
             or exists (select 1 from public.documents d where d.client_company_id = v_company);

    insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount, priority,
                                 expert_id)
    values (org.id, v_company, 'urssaf', 'documents_requested', 24600.00, 2, v_expert)
    on conflict (client_company_id, product_code) do nothing;
    select d.id into v_urssaf from public.dossiers d where d.client_company_id = v_company and d.product_code = 'urssaf';
    select d.id into v_ticpe from public.dossiers d where d.client_company_id = v_company and d.product_code = 'ticpe';

    for doc in
      select * from (values
        -- type, reusable (company-level), version, issued days ago, file name, current, review
        ('kbis', true, 1, 120, 'Kbis Transports Durand - juillet.pdf', false, null),
        ('kbis', true, 2, 20, 'Kbis Transports Durand.pdf', true, 'validated'),
        ('attestation_vigilance', true, 1, 30, 'Attestation de vigilance URSSAF.pdf', true, 'validated'),
        ('bilan', true, 1, null, 'Bilan 2025.pdf', true, 'validated'),
        ('dsn', false, 1, null, 'DSN 2025.pdf', true, 'rejected'),
        ('rib', true, 1, null, 'RIB Transports Durand.pdf', true, null)
      ) as x (document_type, reusable, version, issued_days, file_name, is_current, review)
    loop
      v_document := md5('fintrack-demo-document:' || doc.document_type || '@' || org.slug)::uuid;
      insert into public.documents (id, organization_id, client_company_id, dossier_id, document_type, created_by,
                                    created_at)
      values (v_document, org.id, v_company, case when doc.reusable then null else v_urssaf end, doc.document_type,
              v_client, now() - interval '25 days')
      on conflict (id) do nothing;
      v_key := format('%s/companies/%s/%s/v%s', org.id, v_company, v_document, doc.version);
      insert into public.document_versions (document_id, organization_id, version, storage_key, file_name,
                                            declared_format, declared_size, size_bytes, detected_format, sha256,
                                            issue_date, state, uploaded_by, uploaded_for_dossier_id, created_at,
                                            completed_at, replaced_at)
      values (v_document, org.id, doc.version, v_key, doc.file_name, 'pdf', octet_length(pg_temp.demo_pdf(v_key)),
              octet_length(pg_temp.demo_pdf(v_key)), 'pdf', encode(sha256(pg_temp.demo_pdf(v_key)), 'hex'),
              current_date - doc.issued_days, case when doc.is_current then 'uploaded' else 'replaced' end, v_client,
              v_urssaf, now() - make_interval(days => 10 * (3 - doc.version)),
              now() - make_interval(days => 10 * (3 - doc.version)),
              case when doc.is_current then null else now() - interval '10 days' end)
      returning id into v_version;
      if doc.review is not null then
        insert into public.document_reviews (dossier_id, version_id, organization_id, state, reason, category,
                                             reviewed_by, reviewed_at)
        values (v_urssaf, v_version, org.id, doc.review,
                case when doc.review = 'rejected' then 'Fichier incomplet : 9 mois sur 12' end,
                case when doc.review = 'rejected' then 'incomplet' end, v_expert_user, now() - interval '5 days');
        if doc.document_type = 'kbis' and v_ticpe is not null then
          insert into public.document_reviews (dossier_id, version_id, organization_id, state, reviewed_by,
                                               reviewed_at)
          values (v_ticpe, v_version, org.id, 'validated', v_admin, now() - interval '8 days');
        end if;
      end if;
      if doc.document_type = 'rib' then
        v_rib_document := v_document;
      end if;
      if doc.document_type = 'kbis' and doc.is_current then
        insert into public.document_downloads (organization_id, version_id, dossier_id, user_id, downloaded_at)
        values (org.id, v_version, v_urssaf, v_expert_user, now() - interval '6 days');
      end if;
    end loop;

    -- The expert's request: the RIB (answered, pending review), 12 months of payslips (open) and an
    -- optional "autre" item (open).
    insert into public.document_requests (organization_id, dossier_id, requested_by, note, due_date, created_at)
    values (org.id, v_urssaf, v_expert_user, 'Merci de compléter le dossier pour lancer l''audit.',
            private.add_business_days(current_date, 5), now() - interval '2 days')
    returning id into v_request;
    for doc in
      select * from (values
        ('rib', '', true, 1), ('bulletins_paie', '', true, 2), ('autre', 'Registre unique du personnel', false, 3)
      ) as i (document_type, label, required, position)
    loop
      v_item_document := case when doc.document_type = 'rib' then v_rib_document end;
      insert into public.document_request_items (request_id, organization_id, dossier_id, document_type, label,
                                                 required, state, document_id, position)
      values (v_request, org.id, v_urssaf, doc.document_type, doc.label, doc.required,
              case when v_item_document is null then 'open' else 'uploaded' end, v_item_document, doc.position);
    end loop;
  end loop;
end
$$;
