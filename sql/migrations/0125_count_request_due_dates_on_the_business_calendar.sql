-- Why: WORKFLOW.md gives a document request a due date "5 business days" (1–30) ahead, and business
-- days are the organization's: its time zone, working days, public holidays and closed dates (the
-- business calendar of migrations 0100–0101). Migration 0063 counted plain Monday–Friday days from
-- the server's date, before that calendar existed: a request sent on the Friday before Easter was
-- due a day early, and one sent at 00:30 in Paris (23:30 UTC) counted from the day before. The
-- request command now counts on the calendar, from the organization's local date.

-- The organization's local date now (its calendar's time zone).
create or replace function private.organization_today(p_organization uuid) returns date
language sql stable security definer
set search_path = ''
as $$
  select (now() at time zone (private.organization_calendar(p_organization)).time_zone)::date
$$;

-- The date p_days business days after p_from on the organization's calendar (p_from itself does not
-- count). Refused (PT422) when the calendar has no working day within five years.
create or replace function private.add_organization_business_days(p_organization uuid, p_from date,
                                                                    p_days integer)
returns date
language plpgsql stable security definer
set search_path = ''
as $$
declare
  cal public.business_calendars := private.organization_calendar(p_organization);
  v_day date := p_from;
  v_count integer := 0;
  v_limit date := p_from + 5 * 366;
begin
  if p_days is null or p_days < 0 then
    raise exception 'business days must be 0 or more' using errcode = 'PT422', hint = 'invalid_business_days';
  end if;
  while v_count < p_days loop
    v_day := v_day + 1;
    if v_day > v_limit then
      raise exception 'the calendar has no working day within five years' using errcode = 'PT422',
        hint = 'no_working_time';
    end if;
    if private.is_business_day(cal, v_day) then
      v_count := v_count + 1;
    end if;
  end loop;
  return v_day;
end
$$;

revoke execute on function private.organization_today(uuid), private.add_organization_business_days(uuid, date, integer)
  from public, anon;
grant execute on function private.organization_today(uuid), private.add_organization_business_days(uuid, date, integer)
  to authenticated, service_role;

create or replace function private.dossier_cmd_request_documents(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_items jsonb := p_payload -> 'items';
  v_errors jsonb := '[]'::jsonb;
  v_item jsonb;
  v_index bigint;
  v_type public.document_types;
  v_note text := coalesce(p_payload ->> 'note', '');
  v_days integer := 5;
  v_due date;
  v_org uuid;
  v_request uuid;
  v_count integer;
begin
  if v_items is null or jsonb_typeof(v_items) <> 'array' or jsonb_array_length(v_items) < 1 then
    perform private.raise_field_error('items', 'min_items', 'Request at least one document');
  end if;
  if jsonb_array_length(v_items) > 50 then
    perform private.raise_field_error('items', 'max_items', 'At most 50 documents per request');
  end if;
  for v_item, v_index in select e, n - 1 from jsonb_array_elements(v_items) with ordinality as x(e, n) loop
    if jsonb_typeof(v_item) <> 'object' then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s]', v_index), 'rule', 'object',
                                                 'message', 'Each item is an object');
      continue;
    end if;
    select x.* into v_type from public.document_types x where x.code = v_item ->> 'document_type';
    if v_type.code is null or v_type.expert_document then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].document_type', v_index),
                                                 'rule', 'known', 'message', 'A document type a client provides');
    elsif v_type.code = 'autre' and length(btrim(coalesce(v_item ->> 'label', ''))) < 2 then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].label', v_index), 'rule', 'required',
                                                 'message', 'An "autre" item needs a label');
    end if;
    if length(coalesce(v_item ->> 'label', '')) > 200 then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].label', v_index), 'rule', 'max_length',
                                                 'message', 'At most 200 characters');
    end if;
    if length(coalesce(v_item ->> 'note', '')) > 1000 then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].note', v_index), 'rule', 'max_length',
                                                 'message', 'At most 1000 characters');
    end if;
    if v_item ? 'required' and jsonb_typeof(v_item -> 'required') <> 'boolean' then
      v_errors := v_errors || jsonb_build_object('field', format('items[%s].required', v_index), 'rule', 'boolean',
                                                 'message', 'true or false');
    end if;
  end loop;
  if length(v_note) > 2000 then
    v_errors := v_errors || jsonb_build_object('field', 'note', 'rule', 'max_length',
                                               'message', 'At most 2000 characters');
  end if;
  if p_payload ? 'due_in_business_days' then
    if jsonb_typeof(p_payload -> 'due_in_business_days') <> 'number'
       or (p_payload ->> 'due_in_business_days') !~ '^[0-9]+$'
       or (p_payload ->> 'due_in_business_days')::numeric not between 1 and 30 then
      v_errors := v_errors || jsonb_build_object('field', 'due_in_business_days', 'rule', 'range',
                                                 'message', 'Between 1 and 30 business days');
    else
      v_days := (p_payload ->> 'due_in_business_days')::integer;
    end if;
  end if;
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;
  select d.organization_id into v_org from public.dossiers d where d.id = p_dossier;
  v_due := private.add_organization_business_days(v_org, private.organization_today(v_org), v_days);

  insert into public.document_requests (organization_id, dossier_id, requested_by, note, due_date)
  values (v_org, p_dossier, (select auth.uid()), v_note, v_due)
  returning id into v_request;
  insert into public.document_request_items (request_id, organization_id, dossier_id, document_type, label, note,
                                             required, position)
  select v_request, v_org, p_dossier, e ->> 'document_type', coalesce(btrim(e ->> 'label'), ''),
         coalesce(e ->> 'note', ''), coalesce((e ->> 'required')::boolean, true), n
  from jsonb_array_elements(v_items) with ordinality as x(e, n);
  get diagnostics v_count = row_count;
  perform private.change_dossier_status(
    p_dossier, 'request_documents', 'documents_requested',
    format('Documents demandés : %s pièce%s, avant le %s', v_count, case when v_count > 1 then 's' else '' end,
           to_char(v_due, 'DD/MM/YYYY')),
    format('Documents requested: %s item%s, due %s', v_count, case when v_count > 1 then 's' else '' end,
           to_char(v_due, 'YYYY-MM-DD')),
    jsonb_build_object('request_id', v_request, 'due_date', v_due, 'note', v_note,
                       'items', (select jsonb_agg(jsonb_build_object('document_type', e ->> 'document_type',
                                                                     'label', coalesce(e ->> 'label', ''),
                                                                     'required', coalesce((e ->> 'required')::boolean, true)))
                                 from jsonb_array_elements(v_items) e)),
    'client');
  return jsonb_build_object('request_id', v_request, 'due_date', v_due, 'items', v_count);
end
$$;
revoke execute on function private.dossier_cmd_request_documents(uuid, jsonb) from public, anon, authenticated;
