-- Why: FOLLOWUP.md's KPIs — on-time rate and breaches per organization, expert and product — were not
-- computed anywhere. public.followup_kpis answers them for a period of local dates (the organization's
-- calendar time zone, both ends included), from the awaited actions themselves:
--   * closed: the actions closed within the period; on_time: those closed strictly before their target
--     instant, i.e. with fewer clock minutes spent than the target (at the target instant an action is
--     `late`, as its SLA state says; paused time never counts, the clock did not run);
--     on_time_rate = on_time / closed (null without closed actions);
--   * breached_closed: closed actions that had reached their breach threshold when they closed;
--   * open: actions still open that were opened before the period's end; breached_open: those breached
--     at the period's end (or now, for a period not over: a running clock whose breach instant has passed,
--     a paused one whose minutes reached the breach); breaches = breached_closed + breached_open;
--     actions without a breach threshold are never breached;
--   * median and mean minutes to close of the closed actions on business clocks (business minutes).
-- Rows per dimension: `organization` (one), `expert` (the dossier's assigned expert) and `product` (the
-- dossier's product); actions of a dossier without an expert, or of a conversation, count for the
-- organization only. Who sees what: owners and admins of the organization every action, an expert
-- the actions of the dossiers assigned to them (RLS on the tables read applies too: security invoker);
-- anyone else nothing.

create or replace function public.followup_kpis(p_organization uuid, p_start date, p_end date)
returns table (dimension text, key text, label text, closed integer, on_time integer, on_time_rate numeric,
               breached_closed integer, open integer, breached_open integer, breaches integer,
               median_business_minutes_to_close numeric, mean_business_minutes_to_close numeric)
language sql stable
set search_path = ''
as $$
  with period as (
    select (p_start::timestamp at time zone c.time_zone) as starts,
           ((p_end + 1)::timestamp at time zone c.time_zone) as ends
    from (select (private.organization_calendar(p_organization)).time_zone) c
  ),
  mine as (
    select p_organization in (select private.my_organization_ids_with_role(array['owner', 'admin'])) as staff
  ),
  actions as (
    select a.organization_id, d.expert_id, d.product_code, a.clock, a.elapsed_minutes,
           a.closed_at >= p.starts and a.closed_at < p.ends as closed_in,
           a.closed_at is null as still_open,
           a.elapsed_minutes < a.target_minutes as on_time,
           a.elapsed_minutes >= a.breach_minutes as breached_at_close,
           case when a.running_since is not null then a.breach_at <= least(p.ends, now())
                else a.elapsed_minutes >= a.breach_minutes end as breached_now
    from public.awaited_actions a
    cross join period p
    cross join mine m
    left join public.dossiers d on d.id = a.dossier_id
    where a.organization_id = p_organization
      and a.opened_at < p.ends
      and (a.closed_at is null or (a.closed_at >= p.starts and a.closed_at < p.ends))
      and (m.staff or d.expert_id in (select private.my_expert_profile_ids()))
  ),
  figures as (
    select case when grouping(x.organization_id) = 0 then 'organization'
                when grouping(x.expert_id) = 0 then 'expert' else 'product' end as dimension,
           coalesce(x.organization_id::text, x.expert_id::text, x.product_code) as key,
           count(*) filter (where x.closed_in)::integer as closed,
           count(*) filter (where x.closed_in and x.on_time)::integer as on_time,
           count(*) filter (where x.closed_in and x.breached_at_close)::integer as breached_closed,
           count(*) filter (where x.still_open)::integer as open,
           count(*) filter (where x.still_open and x.breached_now)::integer as breached_open,
           percentile_cont(0.5) within group (order by x.elapsed_minutes)
             filter (where x.closed_in and x.clock = 'business') as median_minutes,
           avg(x.elapsed_minutes) filter (where x.closed_in and x.clock = 'business') as mean_minutes
    from actions x
    group by grouping sets ((x.organization_id), (x.expert_id), (x.product_code))
    having not (grouping(x.organization_id) = 1 and coalesce(x.expert_id::text, x.product_code) is null)
  )
  select f.dimension, f.key,
         case f.dimension
           when 'organization' then (select o.name from public.organizations o where o.id::text = f.key)
           when 'expert' then (select e.display_name from public.expert_profiles e where e.id::text = f.key)
           else (select p.name from public.products p where p.code = f.key) end,
         f.closed, f.on_time,
         case when f.closed > 0 then round(f.on_time::numeric / f.closed, 4) end,
         f.breached_closed, f.open, f.breached_open, f.breached_closed + f.breached_open,
         round(f.median_minutes::numeric, 1), round(f.mean_minutes, 1)
  from figures f
  order by array_position(array['organization', 'expert', 'product'], f.dimension), f.key
$$;
revoke execute on function public.followup_kpis(uuid, date, date) from public, anon;
grant execute on function public.followup_kpis(uuid, date, date) to authenticated, service_role;
