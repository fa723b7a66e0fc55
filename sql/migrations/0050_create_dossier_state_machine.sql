-- Why: nobody owned the dossier. Its statuses were strings scattered over the marketplace, the exports
-- and the merge, and nothing could move a dossier past `pending_upload`. This migration makes the
-- dossier workflow (domain/WORKFLOW.md) data plus ONE writer: the statuses with their step, progress
-- and labels; the transitions (command, from, to, who); the timeline; and the function through which
-- every status change goes.
--
-- ===================================== CONTRACT (W1 owns it) ======================================
-- Entry point (PostgREST RPC and the `dossier` HTTP function, always under the caller's identity):
--   public.dossier_command(p_dossier_id uuid, p_command text, p_payload jsonb default '{}') returns jsonb
--     1. 404 `dossier_not_found` when the caller cannot see the dossier (other organization, not theirs);
--     2. locks the dossier row (FOR UPDATE): commands on one dossier run one after the other;
--     3. 422 (field `command`, rule `unknown_command`) when no transition row names the command;
--     4. 409 `invalid_transition` when no row of public.dossier_transitions has (current status, command);
--     5. 403 `forbidden` when a row exists but none of the caller's roles on this dossier is in its actors;
--     6. runs private.dossier_cmd_<command>(p_dossier uuid, p_payload jsonb) returns jsonb, and answers
--        its result with `dossier_id`, `status`, `step`, `progress` added.
--   A command function validates its payload (422), checks its guards (409 with their own code), does
--   its work and changes the status ONLY through:
--     private.change_dossier_status(p_dossier uuid, p_command text, p_to text, p_title_fr text,
--       p_title_en text, p_details jsonb default '{}', p_visibility text default 'partner',
--       p_actor text default null) returns text
--   It checks the row (current status, p_command, p_to) exists (else 409 invalid_transition) and the
--   actor (p_actor when trusted internal code acts as 'system' or for a role it checked itself, else
--   the caller's roles on the dossier) is among its actors (else 403); writes the status, one
--   public.dossier_events row and, for an admin, an audit row. p_to = the current status is allowed
--   when the table has such a row (a command that keeps the status, e.g. an accepted document).
--   Events without a status change: private.add_dossier_event(p_dossier uuid, p_type text,
--     p_title_fr text, p_title_en text, p_details jsonb default '{}', p_visibility text default 'client',
--     p_command text default null) returns bigint.
--   The caller's roles on a dossier: private.dossier_roles(p_dossier uuid) returns text[]
--     ('admin' = owner/admin of its organization, 'expert' = its assigned expert, 'client' = a user of
--     its company, 'system' = no user: service role or the database itself).
--   What can happen now and who may do it: public.dossier_allowed_commands(p_dossier_id uuid)
--     returns table (command text, to_statuses text[], actors text[], allowed_for_me boolean).
-- Error convention (SQLSTATE PTxxx = HTTP status, stable code in HINT, machine detail as JSON in DETAIL):
--   PT404 hint dossier_not_found; PT403 hint forbidden;
--   PT409 hint invalid_transition, detail {"current_status": s, "allowed_commands": [...]};
--   PT409 other hints for failed guards (e.g. stale_revision, documents_missing with detail
--     {"problems": [...]}, open_request, invoice_unpaid);
--   PT422 hint validation_failed, detail {"field": f, "rule": r} or {"errors": [{field, rule, message}]}
--     — raise it with private.raise_field_error(p_field, p_rule, p_message).
-- Other engineers plug in (their migrations, same signature, `security definer`, search_path ''):
--   W2: private.dossier_cmd_request_documents, private.dossier_cmd_review_document and the guard
--       private.dossier_document_problems(p_dossier uuid, p_phase text, p_on date) returns jsonb
--       (array of {"document_type", "problem"}; phase 'eligibility' or 'collection'; [] = fine);
--       all documents uploaded → change_dossier_status(d, 'mark_documents_received',
--       'documents_received', ..., p_actor => 'system').
--   W3: private.dossier_cmd_confirm_refund, private.dossier_cmd_record_payment; reads the frozen
--       columns audit_amount (F), client_fee_rate (c), platform_fee_rate (p), partner_share_rate (a),
--       rates_frozen_at; writes refunded_amount, refunded_on, invoice_id, outcome and closed_at.
-- =================================================================================================

-- 1. Statuses ----------------------------------------------------------------------------------------
create table if not exists public.dossier_statuses (
  code text primary key,
  step smallint check (step between 1 and 8),
  progress smallint check (progress between 0 and 100),
  step_label_fr text,
  step_label_en text,
  label_fr text not null,
  label_en text not null,
  is_open boolean not null,
  is_matchable boolean not null default false,
  is_finished boolean not null default false,
  -- `awaiting_reassignment` and `on_hold` show the step and progress of the status they keep.
  shows_as text check (shows_as in ('resume_status', 'held_status')),
  -- Who is expected to act next, and what: the "waiting on me" filter and the detail's next action.
  waiting_on text check (waiting_on in ('client', 'expert', 'admin', 'administration')),
  next_action_fr text,
  next_action_en text,
  sort_order smallint not null unique,
  check ((step is null) = (progress is null)),
  check ((step is null) = (step_label_fr is null) and (step is null) = (step_label_en is null)),
  check (not (is_open and is_finished))
);

insert into public.dossier_statuses (code, step, progress, step_label_fr, step_label_en, label_fr, label_en, is_open,
                                     is_matchable, is_finished, shows_as, waiting_on, next_action_fr, next_action_en,
                                     sort_order)
values
  ('pending_upload', 1, 0, 'Éligibilité', 'Eligibility', 'Documents d''éligibilité à déposer',
   'Eligibility documents to upload', true, false, false, null, 'client',
   'Déposer les documents d''éligibilité et soumettre le dossier', 'Upload the eligibility documents and submit', 10),
  ('pending_admin_validation', 1, 10, 'Éligibilité', 'Eligibility', 'Éligibilité en cours de validation',
   'Eligibility under review', true, false, false, null, 'admin',
   'Valider ou refuser l''éligibilité', 'Validate or reject the eligibility', 20),
  ('admin_rejected', 1, 5, 'Éligibilité', 'Eligibility', 'Éligibilité refusée', 'Eligibility rejected', true, false,
   false, null, 'client', 'Corriger les documents et soumettre à nouveau', 'Fix the documents and submit again', 30),
  ('admin_validated', 2, 15, 'Expert', 'Expert', 'Éligibilité validée, expert à choisir',
   'Eligibility validated, expert to choose', true, true, false, null, 'client',
   'Choisir un expert', 'Choose an expert', 40),
  ('expert_pending_acceptance', 2, 20, 'Expert', 'Expert', 'En attente d''acceptation par l''expert',
   'Awaiting the expert''s acceptance', true, false, false, null, 'expert',
   'Accepter ou décliner la proposition', 'Accept or decline the offer', 50),
  ('assignment_failed', 2, 15, 'Expert', 'Expert', 'Aucun expert disponible', 'No expert available', true, true,
   false, null, 'admin', 'Attribuer un expert', 'Assign an expert', 60),
  ('awaiting_reassignment', 2, 15, 'Expert', 'Expert', 'Nouvel expert à attribuer', 'New expert to assign', true,
   true, false, 'resume_status', 'admin', 'Attribuer un nouvel expert', 'Assign a new expert', 70),
  ('expert_assigned', 3, 25, 'Documents', 'Documents', 'Expert attribué', 'Expert assigned', true, false, false,
   null, 'expert', 'Demander les documents ou démarrer l''audit', 'Request documents or start the audit', 80),
  ('documents_requested', 3, 30, 'Documents', 'Documents', 'Documents demandés', 'Documents requested', true, false,
   false, null, 'client', 'Déposer les documents demandés', 'Upload the requested documents', 90),
  ('documents_received', 3, 40, 'Documents', 'Documents', 'Documents reçus', 'Documents received', true, false,
   false, null, 'expert', 'Vérifier les documents et démarrer l''audit', 'Review the documents and start the audit',
   100),
  ('audit_in_progress', 4, 50, 'Audit', 'Audit', 'Audit en cours', 'Audit in progress', true, false, false, null,
   'expert', 'Terminer l''audit', 'Complete the audit', 110),
  ('audit_refused', 4, 60, 'Audit', 'Audit', 'Audit refusé par le client', 'Audit refused by the client', true,
   false, false, null, 'expert', 'Réviser l''audit', 'Revise the audit', 120),
  ('audit_completed', 5, 65, 'Validation client', 'Client approval', 'Audit terminé, à valider',
   'Audit completed, awaiting approval', true, false, false, null, 'client', 'Accepter ou refuser l''audit',
   'Accept or refuse the audit', 130),
  ('audit_accepted', 6, 70, 'Dépôt', 'Filing', 'Audit accepté', 'Audit accepted', true, false, false, null,
   'expert', 'Déposer la réclamation auprès de l''administration', 'File the claim with the administration', 140),
  ('claim_filed', 7, 80, 'Décision', 'Decision', 'Réclamation déposée', 'Claim filed', true, false, false, null,
   'administration', 'Enregistrer la décision de l''administration', 'Record the administration''s decision', 150),
  ('claim_refused', 7, 80, 'Décision', 'Decision', 'Réclamation refusée', 'Claim refused', true, false, false, null,
   'expert', 'Déposer à nouveau ou clore le dossier', 'File again or close the case', 160),
  ('result_recorded', 8, 85, 'Remboursement', 'Refund', 'Décision enregistrée', 'Decision recorded', true, false,
   false, null, 'expert', 'Confirmer le remboursement', 'Confirm the refund', 170),
  ('refund_confirmed', 8, 95, 'Remboursement', 'Refund', 'Remboursement confirmé, facture émise',
   'Refund confirmed, invoice issued', true, false, false, null, 'admin', 'Enregistrer le paiement de la facture',
   'Record the invoice payment', 180),
  ('closed', 8, 100, 'Remboursement', 'Refund', 'Clôturé', 'Closed', false, false, true, null, null, null, null, 190),
  ('on_hold', null, null, null, null, 'En pause', 'On hold', true, false, false, 'held_status', 'admin',
   'Reprendre le dossier', 'Resume the case', 200),
  ('cancelled', null, null, null, null, 'Annulé', 'Cancelled', false, false, true, null, null, null, null, 210)
on conflict (code) do update set
  step = excluded.step, progress = excluded.progress, step_label_fr = excluded.step_label_fr,
  step_label_en = excluded.step_label_en, label_fr = excluded.label_fr, label_en = excluded.label_en,
  is_open = excluded.is_open, is_matchable = excluded.is_matchable, is_finished = excluded.is_finished,
  shows_as = excluded.shows_as, waiting_on = excluded.waiting_on, next_action_fr = excluded.next_action_fr,
  next_action_en = excluded.next_action_en, sort_order = excluded.sort_order;

alter table public.dossier_statuses enable row level security;
grant select on public.dossier_statuses to anon, authenticated;
grant all on public.dossier_statuses to service_role;
drop policy if exists "Everyone reads the dossier statuses" on public.dossier_statuses;
create policy "Everyone reads the dossier statuses" on public.dossier_statuses
  for select to anon, authenticated using (true);

-- 2. The dossier's workflow columns ---------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'dossiers_status_fkey') then
    alter table public.dossiers
      add constraint dossiers_status_fkey foreign key (status) references public.dossier_statuses (code);
  end if;
end
$$;
-- dossiers_organization_status_idx leads with organization_id; the foreign key gets its own index.
create index if not exists dossiers_status_idx on public.dossiers (status);

alter table public.dossiers
  add column if not exists status_changed_at timestamptz not null default now(),
  -- hold / resume
  add column if not exists held_status text references public.dossier_statuses (code),
  add column if not exists held_at timestamptz,
  add column if not exists held_by uuid,
  add column if not exists hold_reason text,
  add column if not exists hold_until date,
  -- audit: the latest revision's proposal (audited_amount is F of the latest revision)
  add column if not exists audit_revision integer check (audit_revision >= 1),
  add column if not exists proposed_client_fee_rate numeric(5, 4)
    check (proposed_client_fee_rate > 0 and proposed_client_fee_rate <= 1),
  -- frozen at the client's acceptance (accept_audit); read by invoicing
  add column if not exists audit_amount numeric(14, 2) check (audit_amount > 0),
  add column if not exists client_fee_rate numeric(5, 4) check (client_fee_rate > 0 and client_fee_rate <= 1),
  add column if not exists platform_fee_rate numeric(5, 4) check (platform_fee_rate >= 0 and platform_fee_rate <= 1),
  add column if not exists partner_share_rate numeric(5, 4)
    check (partner_share_rate >= 0 and partner_share_rate <= 1),
  add column if not exists accepted_audit_revision integer,
  add column if not exists rates_frozen_at timestamptz,
  -- claim and decision
  add column if not exists claim_filed_on date,
  add column if not exists claim_administration text
    check (claim_administration in ('douanes', 'urssaf', 'msa', 'dgfip', 'autre')),
  add column if not exists claim_administration_name text,
  add column if not exists claim_reference text,
  add column if not exists claimed_amount numeric(14, 2) check (claimed_amount > 0),
  add column if not exists decision text check (decision in ('accepte', 'partiel', 'refuse')),
  add column if not exists granted_amount numeric(14, 2) check (granted_amount >= 0),
  add column if not exists decided_on date,
  add column if not exists decision_reason text,
  -- refund and end (refund and payment columns are written by the invoicing commands)
  add column if not exists refunded_amount numeric(14, 2) check (refunded_amount > 0),
  add column if not exists refunded_on date,
  add column if not exists outcome text check (outcome in ('paid', 'refused')),
  add column if not exists closed_at timestamptz,
  add column if not exists cancelled_at timestamptz,
  add column if not exists cancel_reason text;
create index if not exists dossiers_held_status_idx on public.dossiers (held_status);

-- Fee settings the audit and its acceptance read (WORKFLOW.md "Commission and invoice").
alter table public.organizations
  add column if not exists platform_fee_rate numeric(5, 4) not null default 0.30
    check (platform_fee_rate >= 0 and platform_fee_rate <= 1),
  add column if not exists partner_share_rate numeric(5, 4) not null default 0.10
    check (partner_share_rate >= 0 and partner_share_rate <= 1),
  add column if not exists min_client_fee_rate numeric(5, 4) not null default 0.10
    check (min_client_fee_rate > 0 and min_client_fee_rate <= 1);
alter table public.expert_terms
  add column if not exists platform_fee_rate numeric(5, 4)
    check (platform_fee_rate >= 0 and platform_fee_rate <= 1);
alter table public.memberships
  add column if not exists partner_share_rate numeric(5, 4)
    check (partner_share_rate >= 0 and partner_share_rate <= 1);

-- Per product, an organization may raise its minimum client fee rate.
create table if not exists public.organization_product_fees (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  product_code text not null references public.products (code),
  min_client_fee_rate numeric(5, 4) not null check (min_client_fee_rate > 0 and min_client_fee_rate <= 1),
  primary key (organization_id, product_code)
);
create index if not exists organization_product_fees_product_code_idx
  on public.organization_product_fees (product_code);
alter table public.organization_product_fees enable row level security;
grant select on public.organization_product_fees to authenticated;
grant all on public.organization_product_fees to service_role;
drop policy if exists "Members read their organization's product fees" on public.organization_product_fees;
create policy "Members read their organization's product fees" on public.organization_product_fees
  for select to authenticated
  using (organization_id in (select private.my_organization_ids()));

-- Workflow columns change only through the commands (security definer, owned by the database owner);
-- the API roles never change them directly, the service role included.
create or replace function private.protect_dossier_workflow() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('anon', 'authenticated', 'service_role')
     and (new.status, new.expert_id, new.audited_amount, new.audit_amount, new.client_fee_rate, new.platform_fee_rate,
          new.partner_share_rate, new.claimed_amount, new.granted_amount, new.refunded_amount, new.held_status,
          new.outcome, new.invoice_id)
         is distinct from
         (old.status, old.expert_id, old.audited_amount, old.audit_amount, old.client_fee_rate, old.platform_fee_rate,
          old.partner_share_rate, old.claimed_amount, old.granted_amount, old.refunded_amount, old.held_status,
          old.outcome, old.invoice_id) then
    raise exception 'a dossier''s status, expert and amounts change only through its commands'
      using errcode = '42501', hint = 'use_dossier_command';
  end if;
  return new;
end
$$;
revoke execute on function private.protect_dossier_workflow() from public, anon;
create or replace trigger dossiers_protect_workflow before update on public.dossiers
  for each row execute function private.protect_dossier_workflow();

-- 3. Transitions as data ---------------------------------------------------------------------------
create table if not exists public.dossier_transitions (
  command text not null check (command ~ '^[a-z][a-z_]{1,40}$'),
  from_status text not null references public.dossier_statuses (code),
  to_status text not null references public.dossier_statuses (code),
  actors text[] not null check (actors <@ array['client', 'expert', 'admin', 'system']::text[]
                                and cardinality(actors) > 0),
  primary key (command, from_status, to_status)
);
create index if not exists dossier_transitions_from_idx on public.dossier_transitions (from_status, command);
create index if not exists dossier_transitions_to_status_idx on public.dossier_transitions (to_status);
alter table public.dossier_transitions enable row level security;
grant select on public.dossier_transitions to anon, authenticated;
grant all on public.dossier_transitions to service_role;
drop policy if exists "Everyone reads the dossier transitions" on public.dossier_transitions;
create policy "Everyone reads the dossier transitions" on public.dossier_transitions
  for select to anon, authenticated using (true);

with
  -- where work stands once an expert has it (steps 3–8, open)
  working(s) as (values ('expert_assigned'), ('documents_requested'), ('documents_received'), ('audit_in_progress'),
                        ('audit_refused'), ('audit_completed'), ('audit_accepted'), ('claim_filed'), ('claim_refused'),
                        ('result_recorded'), ('refund_confirmed')),
  matching(s) as (values ('admin_validated'), ('awaiting_reassignment'), ('assignment_failed')),
  holdable(s) as (select code from public.dossier_statuses
                  where is_open and code not in ('on_hold', 'expert_pending_acceptance')),
  before_acceptance(s) as (values ('pending_upload'), ('pending_admin_validation'), ('admin_rejected'),
                                  ('admin_validated'), ('expert_pending_acceptance'), ('assignment_failed'),
                                  ('awaiting_reassignment'), ('expert_assigned'), ('documents_requested'),
                                  ('documents_received'), ('audit_in_progress'), ('audit_refused'),
                                  ('audit_completed')),
  overridable(s) as (select code from public.dossier_statuses
                     where code not in ('on_hold', 'expert_pending_acceptance', 'awaiting_reassignment')),
  rows(command, from_status, to_status, actors) as (
    -- 1 Éligibilité
              select 'submit_eligibility', 'pending_upload', 'pending_admin_validation', array['client', 'admin']
    union all select 'submit_eligibility', 'admin_rejected', 'pending_admin_validation', array['client', 'admin']
    union all select 'validate_eligibility', 'pending_admin_validation', 'admin_validated', array['admin']
    union all select 'reject_eligibility', 'pending_admin_validation', 'admin_rejected', array['admin']
    -- 2 Expert (the marketplace's transitions, migration 0028 and its replacement)
    union all select 'offer', s, 'expert_pending_acceptance', array['client', 'admin', 'system'] from matching
    union all select 'offer_closed', 'expert_pending_acceptance', s, array['system']
              from (values ('admin_validated'), ('awaiting_reassignment')) v(s)
    union all select 'accept_offer', 'expert_pending_acceptance', s, array['expert'] from working
    union all select 'force_assignment', f.s, w.s, array['admin']
              from (select s from matching union all select 'expert_pending_acceptance') f cross join working w
    union all select 'release_expert', w.s, 'awaiting_reassignment', array['admin', 'system']
              from (select s from working union all select 'on_hold') w
    union all select 'release_expert', 'expert_assigned', 'admin_validated', array['admin', 'system']
    union all select 'flag_assignment_failed', s, 'assignment_failed', array['system']
              from (values ('admin_validated'), ('awaiting_reassignment')) v(s)
    union all select 'restart_matching', 'assignment_failed', s, array['admin']
              from (values ('admin_validated'), ('awaiting_reassignment')) v(s)
    -- 3 Documents (the document commands keep the status unless they move it)
    union all select 'request_documents', s, 'documents_requested', array['expert']
              from (values ('expert_assigned'), ('documents_requested'), ('documents_received'),
                           ('audit_in_progress')) v(s)
    union all select 'review_document', s, s, array['admin']
              from (values ('pending_upload'), ('pending_admin_validation'), ('admin_rejected')) v(s)
    union all select 'review_document', s, s, array['expert']
              from (values ('expert_assigned'), ('documents_requested'), ('documents_received'),
                           ('audit_in_progress')) v(s)
    union all select 'review_document', 'documents_received', 'documents_requested', array['expert']
    union all select 'mark_documents_received', 'documents_requested', 'documents_received', array['system']
    -- 4–5 Audit
    union all select 'start_audit', s, 'audit_in_progress', array['expert']
              from (values ('expert_assigned'), ('documents_received')) v(s)
    union all select 'complete_audit', 'audit_in_progress', 'audit_completed', array['expert']
    union all select 'accept_audit', 'audit_completed', 'audit_accepted', array['client']
    union all select 'refuse_audit', 'audit_completed', 'audit_refused', array['client']
    union all select 'revise_audit', 'audit_refused', 'audit_completed', array['expert']
    -- 6–8 Claim, decision, refund, payment
    union all select 'file_claim', s, 'claim_filed', array['expert']
              from (values ('audit_accepted'), ('claim_refused')) v(s)
    union all select 'record_result', 'claim_filed', s, array['expert']
              from (values ('result_recorded'), ('claim_refused')) v(s)
    union all select 'confirm_refund', 'result_recorded', 'refund_confirmed', array['expert', 'admin']
    union all select 'record_payment', 'refund_confirmed', s, array['admin']
              from (values ('refund_confirmed'), ('closed')) v(s)
    union all select 'close_refused', 'claim_refused', 'closed', array['expert', 'admin']
    -- Exceptions
    union all select 'hold', s, 'on_hold', array['admin', 'expert'] from holdable
    union all select 'resume', 'on_hold', s, array['admin', 'expert'] from holdable
    union all select 'cancel', s, 'cancelled', array['client', 'admin'] from before_acceptance
    union all select 'cancel', s, 'cancelled', array['admin']
              from (values ('audit_accepted'), ('claim_filed'), ('claim_refused'), ('result_recorded'),
                           ('refund_confirmed'), ('on_hold')) v(s)
    union all select 'override', f.s, t.s, array['admin']
              from (select s from overridable union all select 'on_hold' union all select 'awaiting_reassignment') f
              cross join overridable t where f.s <> t.s
  )
insert into public.dossier_transitions (command, from_status, to_status, actors)
select command, from_status, to_status, actors from rows
on conflict (command, from_status, to_status) do update set actors = excluded.actors;

-- 4. Error helpers ---------------------------------------------------------------------------------
create or replace function private.raise_field_error(p_field text, p_rule text, p_message text) returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception '%', p_message using errcode = 'PT422', hint = 'validation_failed',
    detail = jsonb_build_object('field', p_field, 'rule', p_rule)::text;
end
$$;
revoke execute on function private.raise_field_error(text, text, text) from public, anon;
grant execute on function private.raise_field_error(text, text, text) to authenticated, service_role;

create or replace function private.raise_field_errors(p_errors jsonb) returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'Invalid fields: %', (select string_agg(e ->> 'field', ', ') from jsonb_array_elements(p_errors) e)
    using errcode = 'PT422', hint = 'validation_failed', detail = jsonb_build_object('errors', p_errors)::text;
end
$$;
revoke execute on function private.raise_field_errors(jsonb) from public, anon;
grant execute on function private.raise_field_errors(jsonb) to authenticated, service_role;

-- French amounts as the timeline writes them: 12 000,00 € (narrow no-break space, no-break space).
create or replace function private.format_eur_fr(p_amount numeric) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select replace(replace(replace(to_char(round(p_amount, 2), 'FM999,999,999,990.00'), ',', chr(8239)), '.', ','),
                 '-' || chr(8239), '-') || chr(160) || '€'
$$;
create or replace function private.format_eur_en(p_amount numeric) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select '€' || to_char(round(p_amount, 2), 'FM999,999,999,990.00')
$$;
revoke execute on function private.format_eur_fr(numeric), private.format_eur_en(numeric) from public, anon;
grant execute on function private.format_eur_fr(numeric), private.format_eur_en(numeric)
  to authenticated, service_role;

-- 5. Who the caller is on a dossier ---------------------------------------------------------------
create or replace function private.dossier_roles(p_dossier uuid) returns text[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  d record;
  roles text[] := '{}';
begin
  if (select auth.uid()) is null then
    return array['system'];
  end if;
  select x.organization_id, x.client_company_id, x.expert_id into d from public.dossiers x where x.id = p_dossier;
  if not found then
    return roles;
  end if;
  if private.has_role(d.organization_id, array['owner', 'admin']) then
    roles := roles || 'admin'::text;
  end if;
  if d.expert_id is not null and d.expert_id in (select private.my_expert_profile_ids()) then
    roles := roles || 'expert'::text;
  end if;
  if d.client_company_id in (select private.my_client_company_ids()) then
    roles := roles || 'client'::text;
  end if;
  return roles;
end
$$;
revoke execute on function private.dossier_roles(uuid) from public, anon;
grant execute on function private.dossier_roles(uuid) to authenticated, service_role;

-- The dossier, or 404 whether it is in another organization, invisible to the caller or absent.
create or replace function private.visible_dossier(p_dossier uuid, p_lock boolean default false)
returns public.dossiers
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
begin
  -- followers (staff, its clients and partner, its expert) and the expert it is being offered to
  if (select auth.uid()) is not null and not private.can_follow_dossier(p_dossier)
     and p_dossier not in (select private.my_offered_dossier_ids()) then
    raise exception 'no such dossier' using errcode = 'PT404', hint = 'dossier_not_found';
  end if;
  if p_lock then
    select x.* into d from public.dossiers x where x.id = p_dossier for update;
  else
    select x.* into d from public.dossiers x where x.id = p_dossier;
  end if;
  if d.id is null then
    raise exception 'no such dossier' using errcode = 'PT404', hint = 'dossier_not_found';
  end if;
  return d;
end
$$;
revoke execute on function private.visible_dossier(uuid, boolean) from public, anon, authenticated;

-- The commands the caller may run now on a dossier in a status.
create or replace function private.allowed_commands_for(p_status text, p_roles text[]) returns text[]
language sql stable
set search_path = ''
as $$
  select coalesce(array_agg(distinct t.command order by t.command), '{}')
  from public.dossier_transitions t where t.from_status = p_status and t.actors && p_roles
$$;
revoke execute on function private.allowed_commands_for(text, text[]) from public, anon;
grant execute on function private.allowed_commands_for(text, text[]) to authenticated, service_role;

create or replace function private.raise_invalid_transition(p_command text, p_status text, p_roles text[])
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception '"%" is not possible while the dossier is %', p_command, p_status
    using errcode = 'PT409', hint = 'invalid_transition',
          detail = jsonb_build_object('current_status', p_status,
                                      'allowed_commands', private.allowed_commands_for(p_status, p_roles))::text;
end
$$;
revoke execute on function private.raise_invalid_transition(text, text, text[]) from public, anon;
grant execute on function private.raise_invalid_transition(text, text, text[]) to authenticated, service_role;

-- 6. The timeline ------------------------------------------------------------------------------------
create table if not exists public.dossier_events (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  type text not null check (type ~ '^[a-z][a-z_]{1,60}$'),
  command text,
  from_status text,
  to_status text,
  actor_kind text not null check (actor_kind in ('user', 'system')),
  actor_id uuid,
  actor_role text check (actor_role in ('client', 'expert', 'admin', 'system', 'partner', 'viewer')),
  actor_name text,
  title_fr text not null check (length(title_fr) between 1 and 300),
  title_en text not null check (length(title_en) between 1 and 300),
  details jsonb not null default '{}'::jsonb check (jsonb_typeof(details) = 'object'),
  -- the widest audience: staff < expert < client < partner (each sees what the narrower ones see)
  visibility text not null check (visibility in ('staff', 'expert', 'client', 'partner')),
  created_at timestamptz not null default now(),
  check ((actor_kind = 'system') = (actor_id is null))
);
create index if not exists dossier_events_dossier_idx on public.dossier_events (dossier_id, id);
create index if not exists dossier_events_organization_idx on public.dossier_events (organization_id, id);

-- Append-only for every role, the owner and the service role included; rows go with their dossier.
create or replace function private.dossier_events_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and pg_trigger_depth() > 1 then
    return old; -- the cascade of a deleted dossier or organization
  end if;
  raise exception 'the dossier timeline is append-only' using errcode = '42501', hint = 'append_only';
end
$$;
revoke execute on function private.dossier_events_append_only() from public, anon;
create or replace trigger dossier_events_append_only before update or delete on public.dossier_events
  for each row execute function private.dossier_events_append_only();
create or replace trigger dossier_events_no_truncate before truncate on public.dossier_events
  for each statement execute function private.dossier_events_append_only();

-- What a participant sees of a dossier's timeline.
create or replace function private.my_event_audience(p_dossier uuid) returns text[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  d record;
begin
  select x.organization_id, x.client_company_id, x.expert_id into d from public.dossiers x where x.id = p_dossier;
  if not found then
    return '{}';
  elsif private.has_role(d.organization_id, array['owner', 'admin', 'viewer']) then
    return array['staff', 'expert', 'client', 'partner'];
  elsif d.expert_id is not null and d.expert_id in (select private.my_expert_profile_ids()) then
    return array['expert', 'client', 'partner'];
  elsif d.client_company_id in (select private.my_client_company_ids()) then
    return array['client', 'partner'];
  elsif d.client_company_id in (select private.my_partner_company_ids()) then
    return array['partner'];
  end if;
  return '{}';
end
$$;
revoke execute on function private.my_event_audience(uuid) from public, anon;
grant execute on function private.my_event_audience(uuid) to authenticated, service_role;

alter table public.dossier_events enable row level security;
grant select on public.dossier_events to authenticated;
grant select, insert on public.dossier_events to service_role;
drop policy if exists "Participants read the dossier events meant for them" on public.dossier_events;
create policy "Participants read the dossier events meant for them" on public.dossier_events
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or (dossier_id in (select private.my_visible_dossier_ids())
             and visibility = any (private.my_event_audience(dossier_id))));

create or replace function private.actor_name(p_user uuid, p_role text, p_org uuid) returns text
language sql stable security definer
set search_path = ''
as $$
  select coalesce(
    (select e.display_name from public.expert_profiles e
     where p_role = 'expert' and e.user_id = p_user and e.organization_id = p_org limit 1),
    (select nullif(btrim(coalesce(u.raw_user_meta_data ->> 'full_name', u.raw_user_meta_data ->> 'name', '')), '')
     from auth.users u where u.id = p_user),
    (select u.email from auth.users u where u.id = p_user))
$$;
revoke execute on function private.actor_name(uuid, text, uuid) from public, anon, authenticated;

create or replace function private.add_dossier_event(
  p_dossier uuid, p_type text, p_title_fr text, p_title_en text, p_details jsonb default '{}'::jsonb,
  p_visibility text default 'client', p_command text default null, p_from text default null,
  p_to text default null, p_actor_role text default null
) returns bigint
language plpgsql security definer
set search_path = ''
as $$
declare
  v_org uuid;
  v_user uuid := (select auth.uid());
  v_role text := p_actor_role;
  v_id bigint;
begin
  select x.organization_id into v_org from public.dossiers x where x.id = p_dossier;
  if v_role is null then
    v_role := coalesce((select r from unnest(private.dossier_roles(p_dossier)) r
                        order by array_position(array['admin', 'expert', 'client', 'system'], r) limit 1),
                       case when v_user is null then 'system' end);
  end if;
  if v_role is null then
    v_role := case when private.has_role(v_org, array['viewer']) then 'viewer'
                   when private.has_role(v_org, array['partner']) then 'partner' end;
  end if;
  insert into public.dossier_events (organization_id, dossier_id, type, command, from_status, to_status, actor_kind,
                                     actor_id, actor_role, actor_name, title_fr, title_en, details, visibility)
  values (v_org, p_dossier, p_type, p_command, p_from, p_to,
          case when v_user is null or v_role = 'system' then 'system' else 'user' end,
          case when v_role = 'system' then null else v_user end, v_role,
          case when v_user is null or v_role = 'system' then null else private.actor_name(v_user, v_role, v_org) end,
          p_title_fr, p_title_en, coalesce(p_details, '{}'::jsonb), p_visibility)
  returning id into v_id;
  return v_id;
end
$$;
revoke execute on function private.add_dossier_event(uuid, text, text, text, jsonb, text, text, text, text, text)
  from public, anon, authenticated;

-- 7. The audit trail of admin actions (one wrapper: switched to the hash-chained log when it lands) -
create or replace function private.audit_dossier(p_organization uuid, p_dossier uuid, p_old jsonb, p_new jsonb,
                                                 p_details jsonb default null) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role, old_values,
                                new_values)
  values (p_organization, 'dossiers', p_dossier, 'update', (select auth.uid()),
          coalesce((select auth.role()), current_user), p_old,
          p_new || coalesce(p_details, '{}'::jsonb));
end
$$;
revoke execute on function private.audit_dossier(uuid, uuid, jsonb, jsonb, jsonb) from public, anon, authenticated;

-- 8. The one writer of dossiers.status ---------------------------------------------------------
create or replace function private.change_dossier_status(
  p_dossier uuid, p_command text, p_to text, p_title_fr text, p_title_en text,
  p_details jsonb default '{}'::jsonb, p_visibility text default 'partner', p_actor text default null
) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  v_actors text[];
  v_roles text[];
  v_actor text;
begin
  select x.id, x.organization_id, x.status into d from public.dossiers x where x.id = p_dossier for update;
  if not found then
    raise exception 'no such dossier' using errcode = 'PT404', hint = 'dossier_not_found';
  end if;
  v_roles := coalesce(case when p_actor is null then private.dossier_roles(p_dossier) else array[p_actor] end, '{}');
  select t.actors into v_actors from public.dossier_transitions t
  where t.command = p_command and t.from_status = d.status and t.to_status = p_to;
  if v_actors is null then
    perform private.raise_invalid_transition(p_command, d.status, v_roles);
  end if;
  v_actor := (select r from unnest(v_actors) r where r = any (v_roles)
              order by array_position(array['admin', 'expert', 'client', 'system'], r) limit 1);
  if v_actor is null then
    raise exception 'your role on this dossier does not allow "%"', p_command
      using errcode = 'PT403', hint = 'forbidden';
  end if;
  if p_to <> d.status then
    update public.dossiers set status = p_to, status_changed_at = now() where id = p_dossier;
  end if;
  perform private.add_dossier_event(p_dossier, p_command, p_title_fr, p_title_en, p_details, p_visibility,
                                    p_command, d.status, p_to, v_actor);
  if v_actor = 'admin' then
    perform private.audit_dossier(d.organization_id, p_dossier, jsonb_build_object('status', d.status),
                                  jsonb_build_object('status', p_to, 'command', p_command),
                                  coalesce(p_details, '{}'::jsonb));
  end if;
  return p_to;
end
$$;
revoke execute on function private.change_dossier_status(uuid, text, text, text, text, jsonb, text, text)
  from public, anon, authenticated;

-- 9. The command entry point and "what can happen now" -----------------------------------------
create or replace function public.dossier_command(p_dossier_id uuid, p_command text, p_payload jsonb default '{}'::jsonb)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  v_roles text[];
  v_result jsonb;
  s record;
begin
  d := private.visible_dossier(p_dossier_id, p_lock => true);
  if p_command is null or not exists (select 1 from public.dossier_transitions t where t.command = p_command) then
    perform private.raise_field_error('command', 'unknown_command', format('Unknown command "%s"', p_command));
  end if;
  if p_payload is null or jsonb_typeof(p_payload) <> 'object' then
    perform private.raise_field_error('payload', 'object', 'The payload must be a JSON object');
  end if;
  v_roles := private.dossier_roles(p_dossier_id);
  if not exists (select 1 from public.dossier_transitions t where t.command = p_command and t.from_status = d.status) then
    perform private.raise_invalid_transition(p_command, d.status, v_roles);
  end if;
  if not exists (select 1 from public.dossier_transitions t
                 where t.command = p_command and t.from_status = d.status and t.actors && v_roles) then
    raise exception 'your role on this dossier does not allow "%"', p_command using errcode = 'PT403', hint = 'forbidden';
  end if;
  if to_regprocedure(format('private.%I(uuid, jsonb)', 'dossier_cmd_' || p_command)) is null then
    raise exception 'the command "%" is not available yet', p_command
      using errcode = 'PT501', hint = 'not_implemented';
  end if;
  execute format('select private.%I($1, $2)', 'dossier_cmd_' || p_command) into v_result using p_dossier_id, p_payload;
  select x.status, coalesce(h.step, st.step) as step, coalesce(h.progress, st.progress) as progress into s
  from public.dossiers x
  join public.dossier_statuses st on st.code = x.status
  left join public.dossier_statuses h
    on h.code = case st.shows_as when 'resume_status' then x.resume_status when 'held_status' then x.held_status end
  where x.id = p_dossier_id;
  return coalesce(v_result, '{}'::jsonb)
         || jsonb_build_object('dossier_id', p_dossier_id, 'command', p_command, 'status', s.status, 'step', s.step,
                               'progress', s.progress);
end
$$;
revoke execute on function public.dossier_command(uuid, text, jsonb) from public, anon;
grant execute on function public.dossier_command(uuid, text, jsonb) to authenticated, service_role;

create or replace function public.dossier_allowed_commands(p_dossier_id uuid)
returns table (command text, to_statuses text[], actors text[], allowed_for_me boolean)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  d public.dossiers := private.visible_dossier(p_dossier_id);
  v_roles text[] := private.dossier_roles(p_dossier_id);
begin
  return query
    select t.command, array_agg(t.to_status order by t.to_status),
           (select array_agg(distinct a order by a) from public.dossier_transitions t2, unnest(t2.actors) a
            where t2.command = t.command and t2.from_status = d.status),
           bool_or(t.actors && v_roles)
    from public.dossier_transitions t
    where t.from_status = d.status
      -- statuses only the dossier's own data can reach (a resume goes back where it was held)
      and (t.command <> 'resume' or t.to_status = d.held_status)
      and (t.command not in ('accept_offer', 'force_assignment')
           or t.to_status = coalesce(d.resume_status, 'expert_assigned'))
    group by t.command
    order by t.command;
end
$$;
revoke execute on function public.dossier_allowed_commands(uuid) from public, anon;
grant execute on function public.dossier_allowed_commands(uuid) to authenticated, service_role;
