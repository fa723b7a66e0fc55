-- Why: completing a simulation wrote its result, then merged its dossiers, in two statements. One
-- PL/pgSQL call now does both (its plans cached per connection), and the merge no longer looks
-- again at the dossiers it has just created: when every eligible product got a new dossier — a
-- company's first completion, the common case — the rules for existing dossiers have nothing to do.
-- The rules themselves are those of migration 0013, unchanged.
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
  perform 1 from public.dossiers x where x.client_company_id = p_company for update;
  -- Products without a dossier: created in one statement, with their history rows.
  return query
    with created as (
      insert into public.dossiers (organization_id, client_company_id, product_code, estimated_amount, priority,
                                   source_simulation_id)
      select p_organization, p_company, e.code, e.estimate, e.priority, p_simulation
      from unnest(p_codes, p_amounts, p_priorities) as e(code, estimate, priority)
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

-- Completing a draft: keep its result and, when it belongs to a company, merge its dossiers with the
-- estimates of that very result (eligible products with their amount and priority; the others are
-- reported when they have a dossier). The caller (the `simulate` function, as the service after
-- checking the user's right and locking the row) has made sure it is a draft; anything else is a
-- bug, reported as such.
create or replace function private.complete_simulation(p_simulation uuid, p_result jsonb)
returns table (product_code text, dossier_id uuid, outcome text, amount numeric, previous_amount numeric,
               dossier_status text)
language plpgsql volatile
set search_path = ''
as $$
declare
  v_organization uuid;
  v_company uuid;
  v_codes text[];
  v_amounts numeric[];
  v_priorities smallint[];
  v_ineligible text[];
begin
  update public.simulations s
     set status = 'completed', result = p_result, total = (p_result ->> 'total')::numeric, completed_at = now()
   where s.id = p_simulation and s.status = 'draft'
  returning s.organization_id, s.client_company_id into v_organization, v_company;
  if not found then
    raise exception 'simulation % is not a draft', p_simulation;
  end if;
  if v_company is null then
    return;
  end if;
  select coalesce(array_agg(p.key order by p.key) filter (where eligible), '{}'),
         coalesce(array_agg((p.value ->> 'amount')::numeric order by p.key) filter (where eligible), '{}'),
         coalesce(array_agg((p.value ->> 'priority')::smallint order by p.key) filter (where eligible), '{}'),
         coalesce(array_agg(p.key order by p.key) filter (where not eligible), '{}')
    into v_codes, v_amounts, v_priorities, v_ineligible
    from jsonb_each(p_result -> 'products') p
    cross join lateral (values ((p.value ->> 'eligible')::boolean)) e(eligible);
  return query select * from private.merge_simulation_dossiers(
    v_organization, v_company, p_simulation, v_codes, v_amounts, v_priorities, v_ineligible);
end
$$;
revoke execute on function private.complete_simulation(uuid, jsonb) from public, anon, authenticated;
grant execute on function private.complete_simulation(uuid, jsonb) to service_role;
