-- Why: confirming a refund issues the invoice in the same transaction (no confirmed refund without
-- its invoice, no invoice without its refund), payments move the invoice and close the dossier at
-- balance 0, credit notes correct issued invoices, and clients may only declare that they paid. Each
-- is a security-definer function with explicit checks, plugged into the dossier's one command entry
-- point (public.dossier_command, 0050) or exposed as an RPC that checks the caller itself; every
-- invoice, credit note and payment is written to the hash-chained audit log (private.append_audit).
--
-- Lock order (as 0028 and 0050): the dossier row (dossier_command), then the invoice row, then the
-- counter row of the series (private.next_document_number). Concurrent confirmations of different
-- dossiers of one organization therefore queue on the counter only, for the rest of their
-- transaction: numbers follow commit order with no gap.
--
-- Errors: PT422 validation_failed with {"errors": [{field, rule, message}]} naming every missing or
-- invalid field (payload fields by name; data the invoice needs as `organization.siren`,
-- `client_company.address`, `dossier.client_fee_rate`…); PT409 no_invoice / invoice_cancelled /
-- invoice_settled; PT403 forbidden; PT404 invoice_not_found.

-- 1. Payload helpers --------------------------------------------------------------------------------
-- An amount with at most two decimals, > 0 (a JSON number or string); null when absent or invalid.
create or replace function private.payload_amount(p_payload jsonb, p_key text) returns numeric
language sql immutable
set search_path = ''
as $$
  select case when jsonb_typeof(p_payload -> p_key) in ('number', 'string')
              and btrim(p_payload ->> p_key) ~ '^[0-9]{1,12}(\.[0-9]{1,2})?$'
         then btrim(p_payload ->> p_key)::numeric end
$$;
-- An ISO date (YYYY-MM-DD); null when absent or invalid.
create or replace function private.payload_date(p_payload jsonb, p_key text) returns date
language plpgsql immutable
set search_path = ''
as $$
begin
  if jsonb_typeof(p_payload -> p_key) = 'string' and p_payload ->> p_key ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    return (p_payload ->> p_key)::date;
  end if;
  return null;
exception when others then
  return null;
end
$$;
revoke execute on function private.payload_amount(jsonb, text), private.payload_date(jsonb, text) from public, anon;
grant execute on function private.payload_amount(jsonb, text), private.payload_date(jsonb, text)
  to authenticated, service_role;

create or replace function private.field_error(p_field text, p_rule text, p_message text) returns jsonb
language sql immutable
set search_path = ''
as $$
  select jsonb_build_object('field', p_field, 'rule', p_rule, 'message', p_message)
$$;
revoke execute on function private.field_error(text, text, text) from public, anon;
grant execute on function private.field_error(text, text, text) to authenticated, service_role;

-- 2. Issuing an invoice ----------------------------------------------------------------------------
-- What the invoice needs and does not have: a list of field errors ([] = complete).
create or replace function private.invoice_data_problems(p_dossier uuid) returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  d record;
  o record;
  c record;
  problems jsonb := '[]'::jsonb;
  f text;
begin
  select x.* into d from public.dossiers x where x.id = p_dossier;
  select x.* into o from public.organizations x where x.id = d.organization_id;
  select x.* into c from public.client_companies x where x.id = d.client_company_id;
  foreach f in array array['legal_name', 'siren', 'vat_number', 'address', 'postal_code', 'city'] loop
    if nullif(btrim(to_jsonb(o) ->> f), '') is null then
      problems := problems || private.field_error('organization.' || f, 'required',
        format('The organization''s %s is needed on an invoice', f));
    end if;
  end loop;
  foreach f in array array['siren', 'address', 'postal_code', 'city'] loop
    if nullif(btrim(to_jsonb(c) ->> f), '') is null then
      problems := problems || private.field_error('client_company.' || f, 'required',
        format('The client company''s %s is needed on an invoice', f));
    end if;
  end loop;
  if d.client_fee_rate is null then
    problems := problems || private.field_error('dossier.client_fee_rate', 'required',
      'The client fee rate is frozen when the client accepts the audit');
  end if;
  if d.platform_fee_rate is null then
    problems := problems || private.field_error('dossier.platform_fee_rate', 'required',
      'The platform rate is frozen when the client accepts the audit');
  end if;
  return problems;
end
$$;
revoke execute on function private.invoice_data_problems(uuid) from public, anon, authenticated;

-- Issues the invoice of a dossier's confirmed refund (the caller has locked the dossier and checked
-- the payload). p_issued_at is the moment of issue (now(); tests pass other instants).
create or replace function private.issue_invoice(p_dossier uuid, p_refund numeric, p_refunded_on date,
                                                 p_reference text, p_issued_at timestamptz default now())
returns public.invoices
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  o record;
  c record;
  v_problems jsonb := private.invoice_data_problems(p_dossier);
  v_partner uuid;
  v_share numeric;
  v_vat_rate numeric;
  w record;
  n record;
  inv public.invoices;
begin
  if jsonb_array_length(v_problems) > 0 then
    perform private.raise_field_errors(v_problems);
  end if;
  select x.* into d from public.dossiers x where x.id = p_dossier;
  select x.* into o from public.organizations x where x.id = d.organization_id;
  select x.* into c from public.client_companies x where x.id = d.client_company_id;
  v_partner := c.partner_user_id;
  v_share := case when v_partner is null then 0 else coalesce(d.partner_share_rate, 0) end;
  v_vat_rate := private.vat_rate_for(d.organization_id, d.client_company_id);
  select * into w from private.commission(p_refund, d.client_fee_rate, d.platform_fee_rate, v_share, v_vat_rate);
  select * into n from private.next_document_number(d.organization_id, 'PROF', p_issued_at);
  insert into public.invoices (
    organization_id, dossier_id, client_company_id, expert_id, number, year, sequence, issued_at, issue_date,
    due_date, seller, buyer, product_code, refund_amount, refunded_on, refund_reference, client_fee_rate, expert_fee,
    platform_fee_rate, invoice_ht, vat_rate, vat, invoice_ttc, expert_net, created_by)
  values (
    d.organization_id, p_dossier, d.client_company_id, d.expert_id, n.number, n.year, n.sequence, p_issued_at,
    n.issue_date, n.issue_date + 30,
    jsonb_build_object('name', o.name, 'legal_name', o.legal_name, 'siren', o.siren, 'siret', o.siret,
                       'vat_number', o.vat_number, 'address', o.address, 'postal_code', o.postal_code,
                       'city', o.city, 'country_code', o.country_code, 'iban', o.iban, 'bic', o.bic,
                       'legal_footer', o.legal_footer),
    jsonb_build_object('name', c.name, 'siren', c.siren, 'address', c.address, 'postal_code', c.postal_code,
                       'city', c.city, 'departement', c.departement, 'country_code', 'FR'),
    d.product_code, round(p_refund, 2), p_refunded_on, btrim(p_reference), d.client_fee_rate, w.expert_fee,
    d.platform_fee_rate, w.invoice_ht, v_vat_rate, w.vat, w.invoice_ttc, w.expert_net, (select auth.uid()))
  returning * into inv;
  if v_partner is not null then
    insert into public.partner_commissions (invoice_id, organization_id, partner_user_id, invoice_number, share_rate,
                                            base_ht, amount)
    values (inv.id, inv.organization_id, v_partner, inv.number, v_share, inv.invoice_ht, w.partner_commission);
  end if;
  perform private.append_audit(inv.organization_id, 'invoices', inv.id, 'invoice_issued', null, to_jsonb(inv),
    jsonb_build_object('command', 'confirm_refund', 'dossier_id', p_dossier,
                       'partner_commission', w.partner_commission, 'platform_net', w.platform_net));
  return inv;
end
$$;
revoke execute on function private.issue_invoice(uuid, numeric, date, text, timestamptz) from public, anon, authenticated;

-- 3. confirm_refund (E, A): result_recorded → refund_confirmed, issuing the invoice --------------
create or replace function private.dossier_cmd_confirm_refund(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  v_today date;
  v_errors jsonb := '[]'::jsonb;
  v_amount numeric := private.payload_amount(p_payload, 'refund_amount');
  v_on date := private.payload_date(p_payload, 'refund_date');
  v_reference text := btrim(p_payload ->> 'payment_reference');
  inv public.invoices;
begin
  select x.* into d from public.dossiers x where x.id = p_dossier for update;
  select (now() at time zone o.time_zone)::date into v_today from public.organizations o where o.id = d.organization_id;
  if v_amount is null or v_amount <= 0 then
    v_errors := v_errors || private.field_error('refund_amount', case when p_payload ? 'refund_amount'
      then 'positive_amount' else 'required' end, 'The refunded amount R: a number > 0 with at most 2 decimals');
  end if;
  if v_on is null then
    v_errors := v_errors || private.field_error('refund_date', case when p_payload ? 'refund_date'
      then 'date' else 'required' end, 'The refund date, YYYY-MM-DD');
  elsif v_on > v_today then
    v_errors := v_errors || private.field_error('refund_date', 'not_future', 'The refund date cannot be in the future');
  elsif d.decided_on is not null and v_on < d.decided_on then
    v_errors := v_errors || private.field_error('refund_date', 'after_decision',
      'The refund cannot precede the administration''s decision');
  end if;
  if v_reference is null or length(v_reference) not between 1 and 100 or jsonb_typeof(p_payload -> 'payment_reference') <> 'string' then
    v_errors := v_errors || private.field_error('payment_reference', case when p_payload ? 'payment_reference'
      then 'length' else 'required' end, 'The reference of the administration''s payment (1–100 characters)');
  end if;
  v_errors := v_errors || private.invoice_data_problems(p_dossier);
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;
  inv := private.issue_invoice(p_dossier, v_amount, v_on, v_reference);
  update public.dossiers set refunded_amount = inv.refund_amount, refunded_on = v_on, invoice_id = inv.id
  where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'confirm_refund', 'refund_confirmed',
    format('Remboursement confirmé : %s — facture %s émise', private.format_eur_fr(inv.refund_amount), inv.number),
    format('Refund confirmed: %s — invoice %s issued', private.format_eur_en(inv.refund_amount), inv.number),
    jsonb_build_object('refund_amount', inv.refund_amount, 'refund_date', v_on, 'payment_reference', v_reference,
                       'invoice_id', inv.id, 'invoice_number', inv.number, 'invoice_ttc', inv.invoice_ttc,
                       'due_date', inv.due_date),
    'partner');
  return jsonb_build_object('invoice', jsonb_build_object(
    'id', inv.id, 'number', inv.number, 'issue_date', inv.issue_date, 'due_date', inv.due_date,
    'invoice_ht', inv.invoice_ht, 'vat', inv.vat, 'invoice_ttc', inv.invoice_ttc, 'status', inv.status));
end
$$;
revoke execute on function private.dossier_cmd_confirm_refund(uuid, jsonb) from public, anon, authenticated;

-- 4. Payments ---------------------------------------------------------------------------------------
-- The invoice's new payment state after paid/credited amounts changed (balance is generated).
create or replace function private.invoice_state(p_ttc numeric, p_paid numeric, p_credited numeric) returns text
language sql immutable
set search_path = ''
as $$
  select case when p_paid + p_credited < p_ttc then case when p_paid > 0 then 'partially_paid' else 'issued' end
              when p_paid > 0 then 'paid'
              else 'cancelled' end
$$;
revoke execute on function private.invoice_state(numeric, numeric, numeric) from public, anon;
grant execute on function private.invoice_state(numeric, numeric, numeric) to authenticated, service_role;

-- record_payment (A): refund_confirmed → refund_confirmed, or closed (paid) at balance 0.
create or replace function private.dossier_cmd_record_payment(p_dossier uuid, p_payload jsonb) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  inv public.invoices;
  v_old jsonb;
  v_today date;
  v_errors jsonb := '[]'::jsonb;
  v_amount numeric := private.payload_amount(p_payload, 'amount');
  v_on date := private.payload_date(p_payload, 'paid_on');
  v_method text := p_payload ->> 'method';
  v_reference text := btrim(p_payload ->> 'reference');
  pay public.invoice_payments;
  v_to text;
begin
  select x.* into d from public.dossiers x where x.id = p_dossier for update;
  if d.invoice_id is null then
    raise exception 'the dossier has no invoice to pay' using errcode = 'PT409', hint = 'no_invoice';
  end if;
  select x.* into inv from public.invoices x where x.id = d.invoice_id for update;
  if inv.status = 'cancelled' then
    raise exception 'invoice % is cancelled by credit notes', inv.number using errcode = 'PT409', hint = 'invoice_cancelled';
  elsif inv.balance = 0 then
    raise exception 'invoice % is settled', inv.number using errcode = 'PT409', hint = 'invoice_settled';
  end if;
  select (now() at time zone o.time_zone)::date into v_today from public.organizations o where o.id = d.organization_id;
  if v_amount is null or v_amount <= 0 then
    v_errors := v_errors || private.field_error('amount', case when p_payload ? 'amount' then 'positive_amount'
      else 'required' end, 'The amount received: a number > 0 with at most 2 decimals');
  elsif v_amount > inv.balance then
    v_errors := v_errors || private.field_error('amount', 'at_most_balance',
      format('The amount cannot exceed the balance of %s', private.format_eur_fr(inv.balance)));
  end if;
  if v_on is null then
    v_errors := v_errors || private.field_error('paid_on', case when p_payload ? 'paid_on' then 'date'
      else 'required' end, 'The payment date, YYYY-MM-DD');
  elsif v_on > v_today then
    v_errors := v_errors || private.field_error('paid_on', 'not_future', 'The payment date cannot be in the future');
  end if;
  if v_method is null or v_method not in ('virement', 'prelevement', 'cheque', 'autre')
     or jsonb_typeof(p_payload -> 'method') <> 'string' then
    v_errors := v_errors || private.field_error('method', case when p_payload ? 'method' then 'one_of'
      else 'required' end, 'One of virement, prelevement, cheque, autre');
  end if;
  if v_reference is null or length(v_reference) not between 1 and 100 or jsonb_typeof(p_payload -> 'reference') <> 'string' then
    v_errors := v_errors || private.field_error('reference', case when p_payload ? 'reference' then 'length'
      else 'required' end, 'The payment reference (1–100 characters)');
  end if;
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;
  insert into public.invoice_payments (organization_id, invoice_id, dossier_id, client_company_id, expert_id, amount,
                                       paid_on, method, reference, recorded_by)
  values (inv.organization_id, inv.id, p_dossier, inv.client_company_id, inv.expert_id, v_amount, v_on, v_method,
          v_reference, (select auth.uid()))
  returning * into pay;
  v_old := to_jsonb(inv);
  update public.invoices
  set paid_amount = paid_amount + v_amount,
      status = private.invoice_state(invoice_ttc, paid_amount + v_amount, credited_amount),
      paid_at = case when paid_amount + v_amount + credited_amount = invoice_ttc then now() end
  where id = inv.id
  returning * into inv;
  perform private.append_audit(pay.organization_id, 'invoice_payments', pay.id, 'payment_recorded', null, to_jsonb(pay),
    jsonb_build_object('command', 'record_payment', 'dossier_id', p_dossier, 'invoice_number', inv.number));
  perform private.append_audit(inv.organization_id, 'invoices', inv.id, 'invoice_payment_applied', v_old,
    to_jsonb(inv), jsonb_build_object('command', 'record_payment', 'payment_id', pay.id));
  if inv.balance = 0 then
    update public.partner_commissions set status = 'due', due_since = now()
    where invoice_id = inv.id and status = 'pending';
    update public.dossiers set outcome = 'paid', closed_at = now() where id = p_dossier;
    v_to := 'closed';
  else
    v_to := 'refund_confirmed';
  end if;
  perform private.change_dossier_status(p_dossier, 'record_payment', v_to,
    case when v_to = 'closed'
      then format('Paiement reçu : %s — facture %s soldée, dossier clôturé', private.format_eur_fr(v_amount), inv.number)
      else format('Paiement reçu : %s — reste dû %s', private.format_eur_fr(v_amount), private.format_eur_fr(inv.balance))
    end,
    case when v_to = 'closed'
      then format('Payment received: %s — invoice %s settled, case closed', private.format_eur_en(v_amount), inv.number)
      else format('Payment received: %s — %s still due', private.format_eur_en(v_amount), private.format_eur_en(inv.balance))
    end,
    jsonb_build_object('payment_id', pay.id, 'amount', v_amount, 'paid_on', v_on, 'method', v_method,
                       'reference', v_reference, 'invoice_id', inv.id, 'invoice_number', inv.number,
                       'balance', inv.balance),
    'client');
  return jsonb_build_object(
    'payment', jsonb_build_object('id', pay.id, 'amount', pay.amount, 'paid_on', pay.paid_on, 'method', pay.method,
                                  'reference', pay.reference),
    'invoice', jsonb_build_object('id', inv.id, 'number', inv.number, 'status', inv.status,
                                  'paid_amount', inv.paid_amount, 'balance', inv.balance));
end
$$;
revoke execute on function private.dossier_cmd_record_payment(uuid, jsonb) from public, anon, authenticated;

-- 5. Access to an invoice --------------------------------------------------------------------------
-- The caller's roles on an invoice: 'admin' (owner/admin), 'viewer', 'client' (a user of its company),
-- 'expert' (its expert); 404 when none (another organization, or not theirs).
create or replace function private.invoice_roles(p_invoice uuid) returns text[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  i record;
  roles text[] := '{}';
begin
  select x.organization_id, x.client_company_id, x.expert_id into i from public.invoices x where x.id = p_invoice;
  if found then
    if (select auth.uid()) is null then
      roles := array['system'];
    else
      if private.has_role(i.organization_id, array['owner', 'admin']) then
        roles := roles || 'admin'::text;
      end if;
      if private.has_role(i.organization_id, array['viewer']) then
        roles := roles || 'viewer'::text;
      end if;
      if i.client_company_id in (select private.my_client_company_ids()) then
        roles := roles || 'client'::text;
      end if;
      if i.expert_id is not null and i.expert_id in (select private.my_expert_profile_ids()) then
        roles := roles || 'expert'::text;
      end if;
    end if;
  end if;
  if cardinality(roles) = 0 then
    raise exception 'no such invoice' using errcode = 'PT404', hint = 'invoice_not_found';
  end if;
  return roles;
end
$$;
revoke execute on function private.invoice_roles(uuid) from public, anon;
grant execute on function private.invoice_roles(uuid) to authenticated, service_role;

-- 6. Credit notes (A): full (the whole unpaid invoice) or partial (an amount HT) ------------------
create or replace function public.issue_credit_note(p_invoice_id uuid, p_payload jsonb default '{}'::jsonb)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_roles text[] := private.invoice_roles(p_invoice_id);
  inv public.invoices;
  v_old jsonb;
  v_errors jsonb := '[]'::jsonb;
  v_reason text := btrim(p_payload ->> 'reason');
  v_full boolean := not (p_payload ? 'amount_ht') or p_payload -> 'amount_ht' = 'null'::jsonb;
  v_ht numeric;
  v_vat numeric;
  v_rest_ht numeric;
  v_rest_vat numeric;
  n record;
  cn public.credit_notes;
begin
  if not (v_roles && array['admin', 'system']) then
    raise exception 'only owners and admins issue credit notes' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if p_payload is null or jsonb_typeof(p_payload) <> 'object' then
    perform private.raise_field_error('payload', 'object', 'The payload must be a JSON object');
  end if;
  -- the dossier first, then the invoice (the lock order of the commands)
  perform 1 from public.dossiers x where x.id = (select i.dossier_id from public.invoices i where i.id = p_invoice_id)
  for update;
  select x.* into inv from public.invoices x where x.id = p_invoice_id for update;
  if inv.status = 'cancelled' or inv.balance = 0 then
    raise exception 'invoice % has nothing left to credit', inv.number using errcode = 'PT409', hint = 'invoice_settled';
  end if;
  select inv.invoice_ht - coalesce(sum(c.amount_ht), 0), inv.vat - coalesce(sum(c.vat), 0) into v_rest_ht, v_rest_vat
  from public.credit_notes c where c.invoice_id = inv.id;
  if v_reason is null or length(v_reason) not between 3 and 1000 or jsonb_typeof(p_payload -> 'reason') <> 'string' then
    v_errors := v_errors || private.field_error('reason', case when p_payload ? 'reason' then 'length'
      else 'required' end, 'The reason (3–1 000 characters)');
  end if;
  if v_full then
    if inv.paid_amount > 0 then
      v_errors := v_errors || private.field_error('amount_ht', 'required_after_payment',
        'The invoice is partly paid: credit an amount HT of its unpaid part');
    end if;
    v_ht := v_rest_ht;
    v_vat := v_rest_vat;
  else
    v_ht := private.payload_amount(p_payload, 'amount_ht');
    if v_ht is null or v_ht <= 0 then
      v_errors := v_errors || private.field_error('amount_ht', 'positive_amount',
        'An amount HT > 0 with at most 2 decimals (omit it for a full credit note)');
    else
      v_vat := round(v_ht * inv.vat_rate, 2);
      if v_ht > v_rest_ht or v_ht + v_vat > inv.balance then
        v_errors := v_errors || private.field_error('amount_ht', 'at_most_balance',
          format('At most %s HT can still be credited', private.format_eur_fr(least(v_rest_ht,
                 round(inv.balance / (1 + inv.vat_rate), 2)))));
      elsif v_ht = v_rest_ht then
        v_vat := v_rest_vat; -- the last credit takes exactly what is left, so totals match to the cent
      end if;
    end if;
  end if;
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;
  select * into n from private.next_document_number(inv.organization_id, 'AV', now());
  insert into public.credit_notes (organization_id, invoice_id, dossier_id, client_company_id, expert_id, number, year,
                                   sequence, issued_at, issue_date, is_full, reason, amount_ht, vat_rate, vat,
                                   amount_ttc, created_by)
  values (inv.organization_id, inv.id, inv.dossier_id, inv.client_company_id, inv.expert_id, n.number, n.year,
          n.sequence, now(), n.issue_date, v_full, v_reason, v_ht, inv.vat_rate, v_vat, v_ht + v_vat,
          (select auth.uid()))
  returning * into cn;
  v_old := to_jsonb(inv);
  update public.invoices
  set credited_amount = credited_amount + cn.amount_ttc,
      status = private.invoice_state(invoice_ttc, paid_amount, credited_amount + cn.amount_ttc),
      cancelled_at = case when paid_amount = 0 and credited_amount + cn.amount_ttc = invoice_ttc then now() end,
      paid_at = case when paid_amount > 0 and paid_amount + credited_amount + cn.amount_ttc = invoice_ttc
                     then now() end
  where id = inv.id
  returning * into inv;
  if inv.status = 'cancelled' then
    update public.partner_commissions set status = 'cancelled' where invoice_id = inv.id and status = 'pending';
  elsif inv.status = 'paid' then
    update public.partner_commissions set status = 'due', due_since = now()
    where invoice_id = inv.id and status = 'pending';
  end if;
  perform private.append_audit(cn.organization_id, 'credit_notes', cn.id, 'credit_note_issued', null, to_jsonb(cn),
    jsonb_build_object('command', 'issue_credit_note', 'invoice_number', inv.number));
  perform private.append_audit(inv.organization_id, 'invoices', inv.id, 'invoice_credited', v_old, to_jsonb(inv),
    jsonb_build_object('command', 'issue_credit_note', 'credit_note_id', cn.id));
  perform private.add_dossier_event(inv.dossier_id, 'credit_note_issued',
    format('Avoir %s émis : %s sur la facture %s', cn.number, private.format_eur_fr(cn.amount_ttc), inv.number),
    format('Credit note %s issued: %s on invoice %s', cn.number, private.format_eur_en(cn.amount_ttc), inv.number),
    jsonb_build_object('credit_note_id', cn.id, 'credit_note_number', cn.number, 'invoice_id', inv.id,
                       'amount_ttc', cn.amount_ttc, 'reason', cn.reason, 'is_full', cn.is_full),
    'client', p_actor_role => 'admin');
  return jsonb_build_object(
    'credit_note', jsonb_build_object('id', cn.id, 'number', cn.number, 'issue_date', cn.issue_date,
                                      'is_full', cn.is_full, 'amount_ht', cn.amount_ht, 'vat', cn.vat,
                                      'amount_ttc', cn.amount_ttc),
    'invoice', jsonb_build_object('id', inv.id, 'number', inv.number, 'status', inv.status,
                                  'credited_amount', inv.credited_amount, 'balance', inv.balance));
end
$$;
revoke execute on function public.issue_credit_note(uuid, jsonb) from public, anon;
grant execute on function public.issue_credit_note(uuid, jsonb) to authenticated, service_role;

-- 7. A client declares "paiement effectué": a timeline event for the admins, no state change ----------
create or replace function public.declare_invoice_payment(p_invoice_id uuid, p_payload jsonb default '{}'::jsonb)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_roles text[] := private.invoice_roles(p_invoice_id);
  inv public.invoices;
  v_today date;
  v_errors jsonb := '[]'::jsonb;
  v_on date := private.payload_date(p_payload, 'paid_on');
  v_amount numeric := private.payload_amount(p_payload, 'amount');
  v_reference text := nullif(btrim(p_payload ->> 'reference'), '');
  v_event bigint;
begin
  if not ('client' = any (v_roles)) then
    raise exception 'only the client company declares its payment' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if p_payload is null or jsonb_typeof(p_payload) <> 'object' then
    perform private.raise_field_error('payload', 'object', 'The payload must be a JSON object');
  end if;
  select x.* into inv from public.invoices x where x.id = p_invoice_id;
  if inv.status in ('paid', 'cancelled') then
    raise exception 'invoice % is %', inv.number, inv.status using errcode = 'PT409', hint = 'invoice_settled';
  end if;
  select (now() at time zone o.time_zone)::date into v_today from public.organizations o where o.id = inv.organization_id;
  if v_on is null then
    v_errors := v_errors || private.field_error('paid_on', case when p_payload ? 'paid_on' then 'date'
      else 'required' end, 'The payment date, YYYY-MM-DD');
  elsif v_on > v_today then
    v_errors := v_errors || private.field_error('paid_on', 'not_future', 'The payment date cannot be in the future');
  end if;
  if p_payload ? 'amount' and (v_amount is null or v_amount <= 0) then
    v_errors := v_errors || private.field_error('amount', 'positive_amount', 'A number > 0 with at most 2 decimals');
  end if;
  if v_reference is not null and length(v_reference) > 100 then
    v_errors := v_errors || private.field_error('reference', 'length', 'At most 100 characters');
  end if;
  if jsonb_array_length(v_errors) > 0 then
    perform private.raise_field_errors(v_errors);
  end if;
  v_amount := coalesce(v_amount, inv.balance);
  v_event := private.add_dossier_event(inv.dossier_id, 'payment_declared',
    format('Paiement effectué déclaré par le client : %s (facture %s)', private.format_eur_fr(v_amount), inv.number),
    format('Payment declared by the client: %s (invoice %s)', private.format_eur_en(v_amount), inv.number),
    jsonb_build_object('invoice_id', inv.id, 'invoice_number', inv.number, 'amount', v_amount, 'paid_on', v_on,
                       'reference', v_reference),
    'client', p_actor_role => 'client');
  return jsonb_build_object('event_id', v_event, 'invoice', jsonb_build_object('id', inv.id, 'number', inv.number,
                            'status', inv.status, 'balance', inv.balance));
end
$$;
revoke execute on function public.declare_invoice_payment(uuid, jsonb) from public, anon;
grant execute on function public.declare_invoice_payment(uuid, jsonb) to authenticated, service_role;

-- Whether a dossier has an invoice still owed (unpaid and not fully credited): the `cancel` guard.
create or replace function private.dossier_has_unsettled_invoice(p_dossier uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.invoices i where i.dossier_id = p_dossier and i.balance > 0
                 and i.status in ('issued', 'partially_paid'))
$$;
revoke execute on function private.dossier_has_unsettled_invoice(uuid) from public, anon;
grant execute on function private.dossier_has_unsettled_invoice(uuid) to authenticated, service_role;
