-- Why: 0121 turned the hot `language sql` helpers of that time into PL/pgSQL, because a SQL function
-- that cannot be inlined (any with `set search_path`) is parsed and planned again at every call on
-- PostgreSQL 15, while PL/pgSQL keeps its plans for the session. Helpers written since then fell back
-- into the same trap: one dossier command (hold, resume…) called seven of them, and
-- private.quiet_hours_end alone cost about 0.6 ms a call for a few lines of date arithmetic
-- (0.1 ms as PL/pgSQL) — measured with track_functions on the benchmark's dossiers.
-- Same signatures, same results, same privileges (create or replace keeps the grants): the bodies
-- are the same expressions, written as PL/pgSQL. tests/followup/test_hot_helpers.py holds each equal
-- to its SQL original over a range of inputs.

-- A dossier status that ends the workflow (0025).
create or replace function private.dossier_is_finished(status text) returns boolean
language plpgsql immutable parallel safe
set search_path = ''
as $$
begin
  return status in ('closed', 'completed', 'refund_completed', 'archived', 'cancelled', 'rejected',
                    'admin_rejected');
end
$$;

-- The awaited action a dossier status opens, null when it waits on nobody (0106).
create or replace function private.status_awaited_action(p_status text) returns text
language plpgsql immutable
set search_path = ''
as $$
begin
  return case p_status
    when 'pending_upload' then 'eligibility_documents'
    when 'admin_rejected' then 'eligibility_documents'
    when 'pending_admin_validation' then 'eligibility_review'
    when 'admin_validated' then 'expert_choice'
    when 'assignment_failed' then 'expert_choice'
    when 'awaiting_reassignment' then 'expert_choice'
    when 'expert_pending_acceptance' then 'expert_acceptance'
    when 'expert_assigned' then 'expert_next_step'
    when 'documents_received' then 'expert_next_step'
    when 'audit_in_progress' then 'audit'
    when 'audit_completed' then 'client_decision'
    when 'audit_refused' then 'audit_revision'
    when 'audit_accepted' then 'claim_filing'
    when 'claim_refused' then 'claim_filing'
    when 'claim_filed' then 'administration_decision'
    when 'result_recorded' then 'refund_confirmation'
  end;
end
$$;

-- The next instant a reminder step falls due after the last one sent (0130): the first non-null of
-- notice (rank 0), target (1), warning (2) and breach (3) ranked above p_sent_rank.
create or replace function private.awaited_action_next_step(
  p_notice timestamptz, p_target timestamptz, p_warning timestamptz, p_breach timestamptz, p_sent_rank integer
) returns timestamptz
language plpgsql immutable
set search_path = ''
as $$
declare
  v_sent integer := coalesce(p_sent_rank, -1);
begin
  return case when v_sent < 0 and p_notice is not null then p_notice
              when v_sent < 1 and p_target is not null then p_target
              when v_sent < 2 and p_warning is not null then p_warning
              when v_sent < 3 and p_breach is not null then p_breach end;
end
$$;

-- Whether the dossier waits on the client's documents (0106).
create or replace function private.dossier_waits_on_client(p_dossier uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.awaited_actions a
                 where a.dossier_id = p_dossier and a.code = 'client_documents' and a.closed_at is null);
end
$$;

-- The organization's business calendar, or the default one (0101).
create or replace function private.organization_calendar(p_organization uuid) returns public.business_calendars
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_calendar public.business_calendars;
begin
  select c.* into v_calendar from public.business_calendars c where c.organization_id = p_organization;
  if not found then
    v_calendar := row(p_organization, 'Europe/Paris', '{1,2,3,4,5}', '[["09:00", "12:30"], ["14:00", "18:00"]]',
                      'FR', '{}', now())::public.business_calendars;
  end if;
  return v_calendar;
end
$$;

-- Minutes of a clock between two instants: wall minutes, or business minutes on the calendar (0105).
create or replace function private.clock_minutes(p_calendar public.business_calendars, p_clock text,
                                                 p_start timestamptz, p_end timestamptz) returns integer
language plpgsql stable
set search_path = ''
as $$
begin
  return case when p_end <= p_start then 0
              when p_clock = 'wall' then floor(extract(epoch from p_end - p_start) / 60)::integer
              else floor(private.business_seconds(p_calendar, p_start, p_end) / 60)::integer end;
end
$$;

-- When quiet hours [p_start, p_end) (and weekends, when asked) let a message leave, from p_at, in the
-- time zone (0135): p_at itself when it is not quiet.
create or replace function private.quiet_hours_end(p_at timestamptz, p_time_zone text, p_start time, p_end time,
                                                   p_weekends boolean) returns timestamptz
language plpgsql stable parallel safe
set search_path = ''
as $$
declare
  v_local timestamp := p_at at time zone p_time_zone;
  v_free timestamp;
begin
  v_free := case
    when p_start = p_end then v_local
    when p_start > p_end and v_local::time >= p_start then (v_local::date + 1) + p_end
    when p_start > p_end and v_local::time < p_end then v_local::date + p_end
    when p_start < p_end and v_local::time >= p_start and v_local::time < p_end then v_local::date + p_end
    else v_local
  end;
  if p_weekends is not false then
    v_free := case extract(isodow from v_free) when 6 then (v_free::date + 2) + p_end
                                               when 7 then (v_free::date + 1) + p_end
                                               else v_free end;
  end if;
  return case when v_free = v_local then p_at else v_free at time zone p_time_zone end;
end
$$;

-- The same for one user of an organization, with their settings (0135).
create or replace function private.user_quiet_hours_end(p_user uuid, p_organization uuid, p_at timestamptz)
returns timestamptz
language plpgsql stable
set search_path = ''
as $$
declare
  s record;
begin
  select x.time_zone, x.quiet_start, x.quiet_end, x.quiet_weekends into s
  from public.notification_settings x where x.user_id = p_user;
  return private.quiet_hours_end(
    p_at,
    coalesce(s.time_zone, (select c.time_zone from public.business_calendars c where c.organization_id = p_organization),
             'Europe/Paris'),
    coalesce(s.quiet_start, '20:00'), coalesce(s.quiet_end, '08:00'), coalesce(s.quiet_weekends, true));
end
$$;
