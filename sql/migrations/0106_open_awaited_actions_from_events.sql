-- Why: an awaited action must open and close in the transaction of the event that starts or ends it,
-- whoever writes that event. Status changes all go through private.change_dossier_status, documents
-- through the request items; triggers on those rows are the one place mapping events to actions:
-- a status opens its action and closes the previous one, `on_hold` pauses and its resume restarts
-- the clocks, a document request with required items missing opens `client_documents` (and pauses
-- the audit while it waits on the client).

-- The status-driven action of each open status (none: the status has no awaited action of its own).
create or replace function private.status_awaited_action(p_status text) returns text
language sql immutable
set search_path = ''
as $$
  select case p_status
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
  end
$$;

-- Whether the dossier waits on the client for documents (an open client_documents instance).
create or replace function private.dossier_waits_on_client(p_dossier uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.awaited_actions a
                 where a.dossier_id = p_dossier and a.code = 'client_documents' and a.closed_at is null)
$$;

create or replace function private.track_dossier_status() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  at_ timestamptz := coalesce(new.status_changed_at, now());
  wanted text := private.status_awaited_action(new.status);
  opened bigint;
begin
  if tg_op = 'UPDATE' and new.status is not distinct from old.status then
    return null;
  end if;
  if new.status = 'on_hold' then
    perform private.pause_awaited_action(a.id, 'on_hold', at_)
    from public.awaited_actions a where a.dossier_id = new.id and a.closed_at is null;
    return null;
  end if;
  -- The previous status's action ends (a finished dossier ends every action).
  perform private.close_awaited_action(a.id, 'status_changed', at_)
  from public.awaited_actions a
  where a.dossier_id = new.id and a.closed_at is null
    and ((a.subject = '' and a.code is distinct from wanted)
         or new.status in (select s.code from public.dossier_statuses s where s.is_finished));
  if tg_op = 'UPDATE' and old.status = 'on_hold' then
    perform private.resume_awaited_action(a.id, 'on_hold', at_)
    from public.awaited_actions a where a.dossier_id = new.id and a.closed_at is null;
  end if;
  if wanted is not null then
    opened := private.open_awaited_action(new.id, wanted, '', at_);
    if wanted = 'audit' and private.dossier_waits_on_client(new.id) then
      perform private.pause_awaited_action(opened, 'waiting_on_client', at_);
    end if;
  end if;
  return null;
end
$$;
revoke execute on function private.track_dossier_status() from public, anon, authenticated;
create or replace trigger dossiers_track_awaited_actions after insert or update of status on public.dossiers
  for each row execute function private.track_dossier_status();

-- Business days of the calendar after the request's local day up to its due date (the client's delay).
create or replace function private.request_delay_days(p_organization uuid, p_created timestamptz, p_due date)
returns integer
language sql stable security definer
set search_path = ''
as $$
  with x as (select private.organization_calendar(p_organization) as cal)
  select count(*)::integer
  from x, generate_series(((p_created at time zone (x.cal).time_zone)::date + 1)::timestamp, p_due::timestamp,
                          interval '1 day') g(day)
  where private.is_business_day(x.cal, g.day::date)
$$;

-- A request opens `client_documents` while one of its required items is missing and closes it when
-- none is (or when the request ends); the dossier's audit clock pauses meanwhile.
create or replace function private.track_document_request(p_request uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  q public.document_requests;
  missing boolean;
  action_id bigint;
  first_time boolean;
  shift integer;
  cal public.business_calendars;
  rule_target numeric;
begin
  select * into q from public.document_requests where id = p_request;
  if q.id is null then
    return;
  end if;
  missing := q.status = 'open' and exists (select 1 from public.document_request_items i
                                           where i.request_id = q.id and i.required and i.state = 'open');
  select a.id into action_id from public.awaited_actions a
  where a.dossier_id = q.dossier_id and a.code = 'client_documents' and a.subject = q.id::text and a.closed_at is null;
  if missing and action_id is null then
    first_time := not exists (select 1 from public.awaited_actions a
                              where a.dossier_id = q.dossier_id and a.code = 'client_documents'
                                and a.subject = q.id::text);
    perform private.seed_awaited_action_rules(q.organization_id);
    cal := private.organization_calendar(q.organization_id);
    select r.target into rule_target from public.awaited_action_rules r
    where r.organization_id = q.organization_id and r.code = 'client_documents';
    shift := round((private.request_delay_days(q.organization_id, q.created_at, q.due_date) - rule_target)
                   * private.calendar_day_minutes(cal));
    perform private.open_awaited_action(q.dossier_id, 'client_documents', q.id::text,
                                        case when first_time then q.created_at else now() end, shift);
    perform private.pause_awaited_action(a.id, 'waiting_on_client',
                                         case when first_time then q.created_at else now() end)
    from public.awaited_actions a where a.dossier_id = q.dossier_id and a.code = 'audit' and a.closed_at is null;
  elsif not missing and action_id is not null then
    perform private.close_awaited_action(action_id, case when q.status = 'cancelled' then 'cancelled'
                                                         else 'documents_provided' end,
                                         coalesce(q.closed_at, now()));
    if not private.dossier_waits_on_client(q.dossier_id) then
      perform private.resume_awaited_action(a.id, 'waiting_on_client', coalesce(q.closed_at, now()))
      from public.awaited_actions a where a.dossier_id = q.dossier_id and a.code = 'audit' and a.closed_at is null;
    end if;
  end if;
end
$$;
revoke execute on function private.track_document_request(uuid) from public, anon, authenticated;

create or replace function private.track_document_request_row() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.track_document_request(coalesce(to_jsonb(new) ->> 'request_id', to_jsonb(new) ->> 'id')::uuid);
  return null;
end
$$;
revoke execute on function private.track_document_request_row() from public, anon, authenticated;
create or replace trigger document_requests_track_awaited_actions
  after update of status on public.document_requests
  for each row execute function private.track_document_request_row();
create or replace trigger document_request_items_track_awaited_actions
  after insert or update of state, required on public.document_request_items
  for each row execute function private.track_document_request_row();

revoke execute on function private.status_awaited_action(text), private.dossier_waits_on_client(uuid),
  private.request_delay_days(uuid, timestamptz, date) from public, anon, authenticated;
grant execute on function private.status_awaited_action(text), private.dossier_waits_on_client(uuid),
  private.request_delay_days(uuid, timestamptz, date), private.track_document_request(uuid) to service_role;

-- Dossiers already waiting get their status's action from now on.
select private.open_awaited_action(d.id, private.status_awaited_action(d.status), '', now())
from public.dossiers d
where private.status_awaited_action(d.status) is not null
  and not exists (select 1 from public.awaited_actions a where a.dossier_id = d.id and a.closed_at is null);
