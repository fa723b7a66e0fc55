-- Demo invoices for the local stack, on top of demo.sql: each organization gets its seller identity
-- (legal name, SIREN, VAT number, address, IBAN) and two dossiers whose refund the administration
-- granted, confirmed by the organization's admin through the real commands, so the invoices, their
-- numbers, the audit chain and the timeline are what production would write:
--   Boulangerie Martin (the partner's company), TICPE, R = 12 000 € → invoice paid in full, dossier
--     closed, the partner's commission due;
--   Ferme des Quatre Vents (client2), MSA, R = 8 000 € → invoice partly paid (300 €).
-- The Factur-X PDFs are rendered at their first download. Idempotent: a dossier that already exists
-- is left alone. Local only.
do $$
declare
  org record;
  v_org uuid;
  v_admin uuid;
  v_dossier uuid;
  v_claims text;
  v_siren text;
  item record;
begin
  for org in
    select * from (values
      ('profitum', 'Profitum Conseil SAS', '732829320', '12 rue de la Paix', '75002', 'Paris',
       'FR7630006000011234567890189', 'AGRIFRPP'),
      ('horizon', 'Cabinet Horizon SARL', '542051180', '3 quai Saint-Antoine', '69002', 'Lyon',
       'FR7610107001011234567890129', 'BREDFRPP')
    ) as o(slug, legal_name, siren, address, postal, city, iban, bic)
  loop
    v_org := md5('fintrack-demo-org:' || org.slug)::uuid;
    continue when not exists (select 1 from public.organizations o where o.id = v_org);
    v_siren := org.siren;
    update public.organizations
    set legal_name = org.legal_name, siren = v_siren, siret = v_siren || '00018',
        vat_number = 'FR' || lpad(((12 + 3 * (v_siren::bigint % 97)) % 97)::text, 2, '0') || v_siren,
        address = org.address, postal_code = org.postal, city = org.city, iban = org.iban, bic = org.bic
    where id = v_org and legal_name is null;

    v_admin := md5('fintrack-demo-user:admin@' || org.slug || '.demo')::uuid;
    v_claims := json_build_object('sub', v_admin, 'role', 'authenticated', 'aud', 'authenticated',
                                  'email', 'admin@' || org.slug || '.demo')::text;
    for item in
      select * from (values
        ('prospect', 'ticpe', 'expert1', 12000.00, 0.10, 'DGDDI-2026-1187', true),
        ('client2', 'msa', 'expert3', 8000.00, null, 'MSA-2026-0412', false)
      ) as i(company, product, expert, refund, partner_share, reference, paid_in_full)
    loop
      continue when not exists (select 1 from public.products p where p.code = item.product);
      insert into public.dossiers (organization_id, client_company_id, product_code, status, estimated_amount,
                                   audited_amount, audit_amount, audit_revision, accepted_audit_revision,
                                   client_fee_rate, platform_fee_rate, partner_share_rate, rates_frozen_at,
                                   claim_filed_on, claim_administration, claim_reference, claimed_amount, decision,
                                   granted_amount, decided_on, expert_id, priority)
      select v_org, md5('fintrack-demo-company:' || item.company || '@' || org.slug)::uuid, item.product,
             'result_recorded', item.refund, item.refund, item.refund, 1, 1, 0.30, o.platform_fee_rate,
             item.partner_share, now() - interval '90 days', current_date - 60,
             case item.product when 'ticpe' then 'douanes' else 'msa' end, item.reference, item.refund, 'accepte',
             item.refund, current_date - 30, e.id, 2
      from public.organizations o
      join public.expert_profiles e
        on e.organization_id = o.id
       and e.user_id = md5('fintrack-demo-user:' || item.expert || '@' || org.slug || '.demo')::uuid
      where o.id = v_org
      on conflict (client_company_id, product_code) do nothing
      returning id into v_dossier;
      continue when v_dossier is null;

      -- The organization's admin confirms the refund and records the payments (the real commands).
      perform set_config('request.jwt.claims', v_claims, true);
      perform public.dossier_command(v_dossier, 'confirm_refund', jsonb_build_object(
        'refund_amount', item.refund::text, 'refund_date', (current_date - 20)::text,
        'payment_reference', item.reference));
      perform public.dossier_command(v_dossier, 'record_payment', jsonb_build_object(
        'amount', case when item.paid_in_full
                       then (select i.balance::text from public.invoices i
                             join public.dossiers d on d.invoice_id = i.id where d.id = v_dossier)
                       else '300.00' end,
        'paid_on', (current_date - 5)::text, 'method', 'virement',
        'reference', 'VIR-' || upper(org.slug) || '-' || item.product));
      perform set_config('request.jwt.claims', '', true);
    end loop;
  end loop;
end
$$;
