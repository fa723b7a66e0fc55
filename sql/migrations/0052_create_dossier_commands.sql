-- Why: the dossier's commands of domain/WORKFLOW.md (all but the document, refund and payment
-- commands, which their owners add with the same signature). Each is a security-definer function
-- private.dossier_cmd_<command>(p_dossier uuid, p_payload jsonb) returns jsonb, reached only through
-- public.dossier_command (migration 0050), which has already found the dossier (404), locked it,
-- checked the transition for its status (409) and the caller's role (403). Here: the payload's fields
-- (422 naming the field and the rule), the command's guards (409 with their own code), the work, and
-- the status change through private.change_dossier_status. The audit's revisions are kept in
-- public.dossier_audits; the rates are frozen on the dossier when the client accepts.

-- 1. Payload readers: each answers the value or raises 422 {field, rule} ---------------------------
create or replace function private.payload_text(p_payload jsonb, p_field text, p_required boolean,
                                                p_min integer default 1, p_max integer default 1000) returns text
language plpgsql immutable
set search_path = ''
as $$
declare
  v jsonb := p_payload -> p_field;
  t text;
begin
  if v is null or v = 'null'::jsonb then
    if p_required then
      perform private.raise_field_error(p_field, 'required', format('%s is required', p_field));
    end if;
    return null;
  end if;
  if jsonb_typeof(v) <> 'string' then
    perform private.raise_field_error(p_field, 'type', format('%s must be a string', p_field));
  end if;
  t := btrim(v #>> '{}');
  if length(t) = 0 and not p_required then
    return null;
  end if;
  if length(t) < p_min or length(t) > p_max then
    perform private.raise_field_error(p_field, 'length',
      format('%s must have between %s and %s characters', p_field, p_min, p_max));
  end if;
  return t;
end
$$;

-- A decimal given as a JSON string ("12000.50") or number, with at most p_scale decimals.
create or replace function private.payload_decimal(p_payload jsonb, p_field text, p_required boolean,
                                                   p_scale integer default 2) returns numeric
language plpgsql immutable
set search_path = ''
as $$
declare
  v jsonb := p_payload -> p_field;
  t text;
begin
  if v is null or v = 'null'::jsonb then
    if p_required then
      perform private.raise_field_error(p_field, 'required', format('%s is required', p_field));
    end if;
    return null;
  end if;
  if jsonb_typeof(v) not in ('string', 'number') then
    perform private.raise_field_error(p_field, 'type', format('%s must be a decimal number', p_field));
  end if;
  t := btrim(v #>> '{}');
  if t !~ '^-?[0-9]{1,12}(\.[0-9]+)?$' then
    perform private.raise_field_error(p_field, 'decimal', format('%s must be a decimal number', p_field));
  end if;
  if length(split_part(t, '.', 2)) > p_scale then
    perform private.raise_field_error(p_field, 'decimals', format('%s has at most %s decimals', p_field, p_scale));
  end if;
  return t::numeric;
end
$$;

create or replace function private.payload_date(p_payload jsonb, p_field text, p_required boolean,
                                                p_not_after date default null) returns date
language plpgsql immutable
set search_path = ''
as $$
declare
  v jsonb := p_payload -> p_field;
  d date;
begin
  if v is null or v = 'null'::jsonb then
    if p_required then
      perform private.raise_field_error(p_field, 'required', format('%s is required', p_field));
    end if;
    return null;
  end if;
  if jsonb_typeof(v) <> 'string' or (v #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    perform private.raise_field_error(p_field, 'date', format('%s must be a date (YYYY-MM-DD)', p_field));
  end if;
  begin
    d := (v #>> '{}')::date;
  exception when others then
    perform private.raise_field_error(p_field, 'date', format('%s must be a date (YYYY-MM-DD)', p_field));
  end;
  if p_not_after is not null and d > p_not_after then
    perform private.raise_field_error(p_field, 'not_future', format('%s cannot be in the future', p_field));
  end if;
  return d;
end
$$;

create or replace function private.payload_choice(p_payload jsonb, p_field text, p_required boolean,
                                                  p_choices text[]) returns text
language plpgsql immutable
set search_path = ''
as $$
declare
  t text := private.payload_text(p_payload, p_field, p_required, 1, 100);
begin
  if t is not null and not t = any (p_choices) then
    perform private.raise_field_error(p_field, 'one_of',
      format('%s must be one of: %s', p_field, array_to_string(p_choices, ', ')));
  end if;
  return t;
end
$$;

-- A reason as WORKFLOW.md wants it: 3–1 000 characters.
create or replace function private.payload_reason(p_payload jsonb, p_field text default 'reason',
                                                  p_required boolean default true) returns text
language sql immutable
set search_path = ''
as $$
  select private.payload_text(p_payload, p_field, p_required, 3, 1000)
$$;

revoke execute on function private.payload_text(jsonb, text, boolean, integer, integer),
  private.payload_decimal(jsonb, text, boolean, integer), private.payload_date(jsonb, text, boolean, date),
  private.payload_choice(jsonb, text, boolean, text[]), private.payload_reason(jsonb, text, boolean)
  from public, anon;
grant execute on function private.payload_text(jsonb, text, boolean, integer, integer),
  private.payload_decimal(jsonb, text, boolean, integer), private.payload_date(jsonb, text, boolean, date),
  private.payload_choice(jsonb, text, boolean, text[]), private.payload_reason(jsonb, text, boolean)
  to authenticated, service_role;

-- The organization's today (dates "not in the future" are judged in its time zone).
create or replace function private.dossier_today(p_dossier uuid) returns date
language sql stable security definer
set search_path = ''
as $$
  select (now() at time zone o.time_zone)::date
  from public.dossiers d join public.organizations o on o.id = d.organization_id where d.id = p_dossier
$$;
revoke execute on function private.dossier_today(uuid) from public, anon, authenticated;

-- 2. The audit's revisions --------------------------------------------------------------------------
create table if not exists public.dossier_audits (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  revision integer not null check (revision >= 1),
  amount numeric(14, 2) not null check (amount > 0),
  client_fee_rate numeric(5, 4) not null check (client_fee_rate > 0 and client_fee_rate <= 1),
  summary text check (length(summary) <= 5000),
  report_document_id uuid,
  status text not null default 'proposed' check (status in ('proposed', 'accepted', 'refused', 'superseded')),
  refusal_reason text check (length(refusal_reason) between 3 and 1000),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  decided_by uuid references auth.users (id) on delete set null,
  decided_at timestamptz,
  unique (dossier_id, revision),
  check (status <> 'refused' or refusal_reason is not null)
);
create index if not exists dossier_audits_organization_id_idx on public.dossier_audits (organization_id);
create index if not exists dossier_audits_created_by_idx on public.dossier_audits (created_by);
create index if not exists dossier_audits_decided_by_idx on public.dossier_audits (decided_by);
alter table public.dossier_audits enable row level security;
grant select on public.dossier_audits to authenticated;
grant all on public.dossier_audits to service_role;
drop policy if exists "Readers of a dossier read its audit revisions" on public.dossier_audits;
create policy "Readers of a dossier read its audit revisions" on public.dossier_audits
  for select to authenticated
  using (dossier_id in (select private.my_visible_dossier_ids()));

-- 3. Step 1: eligibility -----------------------------------------------------------------------------
create or replace function private.dossier_cmd_submit_eligibility(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_problems jsonb := private.dossier_document_problems(p_dossier, 'eligibility', private.dossier_today(p_dossier));
begin
  if jsonb_array_length(v_problems) > 0 then
    raise exception 'the eligibility documents are not complete'
      using errcode = 'PT409', hint = 'documents_missing', detail = jsonb_build_object('problems', v_problems)::text;
  end if;
  perform private.change_dossier_status(p_dossier, 'submit_eligibility', 'pending_admin_validation',
    'Éligibilité soumise pour validation', 'Eligibility submitted for review', '{}'::jsonb, 'partner');
  return '{}'::jsonb;
end
$$;

-- Validating the eligibility validates the eligibility documents still waiting for their review.
create or replace function private.dossier_cmd_validate_eligibility(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_note text := private.payload_text(p_payload, 'note', false, 1, 1000);
  v_validated integer;
begin
  insert into public.document_reviews (dossier_id, version_id, organization_id, state, reviewed_by)
  select p_dossier, s.version_id, d.organization_id, 'validated', (select auth.uid())
  from public.dossiers d
  cross join lateral private.dossier_document_states(p_dossier, private.dossier_today(p_dossier)) s
  where d.id = p_dossier and s.review_state = 'pending'
    and s.document_type in (select pd.document_type from public.product_documents pd
                            where pd.product_code = d.product_code and pd.phase = 'eligibility')
  on conflict (dossier_id, version_id) do nothing;
  get diagnostics v_validated = row_count;
  perform private.change_dossier_status(p_dossier, 'validate_eligibility', 'admin_validated',
    'Éligibilité validée', 'Eligibility validated',
    jsonb_strip_nulls(jsonb_build_object('note', v_note, 'documents_validated', v_validated)), 'partner');
  return jsonb_build_object('documents_validated', v_validated);
end
$$;

create or replace function private.dossier_cmd_reject_eligibility(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_reason text := private.payload_reason(p_payload);
begin
  perform private.change_dossier_status(p_dossier, 'reject_eligibility', 'admin_rejected',
    'Éligibilité refusée', 'Eligibility rejected', jsonb_build_object('reason', v_reason), 'partner');
  return '{}'::jsonb;
end
$$;

-- 4. Steps 4–5: the audit -------------------------------------------------------------------------
create or replace function private.dossier_cmd_start_audit(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_problems jsonb := private.dossier_document_problems(p_dossier, 'collection', private.dossier_today(p_dossier));
begin
  if exists (select 1 from jsonb_array_elements(v_problems) p where p ->> 'problem' = 'open_request') then
    raise exception 'a document request is still open'
      using errcode = 'PT409', hint = 'open_request', detail = jsonb_build_object('problems', v_problems)::text;
  elsif jsonb_array_length(v_problems) > 0 then
    raise exception 'the documents are not all validated and valid today'
      using errcode = 'PT409', hint = 'documents_not_ready', detail = jsonb_build_object('problems', v_problems)::text;
  end if;
  perform private.change_dossier_status(p_dossier, 'start_audit', 'audit_in_progress',
    'Audit démarré', 'Audit started', '{}'::jsonb, 'partner');
  return '{}'::jsonb;
end
$$;

-- The client fee rate c: a fraction with 4 decimals, from the organization's minimum for the product
-- (default 0.10) to the expert's default rate; when omitted, the expert's default rate.
create or replace function private.audit_fee_rate(p_dossier uuid, p_payload jsonb) returns numeric
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_rate numeric := private.payload_decimal(p_payload, 'client_fee_rate', false, 4);
  v_min numeric;
  v_max numeric;
begin
  select coalesce(f.min_client_fee_rate, o.min_client_fee_rate), t.fee_rate into v_min, v_max
  from public.dossiers d
  join public.organizations o on o.id = d.organization_id
  left join public.organization_product_fees f on f.organization_id = d.organization_id
                                              and f.product_code = d.product_code
  left join public.expert_terms t on t.expert_id = d.expert_id
  where d.id = p_dossier;
  v_max := coalesce(v_max, 0.30);
  if v_rate is null then
    v_rate := v_max;
  end if;
  if v_rate > 1 then
    perform private.raise_field_error('client_fee_rate', 'fraction',
      'client_fee_rate is a fraction between 0 and 1 (0.30 for 30 %)');
  elsif v_rate < v_min or v_rate > v_max then
    perform private.raise_field_error('client_fee_rate', 'range',
      format('client_fee_rate must be between %s and %s', v_min, v_max));
  end if;
  return v_rate;
end
$$;
revoke execute on function private.audit_fee_rate(uuid, jsonb) from public, anon, authenticated;

create or replace function private.audit_amount_of(p_payload jsonb, p_required boolean) returns numeric
language plpgsql immutable
set search_path = ''
as $$
declare
  v_amount numeric := private.payload_decimal(p_payload, 'amount', p_required, 2);
begin
  if v_amount is not null and v_amount <= 0 then
    perform private.raise_field_error('amount', 'gt_zero', 'amount must be greater than 0');
  end if;
  return v_amount;
end
$$;
revoke execute on function private.audit_amount_of(jsonb, boolean) from public, anon;
grant execute on function private.audit_amount_of(jsonb, boolean) to authenticated, service_role;

-- Records a revision and shows it on the dossier (audited_amount and the proposed rate).
create or replace function private.record_audit_revision(p_dossier uuid, p_amount numeric, p_rate numeric,
                                                         p_summary text, p_report uuid) returns integer
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  v_revision integer;
begin
  select x.organization_id, x.audit_revision, x.audited_amount into d from public.dossiers x where x.id = p_dossier;
  v_revision := coalesce(d.audit_revision, 0) + 1;
  update public.dossier_audits set status = 'superseded'
  where dossier_id = p_dossier and status = 'proposed';
  insert into public.dossier_audits (organization_id, dossier_id, revision, amount, client_fee_rate, summary,
                                     report_document_id, created_by)
  values (d.organization_id, p_dossier, v_revision, p_amount, p_rate, p_summary, p_report, (select auth.uid()));
  update public.dossiers set audited_amount = p_amount, proposed_client_fee_rate = p_rate, audit_revision = v_revision
  where id = p_dossier;
  insert into public.dossier_amount_history (dossier_id, organization_id, amount, previous_amount, priority, source,
                                             applied, note)
  values (p_dossier, d.organization_id, p_amount, d.audited_amount, null, 'audit', true,
          format('audit revision %s', v_revision));
  return v_revision;
end
$$;
revoke execute on function private.record_audit_revision(uuid, numeric, numeric, text, uuid)
  from public, anon, authenticated;

create or replace function private.audit_report_of(p_dossier uuid, p_payload jsonb) returns uuid
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_text text := private.payload_text(p_payload, 'report_document_id', false, 36, 36);
  v_id uuid;
begin
  if v_text is null then
    return null;
  end if;
  begin
    v_id := v_text::uuid;
  exception when others then
    perform private.raise_field_error('report_document_id', 'uuid', 'report_document_id must be a UUID');
  end;
  if not exists (select 1 from public.documents x join public.dossiers d on d.client_company_id = x.client_company_id
                    where x.id = v_id and d.id = p_dossier) then
    perform private.raise_field_error('report_document_id', 'exists',
      'report_document_id must name a document of this dossier''s company');
  end if;
  return v_id;
end
$$;
revoke execute on function private.audit_report_of(uuid, jsonb) from public, anon, authenticated;

create or replace function private.dossier_cmd_complete_audit(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_amount numeric := private.audit_amount_of(p_payload, true);
  v_rate numeric := private.audit_fee_rate(p_dossier, p_payload);
  v_summary text := private.payload_text(p_payload, 'summary', false, 1, 5000);
  v_report uuid := private.audit_report_of(p_dossier, p_payload);
  v_revision integer;
begin
  v_revision := private.record_audit_revision(p_dossier, v_amount, v_rate, v_summary, v_report);
  perform private.change_dossier_status(p_dossier, 'complete_audit', 'audit_completed',
    'Audit terminé : ' || private.format_eur_fr(v_amount), 'Audit completed: ' || private.format_eur_en(v_amount),
    jsonb_strip_nulls(jsonb_build_object('revision', v_revision, 'amount', v_amount, 'client_fee_rate', v_rate,
                                         'report_document_id', v_report)), 'partner');
  return jsonb_build_object('revision', v_revision, 'amount', v_amount::text, 'client_fee_rate', v_rate::text);
end
$$;

create or replace function private.dossier_cmd_revise_audit(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  v_amount numeric := private.audit_amount_of(p_payload, false);
  v_rate numeric;
  v_summary text := private.payload_text(p_payload, 'summary', false, 1, 5000);
  v_report uuid := private.audit_report_of(p_dossier, p_payload);
  v_revision integer;
begin
  select x.audited_amount, x.proposed_client_fee_rate into d from public.dossiers x where x.id = p_dossier;
  if v_amount is null and (p_payload -> 'client_fee_rate') is null then
    perform private.raise_field_error('amount', 'required_one_of', 'a revision changes amount and/or client_fee_rate');
  end if;
  v_rate := case when (p_payload -> 'client_fee_rate') is null then d.proposed_client_fee_rate
                 else private.audit_fee_rate(p_dossier, p_payload) end;
  v_amount := coalesce(v_amount, d.audited_amount);
  v_revision := private.record_audit_revision(p_dossier, v_amount, v_rate, v_summary, v_report);
  perform private.change_dossier_status(p_dossier, 'revise_audit', 'audit_completed',
    format('Audit révisé (révision %s) : %s', v_revision, private.format_eur_fr(v_amount)),
    format('Audit revised (revision %s): %s', v_revision, private.format_eur_en(v_amount)),
    jsonb_build_object('revision', v_revision, 'amount', v_amount, 'client_fee_rate', v_rate), 'partner');
  return jsonb_build_object('revision', v_revision, 'amount', v_amount::text, 'client_fee_rate', v_rate::text);
end
$$;

-- The client accepts the latest revision: F, c, p and a are frozen on the dossier for invoicing.
create or replace function private.dossier_cmd_accept_audit(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_revision numeric := private.payload_decimal(p_payload, 'revision', true, 0);
  d record;
  v_platform numeric;
  v_partner numeric;
begin
  select x.organization_id, x.audit_revision, x.audited_amount, x.proposed_client_fee_rate, x.expert_id,
         c.partner_user_id, o.platform_fee_rate as org_platform, o.partner_share_rate as org_partner
    into d
  from public.dossiers x
  join public.organizations o on o.id = x.organization_id
  join public.client_companies c on c.id = x.client_company_id
  where x.id = p_dossier;
  if v_revision is distinct from d.audit_revision then
    raise exception 'revision % is not the latest (%)', v_revision, d.audit_revision
      using errcode = 'PT409', hint = 'stale_revision',
            detail = jsonb_build_object('latest_revision', d.audit_revision)::text;
  end if;
  select coalesce(t.platform_fee_rate, d.org_platform) into v_platform
  from public.expert_terms t where t.expert_id = d.expert_id;
  v_platform := coalesce(v_platform, d.org_platform);
  if d.partner_user_id is null then
    v_partner := 0;
  else
    select coalesce(m.partner_share_rate, d.org_partner) into v_partner
    from public.memberships m where m.organization_id = d.organization_id and m.user_id = d.partner_user_id;
    v_partner := coalesce(v_partner, d.org_partner);
  end if;
  update public.dossiers
  set audit_amount = d.audited_amount, client_fee_rate = d.proposed_client_fee_rate, platform_fee_rate = v_platform,
      partner_share_rate = v_partner, accepted_audit_revision = d.audit_revision, rates_frozen_at = now()
  where id = p_dossier;
  update public.dossier_audits set status = 'accepted', decided_by = (select auth.uid()), decided_at = now()
  where dossier_id = p_dossier and revision = d.audit_revision;
  perform private.change_dossier_status(p_dossier, 'accept_audit', 'audit_accepted',
    'Audit accepté : ' || private.format_eur_fr(d.audited_amount),
    'Audit accepted: ' || private.format_eur_en(d.audited_amount),
    jsonb_build_object('revision', d.audit_revision, 'audit_amount', d.audited_amount,
                       'client_fee_rate', d.proposed_client_fee_rate, 'platform_fee_rate', v_platform,
                       'partner_share_rate', v_partner), 'partner');
  return jsonb_build_object('revision', d.audit_revision, 'audit_amount', d.audited_amount::text,
                            'client_fee_rate', d.proposed_client_fee_rate::text, 'platform_fee_rate', v_platform::text,
                            'partner_share_rate', v_partner::text);
end
$$;

create or replace function private.dossier_cmd_refuse_audit(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_reason text := private.payload_reason(p_payload);
  v_revision integer;
begin
  select x.audit_revision into v_revision from public.dossiers x where x.id = p_dossier;
  update public.dossier_audits
  set status = 'refused', refusal_reason = v_reason, decided_by = (select auth.uid()), decided_at = now()
  where dossier_id = p_dossier and revision = v_revision;
  perform private.change_dossier_status(p_dossier, 'refuse_audit', 'audit_refused',
    'Audit refusé par le client', 'Audit refused by the client',
    jsonb_build_object('revision', v_revision, 'reason', v_reason), 'partner');
  return jsonb_build_object('revision', v_revision);
end
$$;

-- 5. Steps 6–8: claim, decision, end ---------------------------------------------------------------
create or replace function private.dossier_cmd_file_claim(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_today date := private.dossier_today(p_dossier);
  v_filed date := private.payload_date(p_payload, 'filed_on', true, v_today);
  v_admin text := private.payload_choice(p_payload, 'administration', true,
                                         array['douanes', 'urssaf', 'msa', 'dgfip', 'autre']);
  v_name text := private.payload_text(p_payload, 'administration_name', v_admin = 'autre', 2, 200);
  v_reference text := private.payload_text(p_payload, 'reference', true, 1, 100);
  v_claimed numeric := private.payload_decimal(p_payload, 'claimed_amount', false, 2);
  v_label text;
begin
  if v_claimed is not null and v_claimed <= 0 then
    perform private.raise_field_error('claimed_amount', 'gt_zero', 'claimed_amount must be greater than 0');
  end if;
  v_claimed := coalesce(v_claimed, (select x.audit_amount from public.dossiers x where x.id = p_dossier));
  v_label := case v_admin when 'douanes' then 'des douanes' when 'urssaf' then 'de l''URSSAF'
                          when 'msa' then 'de la MSA' when 'dgfip' then 'de la DGFiP' else 'de ' || v_name end;
  update public.dossiers
  set claim_filed_on = v_filed, claim_administration = v_admin,
      claim_administration_name = case when v_admin = 'autre' then v_name end, claim_reference = v_reference,
      claimed_amount = v_claimed, decision = null, granted_amount = null, decided_on = null, decision_reason = null
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'file_claim', 'claim_filed',
    format('Réclamation déposée auprès %s : %s', v_label, private.format_eur_fr(v_claimed)),
    format('Claim filed with %s: %s', coalesce(v_name, upper(v_admin)), private.format_eur_en(v_claimed)),
    jsonb_strip_nulls(jsonb_build_object('filed_on', v_filed, 'administration', v_admin,
                                         'administration_name', v_name, 'reference', v_reference,
                                         'claimed_amount', v_claimed)), 'partner');
  return jsonb_build_object('claimed_amount', v_claimed::text, 'filed_on', v_filed);
end
$$;

create or replace function private.dossier_cmd_record_result(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  v_today date := private.dossier_today(p_dossier);
  v_decision text := private.payload_choice(p_payload, 'decision', true, array['accepte', 'partiel', 'refuse']);
  v_granted numeric := private.payload_decimal(p_payload, 'granted_amount', v_decision <> 'refuse', 2);
  v_on date := private.payload_date(p_payload, 'decided_on', true, v_today);
  v_reason text := private.payload_reason(p_payload, 'reason', false);
  v_to text;
begin
  select x.claimed_amount, x.claim_filed_on into d from public.dossiers x where x.id = p_dossier;
  if v_decision = 'refuse' then
    if coalesce(v_granted, 0) <> 0 then
      perform private.raise_field_error('granted_amount', 'zero_when_refused', 'a refusal grants 0');
    end if;
    v_granted := 0;
  elsif v_granted <= 0 then
    perform private.raise_field_error('granted_amount', 'gt_zero', 'granted_amount must be greater than 0');
  end if;
  if v_on < d.claim_filed_on then
    perform private.raise_field_error('decided_on', 'not_before_filing',
      format('decided_on cannot be before the filing date (%s)', d.claim_filed_on));
  end if;
  if v_reason is null and (v_decision = 'partiel' or v_granted <> d.claimed_amount) then
    perform private.raise_field_error('reason', 'required',
      'reason is required for a partial decision or when the granted amount differs from the claimed amount');
  end if;
  v_to := case when v_decision = 'refuse' then 'claim_refused' else 'result_recorded' end;
  update public.dossiers set decision = v_decision, granted_amount = v_granted, decided_on = v_on,
                             decision_reason = v_reason
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'record_result', v_to,
    case v_decision when 'refuse' then 'Réclamation refusée par l''administration'
         when 'partiel' then 'Décision : accord partiel, ' || private.format_eur_fr(v_granted) || ' accordés'
         else 'Décision : accord, ' || private.format_eur_fr(v_granted) || ' accordés' end,
    case v_decision when 'refuse' then 'Claim refused by the administration'
         when 'partiel' then 'Decision: partly granted, ' || private.format_eur_en(v_granted)
         else 'Decision: granted, ' || private.format_eur_en(v_granted) end,
    jsonb_strip_nulls(jsonb_build_object('decision', v_decision, 'granted_amount', v_granted, 'decided_on', v_on,
                                         'reason', v_reason)), 'partner');
  return jsonb_build_object('decision', v_decision, 'granted_amount', v_granted::text);
end
$$;

create or replace function private.dossier_cmd_close_refused(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_reason text := private.payload_reason(p_payload);
begin
  update public.dossiers set outcome = 'refused', closed_at = now() where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'close_refused', 'closed',
    'Dossier clôturé : réclamation refusée', 'Case closed: claim refused', jsonb_build_object('reason', v_reason),
    'partner');
  return jsonb_build_object('outcome', 'refused');
end
$$;

-- 6. Exceptions: hold, resume, cancel, override ------------------------------------------------------
create or replace function private.dossier_cmd_hold(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_reason text := private.payload_reason(p_payload);
  v_until date := private.payload_date(p_payload, 'resume_on', false);
  v_status text;
begin
  if v_until is not null and v_until < private.dossier_today(p_dossier) then
    perform private.raise_field_error('resume_on', 'not_past', 'resume_on cannot be in the past');
  end if;
  select x.status into v_status from public.dossiers x where x.id = p_dossier;
  update public.dossiers
  set held_status = v_status, held_at = now(), held_by = (select auth.uid()), hold_reason = v_reason,
      hold_until = v_until
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'hold', 'on_hold', 'Dossier mis en pause', 'Case put on hold',
    jsonb_strip_nulls(jsonb_build_object('reason', v_reason, 'resume_on', v_until, 'held_status', v_status)),
    'partner');
  return jsonb_build_object('held_status', v_status);
end
$$;

create or replace function private.dossier_cmd_resume(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
begin
  select x.organization_id, x.held_status, x.held_by, x.held_at into d from public.dossiers x where x.id = p_dossier;
  if not ('admin' = any (private.dossier_roles(p_dossier)) or d.held_by = (select auth.uid())) then
    raise exception 'only an admin or whoever put the dossier on hold may resume it'
      using errcode = 'PT403', hint = 'forbidden';
  end if;
  update public.dossiers
  set held_status = null, held_at = null, held_by = null, hold_reason = null, hold_until = null
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'resume', d.held_status, 'Dossier repris', 'Case resumed',
    jsonb_build_object('held_since', d.held_at), 'partner');
  return jsonb_build_object('resumed_status', d.held_status);
end
$$;

-- Cancelling withdraws the open offer and the open document requests; an unpaid invoice (issued or
-- partly paid, not fully credited) refuses it.
create or replace function private.dossier_cmd_cancel(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_reason text := private.payload_reason(p_payload);
  v_offer uuid;
begin
  if exists (select 1 from public.invoices i where i.dossier_id = p_dossier and i.status in ('issued', 'partially_paid'))
  then
    raise exception 'an unpaid invoice must be paid or credited first' using errcode = 'PT409', hint = 'invoice_unpaid';
  end if;
  select o.id into v_offer from public.assignment_offers o where o.dossier_id = p_dossier and o.status = 'offered';
  if v_offer is not null then
    perform private.close_offer(v_offer, 'withdrawn', 'Dossier annulé');
  end if;
  update public.document_request_items set state = 'cancelled'
  where request_id in (select q.id from public.document_requests q where q.dossier_id = p_dossier and q.status = 'open')
    and state = 'open';
  update public.document_requests set status = 'cancelled', closed_at = now()
  where dossier_id = p_dossier and status = 'open';
  update public.dossiers
  set cancelled_at = now(), cancel_reason = v_reason, held_status = null, held_at = null, held_by = null,
      hold_reason = null, hold_until = null
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'cancel', 'cancelled', 'Dossier annulé', 'Case cancelled',
    jsonb_build_object('reason', v_reason), 'partner');
  return '{}'::jsonb;
end
$$;

-- An admin sets any status, with a reason, without breaking the invariants: steps 3–8 need an
-- expert (and steps 1–2 none), refund_confirmed an invoice, closed a paid invoice or outcome refused.
create or replace function private.dossier_cmd_override(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_to text := private.payload_text(p_payload, 'to_status', true, 1, 60);
  v_reason text := private.payload_reason(p_payload);
  v_outcome text := private.payload_choice(p_payload, 'outcome', false, array['paid', 'refused']);
  d record;
  s record;
  v_invoice text;
begin
  select st.* into s from public.dossier_statuses st where st.code = v_to;
  if not found then
    perform private.raise_field_error('to_status', 'one_of', 'to_status must be a dossier status');
  end if;
  select x.status, x.expert_id, x.invoice_id into d from public.dossiers x where x.id = p_dossier;
  select i.status into v_invoice from public.invoices i
  where i.dossier_id = p_dossier and i.status <> 'cancelled' order by i.issued_at desc limit 1;
  if s.step between 3 and 8 and d.expert_id is null then
    raise exception 'status % needs an expert', v_to using errcode = 'PT409', hint = 'invariant_expert_required';
  elsif s.step between 1 and 2 and d.expert_id is not null then
    raise exception 'status % is before any expert: release the expert first', v_to
      using errcode = 'PT409', hint = 'invariant_expert_assigned';
  elsif v_to = 'refund_confirmed' and v_invoice is null then
    raise exception 'refund_confirmed needs an invoice' using errcode = 'PT409', hint = 'invariant_invoice_required';
  elsif v_to = 'closed' and not (coalesce(v_invoice = 'paid', false) or coalesce(v_outcome = 'refused', false)) then
    raise exception 'closing needs a paid invoice or the outcome "refused"'
      using errcode = 'PT409', hint = 'invariant_close_outcome';
  end if;
  update public.dossiers
  set held_status = null, held_at = null, held_by = null, hold_reason = null, hold_until = null,
      outcome = case when v_to = 'closed' then coalesce(case when v_invoice = 'paid' then 'paid' end, v_outcome)
                     else outcome end,
      closed_at = case when v_to = 'closed' then now() else closed_at end,
      cancelled_at = case when v_to = 'cancelled' then now() else cancelled_at end,
      cancel_reason = case when v_to = 'cancelled' then v_reason else cancel_reason end
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'override', v_to,
    'Statut modifié par un administrateur : ' || s.label_fr, 'Status changed by an administrator: ' || s.label_en,
    jsonb_build_object('reason', v_reason, 'from', d.status, 'to', v_to), 'partner');
  return jsonb_build_object('from', d.status);
end
$$;

revoke execute on function private.dossier_cmd_submit_eligibility(uuid, jsonb),
  private.dossier_cmd_validate_eligibility(uuid, jsonb), private.dossier_cmd_reject_eligibility(uuid, jsonb),
  private.dossier_cmd_start_audit(uuid, jsonb), private.dossier_cmd_complete_audit(uuid, jsonb),
  private.dossier_cmd_revise_audit(uuid, jsonb), private.dossier_cmd_accept_audit(uuid, jsonb),
  private.dossier_cmd_refuse_audit(uuid, jsonb), private.dossier_cmd_file_claim(uuid, jsonb),
  private.dossier_cmd_record_result(uuid, jsonb), private.dossier_cmd_close_refused(uuid, jsonb),
  private.dossier_cmd_hold(uuid, jsonb), private.dossier_cmd_resume(uuid, jsonb), private.dossier_cmd_cancel(uuid, jsonb),
  private.dossier_cmd_override(uuid, jsonb)
  from public, anon, authenticated;
