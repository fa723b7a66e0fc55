-- Why: several permissive policies for the same table, role and command are all evaluated for
-- every row (Supabase's linter: 22 WARN multiple_permissive_policies; issue 9 item 5). Each such
-- group becomes one policy whose conditions are joined with `or` and whose name reads as a
-- sentence; who may do what is exactly as before. A policy that served both anon and
-- authenticated is split so that each role still has one policy per command.

-- assignment_offers ------------------------------------------------------------------------------
drop policy if exists "Staff read their organization's offers" on public.assignment_offers;
drop policy if exists "Experts read the offers made to them" on public.assignment_offers;
drop policy if exists "Clients and partners read the offers of their dossiers" on public.assignment_offers;
drop policy if exists "Staff, the expert and the dossier's followers read offers" on public.assignment_offers;
create policy "Staff, the expert and the dossier's followers read offers" on public.assignment_offers
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or expert_id in (select private.my_expert_profile_ids())
         or dossier_id in (select private.my_followed_dossier_ids()));

-- client_companies -------------------------------------------------------------------------------
drop policy if exists "Staff read their organization's companies" on public.client_companies;
drop policy if exists "Clients read their own company" on public.client_companies;
drop policy if exists "Partners read the companies they manage" on public.client_companies;
drop policy if exists "Experts read the companies of their dossiers" on public.client_companies;
drop policy if exists "Experts read the companies of dossiers offered to them" on public.client_companies;
drop policy if exists "Staff, its clients, partner and experts read a company"
  on public.client_companies;
create policy "Staff, its clients, partner and experts read a company" on public.client_companies
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or id in (select private.my_client_company_ids())
         or id in (select private.my_partner_company_ids())
         or id in (select private.my_expert_company_ids())
         or id in (select private.my_offered_company_ids()));

drop policy if exists "Owners and admins create companies" on public.client_companies;
drop policy if exists "Partners register prospect companies they manage" on public.client_companies;
drop policy if exists "Admins create companies, partners the prospects they manage"
  on public.client_companies;
create policy "Admins create companies, partners the prospects they manage"
  on public.client_companies
  for insert to authenticated
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
              or (partner_user_id = (select auth.uid())
                  and organization_id in (select private.my_organization_ids_with_role(array['partner']))));

drop policy if exists "Owners and admins update companies" on public.client_companies;
drop policy if exists "Partners update the companies they manage" on public.client_companies;
drop policy if exists "Admins update companies, partners the ones they manage"
  on public.client_companies;
create policy "Admins update companies, partners the ones they manage" on public.client_companies
  for update to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
         or id in (select private.my_partner_company_ids()))
  with check (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
              or (partner_user_id = (select auth.uid())
                  and organization_id in (select private.my_organization_ids_with_role(array['partner']))));

-- dossiers ---------------------------------------------------------------------------------------
drop policy if exists "Staff read their organization's dossiers" on public.dossiers;
drop policy if exists "Clients read their company's dossiers" on public.dossiers;
drop policy if exists "Partners read the dossiers of companies they manage" on public.dossiers;
drop policy if exists "Experts read the dossiers assigned to them" on public.dossiers;
drop policy if exists "Experts read the dossiers offered to them" on public.dossiers;
drop policy if exists "Staff, the company's clients and partner, experts read dossiers" on public.dossiers;
create policy "Staff, the company's clients and partner, experts read dossiers" on public.dossiers
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or client_company_id in (select private.my_client_company_ids())
         or client_company_id in (select private.my_partner_company_ids())
         or expert_id in (select private.my_expert_profile_ids())
         or id in (select private.my_offered_dossier_ids()));

-- expert_absences --------------------------------------------------------------------------------
drop policy if exists "Experts and their substitutes read the expert's absences" on public.expert_absences;
drop policy if exists "Staff read the absences of their organization" on public.expert_absences;
drop policy if exists "Staff, the expert and the substitute read an absence" on public.expert_absences;
create policy "Staff, the expert and the substitute read an absence" on public.expert_absences
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or expert_id in (select private.my_expert_profile_ids())
         or substitute_id in (select private.my_expert_profile_ids()));

drop policy if exists "Experts declare their own absences" on public.expert_absences;
drop policy if exists "Owners and admins declare absences" on public.expert_absences;
drop policy if exists "Experts declare their own absences, admins anyone's" on public.expert_absences;
create policy "Experts declare their own absences, admins anyone's" on public.expert_absences
  for insert to authenticated
  with check (expert_id in (select private.my_expert_profile_ids())
              or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

drop policy if exists "Experts change their own absences" on public.expert_absences;
drop policy if exists "Owners and admins change absences" on public.expert_absences;
drop policy if exists "Experts change their own absences, admins anyone's" on public.expert_absences;
create policy "Experts change their own absences, admins anyone's" on public.expert_absences
  for update to authenticated
  using (expert_id in (select private.my_expert_profile_ids())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (expert_id in (select private.my_expert_profile_ids())
              or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

drop policy if exists "Experts remove their own absences" on public.expert_absences;
drop policy if exists "Owners and admins remove absences" on public.expert_absences;
drop policy if exists "Experts remove their own absences, admins anyone's" on public.expert_absences;
create policy "Experts remove their own absences, admins anyone's" on public.expert_absences
  for delete to authenticated
  using (expert_id in (select private.my_expert_profile_ids())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- expert_products --------------------------------------------------------------------------------
drop policy if exists "Experts add products to their own profile" on public.expert_products;
drop policy if exists "Owners and admins add products to expert profiles" on public.expert_products;
drop policy if exists "Experts add their own products, admins anyone's" on public.expert_products;
create policy "Experts add their own products, admins anyone's" on public.expert_products
  for insert to authenticated
  with check (expert_id in (select private.my_expert_profile_ids())
              or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

drop policy if exists "Experts change their own products" on public.expert_products;
drop policy if exists "Owners and admins change expert products" on public.expert_products;
drop policy if exists "Experts change their own products, admins anyone's" on public.expert_products;
create policy "Experts change their own products, admins anyone's" on public.expert_products
  for update to authenticated
  using (expert_id in (select private.my_expert_profile_ids())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (expert_id in (select private.my_expert_profile_ids())
              or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

drop policy if exists "Experts remove their own products" on public.expert_products;
drop policy if exists "Owners and admins remove expert products" on public.expert_products;
drop policy if exists "Experts remove their own products, admins anyone's" on public.expert_products;
create policy "Experts remove their own products, admins anyone's" on public.expert_products
  for delete to authenticated
  using (expert_id in (select private.my_expert_profile_ids())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- expert_profiles --------------------------------------------------------------------------------
drop policy if exists "Members read approved experts of their organization" on public.expert_profiles;
drop policy if exists "Staff read every expert profile of their organization" on public.expert_profiles;
drop policy if exists "Experts read their own profile" on public.expert_profiles;
drop policy if exists "Members read approved experts, staff all, experts themselves"
  on public.expert_profiles;
create policy "Members read approved experts, staff all, experts themselves" on public.expert_profiles
  for select to authenticated
  using ((approval_status = 'approved' and organization_id in (select private.my_organization_ids()))
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or user_id = (select auth.uid()));

drop policy if exists "Owners and admins create expert profiles" on public.expert_profiles;
drop policy if exists "Experts create their own pending profile" on public.expert_profiles;
drop policy if exists "Admins create expert profiles, experts their own pending one"
  on public.expert_profiles;
create policy "Admins create expert profiles, experts their own pending one" on public.expert_profiles
  for insert to authenticated
  with check (rating is null and review_count = 0
              and (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin']))
                   or (user_id = (select auth.uid()) and approval_status = 'pending'
                       and organization_id in (select private.my_organization_ids_with_role(array['expert'])))));

drop policy if exists "Experts update their own profile" on public.expert_profiles;
drop policy if exists "Owners and admins update expert profiles" on public.expert_profiles;
drop policy if exists "Experts update their own profile, admins anyone's" on public.expert_profiles;
create policy "Experts update their own profile, admins anyone's" on public.expert_profiles
  for update to authenticated
  using (user_id = (select auth.uid())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (user_id = (select auth.uid())
              or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- expert_reviews ---------------------------------------------------------------------------------
drop policy if exists "Authors edit their review for seven days" on public.expert_reviews;
drop policy if exists "Experts answer the reviews about them" on public.expert_reviews;
drop policy if exists "Authors edit reviews for 7 days, experts answer theirs"
  on public.expert_reviews;
create policy "Authors edit reviews for 7 days, experts answer theirs"
  on public.expert_reviews
  for update to authenticated
  using ((author_id = (select auth.uid()) and created_at > now() - interval '7 days')
         or expert_id in (select private.my_expert_profile_ids()))
  with check (author_id = (select auth.uid()) or expert_id in (select private.my_expert_profile_ids()));

-- expert_terms -----------------------------------------------------------------------------------
drop policy if exists "Staff read expert terms of their organization" on public.expert_terms;
drop policy if exists "Experts read their own terms" on public.expert_terms;
drop policy if exists "Staff read their organization's terms, experts their own" on public.expert_terms;
create policy "Staff read their organization's terms, experts their own" on public.expert_terms
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or user_id = (select auth.uid()));

drop policy if exists "Experts update their own capacity" on public.expert_terms;
drop policy if exists "Owners and admins update expert terms" on public.expert_terms;
drop policy if exists "Experts update their own capacity, admins anyone's terms" on public.expert_terms;
create policy "Experts update their own capacity, admins anyone's terms" on public.expert_terms
  for update to authenticated
  using (user_id = (select auth.uid())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))
  with check (user_id = (select auth.uid())
              or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- export_jobs ------------------------------------------------------------------------------------
drop policy if exists "Requesters read their own export jobs" on public.export_jobs;
drop policy if exists "Owners, admins and viewers read their organization's export jobs" on public.export_jobs;
drop policy if exists "Requesters read their export jobs, staff their organization's" on public.export_jobs;
create policy "Requesters read their export jobs, staff their organization's" on public.export_jobs
  for select to authenticated
  using (requested_by = (select auth.uid())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

-- marketplace_events -----------------------------------------------------------------------------
drop policy if exists "Staff read their organization's marketplace events" on public.marketplace_events;
drop policy if exists "Experts read the marketplace events about them" on public.marketplace_events;
drop policy if exists "Clients and partners read the visible events of their dossiers" on public.marketplace_events;
drop policy if exists "Staff, the expert and the dossier's followers read events"
  on public.marketplace_events;
create policy "Staff, the expert and the dossier's followers read events"
  on public.marketplace_events
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or expert_id in (select private.my_expert_profile_ids())
         or (client_visible and dossier_id in (select private.my_followed_dossier_ids())));

-- rule_sets --------------------------------------------------------------------------------------
drop policy if exists "Anyone reads platform rule sets" on public.rule_sets;
drop policy if exists "Members read their organization's rule sets" on public.rule_sets;
drop policy if exists "Visitors read platform rule sets" on public.rule_sets;
drop policy if exists "Users read platform rule sets and their organization's" on public.rule_sets;
create policy "Visitors read platform rule sets" on public.rule_sets
  for select to anon
  using (organization_id is null);
create policy "Users read platform rule sets and their organization's" on public.rule_sets
  for select to authenticated
  using (organization_id is null or organization_id in (select private.my_organization_ids()));

-- simulations ------------------------------------------------------------------------------------
drop policy if exists "Staff read their organization's simulations" on public.simulations;
drop policy if exists "Clients read their company's simulations" on public.simulations;
drop policy if exists "Partners read the simulations of companies they manage" on public.simulations;
drop policy if exists "Staff, the company's clients and its partner read simulations" on public.simulations;
create policy "Staff, the company's clients and its partner read simulations" on public.simulations
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or client_company_id in (select private.my_client_company_ids())
         or client_company_id in (select private.my_partner_company_ids()));
