-- Why: issue 14 item 6 wants the COREP downloads of large calculations (the XLSX workbook and the
-- xBRL-CSV report package of a calculation with more exposures than COREP_INLINE_MAX_EXPOSURES) to
-- go through jobs. The exports pipeline already has them (0031: export_jobs claimed by the
-- `export-worker` under a lease, rendered as their requester so the same RLS applies, stored under
-- the organization's prefix, read back as a signed URL): the two COREP documents join its catalogue
-- rather than a second job table and worker. The package is a `zip`.
alter table public.export_jobs drop constraint if exists export_jobs_document_check;
alter table public.export_jobs add constraint export_jobs_document_check
  check (document in ('simulation-report', 'comparison', 'dossier-list', 'dossier-summary', 'corep-workbook',
                      'corep-package'));
alter table public.export_jobs drop constraint if exists export_jobs_format_check;
alter table public.export_jobs add constraint export_jobs_format_check
  check (format in ('xlsx', 'docx', 'pdf', 'csv', 'zip'));
