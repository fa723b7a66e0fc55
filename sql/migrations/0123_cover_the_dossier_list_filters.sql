-- Why: the admin list (filters + a keyset page of 50) took 200–400 ms on 1 000 000 dossiers when it
-- filtered on an amount range. Under RLS the planner may not read column statistics through an
-- operator that is not leakproof (numeric's comparisons are not), so `amount between x and y`
-- is guessed at 0.5 % and the page looked like one row: PostgreSQL then read every dossier of the
-- status (tens of thousands) and sorted them, instead of walking the (organization, status,
-- updated_at) index and stopping at the 50th match.
-- The list now picks its page's ids first (shared/dossiers/repository.py) from indexes that carry
-- every column its filters and the dossiers' read policy look at: an index-only walk in keyset order
-- that stops at the page's end whatever the estimate, then the 50 rows by id. These two indexes take
-- the place of 0053's and 0057's on the same keys.
create index if not exists dossiers_org_status_updated_list_idx
  on public.dossiers (organization_id, status, updated_at desc, id desc)
  include (client_company_id, expert_id, product_code, priority, estimated_amount, audited_amount, held_status,
           resume_status, created_at);
drop index if exists public.dossiers_organization_status_updated_idx;

create index if not exists dossiers_org_updated_list_idx
  on public.dossiers (organization_id, updated_at desc, id desc)
  include (status, client_company_id, expert_id, product_code, priority, estimated_amount, audited_amount,
           held_status, resume_status, created_at);
drop index if exists public.dossiers_organization_updated_idx;
