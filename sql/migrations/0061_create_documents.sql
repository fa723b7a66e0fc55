-- Why: a dossier's documents through Storage (WORKFLOW.md, Documents). A document belongs to the
-- client company; a reusable type (Kbis, RIB…) has no dossier and shows on each of the company's
-- dossiers needing it, reviewed per dossier (`document_reviews`); any other document belongs to one
-- dossier. Each upload is a version (v1, v2…): a replacement keeps the old one as `replaced`.
-- Experts request documents with items, each item open → uploaded → accepted (reopened on
-- rejection). Every download is logged. The API roles only READ these tables, under the access
-- rule of WORKFLOW.md (client users their company's documents; the expert its dossiers' until
-- released; partners none; staff the organization, viewers read only); every write goes through
-- the security-definer commands of migration 0064, which check the caller and the status.

create table if not exists public.documents (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  client_company_id uuid not null references public.client_companies (id) on delete cascade,
  -- NULL for a reusable type: the company's document, shared by its dossiers.
  dossier_id uuid references public.dossiers (id) on delete cascade,
  document_type text not null references public.document_types (code),
  label text not null default '' check (length(label) <= 200),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists documents_organization_id_idx on public.documents (organization_id);
create index if not exists documents_company_type_idx on public.documents (client_company_id, document_type);
create index if not exists documents_dossier_id_idx on public.documents (dossier_id);
-- One document per company and reusable type: a new upload is its next version.
create unique index if not exists documents_company_reusable_type_key on public.documents (client_company_id, document_type)
  where dossier_id is null;
create index if not exists documents_document_type_idx on public.documents (document_type);
create index if not exists documents_created_by_idx on public.documents (created_by);
create or replace trigger documents_touch_updated_at before update on public.documents
  for each row execute function private.touch_updated_at();

create table if not exists public.document_versions (
  id uuid primary key default gen_random_uuid(),
  document_id uuid not null references public.documents (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  version integer not null check (version >= 1),
  storage_key text not null unique,
  file_name text not null check (length(btrim(file_name)) between 1 and 255),
  declared_format text not null check (declared_format in ('pdf', 'jpg', 'png', 'xml')),
  declared_size bigint not null check (declared_size >= 1),
  size_bytes bigint check (size_bytes >= 1),
  detected_format text check (detected_format in ('pdf', 'jpg', 'png', 'xml')),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  issue_date date,
  -- uploading: URL issued, object not checked yet; uploaded: checked, reviewable; replaced: kept.
  state text not null default 'uploading' check (state in ('uploading', 'uploaded', 'replaced')),
  uploaded_by uuid references auth.users (id) on delete set null,
  uploaded_for_dossier_id uuid references public.dossiers (id) on delete set null,
  request_item_id uuid,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  replaced_at timestamptz,
  unique (document_id, version),
  check (state = 'uploading' or (size_bytes is not null and sha256 is not null and detected_format is not null
                                 and completed_at is not null)),
  check ((state = 'replaced') = (replaced_at is not null))
);
create index if not exists document_versions_organization_id_idx on public.document_versions (organization_id);
create index if not exists document_versions_uploaded_by_idx on public.document_versions (uploaded_by);
create index if not exists document_versions_uploaded_for_dossier_id_idx
  on public.document_versions (uploaded_for_dossier_id);
create index if not exists document_versions_request_item_id_idx on public.document_versions (request_item_id);
create index if not exists document_versions_stale_uploads_idx on public.document_versions (created_at)
  where state = 'uploading';

-- The review of one version on one dossier; no row = pending. A reusable document has one per
-- dossier that needs it, so a Kbis validated for TICPE can still be rejected for URSSAF.
create table if not exists public.document_reviews (
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  version_id uuid not null references public.document_versions (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  state text not null check (state in ('validated', 'rejected')),
  reason text check (reason is null or length(btrim(reason)) between 3 and 1000),
  category text check (category in ('illisible', 'incomplet', 'expire', 'non_conforme', 'mauvais_document',
                                    'autre')),
  reviewed_by uuid references auth.users (id) on delete set null,
  reviewed_at timestamptz not null default now(),
  primary key (dossier_id, version_id),
  check (state <> 'rejected' or (reason is not null and category is not null))
);
create index if not exists document_reviews_version_id_idx on public.document_reviews (version_id);
create index if not exists document_reviews_organization_id_idx on public.document_reviews (organization_id);
create index if not exists document_reviews_reviewed_by_idx on public.document_reviews (reviewed_by);

create table if not exists public.document_requests (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  requested_by uuid references auth.users (id) on delete set null,
  note text not null default '' check (length(note) <= 2000),
  due_date date not null,
  status text not null default 'open' check (status in ('open', 'completed', 'cancelled')),
  created_at timestamptz not null default now(),
  closed_at timestamptz,
  check ((status = 'open') = (closed_at is null))
);
create index if not exists document_requests_organization_id_idx on public.document_requests (organization_id);
create index if not exists document_requests_dossier_id_idx on public.document_requests (dossier_id, status);
create index if not exists document_requests_requested_by_idx on public.document_requests (requested_by);

create table if not exists public.document_request_items (
  id uuid primary key default gen_random_uuid(),
  request_id uuid not null references public.document_requests (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null references public.dossiers (id) on delete cascade,
  document_type text not null references public.document_types (code),
  label text not null default '' check (length(label) <= 200),
  note text not null default '' check (length(note) <= 1000),
  required boolean not null default true,
  state text not null default 'open' check (state in ('open', 'uploaded', 'accepted', 'cancelled')),
  document_id uuid references public.documents (id) on delete set null,
  position smallint not null default 0,
  check (document_type <> 'autre' or length(btrim(label)) >= 2),
  check (state = 'open' or state = 'cancelled' or document_id is not null)
);
create index if not exists document_request_items_request_id_idx on public.document_request_items (request_id);
create index if not exists document_request_items_organization_id_idx
  on public.document_request_items (organization_id);
create index if not exists document_request_items_dossier_id_idx on public.document_request_items (dossier_id, state);
create index if not exists document_request_items_document_type_idx
  on public.document_request_items (document_type);
create index if not exists document_request_items_document_id_idx on public.document_request_items (document_id);

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'document_versions_request_item_id_fkey') then
    alter table public.document_versions add constraint document_versions_request_item_id_fkey
      foreign key (request_item_id) references public.document_request_items (id) on delete set null;
  end if;
end
$$;

create table if not exists public.document_downloads (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  version_id uuid not null references public.document_versions (id) on delete cascade,
  dossier_id uuid references public.dossiers (id) on delete set null,
  user_id uuid references auth.users (id) on delete set null,
  downloaded_at timestamptz not null default now()
);
create index if not exists document_downloads_organization_id_idx
  on public.document_downloads (organization_id, downloaded_at);
create index if not exists document_downloads_version_id_idx on public.document_downloads (version_id);
create index if not exists document_downloads_dossier_id_idx on public.document_downloads (dossier_id);
create index if not exists document_downloads_user_id_idx on public.document_downloads (user_id);

-- Access -------------------------------------------------------------------------------------------
-- Does the dossier need this document type (its product's checklist or one of its requests)?
create or replace function private.dossier_needs_type(p_dossier uuid, p_type text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
           select 1 from public.dossiers d
           join public.product_documents pd on pd.product_code = d.product_code and pd.document_type = p_type
           where d.id = p_dossier)
      or exists (
           select 1 from public.document_request_items i
           where i.dossier_id = p_dossier and i.document_type = p_type and i.state <> 'cancelled')
$$;

-- The dossiers whose documents the caller may see: staff their organization's, client users their
-- company's, the expert those assigned to it (until released). Partners: none.
create or replace function private.my_document_dossier_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select d.id from public.dossiers d
  where d.organization_id in (select m.organization_id from public.memberships m
                              where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin', 'viewer'))
     or d.client_company_id in (select private.my_client_company_ids())
     or d.expert_id in (select private.my_expert_profile_ids())
$$;

-- May the caller see a document (organization, company, dossier or NULL when reusable, type)?
create or replace function private.can_read_document(p_org uuid, p_company uuid, p_dossier uuid, p_type text)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.memberships m
                 where m.organization_id = p_org and m.user_id = (select auth.uid())
                   and m.role in ('owner', 'admin', 'viewer'))
      or p_company in (select private.my_client_company_ids())
      or exists (select 1 from public.dossiers d
                 join public.expert_profiles e on e.id = d.expert_id
                 where e.user_id = (select auth.uid()) and d.organization_id = p_org
                   and (d.id = p_dossier
                        or (p_dossier is null and d.client_company_id = p_company
                            and private.dossier_needs_type(d.id, p_type))))
$$;

revoke execute on function private.dossier_needs_type(uuid, text), private.my_document_dossier_ids(),
  private.can_read_document(uuid, uuid, uuid, text) from public, anon;
grant execute on function private.dossier_needs_type(uuid, text), private.my_document_dossier_ids(),
  private.can_read_document(uuid, uuid, uuid, text) to authenticated, service_role;

alter table public.documents enable row level security;
alter table public.document_versions enable row level security;
alter table public.document_reviews enable row level security;
alter table public.document_requests enable row level security;
alter table public.document_request_items enable row level security;
alter table public.document_downloads enable row level security;

grant select on public.documents, public.document_versions, public.document_reviews, public.document_requests,
  public.document_request_items, public.document_downloads to authenticated;
grant all on public.documents, public.document_versions, public.document_reviews, public.document_requests,
  public.document_request_items, public.document_downloads to service_role;

drop policy if exists "Readers of a company's documents read them" on public.documents;
create policy "Readers of a company's documents read them" on public.documents
  for select to authenticated
  using (private.can_read_document(organization_id, client_company_id, dossier_id, document_type));

drop policy if exists "Readers of a document read its versions" on public.document_versions;
create policy "Readers of a document read its versions" on public.document_versions
  for select to authenticated
  using (exists (select 1 from public.documents d where d.id = document_id));

drop policy if exists "Readers of a dossier's documents read their reviews" on public.document_reviews;
create policy "Readers of a dossier's documents read their reviews" on public.document_reviews
  for select to authenticated
  using (dossier_id in (select private.my_document_dossier_ids()));

drop policy if exists "Readers of a dossier's documents read its requests" on public.document_requests;
create policy "Readers of a dossier's documents read its requests" on public.document_requests
  for select to authenticated
  using (dossier_id in (select private.my_document_dossier_ids()));

drop policy if exists "Readers of a dossier's documents read its request items" on public.document_request_items;
create policy "Readers of a dossier's documents read its request items" on public.document_request_items
  for select to authenticated
  using (dossier_id in (select private.my_document_dossier_ids()));

drop policy if exists "Users read their own downloads and staff their organization's" on public.document_downloads;
create policy "Users read their own downloads and staff their organization's" on public.document_downloads
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
  );
