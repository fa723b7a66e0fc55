-- Demo data for the local stack: two organizations, each with an owner, an admin, three approved
-- experts and one pending, two client companies with a user each, a partner and a viewer.
-- Idempotent: ids derive from e-mail addresses, every insert is `on conflict do nothing`.
-- Local only: on Supabase, users are created through Auth (GoTrue), never by SQL.
do $$
declare
  org record;
  person record;
  company record;
  uid uuid;
begin
  for org in
    select * from (values
      ('profitum', 'Profitum Conseil', '#1F4E79', 'Profitum Conseil SAS — 12 rue de la Paix, 75002 Paris — RCS Paris 732 829 320'),
      ('horizon', 'Cabinet Horizon', '#7A1F5C', 'Cabinet Horizon SARL — 3 quai Saint-Antoine, 69002 Lyon — RCS Lyon 542 051 180')
    ) as o(slug, name, color, footer)
  loop
    insert into public.organizations (id, name, slug, primary_color, legal_footer)
    values (md5('fintrack-demo-org:' || org.slug)::uuid, org.name, org.slug, org.color, org.footer)
    on conflict (id) do nothing;

    for person in
      select * from (values
        ('owner', 'owner', 'Olivia Owner', null, null),
        ('admin', 'admin', 'Adam Admin', null, null),
        ('expert1', 'expert', 'Émilie Expert', 'approved', 'Cabinet Émilie Fiscalité'),
        ('expert2', 'expert', 'Étienne Énergie', 'approved', 'Énergie Conseil'),
        ('expert3', 'expert', 'Sophie Social', 'approved', 'Social Optim'),
        ('expert4', 'expert', 'Paul Pending', 'pending', 'Nouveau Cabinet'),
        ('client1', 'client', 'Claire Client', null, null),
        ('client2', 'client', 'Marc Client', null, null),
        ('partner', 'partner', 'Pierre Partner', null, null),
        ('viewer', 'viewer', 'Victor Viewer', null, null)
      ) as p(local, role, full_name, approval, firm)
    loop
      uid := md5('fintrack-demo-user:' || person.local || '@' || org.slug || '.demo')::uuid;
      insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at, raw_app_meta_data,
                              raw_user_meta_data, created_at, updated_at)
      values ('00000000-0000-0000-0000-000000000000', uid, 'authenticated', 'authenticated',
              person.local || '@' || org.slug || '.demo', now(),
              '{"provider": "email", "providers": ["email"]}',
              jsonb_build_object('full_name', person.full_name), now(), now())
      on conflict (id) do nothing;
      insert into public.memberships (organization_id, user_id, role)
      values (md5('fintrack-demo-org:' || org.slug)::uuid, uid, person.role)
      on conflict (organization_id, user_id) do nothing;
      if person.role = 'expert' then
        insert into public.expert_profiles (organization_id, user_id, display_name, company_name,
                                            approval_status, approved_at, sectors, departements,
                                            description, certifications)
        values (md5('fintrack-demo-org:' || org.slug)::uuid, uid, person.full_name, person.firm,
                person.approval, case when person.approval = 'approved' then now() end,
                case person.local when 'expert1' then '{"Transport et Logistique","BTP et Construction"}'::text[]
                                  else '{}'::text[] end,
                case person.local when 'expert1' then '{"69","75"}'::text[]
                                  when 'expert2' then '{"national"}'::text[]
                                  else '{"13"}'::text[] end,
                'Expert en optimisation des coûts et récupération de trop-perçus.',
                '{"Expert-comptable"}')
        on conflict (organization_id, user_id) do nothing;
      end if;
    end loop;

    for company in
      select * from (values
        ('client1', 'Transports Durand', case org.slug when 'profitum' then '732829320' else '443061841' end,
         'Transport et Logistique', '69', '5 avenue Jean Jaurès', '69007', 'Lyon'),
        ('client2', 'Ferme des Quatre Vents', case org.slug when 'profitum' then '380129866' else '812345676' end,
         'Agriculture et Agroalimentaire', '35', 'Lieu-dit Les Landes', '35000', 'Rennes')
      ) as c(local, name, siren, sector, dep, address, postal, city)
    loop
      insert into public.client_companies (id, organization_id, name, siren, sector, departement, address,
                                           postal_code, city)
      values (md5('fintrack-demo-company:' || company.local || '@' || org.slug)::uuid,
              md5('fintrack-demo-org:' || org.slug)::uuid, company.name, company.siren, company.sector,
              company.dep, company.address, company.postal, company.city)
      on conflict (id) do nothing;
      insert into public.client_company_users (company_id, user_id, organization_id)
      values (md5('fintrack-demo-company:' || company.local || '@' || org.slug)::uuid,
              md5('fintrack-demo-user:' || company.local || '@' || org.slug || '.demo')::uuid,
              md5('fintrack-demo-org:' || org.slug)::uuid)
      on conflict do nothing;
    end loop;

    -- The partner manages a prospect company of their own.
    insert into public.client_companies (id, organization_id, name, siren, sector, departement, address,
                                         postal_code, city, partner_user_id)
    values (md5('fintrack-demo-company:prospect@' || org.slug)::uuid, md5('fintrack-demo-org:' || org.slug)::uuid,
            'Boulangerie Martin', case org.slug when 'profitum' then '900000019' else '352000509' end,
            'Commerce et Distribution', '13', '8 rue Paradis', '13001', 'Marseille',
            md5('fintrack-demo-user:partner@' || org.slug || '.demo')::uuid)
    on conflict (id) do nothing;
  end loop;
end
$$;
