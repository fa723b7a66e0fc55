-- Demo dossiers for the local stack, on top of demo.sql: in each demo organization, Claire Client
-- (client1) follows one TICPE dossier per workflow status — from documents to upload to closed after
-- a refused claim, plus one on hold and one cancelled — each handled (from step 3) by Denis Dossier
-- (expert5, approved for TICPE but paused: he works these and takes no new offer, so the
-- marketplace demo's rankings are unchanged), with the audit, rates, claim and decision its status implies and a timeline of the
-- steps it went through. The documents, refund and payment demos live in demo_documents.sql and
-- demo_invoices.sql. Idempotent: a company that already exists is left alone. Local only.
do $$
declare
  org record;
  st record;
  v_company uuid;
  v_client uuid;
  v_expert uuid;
  v_dossier uuid;
  v_path text[] := array['pending_upload', 'pending_admin_validation', 'admin_validated', 'expert_assigned',
                         'documents_requested', 'documents_received', 'audit_in_progress', 'audit_completed',
                         'audit_accepted', 'claim_filed', 'result_recorded'];
  v_reached text[];
  v_prev text;
  v_next text;
  v_step integer;
  v_amount numeric;
  i integer;
begin
  perform set_config('fintrack.capacity_override', 'on', true); -- a demo expert may hold many dossiers
  for org in select o.id, o.slug from public.organizations o where o.slug in ('profitum', 'horizon') loop
    v_client := md5('fintrack-demo-user:client1@' || org.slug || '.demo')::uuid;
    insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at, raw_app_meta_data,
                            raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', md5('fintrack-demo-user:expert5@' || org.slug || '.demo')::uuid,
            'authenticated', 'authenticated', 'expert5@' || org.slug || '.demo', now(),
            '{"provider": "email", "providers": ["email"]}', '{"full_name": "Denis Dossier"}', now(), now())
    on conflict (id) do nothing;
    insert into public.memberships (organization_id, user_id, role)
    values (org.id, md5('fintrack-demo-user:expert5@' || org.slug || '.demo')::uuid, 'expert')
    on conflict (organization_id, user_id) do nothing;
    insert into public.expert_profiles (organization_id, user_id, display_name, company_name, approval_status,
                                        approved_at, activity, departements, description)
    values (org.id, md5('fintrack-demo-user:expert5@' || org.slug || '.demo')::uuid, 'Denis Dossier',
            'Dossier Conseil', 'approved', now(), 'paused', '{"69"}', 'Expert TICPE, suit ses dossiers en cours.')
    on conflict (organization_id, user_id) do nothing;
    select e.id into v_expert from public.expert_profiles e
    where e.user_id = md5('fintrack-demo-user:expert5@' || org.slug || '.demo')::uuid;
    insert into public.expert_products (expert_id, product_code, organization_id, level)
    values (v_expert, 'ticpe', org.id, 'expert') on conflict (expert_id, product_code) do nothing;
    update public.expert_terms set capacity = 100 where expert_id = v_expert and capacity < 100;
    continue when v_expert is null or not exists (select 1 from auth.users u where u.id = v_client);
    i := 0;
    for st in
      select s.code, s.step, s.label_fr from public.dossier_statuses s
      -- (offers and dossiers ready for an expert are demo_marketplace.sql's; refunds demo_invoices.sql's)
      where s.code not in ('admin_validated', 'expert_pending_acceptance', 'awaiting_reassignment', 'refund_confirmed')
      order by s.sort_order
    loop
      i := i + 1;
      v_company := md5('fintrack-demo-dossier-company:' || st.code || '@' || org.slug)::uuid;
      continue when exists (select 1 from public.client_companies c where c.id = v_company);
      insert into public.client_companies (id, organization_id, name, sector, departement, city)
      values (v_company, org.id, format('Transports Étape %s', lpad(i::text, 2, '0')), 'Transport et Logistique',
              '69', 'Lyon');
      insert into public.client_company_users (company_id, user_id) values (v_company, v_client);
      v_amount := 6000 + 1500 * i;
      v_step := coalesce(st.step, 4);
      insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount, priority,
                                   expert_id, assigned_at, created_at)
      values (org.id, v_company, 'ticpe',
              case when st.code in ('on_hold', 'cancelled') then 'audit_in_progress' else st.code end,
              v_amount, case when v_amount >= 10000 then 1 else 2 end,
              case when v_step >= 3 and st.code <> 'admin_rejected' then v_expert end,
              case when v_step >= 3 then now() - interval '20 days' end, now() - make_interval(days => 40 - i))
      returning id into v_dossier;

      -- What the status implies, as the commands would have written it.
      if st.code in ('audit_completed', 'audit_accepted', 'audit_refused', 'claim_filed', 'claim_refused',
                     'result_recorded', 'closed') then
        insert into public.dossier_audits (organization_id, dossier_id, revision, amount, client_fee_rate, summary,
                                           status, refusal_reason, created_by, decided_at)
        values (org.id, v_dossier, 1, v_amount - 500, 0.30, 'Remboursement TICPE sur les 3 derniers exercices.',
                case when st.code = 'audit_refused' then 'refused' when st.code = 'audit_completed' then 'proposed'
                     else 'accepted' end,
                case when st.code = 'audit_refused' then 'Le volume de carburant retenu nous paraît trop bas.' end,
                md5('fintrack-demo-user:expert5@' || org.slug || '.demo')::uuid,
                case when st.code <> 'audit_completed' then now() - interval '10 days' end);
        update public.dossiers set audited_amount = v_amount - 500, proposed_client_fee_rate = 0.30, audit_revision = 1
        where id = v_dossier;
      end if;
      if st.code in ('audit_accepted', 'claim_filed', 'claim_refused', 'result_recorded', 'closed') then
        update public.dossiers
        set audit_amount = v_amount - 500, client_fee_rate = 0.30, platform_fee_rate = 0.30, partner_share_rate = 0,
            accepted_audit_revision = 1, rates_frozen_at = now() - interval '10 days'
        where id = v_dossier;
      end if;
      if st.code in ('claim_filed', 'claim_refused', 'result_recorded', 'closed') then
        update public.dossiers
        set claim_filed_on = current_date - 8, claim_administration = 'douanes', claim_reference = 'TICPE-DEMO-' || i,
            claimed_amount = v_amount - 500
        where id = v_dossier;
      end if;
      if st.code in ('claim_refused', 'closed') then
        update public.dossiers
        set decision = 'refuse', granted_amount = 0, decided_on = current_date - 2,
            decision_reason = 'Pièces justificatives jugées insuffisantes par les douanes.'
        where id = v_dossier;
      elsif st.code = 'result_recorded' then
        update public.dossiers set decision = 'accepte', granted_amount = v_amount - 500, decided_on = current_date - 2
        where id = v_dossier;
      end if;
      if st.code = 'closed' then
        update public.dossiers set outcome = 'refused', closed_at = now() - interval '1 day' where id = v_dossier;
      elsif st.code = 'on_hold' then
        update public.dossiers
        set status = 'on_hold', held_status = 'audit_in_progress', held_at = now() - interval '3 days',
            held_by = md5('fintrack-demo-user:admin@' || org.slug || '.demo')::uuid,
            hold_reason = 'Le client a demandé une pause pendant son déménagement.', hold_until = current_date + 14
        where id = v_dossier;
      elsif st.code = 'cancelled' then
        update public.dossiers set status = 'cancelled', cancelled_at = now() - interval '2 days',
                                   cancel_reason = 'Le client a vendu sa flotte de camions.'
        where id = v_dossier;
      end if;

      -- The timeline: each happy-path step up to where it stands (detours for the other statuses).
      v_reached := case st.code
        when 'admin_rejected' then array['pending_upload', 'pending_admin_validation', 'admin_rejected']
        when 'assignment_failed' then array['pending_upload', 'pending_admin_validation', 'admin_validated',
                                            'assignment_failed']
        when 'audit_refused' then v_path[1:8] || 'audit_refused'::text
        when 'claim_refused' then v_path[1:10] || 'claim_refused'::text
        when 'closed' then v_path[1:10] || array['claim_refused', 'closed']
        when 'on_hold' then v_path[1:7] || 'on_hold'::text
        when 'cancelled' then v_path[1:7] || 'cancelled'::text
        else v_path[1:array_position(v_path, st.code)] end;
      v_prev := null;
      foreach v_next in array v_reached loop
        if v_prev is not null then
          insert into public.dossier_events (organization_id, dossier_id, type, command, from_status, to_status,
                                             actor_kind, actor_id, actor_role, actor_name, title_fr, title_en, visibility,
                                             created_at)
          select org.id, v_dossier, t.command, t.command, v_prev, v_next,
                 case when t.actors[1] = 'system' then 'system' else 'user' end,
                 case when t.actors[1] <> 'system' then u.id end, t.actors[1],
                 case when t.actors[1] <> 'system' then coalesce(u.raw_user_meta_data ->> 'full_name', u.email) end,
                 s.label_fr, s.label_en, 'partner',
                 now() - make_interval(days => 30 - array_position(v_reached, v_next) * 2)
          from (select x.command, x.actors from public.dossier_transitions x
                where x.from_status = v_prev and x.to_status = v_next and x.command <> 'override'
                order by x.command limit 1) t
          join public.dossier_statuses s on s.code = v_next
          join auth.users u on u.id = md5('fintrack-demo-user:'
                                          || case t.actors[1] when 'client' then 'client1' when 'expert' then 'expert5'
                                                                 else 'admin' end
                                          || '@' || org.slug || '.demo')::uuid;
        end if;
        v_prev := v_next;
      end loop;
    end loop;
  end loop;
end
$$;
