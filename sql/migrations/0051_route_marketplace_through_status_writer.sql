-- Why: the marketplace's transitions (migration 0028) wrote dossiers.status themselves. They now go
-- through private.change_dossier_status (migration 0050), the one writer, so that every status change
-- is checked against public.dossier_transitions and leaves its timeline event (and, for admins, its
-- audit row). Their rules, errors, locks and marketplace events are those of 0028, unchanged; only
-- the status writes moved. A consequence of someone else's act (an expiry, a decline moving the
-- dossier back to matching, the automatic offer) is written as the system's.

create or replace function private.expert_name(p_expert uuid) returns text
language sql stable security definer
set search_path = ''
as $$
  select coalesce((select e.display_name from public.expert_profiles e where e.id = p_expert), 'Expert')
$$;
revoke execute on function private.expert_name(uuid) from public, anon, authenticated;

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
  set proposed_expert_id = null, proposed_at = null, proposed_by = null,
      matching_started_at = coalesce(matching_started_at, now())
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'offer', 'expert_pending_acceptance',
    'Dossier proposé à un expert', 'Case offered to an expert',
    jsonb_build_object('offer_id', offer, 'expert_id', p_expert, 'source', p_source, 'attempt', attempt),
    'client', case when p_source = 'auto' then 'system' else 'client' end);
  perform private.record_event(d.organization_id, 'offer_made', p_dossier, p_expert, offer,
    jsonb_build_object('source', p_source, 'attempt', attempt, 'score', s.total, 'parts', s.parts,
                       'expires_at', now() + make_interval(mins => ttl)), true);
  return offer;
end
$$;
revoke execute on function private.open_offer(uuid, uuid, text) from public, anon, authenticated;

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
  if d.status <> 'assignment_failed' then
    perform private.change_dossier_status(p_dossier, 'flag_assignment_failed', 'assignment_failed',
      'Aucun expert disponible', 'No expert available',
      jsonb_build_object('reason', why, 'attempts', attempts), 'client', 'system');
    perform private.record_event(d.organization_id, 'assignment_failed', p_dossier,
      detail => jsonb_build_object('reason', why, 'attempts', attempts));
  end if;
  return null;
end
$$;
revoke execute on function private.offer_next(uuid) from public, anon, authenticated;

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
    perform private.change_dossier_status(p_dossier, 'offer_closed', private.matching_status(d.resume_status),
      'Retour à la recherche d''un expert', 'Back to finding an expert', '{}'::jsonb, 'client', 'system');
  end if;
  if d.assignment_mode <> 'auto' then
    return 'waiting';
  end if;
  return case when private.offer_next(p_dossier) is null then 'failed' else 'offered' end;
end
$$;
revoke execute on function private.continue_matching(uuid) from public, anon, authenticated;

-- A held dossier keeps its held status as the place work resumes from.
create or replace function private.return_to_matching(p_dossier uuid, p_kind text, p_detail jsonb) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  resume text;
begin
  select x.* into d from public.dossiers x where x.id = p_dossier for update;
  resume := case when d.status = 'expert_assigned' then d.resume_status
                 when d.status = 'on_hold' then d.held_status
                 else d.status end;
  if resume = 'expert_assigned' then
    resume := null;
  end if;
  update public.dossiers
  set expert_id = null, resume_status = resume, matching_started_at = now(), assigned_at = null,
      held_status = null, held_at = null, held_by = null, hold_reason = null, hold_until = null
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'release_expert', private.matching_status(resume),
    'Expert libéré du dossier', 'Expert released from the case',
    p_detail || jsonb_build_object('previous_status', d.status, 'expert_id', d.expert_id), 'client',
    case when p_kind = 'expert_released' then 'admin' else 'system' end);
  perform private.record_event(d.organization_id, p_kind, p_dossier, d.expert_id,
    detail => p_detail || jsonb_build_object('previous_status', d.status), client_visible => true);
  return private.continue_matching(p_dossier);
end
$$;
revoke execute on function private.return_to_matching(uuid, text, jsonb) from public, anon, authenticated;

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
  set expert_id = p_expert, resume_status = null, assigned_at = now(),
      proposed_expert_id = null, proposed_at = null, proposed_by = null
  where id = p_dossier;
  perform set_config('fintrack.capacity_override', 'off', true);
  -- The admin's change is audited by the status writer, with the assignment's details.
  perform private.change_dossier_status(p_dossier, 'force_assignment', new_status,
    'Expert attribué par l''administrateur : ' || private.expert_name(p_expert),
    'Expert assigned by an administrator: ' || private.expert_name(p_expert),
    jsonb_build_object('expert_id', p_expert, 'forced', true, 'reason', p_reason, 'ineligibility', why),
    'client', 'admin');
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
  -- Audited by the status writer (an admin's release), with the expert and the reason.
  return private.return_to_matching(p_dossier, 'expert_released',
                                    jsonb_build_object('reason', p_reason, 'released', true));
end
$$;

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
    update public.dossiers set matching_started_at = now() where id = p_dossier;
    perform private.change_dossier_status(p_dossier, 'restart_matching', private.matching_status(d.resume_status),
      'Recherche d''un expert relancée', 'Expert search restarted', '{}'::jsonb, 'client', 'admin');
  end if;
  return private.offer_next(p_dossier);
end
$$;

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
  update public.dossiers set expert_id = o.expert_id, resume_status = null, assigned_at = now()
  where id = o.dossier_id;
  perform private.change_dossier_status(o.dossier_id, 'accept_offer', new_status,
    'Expert attribué : ' || private.expert_name(o.expert_id), 'Expert assigned: ' || private.expert_name(o.expert_id),
    jsonb_build_object('offer_id', p_offer, 'expert_id', o.expert_id), 'client', 'expert');
  return jsonb_build_object('offer_id', p_offer, 'offer_status', 'accepted', 'dossier_id', o.dossier_id,
                            'dossier_status', new_status, 'expert_id', o.expert_id);
end
$$;

create or replace function private.offer_withdraw(p_offer uuid, p_reason text) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  o public.assignment_offers := private.lock_offer(p_offer, false);
  d record;
begin
  select x.client_company_id, x.resume_status, x.status into d from public.dossiers x where x.id = o.dossier_id;
  if not (private.has_role(o.organization_id, array['owner', 'admin'])
          or (o.source in ('client_choice', 'admin_proposal')
              and d.client_company_id in (select private.my_client_company_ids()))) then
    raise exception 'you may not withdraw this offer' using errcode = 'PT403', hint = 'forbidden';
  end if;
  perform private.close_offer(p_offer, 'withdrawn', nullif(btrim(coalesce(p_reason, '')), ''));
  if d.status = 'expert_pending_acceptance' then
    perform private.change_dossier_status(o.dossier_id, 'offer_closed', private.matching_status(d.resume_status),
      'Proposition retirée, retour à la recherche d''un expert', 'Offer withdrawn, back to finding an expert',
      jsonb_build_object('offer_id', p_offer, 'reason', nullif(btrim(coalesce(p_reason, '')), '')), 'client',
      'system');
  end if;
  return jsonb_build_object('offer_id', p_offer, 'offer_status', 'withdrawn', 'dossier_id', o.dossier_id,
                            'dossier_status', (select x.status from public.dossiers x where x.id = o.dossier_id));
end
$$;

revoke execute on function private.assignment_force(uuid, uuid, text), private.assignment_release(uuid, text),
  private.assignment_auto_offer(uuid), private.offer_accept(uuid), private.offer_withdraw(uuid, text)
  from public, anon;
grant execute on function private.assignment_force(uuid, uuid, text), private.assignment_release(uuid, text),
  private.assignment_auto_offer(uuid), private.offer_accept(uuid), private.offer_withdraw(uuid, text)
  to authenticated, service_role;

-- Every dossier starts its timeline: one statement-level trigger, so a simulation creating nine
-- dossiers writes their nine "created" events in one insert (the merge itself is untouched).
create or replace function private.dossiers_created_events() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.dossier_events (organization_id, dossier_id, type, to_status, actor_kind, actor_id, actor_role,
                                     title_fr, title_en, details, visibility)
  select n.organization_id, n.id, 'created', n.status, 'system', null, 'system',
         case when n.source_simulation_id is not null then 'Dossier créé à la suite d''une simulation'
              else 'Dossier créé' end,
         case when n.source_simulation_id is not null then 'Case created from a simulation' else 'Case created' end,
         jsonb_strip_nulls(jsonb_build_object('product_code', n.product_code, 'estimated_amount', n.estimated_amount,
                                              'simulation_id', n.source_simulation_id)),
         'partner'
  from created n;
  return null;
end
$$;
revoke execute on function private.dossiers_created_events() from public, anon, authenticated;
create or replace trigger dossiers_created_events after insert on public.dossiers
  referencing new table as created for each statement execute function private.dossiers_created_events();
