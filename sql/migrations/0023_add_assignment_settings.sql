-- Why: each organization chooses how its dossiers find an expert: the client picks from the ranked
-- list (`client_choice`, the default), an admin proposes or forces (`admin`), or the system offers
-- the best candidate (`auto`); and how long an offer stays open and how many are tried before the
-- dossier is flagged `assignment_failed`. They are columns of the organization, so the existing
-- policies apply: members read them, owners and admins change them.
alter table public.organizations
  add column if not exists assignment_mode text not null default 'client_choice'
    check (assignment_mode in ('client_choice', 'admin', 'auto')),
  add column if not exists offer_ttl_minutes integer not null default 2880
    check (offer_ttl_minutes between 5 and 43200),
  add column if not exists max_offer_attempts integer not null default 3
    check (max_offer_attempts between 1 and 20);
