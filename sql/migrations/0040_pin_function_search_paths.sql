-- Why: SQL helpers without a fixed search_path (Supabase's linter: WARN function_search_path_mutable;
-- issue 9 item 5) resolve unqualified names through their caller's search_path. The helpers below
-- now run with an empty one; their bodies already name everything by schema (pg_catalog is always
-- searched first).
--
-- Twelve helpers deliberately keep no `set` clause: a `set` clause stops the planner from inlining
-- a SQL function, and these are evaluated for every candidate row of the expert search and ranking
-- (match-score parts, recent-assignment counts, the scoped full-text lexemes and query, accent
-- folding). Measured on the marketplace benchmark (100 000 experts, 1 000 000 dossiers, a busy
-- 2-core machine, 500 timed calls each) with every helper pinned, candidates p95 went from 26 ms to
-- 141 ms and search p95 from 39 ms to 56 ms; pinning only the helpers below gave 31 ms and 28 ms,
-- within noise of the unpinned figures. Inlining is also what lets the index expressions built on
-- them match the queries. They stay safe: immutable, `language sql`, not security definer, every
-- name schema-qualified or from pg_catalog, only ever called from our functions that pin their own
-- search_path (inlined code is parsed with the caller's). Each carries a comment saying so, which
-- tests/integration/test_lints.py requires of any function without a fixed search_path.
alter function private.add_counts(jsonb, jsonb) set search_path = '';
alter function private.all_match(text[], text) set search_path = '';
alter function private.dossier_is_closed(text) set search_path = '';
alter function private.dossier_is_completed(text) set search_path = '';
alter function private.dossier_is_finished(text) set search_path = '';
alter function private.dossier_is_matchable(text) set search_path = '';
alter function private.match_parts(text, text[], text[], numeric, integer, integer, integer, text, text)
  set search_path = '';
alter function private.match_total(text, text[], text[], numeric, integer, integer, integer, text, text)
  set search_path = '';
alter function private.matching_status(text) set search_path = '';

comment on function private.score_level(text) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.score_sector(text[], text) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.score_area(text[], text) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.score_rating(numeric) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.score_experience(integer) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.score_load(integer, integer) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.count_recent(timestamp with time zone[], timestamp with time zone) is
  'Inlined on purpose (no fixed search_path): evaluated per candidate row by the expert ranking; see migration 0040.';
comment on function private.search_scope(uuid, text) is
  'Inlined on purpose (no fixed search_path): part of the scoped full-text index expressions; see migration 0040.';
comment on function private.scoped_lexemes(uuid, text, tsvector) is
  'Inlined on purpose (no fixed search_path): part of the scoped full-text index expressions; see migration 0040.';
comment on function private.scoped_query(uuid, text, tsquery) is
  'Inlined on purpose (no fixed search_path): matches the scoped full-text index expressions; see migration 0040.';
comment on function private.unaccent_fr(text) is
  'Inlined on purpose (no fixed search_path): part of the expert search document expression; see migration 0040.';
comment on function private.join_words(text[]) is
  'Inlined on purpose (no fixed search_path): part of the expert search document expression; see migration 0040.';
