-- Why: EXPORTS.md lists a "KPI report" (XLSX, PDF) — the follow-up KPIs of 0172 for a period, with one
-- chart per key series in the PDF. It is a new `export` document, `kpi-report`, whose parameters are
-- `period` {organization_id, start, end}; its jobs need the document name accepted. Its data is read
-- as the requester through public.followup_kpis (owners and admins: the organization; experts: their
-- dossiers), so a job holds what its requester may see.
alter table public.export_jobs drop constraint if exists export_jobs_document_check;
alter table public.export_jobs add constraint export_jobs_document_check
  check (document in ('simulation-report', 'comparison', 'dossier-list', 'dossier-summary', 'kpi-report'));
