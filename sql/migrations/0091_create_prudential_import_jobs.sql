-- Why: a large exposure file (hundreds of thousands of rows) takes longer to read and check than an
-- HTTP request may last, so it becomes a job: the file is stored, the job queued, and the
-- `prudential-import-worker` cron function imports it as its requester (same RLS, same all-or-nothing
-- rule), as the export queue does (0031): FOR UPDATE SKIP LOCKED claims, a lease recovering crashed
-- workers, `attempts` as the fencing token. A done job names the draft version it created; a failed
-- one keeps its error and, for a rejected file, its row errors. Requesters and the organization's
-- prudential readers read jobs; only the functions (service role) write them.
create table if not exists public.prudential_import_jobs (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  portfolio_id uuid not null,
  requested_by uuid not null references auth.users (id) on delete cascade,
  file_name text not null check (length(file_name) between 1 and 255),
  storage_key text not null,
  template text check (template is null or length(template) between 1 and 100),
  mapping jsonb check (mapping is null or jsonb_typeof(mapping) = 'object'),
  reference_date text,
  save_mapping boolean not null default false,
  status text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  error text,
  error_code text,
  errors jsonb check (errors is null or jsonb_typeof(errors) = 'array'),
  warnings jsonb check (warnings is null or jsonb_typeof(warnings) = 'array'),
  version_id uuid references public.prudential_portfolio_versions (id) on delete set null,
  lease_expires_at timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  foreign key (portfolio_id, organization_id)
    references public.prudential_portfolios (id, organization_id) on delete cascade,
  check (storage_key = organization_id::text || '/imports/' || id::text),
  check (status <> 'done' or (version_id is not null and finished_at is not null)),
  check (status <> 'failed' or (error is not null and error_code is not null and finished_at is not null)),
  check (status <> 'running' or lease_expires_at is not null)
);
create index if not exists prudential_import_jobs_organization_idx
  on public.prudential_import_jobs (organization_id, created_at desc);
create index if not exists prudential_import_jobs_portfolio_org_idx
  on public.prudential_import_jobs (portfolio_id, organization_id);
create index if not exists prudential_import_jobs_requested_by_idx
  on public.prudential_import_jobs (requested_by, created_at desc);
create index if not exists prudential_import_jobs_version_idx on public.prudential_import_jobs (version_id);
create index if not exists prudential_import_jobs_open_idx on public.prudential_import_jobs (created_at, id)
  where status in ('queued', 'running');
create or replace trigger prudential_import_jobs_touch_updated_at before update on public.prudential_import_jobs
  for each row execute function private.touch_updated_at();

alter table public.prudential_import_jobs enable row level security;
grant select on public.prudential_import_jobs to authenticated;
grant all on public.prudential_import_jobs to service_role;

drop policy if exists "Requesters and prudential readers read import jobs" on public.prudential_import_jobs;
create policy "Requesters and prudential readers read import jobs" on public.prudential_import_jobs
  for select to authenticated
  using (requested_by = (select auth.uid())
         or organization_id in (select private.my_prudential_organization_ids('read')));
