-- Why: a dossier command (hold, resume…) spent most of its ~7 ms in helpers, not in its writes. A
-- `language sql` function that cannot be inlined (any with `set search_path`, every security-definer
-- one) is parsed and planned again at every call; PL/pgSQL keeps its plans for the session. And each
-- awaited action's thresholds rebuilt a month of calendar windows calling private.is_business_day
-- (a holiday lookup) and private.minute_of_day four times per day and window.
-- Same results, same privileges (create or replace keeps the grants): the hot helpers of commands
-- and reads become PL/pgSQL with their bodies unchanged, and private.business_windows reads the
-- calendar's hours and the period's holidays once per call. (`#variable_conflict use_column` keeps the
-- SQL rule that a column wins over a same-named output column.)

-- "HH:MM" (or "24:00") as minutes since midnight, null otherwise (0101).
create or replace function private.minute_of_day(p_time text) returns integer
language plpgsql immutable parallel safe
set search_path = ''
as $$
begin
  return case when p_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
              then split_part(p_time, ':', 1)::integer * 60 + split_part(p_time, ':', 2)::integer
              when p_time = '24:00' then 1440 end;
end
$$;

-- The working windows of each business day in [p_from, p_to], in order (0101's rules: a working week
-- day, not a closed day, not a public holiday of the calendar's region; each hours pair a window).
create or replace function private.business_windows(p_calendar public.business_calendars, p_from date, p_to date)
returns table (opens_at timestamptz, closes_at timestamptz)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_opens integer[];
  v_closes integer[];
  v_holidays date[];
begin
  select array_agg(private.minute_of_day(w.value ->> 0) order by w.n),
         array_agg(private.minute_of_day(w.value ->> 1) order by w.n)
  into v_opens, v_closes
  from jsonb_array_elements(p_calendar.hours) with ordinality as w(value, n);
  if v_opens is null then
    return;
  end if;
  select coalesce(array_agg(h.day), '{}') into v_holidays
  from public.public_holidays h
  where h.region = p_calendar.public_holidays and h.day between p_from and p_to;
  return query
    select (g.day + make_interval(mins => v_opens[i])) at time zone p_calendar.time_zone,
           (g.day + make_interval(mins => v_closes[i])) at time zone p_calendar.time_zone
    from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as g(day)
    cross join generate_series(1, cardinality(v_opens)) as i
    where extract(isodow from g.day::date)::smallint = any(p_calendar.working_days)
      and not (g.day::date = any(p_calendar.closed_days))
      and not (g.day::date = any(v_holidays))
    order by g.day, i;
end
$$;

create or replace function private.calendar_day_minutes(p_calendar public.business_calendars) returns integer
language plpgsql immutable
set search_path = ''
as $$
begin
  return (select coalesce(sum(private.minute_of_day(w.value ->> 1) - private.minute_of_day(w.value ->> 0)), 0)::integer
          from jsonb_array_elements(p_calendar.hours) w);
end
$$;

create or replace function private.clock_due(p_calendar public.business_calendars, p_clock text,
                                             p_since timestamptz, p_elapsed integer, p_minutes integer)
returns timestamptz
language plpgsql stable
set search_path = ''
as $$
begin
  return case when p_minutes is null or p_since is null then null
              when p_clock = 'wall' then p_since + make_interval(mins => greatest(p_minutes - p_elapsed, 0))
              else private.business_due(p_calendar, p_since, greatest(p_minutes - p_elapsed, 0)) end;
end
$$;

-- Seeding is a no-op once the organization has every rule: check that first (16 index probes)
-- rather than attempting the 16 inserts at every awaited action opened.
create or replace function private.seed_awaited_action_rules(p_organization uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if (select count(*) from public.awaited_action_rules r
      where r.organization_id = p_organization
        and r.code in ('eligibility_documents', 'eligibility_review', 'expert_choice', 'expert_acceptance',
                       'expert_next_step', 'document_review', 'client_documents', 'audit', 'client_decision',
                       'audit_revision', 'claim_filing', 'administration_decision', 'refund_confirmation',
                       'invoice_payment', 'unread_message', 'support_reply')) = 16 then
    return;
  end if;
  insert into public.awaited_action_rules (organization_id, code, label_fr, label_en, late_party, open_while, clock,
                                           target, warning, breach, target_recipients, warning_recipients,
                                           breach_recipients, priority)
  select p_organization, v.* from (values
    ('eligibility_documents', 'Documents d''éligibilité à déposer', 'Eligibility documents to upload', 'client',
     'pending_upload, admin_rejected', 'business', 3, 7, 15, '{C}'::text[], '{C,P}'::text[], '{A}'::text[], 2::smallint),
    ('eligibility_review', 'Éligibilité à valider', 'Eligibility to review', 'admins', 'pending_admin_validation',
     'business', 1, 2, 3, '{A}', '{A}', '{A}', 1),
    ('expert_choice', 'Expert à choisir', 'Expert to choose', 'client', 'matchable, no open offer', 'business',
     2, 5, 10, '{C}', '{C,P,A}', '{A}', 2),
    ('expert_acceptance', 'Proposition à accepter', 'Offer to accept', 'expert', 'open offer', 'wall',
     24, 40, null, '{E}', '{E,A}', '{}', 1),
    ('expert_next_step', 'Prochaine étape de l''expert', 'Expert''s next step', 'expert',
     'expert_assigned, documents_received', 'business', 1, 2, 3, '{E}', '{E}', '{E,A}', 2),
    ('document_review', 'Document à vérifier', 'Document to review', 'expert', 'a document pending review',
     'business', 2, 5, 7, '{E}', '{E,C}', '{E,A}', 2),
    ('client_documents', 'Documents demandés à déposer', 'Requested documents to upload', 'client',
     'a request with required items missing', 'business', 5, 10, 15, '{C}', '{C,E,P}', '{C,E,A}', 2),
    ('audit', 'Audit à terminer', 'Audit to complete', 'expert', 'start_audit → complete_audit', 'business',
     7, 14, 21, '{E}', '{E,A}', '{E,A}', 2),
    ('client_decision', 'Audit à valider par le client', 'Audit awaiting the client''s decision', 'client',
     'audit_completed', 'business', 3, 7, 10, '{C}', '{C,E,P}', '{C,E,A}', 2),
    ('audit_revision', 'Audit à réviser', 'Audit to revise', 'expert', 'audit_refused', 'business', 3, 7, 10,
     '{E}', '{E,A}', '{A}', 2),
    ('claim_filing', 'Réclamation à déposer', 'Claim to file', 'expert', 'audit_accepted, claim_refused',
     'business', 7, 14, 21, '{E}', '{E,A}', '{A}', 2),
    ('administration_decision', 'Décision de l''administration attendue', 'Administration''s decision awaited',
     'administration', 'claim_filed', 'business', 30, 60, 90, '{E}', '{E,A}', '{A}', 3),
    ('refund_confirmation', 'Remboursement à confirmer', 'Refund to confirm', 'expert', 'result_recorded',
     'business', 20, 40, 60, '{E}', '{E,A}', '{A}', 3),
    ('invoice_payment', 'Facture à régler', 'Invoice to pay', 'client', 'invoice past due', 'business', 0, 10, 20,
     '{C}', '{C,A}', '{A}', 1),
    ('unread_message', 'Message client non lu', 'Unread client message', 'expert', 'a client message unread',
     'business', 2, 4, null, '{E}', '{E,A}', '{}', 3),
    ('support_reply', 'Message support sans réponse', 'Unanswered support message', 'admins',
     'a support message unanswered', 'business', 1, 2, 3, '{A}', '{A}', '{A}', 2)
  ) as v(code, label_fr, label_en, late_party, open_while, clock, target, warning, breach, target_recipients,
         warning_recipients, breach_recipients, priority)
  on conflict (organization_id, code) do nothing;
end
$$;

create or replace function private.pause_awaited_action(p_action bigint, p_reason text, p_at timestamptz default now())
returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.switch_awaited_action(a.id, 'paused', p_reason, p_at)
  from public.awaited_actions a
  where a.id = p_action and a.closed_at is null and a.running_since is not null;
end
$$;

create or replace function private.resume_awaited_action(p_action bigint, p_reason text, p_at timestamptz default now())
returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.switch_awaited_action(a.id, 'running', null, p_at)
  from public.awaited_actions a
  where a.id = p_action and a.closed_at is null and a.pause_reason = p_reason;
end
$$;

create or replace function private.actor_name(p_user uuid, p_role text, p_org uuid) returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return coalesce(
    (select e.display_name from public.expert_profiles e
     where p_role = 'expert' and e.user_id = p_user and e.organization_id = p_org limit 1),
    (select nullif(btrim(coalesce(u.raw_user_meta_data ->> 'full_name', u.raw_user_meta_data ->> 'name', '')), '')
     from auth.users u where u.id = p_user),
    (select u.email from auth.users u where u.id = p_user));
end
$$;

create or replace function private.can_follow_dossier(p_dossier uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.dossiers d
    where d.id = p_dossier
      and (private.has_role(d.organization_id, array['owner', 'admin', 'viewer'])
           or d.client_company_id in (select private.my_client_company_ids())
           or d.client_company_id in (select private.my_partner_company_ids())
           or d.expert_id in (select private.my_expert_profile_ids()))
  );
end
$$;

create or replace function private.my_offered_dossier_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select o.dossier_id from public.assignment_offers o
    join public.expert_profiles e on e.id = o.expert_id
    where e.user_id = (select auth.uid()) and o.status = 'offered';
end
$$;

create or replace function private.dossier_document_states(p_dossier uuid, p_on date)
returns table (document_type text, document_id uuid, version_id uuid, version integer, file_name text,
               issue_date date, valid_until date, review_state text, reason text, category text, expired boolean,
               uploaded_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  select doc.document_type, doc.id, v.id, v.version, v.file_name, v.issue_date,
         case when t.validity_months is not null
              then (v.issue_date + make_interval(months => t.validity_months))::date - 1 end,
         coalesce(r.state, 'pending'), r.reason, r.category,
         t.validity_months is not null
           and (v.issue_date is null or p_on >= (v.issue_date + make_interval(months => t.validity_months))::date),
         v.completed_at
  from public.dossiers d
  join public.documents doc
    on doc.client_company_id = d.client_company_id
   and (doc.dossier_id = d.id
        or (doc.dossier_id is null and private.dossier_needs_type(d.id, doc.document_type)))
  join public.document_types t on t.code = doc.document_type
  join public.document_versions v on v.document_id = doc.id and v.state = 'uploaded'
  left join public.document_reviews r on r.dossier_id = d.id and r.version_id = v.id
  where d.id = p_dossier;
end
$$;
