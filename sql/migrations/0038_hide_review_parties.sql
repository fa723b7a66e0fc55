-- Why: every member of an organization could read every review row, including who wrote it
-- (author_id) and about which client company (client_company_id) (issue 9 item 4). A review's public
-- part (rating, comment, the expert's answer, dates) stays readable by members; who wrote it and for
-- which company is readable only by staff (owner, admin, viewer) and by the author.
--
-- Column privileges do it, so PostgREST and our functions see the same thing: signed-in users may
-- select every column of public.expert_reviews except author_id and client_company_id (list the
-- columns you want: `select=*` is refused), and read those two through the view
-- public.expert_review_parties, which shows only the rows the caller may see. The view runs as its
-- caller (security_invoker) over a security-definer helper in the private schema.
revoke select on public.expert_reviews from authenticated;
grant select (id, organization_id, dossier_id, expert_id, rating, comment, answer, answered_at, created_at,
              updated_at)
  on public.expert_reviews to authenticated;

create or replace function private.review_parties()
returns table (review_id uuid, author_id uuid, client_company_id uuid)
language sql stable security definer
set search_path = ''
as $$
  select r.id, r.author_id, r.client_company_id
  from public.expert_reviews r
  where r.author_id = (select auth.uid())
     or r.organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
$$;
revoke execute on function private.review_parties() from public, anon;
grant execute on function private.review_parties() to authenticated, service_role;

create or replace view public.expert_review_parties with (security_invoker = true) as
  select p.review_id, p.author_id, p.client_company_id from private.review_parties() p;
revoke all on public.expert_review_parties from public, anon;
grant select on public.expert_review_parties to authenticated, service_role;
