-- Why: which documents exist and which ones each product needs are product decisions
-- (WORKFLOW.md, Documents), so they are data: one row per document type (labels, accepted formats,
-- size limit, validity, reusable across the company's dossiers) and one row per product × phase ×
-- type (eligibility: reviewed by admins; collection: reviewed by the expert). Uploads, the
-- checklist and the guards of submit_eligibility and start_audit read these tables; nothing in
-- code repeats them.
create table if not exists public.document_types (
  code text primary key check (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  label_fr text not null check (length(btrim(label_fr)) between 1 and 120),
  label_en text not null check (length(btrim(label_en)) between 1 and 120),
  formats text[] not null default array['pdf']
    check (cardinality(formats) >= 1 and formats <@ array['pdf', 'jpg', 'png', 'xml']),
  max_size_bytes bigint not null default 20971520 check (max_size_bytes between 1 and 104857600),
  -- Valid while check date < issue date + validity_months calendar months ("< 3 mois").
  validity_months smallint check (validity_months between 1 and 120),
  reusable boolean not null default false,
  -- Uploaded by the expert (audit report, filing receipt, decision) rather than by the client.
  expert_document boolean not null default false,
  period_fr text not null default '',
  period_en text not null default '',
  position smallint not null default 0
);

create table if not exists public.product_documents (
  product_code text not null references public.products (code) on delete cascade,
  phase text not null check (phase in ('eligibility', 'collection')),
  document_type text not null references public.document_types (code),
  required boolean not null default true,
  note_fr text not null default '',
  note_en text not null default '',
  position smallint not null default 0,
  primary key (product_code, phase, document_type)
);
create index if not exists product_documents_document_type_idx on public.product_documents (document_type);

alter table public.document_types enable row level security;
alter table public.product_documents enable row level security;
-- Reference data: every signed-in user reads it; only migrations (service role) change it.
grant select on public.document_types, public.product_documents to authenticated;
grant all on public.document_types, public.product_documents to service_role;

drop policy if exists "Signed-in users read the document types" on public.document_types;
create policy "Signed-in users read the document types" on public.document_types
  for select to authenticated using (true);
drop policy if exists "Signed-in users read the product checklists" on public.product_documents;
create policy "Signed-in users read the product checklists" on public.product_documents
  for select to authenticated using (true);

insert into public.document_types
  (code, label_fr, label_en, formats, max_size_bytes, validity_months, reusable, expert_document, period_fr,
   period_en, position)
values
  ('kbis', 'Extrait Kbis', 'Kbis extract', array['pdf'], 10485760, 3, true, false, '', '', 10),
  ('rib', 'RIB', 'Bank details (RIB)', array['pdf', 'jpg', 'png'], 5242880, null, true, false, '', '', 20),
  ('bilan', 'Dernier bilan', 'Latest balance sheet', array['pdf'], 20971520, null, true, false, '', '', 30),
  ('carte_grise', 'Cartes grises', 'Vehicle registration certificates', array['pdf', 'jpg', 'png'], 10485760, 6,
   true, false, '', '', 40),
  ('facture_carburant', 'Factures de carburant', 'Fuel invoices', array['pdf', 'jpg', 'png'], 20971520, null,
   false, false, '12 derniers mois', 'last 12 months', 50),
  ('attestation_vigilance', 'Attestation de vigilance URSSAF', 'URSSAF certificate of compliance', array['pdf'],
   10485760, 6, true, false, '', '', 60),
  ('bulletins_paie', 'Bulletins de paie 12 mois', 'Payslips, 12 months', array['pdf'], 31457280, null, false,
   false, '12 mois', '12 months', 70),
  ('bulletin_paie_recent', 'Bulletin de paie récent', 'Recent payslip', array['pdf'], 10485760, 3, false, false,
   '', '', 80),
  ('dsn', 'DSN 12 mois', 'DSN filings, 12 months', array['pdf', 'xml'], 31457280, null, false, false, '12 mois',
   '12 months', 90),
  ('releves_cotisations', 'Relevés de cotisations', 'Contribution statements', array['pdf'], 20971520, null,
   false, false, '12 mois', '12 months', 100),
  ('declaration_2042cpro', 'Déclaration 2042-C-PRO', 'Form 2042-C-PRO', array['pdf'], 20971520, null, false, false,
   '', '', 110),
  ('preuve_activite_agricole', 'Justificatif d''activité agricole', 'Proof of agricultural activity', array['pdf'],
   20971520, null, true, false, '', '', 120),
  ('contrats_travail', 'Contrats de travail', 'Employment contracts', array['pdf'], 31457280, null, false, false,
   '', '', 130),
  ('avis_taxe_fonciere', 'Avis de taxe foncière', 'Property tax notice', array['pdf'], 10485760, 12, false, false,
   '', '', 140),
  ('titre_propriete', 'Titre de propriété ou bail', 'Title deed or lease', array['pdf'], 20971520, null, true,
   false, '', '', 150),
  ('plan_cadastral', 'Plan cadastral', 'Cadastral plan', array['pdf'], 20971520, null, false, false, '', '', 160),
  ('formulaire_2044', 'Formulaire 2044', 'Form 2044', array['pdf'], 20971520, null, false, false, '', '', 170),
  ('factures_travaux', 'Factures de travaux', 'Works invoices', array['pdf'], 52428800, null, false, false, '', '',
   180),
  ('baux', 'Baux', 'Leases', array['pdf'], 20971520, null, false, false, '', '', 190),
  ('factures_energie', 'Factures d''énergie', 'Energy bills', array['pdf'], 20971520, null, false, false,
   '12 mois', '12 months', 200),
  ('factures_impayees', 'Factures impayées', 'Unpaid invoices', array['pdf'], 20971520, null, false, false, '', '',
   210),
  ('rapport_audit', 'Rapport d''audit', 'Audit report', array['pdf'], 20971520, null, false, true, '', '', 300),
  ('recepisse_depot', 'Récépissé de dépôt', 'Filing receipt', array['pdf'], 20971520, null, false, true, '', '',
   310),
  ('decision_administration', 'Décision de l''administration', 'Administration''s decision', array['pdf'],
   20971520, null, false, true, '', '', 320),
  ('autre', 'Autre document', 'Other document', array['pdf'], 20971520, null, false, false, '', '', 900)
on conflict (code) do nothing;

insert into public.product_documents (product_code, phase, document_type, required, note_fr, note_en, position)
select v.product_code, v.phase, v.document_type, v.required, v.note_fr, v.note_en, v.position
from (values
  ('ticpe', 'eligibility', 'kbis', true, '', '', 1),
  ('ticpe', 'eligibility', 'carte_grise', true, '', '', 2),
  ('ticpe', 'eligibility', 'facture_carburant', true, 'une facture récente', 'one recent invoice', 3),
  ('ticpe', 'collection', 'facture_carburant', true, '12 derniers mois', 'last 12 months', 1),
  ('ticpe', 'collection', 'rib', true, '', '', 2),
  ('urssaf', 'eligibility', 'kbis', true, '', '', 1),
  ('urssaf', 'eligibility', 'attestation_vigilance', true, '', '', 2),
  ('urssaf', 'eligibility', 'bilan', true, '', '', 3),
  ('urssaf', 'eligibility', 'dsn', false, '', '', 4),
  ('urssaf', 'collection', 'bulletins_paie', true, '', '', 1),
  ('urssaf', 'collection', 'dsn', true, '', '', 2),
  ('urssaf', 'collection', 'releves_cotisations', true, '', '', 3),
  ('urssaf', 'collection', 'rib', true, '', '', 4),
  ('msa', 'eligibility', 'kbis', true, '', '', 1),
  ('msa', 'collection', 'releves_cotisations', true, '', '', 1),
  ('msa', 'collection', 'declaration_2042cpro', true, '', '', 2),
  ('msa', 'collection', 'preuve_activite_agricole', true, '', '', 3),
  ('msa', 'collection', 'rib', true, '', '', 4),
  ('dfs', 'eligibility', 'kbis', true, '', '', 1),
  ('dfs', 'collection', 'bulletins_paie', true, '', '', 1),
  ('dfs', 'collection', 'contrats_travail', true, '', '', 2),
  ('dfs', 'collection', 'rib', true, '', '', 3),
  ('foncier', 'eligibility', 'kbis', true, '', '', 1),
  ('foncier', 'eligibility', 'avis_taxe_fonciere', true, '', '', 2),
  ('foncier', 'eligibility', 'titre_propriete', true, '', '', 3),
  ('foncier', 'eligibility', 'plan_cadastral', false, '', '', 4),
  ('foncier', 'collection', 'formulaire_2044', true, '', '', 1),
  ('foncier', 'collection', 'factures_travaux', true, '', '', 2),
  ('foncier', 'collection', 'baux', false, '', '', 3),
  ('energie_elec', 'eligibility', 'factures_energie', true, 'la dernière facture', 'the latest bill', 1),
  ('energie_elec', 'collection', 'kbis', true, '', '', 1),
  ('energie_elec', 'collection', 'factures_energie', true, '12 mois', '12 months', 2),
  ('energie_elec', 'collection', 'rib', true, '', '', 3),
  ('energie_gaz', 'eligibility', 'factures_energie', true, 'la dernière facture', 'the latest bill', 1),
  ('energie_gaz', 'collection', 'kbis', true, '', '', 1),
  ('energie_gaz', 'collection', 'factures_energie', true, '12 mois', '12 months', 2),
  ('energie_gaz', 'collection', 'rib', true, '', '', 3),
  ('recouvrement', 'eligibility', 'kbis', true, '', '', 1),
  ('recouvrement', 'eligibility', 'factures_impayees', true, '', '', 2),
  ('recouvrement', 'collection', 'rib', true, '', '', 1),
  -- The two quote-flow products pair with one document each (profitum.md §4.4).
  ('chronotachygraphes', 'eligibility', 'carte_grise', true, 'un véhicule de plus de 7,5 t',
   'one vehicle over 7.5 t', 1),
  ('logiciel_solid', 'eligibility', 'bulletin_paie_recent', true, '', '', 1)
) as v (product_code, phase, document_type, required, note_fr, note_en, position)
join public.products p on p.code = v.product_code
on conflict (product_code, phase, document_type) do nothing;
