-- The last status the other demo files leave empty, on top of them: in each demo organization the
-- client of Ferme des Quatre Vents (client2) picks expert3 for its DFS dossier, so an offer is open and
-- the dossier waits in `expert_pending_acceptance` (step 2) until the expert accepts or declines it
-- (`/assign/offers/...` as expert3). Through the real command, as that client, so the offer, its
-- deadline, the marketplace event and the timeline are what production would write.
-- Idempotent: a dossier that already exists is left alone. Local only.
do $$
declare
  org record;
  v_org uuid;
  v_dossier uuid;
  v_expert uuid;
begin
  for org in select o.id, o.slug from public.organizations o where o.slug in ('profitum', 'horizon') loop
    v_org := org.id;
    continue when not exists (select 1 from public.products p where p.code = 'dfs');
    select e.id into v_expert from public.expert_profiles e
    where e.organization_id = v_org and e.user_id = md5('fintrack-demo-user:expert3@' || org.slug || '.demo')::uuid;
    continue when v_expert is null;
    insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount, priority)
    values (v_org, md5('fintrack-demo-company:client2@' || org.slug)::uuid, 'dfs', 'admin_validated', 9600.00, 2)
    on conflict (client_company_id, product_code) do nothing
    returning id into v_dossier;
    continue when v_dossier is null;
    perform set_config('request.jwt.claims',
                       json_build_object('sub', md5('fintrack-demo-user:client2@' || org.slug || '.demo')::uuid,
                                         'role', 'authenticated', 'aud', 'authenticated',
                                         'email', 'client2@' || org.slug || '.demo')::text, true);
    perform private.assignment_pick(v_dossier, v_expert);
    perform set_config('request.jwt.claims', '', true);
  end loop;
end
$$;
