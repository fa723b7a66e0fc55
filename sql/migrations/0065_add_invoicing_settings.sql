-- Why: an invoice names its seller (the organization) as an EN 16931 / Factur-X invoice must — legal
-- name, SIREN/SIRET, intra-community VAT number, postal address — and applies the organization's VAT
-- rate: 20 % in mainland France, 8,5 % for clients in Guadeloupe (971), Martinique (972) and Réunion
-- (974) (WORKFLOW.md "Commission and invoice"). The fee rates (platform rate, per-expert override,
-- partner share) were added with the dossier state machine (0050); the time zone that decides an
-- invoice's year exists since 0002 (default Europe/Paris). These are columns of the organization, so
-- its existing policies apply: members read them, owners and admins change them.
alter table public.organizations
  add column if not exists vat_rate numeric(5, 4) not null default 0.20
    check (vat_rate >= 0 and vat_rate <= 1),
  add column if not exists overseas_vat_rate numeric(5, 4) not null default 0.085
    check (overseas_vat_rate >= 0 and overseas_vat_rate <= 1),
  add column if not exists legal_name text check (length(btrim(legal_name)) between 1 and 200),
  add column if not exists siren text check (siren is null or private.is_valid_siren(siren)),
  add column if not exists siret text check (siret ~ '^[0-9]{14}$' and left(siret, 9) = siren),
  add column if not exists vat_number text check (vat_number ~ '^FR[0-9A-Z]{2}[0-9]{9}$'),
  add column if not exists address text check (length(btrim(address)) between 1 and 300),
  add column if not exists postal_code text check (postal_code ~ '^[0-9]{5}$'),
  add column if not exists city text check (length(btrim(city)) between 1 and 100),
  add column if not exists country_code text not null default 'FR' check (country_code ~ '^[A-Z]{2}$'),
  add column if not exists iban text check (iban ~ '^[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}$'),
  add column if not exists bic text check (bic ~ '^[A-Z]{6}[0-9A-Z]{2}([0-9A-Z]{3})?$');

-- The VAT rate an organization applies to a client company: the overseas rate in 971, 972 and 974.
create or replace function private.vat_rate_for(p_organization uuid, p_company uuid) returns numeric
language sql stable security definer
set search_path = ''
as $$
  select case when c.departement in ('971', '972', '974') then o.overseas_vat_rate else o.vat_rate end
  from public.organizations o
  join public.client_companies c on c.id = p_company and c.organization_id = o.id
  where o.id = p_organization
$$;
revoke execute on function private.vat_rate_for(uuid, uuid) from public, anon;
grant execute on function private.vat_rate_for(uuid, uuid) to authenticated, service_role;
