-- Why: when a parameter changes (a new phase-in row, a corrected weight), an organization's owners
-- and admins publish a new version of the rule set themselves — a new code such as CRR3-2025.2 with
-- all its dated rows — without waiting for a deploy. Published rows stay immutable (0080), so a stored
-- calculation always recomputes with exactly the rows it used. The `prudential` function validates
-- the whole document with the engine's rule-set reader before inserting it as the caller; these
-- policies make sure the caller may publish for that organization only.
grant insert on public.prudential_rule_sets, public.prudential_rule_parameters to authenticated;

drop policy if exists "Owners and admins publish their organization's rule sets" on public.prudential_rule_sets;
create policy "Owners and admins publish their organization's rule sets" on public.prudential_rule_sets
  for insert to authenticated
  with check (organization_id in (select private.my_prudential_organization_ids('manage'))
              and published_by = (select auth.uid()) and published_at = now());

drop policy if exists "Owners and admins add the rows of the rule sets they publish" on public.prudential_rule_parameters;
create policy "Owners and admins add the rows of the rule sets they publish" on public.prudential_rule_parameters
  for insert to authenticated
  with check (rule_set_id in (
    select s.id from public.prudential_rule_sets s
    where s.organization_id in (select private.my_prudential_organization_ids('manage'))
      and s.published_by = (select auth.uid())
      and s.published_at = now()  -- rows are added in the publishing transaction only
  ));
