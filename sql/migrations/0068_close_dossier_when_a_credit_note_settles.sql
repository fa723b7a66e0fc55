-- Why: a credit note can settle an invoice that was partly paid (the client paid 1 000 € of 1 080 €,
-- the platform credits the rest). The invoice is then `paid`, and its dossier must close as a
-- payment that settles it does (0067 left it in `refund_confirmed`, where no payment could follow).
-- The closing goes through the dossier's one status writer, as `record_payment` → `closed`, by the
-- admin who issued the credit note. public.issue_credit_note is otherwise unchanged.

create or replace function private.close_settled_dossier(p_dossier uuid, p_invoice_number text,
                                                         p_credit_note_number text) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.dossiers d where d.id = p_dossier and d.status = 'refund_confirmed') then
    return; -- held, or already elsewhere: an admin decides (override keeps the invariants)
  end if;
  update public.dossiers set outcome = 'paid', closed_at = now() where id = p_dossier;
  perform private.change_dossier_status(p_dossier, 'record_payment', 'closed',
    format('Facture %s soldée par l''avoir %s, dossier clôturé', p_invoice_number, p_credit_note_number),
    format('Invoice %s settled by credit note %s, case closed', p_invoice_number, p_credit_note_number),
    jsonb_build_object('invoice_number', p_invoice_number, 'credit_note_number', p_credit_note_number),
    'client');
end
$$;
revoke execute on function private.close_settled_dossier(uuid, text, text) from public, anon, authenticated;

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
  if inv.status = 'paid' then
    perform private.close_settled_dossier(inv.dossier_id, inv.number, cn.number);
  end if;
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
