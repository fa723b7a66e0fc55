-- Why: the platform invoices the client its commission once a refund is confirmed (WORKFLOW.md
-- "Commission and invoice"). The original counted rows to number invoices and raced; here each
-- organization has one counter row per series and year, locked by the transaction that issues the
-- document, so numbers are gapless (a rolled-back invoice rolls its counter back too) and never
-- reused. Issued invoices are immutable: only their payment state moves, and credit notes (their own
-- series) correct them. Payments are append-only.
--
-- Who sees what (RLS, read-only for every API role; writes go through the commands of 0067):
--   staff (owner, admin, viewer) — every invoice, credit note, payment and partner commission of the
--     organization;
--   client users — their company's invoices, credit notes and payments (the invoice shows R, c, the
--     expert's fee E, HT, TVA, TTC: what they owe and why), not the partner commissions;
--   the expert — the invoices of the dossiers it handled (it bills E − HT itself, so it sees E, HT and
--     its net), their credit notes and payments; not the partner's share nor the platform's net;
--   partners — only their own commissions (public.partner_commissions), never the invoices;
--   anon — nothing.

-- 1. Counters: one row per organization, series and year of issue -------------------------------
create table if not exists public.invoice_counters (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  series text not null check (series in ('PROF', 'AV')),
  year integer not null check (year between 2000 and 2999),
  last_number integer not null check (last_number between 1 and 9999),
  primary key (organization_id, series, year)
);
alter table public.invoice_counters enable row level security;
grant select on public.invoice_counters to authenticated;
grant all on public.invoice_counters to service_role;
drop policy if exists "Staff read their organization's invoice counters" on public.invoice_counters;
create policy "Staff read their organization's invoice counters" on public.invoice_counters
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

-- The next number of a series for the year of p_issued_at in the organization's time zone. The
-- upsert takes the counter row's lock until the caller's transaction ends: concurrent issuers queue.
create or replace function private.next_document_number(p_organization uuid, p_series text, p_issued_at timestamptz,
                                                        out number text, out year integer, out sequence integer,
                                                        out issue_date date)
language plpgsql security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_zone text;
  v_year integer;
begin
  select o.time_zone into v_zone from public.organizations o where o.id = p_organization;
  issue_date := (p_issued_at at time zone coalesce(v_zone, 'Europe/Paris'))::date;
  v_year := extract(year from issue_date)::integer;
  insert into public.invoice_counters as c (organization_id, series, year, last_number)
  values (p_organization, p_series, v_year, 1)
  on conflict (organization_id, series, year) do update set last_number = c.last_number + 1
  returning c.last_number into sequence;
  year := v_year;
  number := format('%s-%s-%s', p_series, v_year, lpad(sequence::text, 4, '0'));
end
$$;
revoke execute on function private.next_document_number(uuid, text, timestamptz) from public, anon, authenticated;

-- 2. The commission waterfall (shared.invoices.commission in Python; a property test holds them equal)
-- round(numeric, 2) rounds half away from zero, which is half-up for these non-negative amounts.
create or replace function private.commission(
  p_refund numeric, p_client_fee_rate numeric, p_platform_fee_rate numeric, p_partner_share_rate numeric,
  p_vat_rate numeric,
  out expert_fee numeric, out invoice_ht numeric, out partner_commission numeric, out vat numeric,
  out invoice_ttc numeric, out expert_net numeric, out platform_net numeric)
language plpgsql immutable
set search_path = ''
as $$
begin
  expert_fee := round(round(p_refund, 2) * p_client_fee_rate, 2);
  invoice_ht := round(expert_fee * p_platform_fee_rate, 2);
  partner_commission := round(invoice_ht * coalesce(p_partner_share_rate, 0), 2);
  vat := round(invoice_ht * p_vat_rate, 2);
  invoice_ttc := invoice_ht + vat;
  expert_net := expert_fee - invoice_ht;
  platform_net := invoice_ht - partner_commission;
end
$$;
revoke execute on function private.commission(numeric, numeric, numeric, numeric, numeric) from public, anon;
grant execute on function private.commission(numeric, numeric, numeric, numeric, numeric) to authenticated, service_role;

-- 3. Invoices ---------------------------------------------------------------------------------------
create table if not exists public.invoices (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete restrict,
  dossier_id uuid not null references public.dossiers (id) on delete restrict,
  client_company_id uuid not null references public.client_companies (id) on delete restrict,
  expert_id uuid references public.expert_profiles (id) on delete set null,
  number text not null check (number ~ '^PROF-[0-9]{4}-[0-9]{4}$'),
  year integer not null,
  sequence integer not null check (sequence between 1 and 9999),
  issued_at timestamptz not null,
  issue_date date not null,
  due_date date not null,
  currency text not null default 'EUR' check (currency = 'EUR'),
  -- the parties as they were at issue (an issued invoice never changes)
  seller jsonb not null check (jsonb_typeof(seller) = 'object'),
  buyer jsonb not null check (jsonb_typeof(buyer) = 'object'),
  product_code text not null,
  -- the refund and the waterfall (client-facing part; the partner's share is in partner_commissions)
  refund_amount numeric(14, 2) not null check (refund_amount > 0),
  refunded_on date not null,
  refund_reference text not null check (length(btrim(refund_reference)) between 1 and 100),
  client_fee_rate numeric(5, 4) not null check (client_fee_rate > 0 and client_fee_rate <= 1),
  expert_fee numeric(14, 2) not null check (expert_fee >= 0),
  platform_fee_rate numeric(5, 4) not null check (platform_fee_rate >= 0 and platform_fee_rate <= 1),
  invoice_ht numeric(14, 2) not null check (invoice_ht >= 0),
  vat_rate numeric(5, 4) not null check (vat_rate >= 0 and vat_rate <= 1),
  vat numeric(14, 2) not null check (vat >= 0),
  invoice_ttc numeric(14, 2) not null check (invoice_ttc = invoice_ht + vat),
  expert_net numeric(14, 2) not null check (expert_net = expert_fee - invoice_ht),
  -- payment state
  status text not null default 'issued' check (status in ('issued', 'partially_paid', 'paid', 'cancelled')),
  paid_amount numeric(14, 2) not null default 0 check (paid_amount >= 0),
  credited_amount numeric(14, 2) not null default 0 check (credited_amount >= 0),
  balance numeric(14, 2) generated always as (invoice_ttc - paid_amount - credited_amount) stored,
  paid_at timestamptz,
  cancelled_at timestamptz,
  -- the Factur-X PDF in file storage, written once
  document_path text check (document_path ~ '^[0-9a-f-]{36}/invoices/PROF-[0-9]{4}-[0-9]{4}\.pdf$'),
  document_sha256 text check (document_sha256 ~ '^[0-9a-f]{64}$'),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (organization_id, number),
  unique (organization_id, year, sequence),
  check (due_date = issue_date + 30),
  check (paid_amount + credited_amount <= invoice_ttc),
  check ((document_path is null) = (document_sha256 is null)),
  check (status <> 'paid' or (paid_amount > 0 and paid_amount + credited_amount = invoice_ttc)),
  check (status <> 'cancelled' or credited_amount = invoice_ttc),
  check (status <> 'issued' or paid_amount = 0)
);
create index if not exists invoices_organization_issued_idx on public.invoices (organization_id, issued_at desc, id);
create index if not exists invoices_dossier_id_idx on public.invoices (dossier_id);
create index if not exists invoices_client_company_id_idx on public.invoices (client_company_id);
create index if not exists invoices_expert_id_idx on public.invoices (expert_id);
create index if not exists invoices_created_by_idx on public.invoices (created_by);
-- One live invoice per dossier (a fully credited one may be followed by a new one).
create unique index if not exists invoices_one_live_per_dossier_idx on public.invoices (dossier_id)
  where status <> 'cancelled';

-- The dossier points at its invoice (the column exists since 0009).
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'dossiers_invoice_id_fkey') then
    alter table public.dossiers
      add constraint dossiers_invoice_id_fkey foreign key (invoice_id) references public.invoices (id);
  end if;
end
$$;
create index if not exists dossiers_invoice_id_idx on public.dossiers (invoice_id);

-- 4. Credit notes (AV-YYYY-NNNN, own series), full or partial ------------------------------------
create table if not exists public.credit_notes (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete restrict,
  invoice_id uuid not null references public.invoices (id) on delete restrict,
  dossier_id uuid not null references public.dossiers (id) on delete restrict,
  client_company_id uuid not null references public.client_companies (id) on delete restrict,
  expert_id uuid references public.expert_profiles (id) on delete set null,
  number text not null check (number ~ '^AV-[0-9]{4}-[0-9]{4}$'),
  year integer not null,
  sequence integer not null check (sequence between 1 and 9999),
  issued_at timestamptz not null,
  issue_date date not null,
  is_full boolean not null,
  reason text not null check (length(btrim(reason)) between 3 and 1000),
  amount_ht numeric(14, 2) not null check (amount_ht > 0),
  vat_rate numeric(5, 4) not null,
  vat numeric(14, 2) not null check (vat >= 0),
  amount_ttc numeric(14, 2) not null check (amount_ttc = amount_ht + vat),
  document_path text check (document_path ~ '^[0-9a-f-]{36}/invoices/AV-[0-9]{4}-[0-9]{4}\.pdf$'),
  document_sha256 text check (document_sha256 ~ '^[0-9a-f]{64}$'),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (organization_id, number),
  unique (organization_id, year, sequence),
  check ((document_path is null) = (document_sha256 is null))
);
create index if not exists credit_notes_invoice_id_idx on public.credit_notes (invoice_id);
create index if not exists credit_notes_dossier_id_idx on public.credit_notes (dossier_id);
create index if not exists credit_notes_client_company_id_idx on public.credit_notes (client_company_id);
create index if not exists credit_notes_expert_id_idx on public.credit_notes (expert_id);
create index if not exists credit_notes_created_by_idx on public.credit_notes (created_by);

-- 5. Payments (recorded by admins; append-only) ----------------------------------------------------
create table if not exists public.invoice_payments (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete restrict,
  invoice_id uuid not null references public.invoices (id) on delete restrict,
  dossier_id uuid not null references public.dossiers (id) on delete restrict,
  client_company_id uuid not null references public.client_companies (id) on delete restrict,
  expert_id uuid references public.expert_profiles (id) on delete set null,
  amount numeric(14, 2) not null check (amount > 0),
  paid_on date not null,
  method text not null check (method in ('virement', 'prelevement', 'cheque', 'autre')),
  reference text not null check (length(btrim(reference)) between 1 and 100),
  recorded_by uuid references auth.users (id) on delete set null,
  recorded_at timestamptz not null default now()
);
create index if not exists invoice_payments_invoice_id_idx on public.invoice_payments (invoice_id, paid_on);
create index if not exists invoice_payments_organization_id_idx on public.invoice_payments (organization_id);
create index if not exists invoice_payments_dossier_id_idx on public.invoice_payments (dossier_id);
create index if not exists invoice_payments_client_company_id_idx on public.invoice_payments (client_company_id);
create index if not exists invoice_payments_expert_id_idx on public.invoice_payments (expert_id);
create index if not exists invoice_payments_recorded_by_idx on public.invoice_payments (recorded_by);

-- 6. Partner commissions (a = partner share of HT; due once the invoice is paid) --------------------
create table if not exists public.partner_commissions (
  invoice_id uuid primary key references public.invoices (id) on delete restrict,
  organization_id uuid not null references public.organizations (id) on delete restrict,
  partner_user_id uuid not null references auth.users (id) on delete restrict,
  invoice_number text not null,
  share_rate numeric(5, 4) not null check (share_rate >= 0 and share_rate <= 1),
  base_ht numeric(14, 2) not null check (base_ht >= 0),
  amount numeric(14, 2) not null check (amount >= 0),
  status text not null default 'pending' check (status in ('pending', 'due', 'cancelled')),
  due_since timestamptz,
  created_at timestamptz not null default now()
);
create index if not exists partner_commissions_organization_id_idx on public.partner_commissions (organization_id);
create index if not exists partner_commissions_partner_user_id_idx on public.partner_commissions (partner_user_id);

-- 7. Immutability ----------------------------------------------------------------------------------
-- An issued invoice keeps every figure; only its payment state moves (forward), and its document is
-- attached once. Credit notes and payments never change. Rows are never deleted (restrict FKs too).
create or replace function private.protect_invoice() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'issued invoices are never deleted (issue a credit note)'
      using errcode = '42501', hint = 'invoice_immutable';
  end if;
  if (to_jsonb(new) - array['status', 'paid_amount', 'credited_amount', 'balance', 'paid_at', 'cancelled_at',
                            'document_path', 'document_sha256'])
     is distinct from
     (to_jsonb(old) - array['status', 'paid_amount', 'credited_amount', 'balance', 'paid_at', 'cancelled_at',
                            'document_path', 'document_sha256'])
     or (old.document_path is not null and new.document_path is distinct from old.document_path)
     or (old.document_sha256 is not null and new.document_sha256 is distinct from old.document_sha256)
     or new.paid_amount < old.paid_amount or new.credited_amount < old.credited_amount
     or old.status in ('paid', 'cancelled') and new.status <> old.status then
    raise exception 'an issued invoice is immutable (issue a credit note)'
      using errcode = '42501', hint = 'invoice_immutable';
  end if;
  return new;
end
$$;
revoke execute on function private.protect_invoice() from public, anon;
create or replace trigger invoices_immutable before update or delete on public.invoices
  for each row execute function private.protect_invoice();

create or replace function private.protect_issued_document() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_old jsonb := to_jsonb(old);
  v_new jsonb := case when tg_op = 'UPDATE' then to_jsonb(new) end;
begin
  if tg_op = 'UPDATE' and tg_table_name = 'credit_notes' then
    if v_old ->> 'document_path' is null and v_new ->> 'document_path' is not null
       and (v_new - array['document_path', 'document_sha256']) = (v_old - array['document_path', 'document_sha256']) then
      return new; -- attaching the rendered document, once
    end if;
  elsif tg_op = 'UPDATE' and tg_table_name = 'partner_commissions' then
    if v_old ->> 'status' = 'pending'
       and (v_new - array['status', 'due_since']) = (v_old - array['status', 'due_since']) then
      return new; -- pending → due (invoice paid) or cancelled (invoice fully credited)
    end if;
  end if;
  raise exception '% rows are immutable', tg_table_name using errcode = '42501', hint = 'invoice_immutable';
end
$$;
revoke execute on function private.protect_issued_document() from public, anon;
create or replace trigger credit_notes_immutable before update or delete on public.credit_notes
  for each row execute function private.protect_issued_document();
create or replace trigger invoice_payments_append_only before update or delete on public.invoice_payments
  for each row execute function private.protect_issued_document();
create or replace trigger partner_commissions_immutable before update or delete on public.partner_commissions
  for each row execute function private.protect_issued_document();

-- 8. RLS ---------------------------------------------------------------------------------------------
alter table public.invoices enable row level security;
alter table public.credit_notes enable row level security;
alter table public.invoice_payments enable row level security;
alter table public.partner_commissions enable row level security;
grant select on public.invoices, public.credit_notes, public.invoice_payments, public.partner_commissions
  to authenticated;
grant all on public.invoices, public.credit_notes, public.invoice_payments, public.partner_commissions
  to service_role;

drop policy if exists "Staff, the client company and the expert read invoices" on public.invoices;
create policy "Staff, the client company and the expert read invoices" on public.invoices
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or client_company_id in (select private.my_client_company_ids())
         or expert_id in (select private.my_expert_profile_ids()));

drop policy if exists "Staff, the client company and the expert read credit notes" on public.credit_notes;
create policy "Staff, the client company and the expert read credit notes" on public.credit_notes
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or client_company_id in (select private.my_client_company_ids())
         or expert_id in (select private.my_expert_profile_ids()));

drop policy if exists "Staff, the client company and the expert read payments" on public.invoice_payments;
create policy "Staff, the client company and the expert read payments" on public.invoice_payments
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or client_company_id in (select private.my_client_company_ids())
         or expert_id in (select private.my_expert_profile_ids()));

drop policy if exists "Staff and the partner read partner commissions" on public.partner_commissions;
create policy "Staff and the partner read partner commissions" on public.partner_commissions
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
         or (partner_user_id = (select auth.uid())
             and organization_id in (select private.my_organization_ids_with_role(array['partner']))));
