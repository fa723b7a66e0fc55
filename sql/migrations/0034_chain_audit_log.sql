-- Why: the audit trail must be evidence, not just a table. Rows can no longer be changed or removed
-- by any role (service role and table owner included; only a superuser who switches triggers off
-- can, and `fintrack audit verify` then names the altered row), and each organization's rows form a
-- SHA-256 hash chain. Other capabilities record business actions (override, invoice_issued,
-- payment_recorded, calculation_approved...) through private.append_audit, with a `details` object.
--
-- Canonical form of a row (version 1), hashed as UTF-8 with SHA-256 into `row_hash` (lowercase hex):
-- the text of the JSON array
--   ["fintrack-audit-v1", organization_id, chain_seq, id, table_name, row_id, action, actor_id,
--    actor_role, old_values, new_values, details, created_at, prev_hash]
-- rendered the way PostgreSQL prints jsonb: ", " between items, ": " after keys, object keys ordered
-- by UTF-8 byte length then bytes, strings escaping only '"', '\', \b \f \n \r \t and other control
-- characters (as \u00xx), numbers in plain notation exactly as stored, uuids as lowercase strings,
-- created_at as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, absent values as null. `prev_hash` is the
-- `row_hash` of the organization's previous row (chain_seq - 1), null for its first row (genesis).
-- shared/platform/audit.py recomputes the same form in Python.

alter table public.audit_log add column if not exists details jsonb;
alter table public.audit_log add column if not exists chain_seq bigint;
alter table public.audit_log add column if not exists prev_hash text;
alter table public.audit_log add column if not exists row_hash text;

alter table public.audit_log drop constraint if exists audit_log_action_check;
alter table public.audit_log drop constraint if exists audit_log_action_is_an_identifier;
alter table public.audit_log add constraint audit_log_action_is_an_identifier check (action ~ '^[a-z][a-z_]*$');
alter table public.audit_log drop constraint if exists audit_log_details_is_an_object;
alter table public.audit_log add constraint audit_log_details_is_an_object
  check (details is null or jsonb_typeof(details) = 'object');

-- One row per organization: the end of its chain. Locking it serialises that organization's audit
-- inserts (one short row lock, held to commit) and nothing else.
create table if not exists private.audit_chain_heads (
  organization_id uuid primary key,
  last_seq bigint not null,
  last_hash text not null
);
alter table private.audit_chain_heads enable row level security;
revoke all on private.audit_chain_heads from public, anon, authenticated, service_role;

create or replace function private.audit_canonical(r public.audit_log) returns text
language sql stable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_array(
    'fintrack-audit-v1', r.organization_id, r.chain_seq, r.id, r.table_name, r.row_id, r.action, r.actor_id,
    r.actor_role, r.old_values, r.new_values, r.details,
    pg_catalog.to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), r.prev_hash
  )::text
$$;
revoke execute on function private.audit_canonical(public.audit_log) from public, anon;

create or replace function private.audit_hash(r public.audit_log) returns text
language sql stable
set search_path = ''
as $$
  select pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(private.audit_canonical(r), 'UTF8')), 'hex')
$$;
revoke execute on function private.audit_hash(public.audit_log) from public, anon;

-- Rows written before this migration join the chain in id order, once.
do $$
declare
  r public.audit_log;
  head record;
begin
  if exists (select 1 from public.audit_log where row_hash is null) then
    for r in select * from public.audit_log where row_hash is null order by organization_id, id loop
      select h.last_seq, h.last_hash into head from private.audit_chain_heads h
      where h.organization_id = r.organization_id;
      r.chain_seq := coalesce(head.last_seq, 0) + 1;
      r.prev_hash := head.last_hash;
      r.row_hash := private.audit_hash(r);
      update public.audit_log set chain_seq = r.chain_seq, prev_hash = r.prev_hash, row_hash = r.row_hash
      where id = r.id;
      insert into private.audit_chain_heads (organization_id, last_seq, last_hash)
      values (r.organization_id, r.chain_seq, r.row_hash)
      on conflict (organization_id) do update set last_seq = excluded.last_seq, last_hash = excluded.last_hash;
    end loop;
  end if;
end
$$;

alter table public.audit_log alter column chain_seq set not null;
alter table public.audit_log alter column row_hash set not null;
create unique index if not exists audit_log_chain_idx on public.audit_log (organization_id, chain_seq);

-- Whatever the caller supplied, the chain fields are computed here, under the head row's lock.
create or replace function private.chain_audit_row() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  head_seq bigint;
  head_hash text;
begin
  select h.last_seq, h.last_hash into head_seq, head_hash from private.audit_chain_heads h
  where h.organization_id = new.organization_id for update;
  if not found then
    insert into private.audit_chain_heads (organization_id, last_seq, last_hash)
    values (new.organization_id, 0, '') on conflict (organization_id) do nothing;
    select h.last_seq, h.last_hash into head_seq, head_hash from private.audit_chain_heads h
    where h.organization_id = new.organization_id for update;
  end if;
  new.chain_seq := head_seq + 1;
  new.prev_hash := nullif(head_hash, '');
  new.row_hash := private.audit_hash(new);
  update private.audit_chain_heads set last_seq = new.chain_seq, last_hash = new.row_hash
  where organization_id = new.organization_id;
  return new;
end
$$;
revoke execute on function private.chain_audit_row() from public, anon;

create or replace trigger audit_log_chain before insert on public.audit_log
  for each row execute function private.chain_audit_row();

create or replace function private.refuse_audit_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'the audit log is append-only (% refused)', lower(tg_op)
    using errcode = 'PT403', hint = 'audit_log_append_only';
end
$$;
revoke execute on function private.refuse_audit_change() from public, anon;

create or replace trigger audit_log_append_only before update or delete on public.audit_log
  for each row execute function private.refuse_audit_change();
create or replace trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function private.refuse_audit_change();

revoke update, delete, truncate on public.audit_log from service_role;

-- THE way other capabilities append to the trail. The actor comes from the JWT claims; a signed-in
-- caller can only write to the trail of an organization it belongs to (or as a platform operator).
create or replace function private.append_audit(
  p_organization_id uuid,
  p_table_name text,
  p_row_id uuid,
  p_action text,
  p_old jsonb,
  p_new jsonb,
  p_details jsonb default null
) returns bigint
language plpgsql security definer
set search_path = ''
as $$
declare
  new_id bigint;
begin
  if p_organization_id is null or p_table_name is null or p_row_id is null or p_action is null then
    raise exception 'organization, table, row and action are required'
      using errcode = 'PT422', hint = 'audit_incomplete';
  end if;
  if (select auth.role()) = 'authenticated'
     and not (private.is_member(p_organization_id) or private.is_platform_operator()) then
    raise exception 'not a member of this organization' using errcode = 'PT403', hint = 'not_a_member';
  end if;
  insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role,
                                old_values, new_values, details)
  values (p_organization_id, p_table_name, p_row_id, p_action, (select auth.uid()),
          coalesce((select auth.role()), current_user), p_old, p_new, p_details)
  returning id into new_id;
  return new_id;
end
$$;
revoke execute on function private.append_audit(uuid, text, uuid, text, jsonb, jsonb, jsonb) from public, anon;
grant execute on function private.append_audit(uuid, text, uuid, text, jsonb, jsonb, jsonb)
  to authenticated, service_role;
