-- Why: who changed a membership or an expert's approval must be answerable later (disputes,
-- compliance). Rows are written by triggers only, with the acting user taken from the JWT claims.
create table if not exists public.audit_log (
  id bigint generated always as identity primary key,
  organization_id uuid not null, -- no foreign key: the trail outlives what it describes
  table_name text not null,
  row_id uuid not null,
  action text not null check (action in ('insert', 'update', 'delete')),
  actor_id uuid,
  actor_role text,
  old_values jsonb,
  new_values jsonb,
  created_at timestamptz not null default now()
);
create index if not exists audit_log_organization_created_idx on public.audit_log (organization_id, created_at desc);
create index if not exists audit_log_row_idx on public.audit_log (table_name, row_id);

create or replace function private.audit_row() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  old_values jsonb := case when tg_op = 'INSERT' then null else to_jsonb(old) end;
  new_values jsonb := case when tg_op = 'DELETE' then null else to_jsonb(new) end;
  subject jsonb := coalesce(new_values, old_values);
begin
  insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role,
                                old_values, new_values)
  values ((subject ->> 'organization_id')::uuid, tg_table_name, (subject ->> 'id')::uuid, lower(tg_op),
          (select auth.uid()), coalesce((select auth.role()), current_user), old_values, new_values);
  return null;
end
$$;
revoke execute on function private.audit_row() from public, anon;

create or replace trigger memberships_audit after insert or update or delete on public.memberships
  for each row execute function private.audit_row();

create or replace trigger expert_profiles_audit_approval after update on public.expert_profiles
  for each row when (old.approval_status is distinct from new.approval_status
                     or old.approval_reason is distinct from new.approval_reason)
  execute function private.audit_row();

create or replace trigger expert_profiles_audit_insert after insert on public.expert_profiles
  for each row execute function private.audit_row();

alter table public.audit_log enable row level security;
grant select on public.audit_log to authenticated;
grant all on public.audit_log to service_role;

create policy "Staff read their organization's audit log" on public.audit_log
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));
