-- Demo data of the prudential simulator: in each demo organization, an analyst and an approver
-- (analyst@<slug>.demo, approver@<slug>.demo) who prepare and sign off portfolio versions, and one
-- empty portfolio ready for an import or a version. Runs after demo.sql. Idempotent: ids derive from
-- e-mail addresses and names, every insert is `on conflict do nothing`. Local only (see demo.sql).
do $$
declare
  org record;
  person record;
  uid uuid;
begin
  for org in select o.id, o.slug from public.organizations o where o.slug in ('profitum', 'horizon') loop
    for person in
      select * from (values ('analyst', 'analyst', 'Anna Analyste'), ('approver', 'approver', 'Arnaud Approbateur'))
        as p(local, role, full_name)
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
      values (org.id, uid, person.role)
      on conflict (organization_id, user_id) do nothing;
    end loop;
    insert into public.prudential_portfolios (id, organization_id, name, description, created_by)
    values (md5('fintrack-demo-portfolio:' || org.slug)::uuid, org.id, 'Solo — arrêté trimestriel',
            'Portefeuille de démonstration : importez un fichier d''expositions ou créez une version.',
            md5('fintrack-demo-user:analyst@' || org.slug || '.demo')::uuid)
    on conflict (id) do nothing;
  end loop;
end
$$;
