-- Why: anonymous visitors and the questionnaire name an organization by its slug, yet a signed-in
-- user had no way to learn it: `me` listed organization ids and names only. Each membership now
-- carries its organization's slug too. Same body as migration 0007 otherwise (security invoker: RLS
-- decides what the caller sees).
create or replace function public.me() returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  result jsonb;
begin
  select jsonb_build_object(
    'memberships', coalesce((
      select jsonb_agg(jsonb_build_object('organization_id', m.organization_id,
                                          'organization_name', o.name, 'organization_slug', o.slug,
                                          'role', m.role)
                       order by o.name, m.role)
      from public.memberships m join public.organizations o on o.id = m.organization_id
      where m.user_id = uid), '[]'::jsonb),
    'client_companies', coalesce((
      select jsonb_agg(jsonb_build_object('id', c.id, 'organization_id', c.organization_id,
                                          'name', c.name, 'siren', c.siren) order by c.name)
      from public.client_company_users u join public.client_companies c on c.id = u.company_id
      where u.user_id = uid), '[]'::jsonb),
    'managed_companies', coalesce((
      select jsonb_agg(jsonb_build_object('id', c.id, 'organization_id', c.organization_id,
                                          'name', c.name, 'siren', c.siren) order by c.name)
      from public.client_companies c
      where c.partner_user_id = uid), '[]'::jsonb),
    'platform_operator', exists (select 1 from public.platform_operators p where p.user_id = uid)
  ) into result;
  return result;
end
$$;
revoke execute on function public.me() from public, anon;
grant execute on function public.me() to authenticated;
