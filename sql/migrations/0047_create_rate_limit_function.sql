-- Why: anonymous visitors are rate-limited per address, and their requests now run as `anon`
-- (migration 0046), which cannot touch the counters. Counting one hit is this security-definer
-- function: it adds to the caller-named bucket's current fixed window and returns the count and the
-- seconds left in the window. The counters themselves stay unreadable through the API.
create or replace function private.hit_rate_limit(p_bucket text, p_window_seconds integer)
returns table (hits integer, retry_after integer)
language sql volatile security definer
set search_path = ''
as $$
  insert into public.rate_limit_counters as c (bucket, window_start, hits)
  values (p_bucket, to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds), 1)
  on conflict (bucket, window_start) do update set hits = c.hits + 1
  returning c.hits,
            extract(epoch from c.window_start + make_interval(secs => p_window_seconds) - now())::integer
$$;
revoke execute on function private.hit_rate_limit(text, integer) from public;
grant execute on function private.hit_rate_limit(text, integer) to anon, service_role;
