-- Why: a completion and a claim of two different simulations of the same company could both create
-- that company's dossiers at once; inserting the products in different orders, each waited for the
-- other and one failed (deadlock, answered 409; issue 9 item 1). Every path that creates dossiers
-- goes through private.merge_simulation_dossiers (completion via private.complete_simulation, claim
-- directly), so the merge now starts by locking the company row: merges of one company run one
-- after the other, both succeed, and each (company, product) dossier exists once. Products are also
-- handled in code order. The merge rules are those of migrations 0013 and 0032, unchanged.
create or replace function private.merge_simulation_dossiers(
  p_organization uuid, p_company uuid, p_simulation uuid,
  p_codes text[], p_amounts numeric[], p_priorities smallint[], p_ineligible text[]
) returns table (product_code text, dossier_id uuid, outcome text, amount numeric, previous_amount numeric,
                 dossier_status text)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  created integer;
  est record;
  d record;
begin
  -- One merge per company at a time, whatever the path (completion or claim). `no key update`
  -- conflicts with itself only, so inserts referencing the company (key share) are not blocked.
  perform 1 from public.client_companies c where c.id = p_company for no key update;
  perform 1 from public.dossiers x where x.client_company_id = p_company for update;
  -- Products without a dossier: created in one statement, with their history rows.
  return query
    with created as (
      insert into public.dossiers (organization_id, client_company_id, product_code, estimated_amount, priority,
                                   source_simulation_id)
      select p_organization, p_company, e.code, e.estimate, e.priority, p_simulation
      from unnest(p_codes, p_amounts, p_priorities) as e(code, estimate, priority)
      order by e.code
      on conflict (client_company_id, product_code) do nothing
      returning id, product_code, estimated_amount, priority
    ), history as (
      insert into public.dossier_amount_history (dossier_id, organization_id, amount, previous_amount, priority,
                                                 source, simulation_id, applied, note)
      select c.id, p_organization, c.estimated_amount, null, c.priority, 'simulation', p_simulation, true, 'created'
      from created c
    )
    select c.product_code, c.id, 'created'::text, c.estimated_amount, null::numeric, 'pending_upload'::text
    from created c;
  get diagnostics created = row_count;
  -- Products that already had one (or that a concurrent completion just created): the rules above.
  -- A dossier whose source is this simulation was created just now (a simulation completes once).
  if created < coalesce(cardinality(p_codes), 0) then
    for est in
      select e.code, e.estimate, e.priority
      from unnest(p_codes, p_amounts, p_priorities) as e(code, estimate, priority)
      join public.dossiers x on x.client_company_id = p_company and x.product_code = e.code
      where x.source_simulation_id is distinct from p_simulation
      order by e.code
    loop
      select x.id, x.status, x.estimated_amount, x.priority,
             (x.status = 'pending_upload' and x.document_count = 0 and x.expert_id is null and x.invoice_id is null
              and x.audited_amount is null) as untouched
        into d
        from public.dossiers x where x.client_company_id = p_company and x.product_code = est.code for update;
      if d.estimated_amount is not distinct from est.estimate and d.priority is not distinct from est.priority then
        return query select est.code, d.id, 'unchanged'::text, est.estimate, d.estimated_amount, d.status;
      elsif d.untouched then
        update public.dossiers set estimated_amount = est.estimate, priority = est.priority,
                                   source_simulation_id = p_simulation
         where id = d.id;
        insert into public.dossier_amount_history (dossier_id, organization_id, amount, previous_amount, priority,
                                                   source, simulation_id, applied, note)
        values (d.id, p_organization, est.estimate, d.estimated_amount, est.priority, 'simulation', p_simulation,
                true, 'estimate updated');
        return query select est.code, d.id, 'updated'::text, est.estimate, d.estimated_amount, d.status;
      else
        insert into public.dossier_amount_history (dossier_id, organization_id, amount, previous_amount, priority,
                                                   source, simulation_id, applied, note)
        values (d.id, p_organization, est.estimate, d.estimated_amount, est.priority, 'simulation', p_simulation,
                false, 'dossier in progress: estimate recorded, not applied');
        return query select est.code, d.id, 'left_alone'::text, est.estimate, d.estimated_amount, d.status;
      end if;
    end loop;
  end if;
  return query
    select x.product_code, x.id, 'no_longer_eligible'::text, x.estimated_amount, null::numeric, x.status
    from public.dossiers x where x.client_company_id = p_company and x.product_code = any (p_ineligible);
end
$$;
revoke execute on function private.merge_simulation_dossiers(uuid, uuid, uuid, text[], numeric[], smallint[], text[])
  from public, anon, authenticated;
grant execute on function private.merge_simulation_dossiers(uuid, uuid, uuid, text[], numeric[], smallint[], text[])
  to service_role;
