-- Why: every assignment transition is one security-definer function with explicit checks, run in
-- the caller's transaction (the `assign` function calls them as the user; the `assignment-timeouts`
-- job as the service role), so that no client can skip a rule through the Data API and the same
-- code serves people and the scheduler. Locks are always taken in the same order — the dossier row,
-- then its offer, then (through triggers) the expert's rows — so concurrent calls queue instead of
-- deadlocking. Errors carry SQLSTATE PTxxx (xxx = the HTTP status, as PostgREST does) and the stable
-- code in their hint.

-- 1. Internal steps (no grant: reachable only through the entry points below) -------------------
create or replace function private.matching_status(resume_status text) returns text
language sql immutable parallel safe
as $$
  select case when resume_status is null then 'admin_validated' else 'awaiting_reassignment' end
$$;
revoke execute on function private.matching_status(text) from public, anon;
grant execute on function private.matching_status(text) to authenticated, service_role;

create or replace function private.score_for_dossier(p_expert uuid, p_dossier uuid, out total numeric, out parts jsonb)
language sql stable security definer
set search_path = ''
as $$
  select private.match_total(ep.level, p.sectors, p.departements, p.rating, t.completed_dossiers, t.open_dossiers,
                             t.capacity, c.sector, c.departement),
         private.match_parts(ep.level, p.sectors, p.departements, p.rating, t.completed_dossiers, t.open_dossiers,
                             t.capacity, c.sector, c.departement)
  from public.dossiers d
  join public.client_companies c on c.id = d.client_company_id
  join public.expert_profiles p on p.id = p_expert
  join public.expert_terms t on t.expert_id = p.id
  left join public.expert_products ep on ep.expert_id = p.id and ep.product_code = d.product_code
  where d.id = p_dossier
$$;
revoke execute on function private.score_for_dossier(uuid, uuid) from public, anon, authenticated;

create or replace function private.open_offer(p_dossier uuid, p_expert uuid, p_source text) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  s record;
  ttl integer;
  attempt integer;
  offer uuid;
begin
  select x.* into d from public.dossiers x where x.id = p_dossier for update;
  if d.expert_id is not null then
    raise exception 'the dossier already has an expert' using errcode = 'PT409', hint = 'already_assigned';
  end if;
  if exists (select 1 from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered') then
    raise exception 'an offer is already open for this dossier' using errcode = 'PT409', hint = 'offer_already_open';
  end if;
  if not private.dossier_is_matchable(d.status) then
    raise exception 'the dossier is not ready for an expert (status %)', d.status
      using errcode = 'PT409', hint = 'dossier_not_ready';
  end if;
  select o.offer_ttl_minutes into ttl from public.organizations o where o.id = d.organization_id;
  select count(*) + 1 into attempt from public.assignment_offers o
  where o.dossier_id = p_dossier and o.offered_at >= coalesce(d.matching_started_at, '-infinity');
  select * into s from private.score_for_dossier(p_expert, p_dossier);
  insert into public.assignment_offers (dossier_id, organization_id, expert_id, source, attempt, score, score_parts,
                                        offered_by, expires_at)
  values (p_dossier, d.organization_id, p_expert, p_source, attempt, s.total, s.parts, (select auth.uid()),
          now() + make_interval(mins => ttl))
  returning id into offer;
  update public.dossiers
  set status = 'expert_pending_acceptance', proposed_expert_id = null, proposed_at = null, proposed_by = null,
      matching_started_at = coalesce(matching_started_at, now())
  where id = p_dossier;
  perform private.record_event(d.organization_id, 'offer_made', p_dossier, p_expert, offer,
    jsonb_build_object('source', p_source, 'attempt', attempt, 'score', s.total, 'parts', s.parts,
                       'expires_at', now() + make_interval(mins => ttl)), true);
  return offer;
end
$$;
revoke execute on function private.open_offer(uuid, uuid, text) from public, anon, authenticated;

-- Closes an open offer; false when it was no longer open (or, with p_due, not yet due).
create or replace function private.close_offer(p_offer uuid, p_status text, p_reason text, p_due boolean default false)
returns boolean
language plpgsql security definer
set search_path = ''
as $$
declare
  o record;
begin
  update public.assignment_offers
  set status = p_status, responded_at = now(), responded_by = (select auth.uid()), reason = p_reason
  where id = p_offer and status = 'offered' and (not p_due or expires_at <= now())
  returning organization_id, dossier_id, expert_id into o;
  if not found then
    return false;
  end if;
  perform private.record_event(o.organization_id, 'offer_' || p_status, o.dossier_id, o.expert_id, p_offer,
    jsonb_build_object('reason', p_reason), true);
  return true;
end
$$;
revoke execute on function private.close_offer(uuid, text, text, boolean) from public, anon, authenticated;

-- Offers the dossier to the best eligible candidate not yet tried; after the organization's maximum
-- attempts, or with nobody left, flags it `assignment_failed` for admins. Returns the offer or null.
create or replace function private.offer_next(p_dossier uuid) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  attempts integer;
  tried uuid[];
  candidate record;
  why text := 'no_candidate';
begin
  select x.*, o.max_offer_attempts, c.sector, c.departement into d
  from public.dossiers x join public.organizations o on o.id = x.organization_id
  join public.client_companies c on c.id = x.client_company_id
  where x.id = p_dossier for update of x;
  if d.expert_id is not null or not private.dossier_is_matchable(d.status)
     or exists (select 1 from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered') then
    return null;
  end if;
  select count(*) filter (where o.offered_at >= coalesce(d.matching_started_at, '-infinity')),
         array_agg(distinct o.expert_id)
  into attempts, tried from public.assignment_offers o where o.dossier_id = p_dossier;
  if attempts < d.max_offer_attempts then
    for candidate in
      select r.expert_id from private.ranked_experts(d.organization_id, d.product_code, d.sector, d.departement,
                                                     true, tried, p_limit => 5) as r
    loop
      begin
        return private.open_offer(p_dossier, candidate.expert_id, 'auto');
      exception when sqlstate 'PT409' then
        null; -- became ineligible since the ranking: try the next one
      end;
    end loop;
  else
    why := 'max_attempts';
  end if;
  update public.dossiers set status = 'assignment_failed' where id = p_dossier and status <> 'assignment_failed';
  if found then
    perform private.record_event(d.organization_id, 'assignment_failed', p_dossier,
      detail => jsonb_build_object('reason', why, 'attempts', attempts));
  end if;
  return null;
end
$$;
revoke execute on function private.offer_next(uuid) from public, anon, authenticated;

-- After an offer closed without acceptance: back to matching, and in auto mode the next offer.
-- Returns 'offered', 'failed' or 'waiting'.
create or replace function private.continue_matching(p_dossier uuid) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
begin
  select x.expert_id, x.status, x.resume_status, o.assignment_mode into d
  from public.dossiers x join public.organizations o on o.id = x.organization_id where x.id = p_dossier for update of x;
  if d.expert_id is not null
     or exists (select 1 from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered') then
    return 'waiting';
  end if;
  if d.status = 'expert_pending_acceptance' then
    update public.dossiers set status = private.matching_status(d.resume_status) where id = p_dossier;
  end if;
  if d.assignment_mode <> 'auto' then
    return 'waiting';
  end if;
  return case when private.offer_next(p_dossier) is null then 'failed' else 'offered' end;
end
$$;
revoke execute on function private.continue_matching(uuid) from public, anon, authenticated;

-- Takes a dossier from its expert and puts it back into matching, remembering where work stood.
create or replace function private.return_to_matching(p_dossier uuid, p_kind text, p_detail jsonb) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  resume text;
begin
  select x.* into d from public.dossiers x where x.id = p_dossier for update;
  resume := case when d.status = 'expert_assigned' then d.resume_status else d.status end;
  update public.dossiers
  set expert_id = null, resume_status = resume, status = private.matching_status(resume),
      matching_started_at = now(), assigned_at = null
  where id = p_dossier;
  perform private.record_event(d.organization_id, p_kind, p_dossier, d.expert_id,
    detail => p_detail || jsonb_build_object('previous_status', d.status), client_visible => true);
  return private.continue_matching(p_dossier);
end
$$;
revoke execute on function private.return_to_matching(uuid, text, jsonb) from public, anon, authenticated;

-- 2. Entry points for people (the `assign` function calls them in the caller's transaction) ----
-- Locks a dossier the caller follows, or answers 404 whether it exists elsewhere or not at all.
create or replace function private.lock_followed_dossier(p_dossier uuid) returns public.dossiers
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
begin
  perform private.require_followed_dossier(p_dossier);
  select x.* into d from public.dossiers x where x.id = p_dossier for update;
  return d;
end
$$;
revoke execute on function private.lock_followed_dossier(uuid) from public, anon, authenticated;

create or replace function private.require_admin(p_org uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if not private.has_role(p_org, array['owner', 'admin']) then
    raise exception 'only owners and admins may do this' using errcode = 'PT403', hint = 'forbidden';
  end if;
end
$$;
revoke execute on function private.require_admin(uuid) from public, anon, authenticated;

-- Ranked, eligible candidates for a dossier: staff, its clients and its partner (not experts).
create or replace function private.assignment_candidates(p_dossier uuid, p_page_size integer, p_after uuid)
returns table (
  expert_id uuid, organization_id uuid, display_name text, company_name text, description text,
  certifications text[], sectors text[], departements text[], languages text[], time_zone text,
  working_hours jsonb, rating numeric, review_count integer, products jsonb, available_now boolean,
  has_capacity boolean, score numeric, score_parts jsonb, capacity integer, open_dossiers integer,
  completed_dossiers integer, fee_rate numeric
)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  d record;
begin
  perform private.require_followed_dossier(p_dossier);
  select x.organization_id, x.client_company_id into d from public.dossiers x where x.id = p_dossier;
  if not (private.has_role(d.organization_id, array['owner', 'admin', 'viewer'])
          or d.client_company_id in (select private.my_client_company_ids())
          or d.client_company_id in (select private.my_partner_company_ids())) then
    raise exception 'experts do not see the candidates of a dossier' using errcode = 'PT403', hint = 'forbidden';
  end if;
  return query
    select * from private.search_experts(null, null, null, null, null, null, null, false, false, p_dossier, true,
                                         'score', p_after, p_page_size);
end
$$;

create or replace function private.assignment_pick(p_dossier uuid, p_expert uuid) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.lock_followed_dossier(p_dossier);
  mode text;
begin
  if d.client_company_id not in (select private.my_client_company_ids()) then
    raise exception 'only the client of this dossier picks its expert' using errcode = 'PT403', hint = 'forbidden';
  end if;
  select o.assignment_mode into mode from public.organizations o where o.id = d.organization_id;
  if mode = 'auto' or (mode = 'admin' and d.proposed_expert_id is null) then
    raise exception 'in % mode the client does not pick the expert', mode
      using errcode = 'PT409', hint = 'assignment_mode';
  end if;
  return private.open_offer(p_dossier, p_expert, 'client_choice');
end
$$;

create or replace function private.assignment_confirm(p_dossier uuid) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.lock_followed_dossier(p_dossier);
begin
  if d.client_company_id not in (select private.my_client_company_ids()) then
    raise exception 'only the client of this dossier confirms a proposal' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if d.proposed_expert_id is null then
    raise exception 'no expert has been proposed for this dossier' using errcode = 'PT409', hint = 'no_proposal';
  end if;
  return private.open_offer(p_dossier, d.proposed_expert_id, 'admin_proposal');
end
$$;

create or replace function private.assignment_propose(p_dossier uuid, p_expert uuid) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.lock_followed_dossier(p_dossier);
  why text;
  s record;
begin
  perform private.require_admin(d.organization_id);
  if d.expert_id is not null then
    raise exception 'the dossier already has an expert' using errcode = 'PT409', hint = 'already_assigned';
  elsif exists (select 1 from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered') then
    raise exception 'an offer is already open for this dossier' using errcode = 'PT409', hint = 'offer_already_open';
  elsif not private.dossier_is_matchable(d.status) then
    raise exception 'the dossier is not ready for an expert' using errcode = 'PT409', hint = 'dossier_not_ready';
  end if;
  why := private.ineligibility(p_expert, p_dossier);
  if why = 'unknown_expert' then
    raise exception 'no such expert in this organization' using errcode = 'PT404', hint = 'expert_not_found';
  elsif why is not null then
    raise exception 'this expert cannot take this dossier now (%)', why
      using errcode = 'PT409', hint = 'expert_not_eligible', detail = why;
  end if;
  select * into s from private.score_for_dossier(p_expert, p_dossier);
  update public.dossiers set proposed_expert_id = p_expert, proposed_at = now(), proposed_by = (select auth.uid())
  where id = p_dossier;
  perform private.record_event(d.organization_id, 'expert_proposed', p_dossier, p_expert,
    detail => jsonb_build_object('score', s.total, 'parts', s.parts), client_visible => true);
  return jsonb_build_object('dossier_id', p_dossier, 'expert_id', p_expert, 'score', s.total, 'parts', s.parts);
end
$$;

create or replace function private.assignment_force(p_dossier uuid, p_expert uuid, p_reason text) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.lock_followed_dossier(p_dossier);
  open_offer uuid;
  why text;
  s record;
  new_status text;
begin
  perform private.require_admin(d.organization_id);
  if length(btrim(coalesce(p_reason, ''))) = 0 then
    raise exception 'a forced assignment needs a reason' using errcode = 'PT422', hint = 'reason_required';
  end if;
  if not exists (select 1 from public.expert_profiles e where e.id = p_expert and e.organization_id = d.organization_id) then
    raise exception 'no such expert in this organization' using errcode = 'PT404', hint = 'expert_not_found';
  end if;
  if d.expert_id is not null then
    raise exception 'the dossier already has an expert' using errcode = 'PT409', hint = 'already_assigned';
  end if;
  if not (private.dossier_is_matchable(d.status) or d.status = 'expert_pending_acceptance') then
    raise exception 'the dossier is not ready for an expert' using errcode = 'PT409', hint = 'dossier_not_ready';
  end if;
  why := private.ineligibility(p_expert, p_dossier);
  select o.id into open_offer from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered';
  if open_offer is not null then
    perform private.close_offer(open_offer, 'withdrawn', 'Attribution forcée par un administrateur');
  end if;
  select * into s from private.score_for_dossier(p_expert, p_dossier);
  new_status := coalesce(d.resume_status, 'expert_assigned');
  perform set_config('fintrack.capacity_override', 'on', true);
  update public.dossiers
  set expert_id = p_expert, status = new_status, resume_status = null, assigned_at = now(),
      proposed_expert_id = null, proposed_at = null, proposed_by = null
  where id = p_dossier;
  perform set_config('fintrack.capacity_override', 'off', true);
  insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role, old_values,
                                new_values)
  values (d.organization_id, 'dossiers', p_dossier, 'update', (select auth.uid()), 'authenticated',
          jsonb_build_object('expert_id', null, 'status', d.status),
          jsonb_build_object('expert_id', p_expert, 'status', new_status, 'forced', true, 'reason', p_reason,
                             'ineligibility', why));
  perform private.record_event(d.organization_id, 'assignment_forced', p_dossier, p_expert,
    detail => jsonb_build_object('reason', p_reason, 'ineligibility', why, 'score', s.total, 'parts', s.parts),
    client_visible => true);
  return jsonb_build_object('dossier_id', p_dossier, 'expert_id', p_expert, 'status', new_status,
                            'ineligibility', why, 'score', s.total, 'parts', s.parts);
end
$$;

create or replace function private.assignment_release(p_dossier uuid, p_reason text) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.lock_followed_dossier(p_dossier);
begin
  perform private.require_admin(d.organization_id);
  if length(btrim(coalesce(p_reason, ''))) = 0 then
    raise exception 'releasing an expert needs a reason' using errcode = 'PT422', hint = 'reason_required';
  end if;
  if d.expert_id is null then
    raise exception 'the dossier has no expert' using errcode = 'PT409', hint = 'not_assigned';
  end if;
  if private.dossier_is_finished(d.status) then
    raise exception 'the dossier is finished' using errcode = 'PT409', hint = 'dossier_finished';
  end if;
  insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role, old_values,
                                new_values)
  values (d.organization_id, 'dossiers', p_dossier, 'update', (select auth.uid()), 'authenticated',
          jsonb_build_object('expert_id', d.expert_id, 'status', d.status),
          jsonb_build_object('expert_id', null, 'released', true, 'reason', p_reason));
  return private.return_to_matching(p_dossier, 'expert_released', jsonb_build_object('reason', p_reason));
end
$$;

-- Offers the dossier to the best candidate now (an admin's explicit call; a failed dossier restarts).
create or replace function private.assignment_auto_offer(p_dossier uuid) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.lock_followed_dossier(p_dossier);
begin
  perform private.require_admin(d.organization_id);
  if d.expert_id is not null then
    raise exception 'the dossier already has an expert' using errcode = 'PT409', hint = 'already_assigned';
  elsif exists (select 1 from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered') then
    raise exception 'an offer is already open for this dossier' using errcode = 'PT409', hint = 'offer_already_open';
  elsif not private.dossier_is_matchable(d.status) then
    raise exception 'the dossier is not ready for an expert' using errcode = 'PT409', hint = 'dossier_not_ready';
  end if;
  if d.status = 'assignment_failed' then
    update public.dossiers set status = private.matching_status(resume_status), matching_started_at = now()
    where id = p_dossier;
  end if;
  return private.offer_next(p_dossier);
end
$$;

-- Finds an offer the caller may see and locks its dossier then the offer itself. An offer the
-- caller cannot see is a 404, one they see but may not act on a 403.
create or replace function private.lock_offer(p_offer uuid, p_as_expert boolean)
returns public.assignment_offers
language plpgsql security definer
set search_path = ''
as $$
declare
  o public.assignment_offers;
  mine boolean;
begin
  select x.* into o from public.assignment_offers x where x.id = p_offer;
  if not found then
    raise exception 'no such offer' using errcode = 'PT404', hint = 'offer_not_found';
  end if;
  mine := o.expert_id in (select private.my_expert_profile_ids());
  if not (mine or private.can_follow_dossier(o.dossier_id)) then
    if private.is_member(o.organization_id) then
      raise exception 'your role does not give access to this offer' using errcode = 'PT403', hint = 'forbidden';
    end if;
    raise exception 'no such offer' using errcode = 'PT404', hint = 'offer_not_found';
  end if;
  if p_as_expert and not mine then
    raise exception 'only the expert this offer was made to may answer it' using errcode = 'PT403', hint = 'forbidden';
  end if;
  perform 1 from public.dossiers x where x.id = o.dossier_id for update;
  select x.* into o from public.assignment_offers x where x.id = p_offer for update;
  if o.status = 'offered' and o.expires_at <= now() then
    raise exception 'this offer has expired' using errcode = 'PT409', hint = 'offer_expired';
  elsif o.status <> 'offered' then
    raise exception 'this offer is already %', o.status using errcode = 'PT409', hint = 'offer_' || o.status;
  end if;
  return o;
end
$$;
revoke execute on function private.lock_offer(uuid, boolean) from public, anon, authenticated;

create or replace function private.offer_accept(p_offer uuid) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  o public.assignment_offers := private.lock_offer(p_offer, true);
  d record;
  why text;
  new_status text;
begin
  why := private.ineligibility(o.expert_id, o.dossier_id, p_check_capacity => false);
  if why is not null then
    raise exception 'you cannot take this dossier now (%)', why
      using errcode = 'PT409', hint = 'expert_not_eligible', detail = why;
  end if;
  select x.resume_status into d from public.dossiers x where x.id = o.dossier_id;
  new_status := coalesce(d.resume_status, 'expert_assigned');
  perform private.close_offer(p_offer, 'accepted', null);
  -- The counters trigger refuses this update when the expert's capacity is already used up.
  update public.dossiers set expert_id = o.expert_id, status = new_status, resume_status = null, assigned_at = now()
  where id = o.dossier_id;
  return jsonb_build_object('offer_id', p_offer, 'offer_status', 'accepted', 'dossier_id', o.dossier_id,
                            'dossier_status', new_status, 'expert_id', o.expert_id);
end
$$;

create or replace function private.offer_decline(p_offer uuid, p_reason text) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  o public.assignment_offers;
  next_step text;
begin
  if length(btrim(coalesce(p_reason, ''))) = 0 then
    raise exception 'declining needs a reason' using errcode = 'PT422', hint = 'reason_required';
  end if;
  o := private.lock_offer(p_offer, true);
  perform private.close_offer(p_offer, 'declined', btrim(p_reason));
  next_step := private.continue_matching(o.dossier_id);
  return jsonb_build_object('offer_id', p_offer, 'offer_status', 'declined', 'dossier_id', o.dossier_id,
                            'dossier_status', (select x.status from public.dossiers x where x.id = o.dossier_id),
                            'next', next_step);
end
$$;

-- Staff withdraw any open offer; a client withdraws the offer made on their pick or confirmation.
create or replace function private.offer_withdraw(p_offer uuid, p_reason text) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  o public.assignment_offers := private.lock_offer(p_offer, false);
  d record;
begin
  select x.client_company_id, x.resume_status into d from public.dossiers x where x.id = o.dossier_id;
  if not (private.has_role(o.organization_id, array['owner', 'admin'])
          or (o.source in ('client_choice', 'admin_proposal')
              and d.client_company_id in (select private.my_client_company_ids()))) then
    raise exception 'you may not withdraw this offer' using errcode = 'PT403', hint = 'forbidden';
  end if;
  perform private.close_offer(p_offer, 'withdrawn', nullif(btrim(coalesce(p_reason, '')), ''));
  update public.dossiers set status = private.matching_status(d.resume_status)
  where id = o.dossier_id and status = 'expert_pending_acceptance';
  return jsonb_build_object('offer_id', p_offer, 'offer_status', 'withdrawn', 'dossier_id', o.dossier_id,
                            'dossier_status', (select x.status from public.dossiers x where x.id = o.dossier_id));
end
$$;

-- Approve, reject (reason), suspend or reactivate an expert; suspension withdraws their open offers.
-- The approval triggers audit the change and record the event.
create or replace function private.expert_set_approval(p_expert uuid, p_action text, p_reason text) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  e record;
  target text := case p_action when 'approve' then 'approved' when 'reject' then 'rejected'
                               when 'suspend' then 'suspended' when 'reactivate' then 'approved' end;
  reason text := nullif(btrim(coalesce(p_reason, '')), '');
  o record;
begin
  select x.organization_id, x.approval_status into e from public.expert_profiles x where x.id = p_expert;
  if not found or not private.is_member(e.organization_id) then
    raise exception 'no such expert' using errcode = 'PT404', hint = 'expert_not_found';
  end if;
  perform private.require_admin(e.organization_id);
  if target is null then
    raise exception 'unknown action %', p_action using errcode = 'PT422', hint = 'invalid_action';
  end if;
  if p_action = 'reject' and reason is null then
    raise exception 'a rejection needs a reason' using errcode = 'PT422', hint = 'reason_required';
  end if;
  if (p_action = 'reactivate') <> (e.approval_status = 'suspended') or e.approval_status = target then
    raise exception 'an expert who is % cannot be %d', e.approval_status, p_action
      using errcode = 'PT409', hint = 'invalid_transition';
  end if;
  -- The update waits for every transaction offering this expert (they share-lock the profile), so
  -- the offers withdrawn below include those: no open offer to a suspended expert survives.
  update public.expert_profiles set approval_status = target, approval_reason = reason where id = p_expert;
  if target <> 'approved' then
    for o in
      select x.id, x.dossier_id from public.assignment_offers x join public.dossiers d on d.id = x.dossier_id
      where x.expert_id = p_expert and x.status = 'offered' order by x.dossier_id for update of d
    loop
      perform private.close_offer(o.id, 'withdrawn', 'Expert suspendu');
      perform private.continue_matching(o.dossier_id);
    end loop;
  end if;
  return target;
end
$$;

-- 3. The scheduler's entry point ----------------------------------------------------------------
-- Hands an absent expert's work over: open offers are withdrawn, open dossiers go to the eligible
-- substitute (status and SLA untouched) or back to matching. Done once all of it could be locked.
create or replace function private.hand_over_absence(p_absence uuid) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  a record;
  r record;
  handed integer := 0;
  returned integer := 0;
  withdrawn integer := 0;
  s record;
begin
  select x.* into a from public.expert_absences x where x.id = p_absence;
  for r in
    select o.id, o.dossier_id from public.assignment_offers o join public.dossiers d on d.id = o.dossier_id
    where o.expert_id = a.expert_id and o.status = 'offered' for update of d skip locked
  loop
    if private.close_offer(r.id, 'withdrawn', 'Expert absent') then
      withdrawn := withdrawn + 1;
      perform private.continue_matching(r.dossier_id);
    end if;
  end loop;
  for r in
    select d.id from public.dossiers d
    where d.expert_id = a.expert_id and not private.dossier_is_finished(d.status) for update skip locked
  loop
    if a.substitute_id is not null and private.ineligibility(a.substitute_id, r.id) is null then
      begin
        update public.dossiers set expert_id = a.substitute_id, assigned_at = now() where id = r.id;
        select * into s from private.score_for_dossier(a.substitute_id, r.id);
        perform private.record_event(a.organization_id, 'handed_over', r.id, a.substitute_id,
          detail => jsonb_build_object('from', a.expert_id, 'to', a.substitute_id, 'absence_id', a.id,
                                       'score', s.total, 'parts', s.parts),
          client_visible => true);
        handed := handed + 1;
        continue;
      exception when sqlstate 'PT409' then
        null; -- the substitute filled up meanwhile: back to matching
      end;
    end if;
    perform private.return_to_matching(r.id, 'returned_to_matching',
      jsonb_build_object('reason', 'absence', 'absence_id', a.id, 'from', a.expert_id));
    returned := returned + 1;
  end loop;
  if not exists (select 1 from public.dossiers d
                 where d.expert_id = a.expert_id and not private.dossier_is_finished(d.status))
     and not exists (select 1 from public.assignment_offers o where o.expert_id = a.expert_id and o.status = 'offered') then
    update public.expert_absences set handed_over_at = now() where id = a.id;
  end if;
  return jsonb_build_object('handed_over', handed, 'returned', returned, 'withdrawn', withdrawn);
end
$$;
revoke execute on function private.hand_over_absence(uuid) from public, anon, authenticated;

-- Counters of a sweep, as {"expired": 2, ...}; missing keys count 0.
create or replace function private.add_counts(total jsonb, more jsonb) returns jsonb
language sql immutable parallel safe
as $$
  select coalesce(jsonb_object_agg(k, coalesce((total ->> k)::int, 0) + coalesce((more ->> k)::int, 0)), '{}'::jsonb)
  from (select jsonb_object_keys(total) as k union select jsonb_object_keys(more)) as keys
$$;
revoke execute on function private.add_counts(jsonb, jsonb) from public, anon, authenticated;

-- Offers past their lifetime expire; matching continues (auto mode: the next candidate).
create or replace function private.sweep_due_offers(p_org uuid, p_batch integer) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  r record;
  counts jsonb := '{}'::jsonb;
begin
  for r in
    select o.id, o.dossier_id from public.assignment_offers o join public.dossiers d on d.id = o.dossier_id
    where o.organization_id = p_org and o.status = 'offered' and o.expires_at <= now()
    order by o.expires_at limit p_batch for update of d skip locked
  loop
    if private.close_offer(r.id, 'expired', null, p_due => true) then
      counts := private.add_counts(counts, jsonb_build_object('expired', 1, private.continue_matching(r.dossier_id), 1));
    end if;
  end loop;
  return counts;
end
$$;

-- Open offers whose expert can no longer take the dossier (suspended, paused, product dropped, away).
create or replace function private.sweep_stale_offers(p_org uuid, p_batch integer) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  r record;
  counts jsonb := '{}'::jsonb;
begin
  for r in
    select o.id, o.dossier_id from public.assignment_offers o
    join public.dossiers d on d.id = o.dossier_id
    join public.expert_profiles e on e.id = o.expert_id
    where o.organization_id = p_org and o.status = 'offered'
      and (e.approval_status <> 'approved' or e.activity <> 'active'
           or not exists (select 1 from public.expert_products ep
                          where ep.expert_id = o.expert_id and ep.product_code = d.product_code and ep.active)
           or exists (select 1 from public.expert_absences a
                      where a.expert_id = o.expert_id and a.starts_at <= now() and a.ends_at > now()))
    limit p_batch for update of d skip locked
  loop
    if private.close_offer(r.id, 'withdrawn', 'L''expert n''est plus disponible') then
      counts := private.add_counts(counts,
                                   jsonb_build_object('withdrawn', 1, private.continue_matching(r.dossier_id), 1));
    end if;
  end loop;
  return counts;
end
$$;

-- Absences that started hand their expert's work over; those already over are closed.
create or replace function private.sweep_absences(p_org uuid, p_batch integer) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  r record;
  counts jsonb := '{}'::jsonb;
begin
  update public.expert_absences set handed_over_at = now()
  where organization_id = p_org and handed_over_at is null and ends_at <= now();
  for r in
    select x.id from public.expert_absences x
    where x.organization_id = p_org and x.handed_over_at is null and x.starts_at <= now() and x.ends_at > now()
    order by x.starts_at limit p_batch for update skip locked
  loop
    counts := private.add_counts(counts, private.hand_over_absence(r.id) || jsonb_build_object('absences', 1));
  end loop;
  return counts;
end
$$;

-- Auto mode: dossiers waiting in matching without an open offer (e.g. the mode was just switched).
create or replace function private.sweep_waiting_dossiers(p_org uuid, p_batch integer) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  r record;
  counts jsonb := '{}'::jsonb;
begin
  if (select o.assignment_mode from public.organizations o where o.id = p_org) <> 'auto' then
    return counts;
  end if;
  for r in
    select d.id from public.dossiers d
    where d.organization_id = p_org and d.status in ('admin_validated', 'awaiting_reassignment')
      and d.expert_id is null
      and not exists (select 1 from public.assignment_offers o where o.dossier_id = d.id and o.status = 'offered')
    order by d.updated_at limit p_batch for update skip locked
  loop
    counts := private.add_counts(counts, jsonb_build_object(
      case when private.offer_next(r.id) is null then 'failed' else 'offered' end, 1));
  end loop;
  return counts;
end
$$;
revoke execute on function private.sweep_due_offers(uuid, integer), private.sweep_stale_offers(uuid, integer),
  private.sweep_absences(uuid, integer), private.sweep_waiting_dossiers(uuid, integer)
  from public, anon, authenticated;

-- One organization's due work, in batches; safe to run twice at once (rows are claimed with
-- FOR UPDATE SKIP LOCKED and every step re-checks what it claimed).
create or replace function private.run_assignment_timeouts(p_org uuid, p_batch integer default 500) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  counts jsonb := jsonb_build_object('expired', 0, 'withdrawn', 0, 'offered', 0, 'failed', 0,
                                     'handed_over', 0, 'returned', 0, 'absences', 0);
begin
  counts := private.add_counts(counts, private.sweep_due_offers(p_org, p_batch));
  counts := private.add_counts(counts, private.sweep_stale_offers(p_org, p_batch));
  counts := private.add_counts(counts, private.sweep_absences(p_org, p_batch));
  counts := private.add_counts(counts, private.sweep_waiting_dossiers(p_org, p_batch));
  return counts - 'waiting';
end
$$;
revoke execute on function private.run_assignment_timeouts(uuid, integer) from public, anon, authenticated;
grant execute on function private.run_assignment_timeouts(uuid, integer) to service_role;

-- 4. In auto mode, validating a dossier's eligibility starts offering it -----------------------
create or replace function private.start_auto_matching() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if (select o.assignment_mode from public.organizations o where o.id = new.organization_id) = 'auto' then
    perform private.offer_next(new.id);
  end if;
  return null;
end
$$;
revoke execute on function private.start_auto_matching() from public, anon;
create or replace trigger dossiers_start_auto_matching after update of status on public.dossiers
  for each row when (new.status = 'admin_validated' and new.expert_id is null and old.expert_id is null
                     and old.status not in ('admin_validated', 'expert_pending_acceptance', 'assignment_failed',
                                            'awaiting_reassignment'))
  execute function private.start_auto_matching();

-- 5. Grants: people reach the entry points only, the scheduler its own ---------------------------
revoke execute on function private.assignment_candidates(uuid, integer, uuid), private.assignment_pick(uuid, uuid),
  private.assignment_confirm(uuid), private.assignment_propose(uuid, uuid), private.assignment_force(uuid, uuid, text),
  private.assignment_release(uuid, text), private.assignment_auto_offer(uuid), private.offer_accept(uuid),
  private.offer_decline(uuid, text), private.offer_withdraw(uuid, text),
  private.expert_set_approval(uuid, text, text) from public, anon;
grant execute on function private.assignment_candidates(uuid, integer, uuid), private.assignment_pick(uuid, uuid),
  private.assignment_confirm(uuid), private.assignment_propose(uuid, uuid), private.assignment_force(uuid, uuid, text),
  private.assignment_release(uuid, text), private.assignment_auto_offer(uuid), private.offer_accept(uuid),
  private.offer_decline(uuid, text), private.offer_withdraw(uuid, text),
  private.expert_set_approval(uuid, text, text) to authenticated, service_role;
