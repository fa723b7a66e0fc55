-- Why: an RPC in `public` that is `security definer` bypasses RLS for whoever may call it (splinter
-- lints 0028/0029). The dossier RPCs already are thin security-invoker wrappers over private bodies
-- (0058); the messaging, invoicing and prudential RPCs that arrived beside them were still definer
-- functions in `public`. This moves each such body, unchanged, into `private` (keeping its grants)
-- and leaves in `public` a security-invoker function of the same signature calling it, so PostgREST
-- callers see the same RPCs and the same checks, and no definer function is exposed.
do $$
declare
  f record;
  call_args text;
  body text;
begin
  for f in
    select p.oid, p.proname, pg_catalog.pg_get_function_arguments(p.oid) as args,
           pg_catalog.pg_get_function_identity_arguments(p.oid) as identity_args,
           pg_catalog.pg_get_function_result(p.oid) as result, p.proretset,
           p.prorettype = 'pg_catalog.record'::pg_catalog.regtype as returns_record,
           p.prorettype = 'pg_catalog.void'::pg_catalog.regtype as returns_void,
           p.pronargs, pg_catalog.has_function_privilege('anon', p.oid, 'execute') as anon_may
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prosecdef and p.prokind = 'f'
  loop
    -- The call passes every input argument positionally ($1 … $n).
    select coalesce(string_agg('$' || i, ', ' order by i), '') into call_args
    from generate_series(1, f.pronargs) as i;
    execute format('alter function public.%I(%s) set schema private', f.proname, f.identity_args);
    if f.proretset or f.returns_record then
      body := format('select * from private.%I(%s)', f.proname, call_args);
    else
      body := format('select private.%I(%s)', f.proname, call_args);
    end if;
    execute format(
      'create function public.%I(%s) returns %s language sql security invoker set search_path = '''' as %L',
      f.proname, f.args, f.result, body);
    execute format('revoke execute on function public.%I(%s) from public', f.proname, f.identity_args);
    execute format('grant execute on function public.%I(%s) to authenticated, service_role', f.proname,
                   f.identity_args);
    if f.anon_may then -- an anonymous RPC stays anonymous
      execute format('grant execute on function public.%I(%s) to anon', f.proname, f.identity_args);
    else
      execute format('revoke execute on function public.%I(%s) from anon', f.proname, f.identity_args);
    end if;
  end loop;
end
$$;
