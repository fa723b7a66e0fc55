-- Demo marketplace data for the local stack, on top of demo.sql: the products each demo expert
-- handles, at a level, their working hours, and one dossier per organization waiting for an
-- expert, so that the search, ranked candidates, a pick and an accept show something.
-- Idempotent; products missing from the catalogue are skipped.
insert into public.expert_products (expert_id, product_code, organization_id, level)
select e.id, p.code, e.organization_id, link.level
from (values
  ('expert1', 'ticpe', 'expert'), ('expert1', 'dfs', 'avance'), ('expert1', 'foncier', 'intermediaire'),
  ('expert1', 'recouvrement', 'avance'),
  ('expert2', 'energie_elec', 'expert'), ('expert2', 'energie_gaz', 'avance'), ('expert2', 'cee', 'avance'),
  ('expert2', 'ticpe', 'intermediaire'),
  ('expert3', 'urssaf', 'expert'), ('expert3', 'msa', 'avance'), ('expert3', 'dfs', 'intermediaire'),
  ('expert3', 'ticpe', 'debutant'),
  ('expert4', 'recouvrement', 'intermediaire')
) as link (local, product, level)
join public.organizations o on o.slug in ('profitum', 'horizon')
join public.expert_profiles e
  on e.organization_id = o.id
 and e.user_id = md5('fintrack-demo-user:' || link.local || '@' || o.slug || '.demo')::uuid
join public.products p on p.code = link.product
on conflict (expert_id, product_code) do nothing;

update public.expert_profiles e
set working_hours = '{"mon": [["09:00", "12:30"], ["14:00", "18:00"]], "tue": [["09:00", "12:30"], ["14:00", "18:00"]],
                      "wed": [["09:00", "12:30"], ["14:00", "18:00"]], "thu": [["09:00", "12:30"], ["14:00", "18:00"]],
                      "fri": [["09:00", "12:30"], ["14:00", "17:00"]]}'::jsonb,
    languages = case when e.display_name = 'Étienne Énergie' then '{fr,en}'::text[] else e.languages end
from public.organizations o
where o.id = e.organization_id and o.slug in ('profitum', 'horizon') and e.working_hours = '{}'::jsonb;

-- One dossier per organization ready for an expert (eligibility validated), so that the ranked
-- candidates, a pick and an accept can be tried at once: Transports Durand's TICPE refund.
insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount, priority)
select o.id, md5('fintrack-demo-company:client1@' || o.slug)::uuid, 'ticpe', 'admin_validated', 18450.00, 1
from public.organizations o
where o.slug in ('profitum', 'horizon') and exists (select 1 from public.products p where p.code = 'ticpe')
on conflict (client_company_id, product_code) do nothing;
