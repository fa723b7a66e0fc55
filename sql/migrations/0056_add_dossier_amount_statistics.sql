-- Why: the dossier list filters on an amount range over "the dossier's amount"
-- (coalesce(audited_amount, estimated_amount)). Without statistics on that expression PostgreSQL
-- guesses a tiny share of rows, and with a million dossiers it then joins and sorts tens of
-- thousands of rows instead of walking the keyset index for a page of 50 (seconds instead of
-- milliseconds, measured by bench/bench_dossiers.py). Expression statistics give it the real
-- distribution; ANALYZE (autovacuum later) fills them.
create statistics if not exists public.dossiers_amount_stats on (coalesce(audited_amount, estimated_amount))
  from public.dossiers;
analyze public.dossiers;
