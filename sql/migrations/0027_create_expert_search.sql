-- Why: the match score of MARKETPLACE.md, defined once for the database (shared/marketplace/score.py
-- is its twin for Python, held equal by a property test), and one search exposed to front ends as
-- the RPC `public.search_experts` and used by the functions: filters, accent-insensitive French
-- full text, sort by match score for a dossier or by rating, keyset pagination (`after` = the last
-- expert id of the previous page). It answers only with approved experts of an organization the
-- caller belongs to, and the private numbers (capacity, load, fee rate) only to staff or to the
-- expert themself. To stay fast with large organizations it reads `private.expert_match`, one row
-- per expert and product joining the profile, its terms and the product link, which triggers keep
-- in step with its three sources in the same transaction.

-- 1. The score, part by part (plain immutable SQL so that the planner inlines it) -----------------
create or replace function private.score_level(level text) returns integer
language sql immutable parallel safe
as $$
  select case level when 'expert' then 30 when 'avance' then 24 when 'intermediaire' then 16
                    when 'debutant' then 8 else 0 end
$$;
create or replace function private.score_sector(expert_sectors text[], client_sector text) returns integer
language sql immutable parallel safe
as $$
  select case when client_sector is not null and client_sector = any (expert_sectors) then 15
              when cardinality(expert_sectors) = 0 then 8 else 0 end
$$;
create or replace function private.score_area(expert_departements text[], client_departement text) returns integer
language sql immutable parallel safe
as $$
  select case when client_departement is not null and client_departement = any (expert_departements) then 15
              when 'national' = any (expert_departements) then 5 else 0 end
$$;
create or replace function private.score_rating(rating numeric) returns numeric
language sql immutable parallel safe
as $$
  select case when rating is null then 12::numeric else round(rating / 5 * 20, 2) end
$$;
create or replace function private.score_experience(completed integer) returns integer
language sql immutable parallel safe
as $$
  select case when completed >= 20 then 10 when completed >= 10 then 7 when completed >= 5 then 5
              when completed >= 1 then 3 else 0 end
$$;
-- 10 × (1 − open / capacity), kept within 0..10 (a forced assignment may exceed capacity).
create or replace function private.score_load(open_dossiers integer, capacity integer) returns numeric
language sql immutable parallel safe
as $$
  select case when capacity <= 0 then 0::numeric
              else round(greatest(0::numeric, least(10::numeric,
                     10 * (1 - open_dossiers::numeric / capacity))), 2) end
$$;
create or replace function private.match_total(
  level text, expert_sectors text[], expert_departements text[], rating numeric, completed integer,
  open_dossiers integer, capacity integer, client_sector text, client_departement text
) returns numeric
language sql immutable parallel safe
as $$
  select round((private.score_level(level) + private.score_sector(expert_sectors, client_sector)
                + private.score_area(expert_departements, client_departement)
                + private.score_experience(completed))::numeric
               + private.score_rating(rating) + private.score_load(open_dossiers, capacity), 2)
$$;
-- The breakdown, each part a string with two decimals (as the CLI prints it).
create or replace function private.match_parts(
  level text, expert_sectors text[], expert_departements text[], rating numeric, completed integer,
  open_dossiers integer, capacity integer, client_sector text, client_departement text
) returns jsonb
language sql immutable parallel safe
as $$
  select jsonb_build_object(
    'level', round(private.score_level(level)::numeric, 2)::text,
    'sector', round(private.score_sector(expert_sectors, client_sector)::numeric, 2)::text,
    'area', round(private.score_area(expert_departements, client_departement)::numeric, 2)::text,
    'rating', round(private.score_rating(rating), 2)::text,
    'experience', round(private.score_experience(completed)::numeric, 2)::text,
    'load', round(private.score_load(open_dossiers, capacity), 2)::text)
$$;
revoke execute on function private.score_level(text), private.score_sector(text[], text),
  private.score_area(text[], text), private.score_rating(numeric), private.score_experience(integer),
  private.score_load(integer, integer),
  private.match_total(text, text[], text[], numeric, integer, integer, integer, text, text),
  private.match_parts(text, text[], text[], numeric, integer, integer, integer, text, text) from public, anon;
grant execute on function private.score_level(text), private.score_sector(text[], text),
  private.score_area(text[], text), private.score_rating(numeric), private.score_experience(integer),
  private.score_load(integer, integer),
  private.match_total(text, text[], text[], numeric, integer, integer, integer, text, text),
  private.match_parts(text, text[], text[], numeric, integer, integer, integer, text, text)
  to authenticated, service_role;

-- 2. The match index ---------------------------------------------------------------------------
-- Full text within one organization and product: every lexeme of an expert's document is also
-- stored prefixed by a short hash of (organization, product), so that a GIN look-up returns only
-- that scope's matches instead of every organization's (a common word matches a fifth of all
-- experts). The query is prefixed the same way; the unprefixed document rechecks it exactly.
create or replace function private.search_scope(org uuid, product text) returns text
language sql immutable parallel safe
as $$
  select left(md5(org::text || '/' || product), 12) || ':'
$$;
create or replace function private.scoped_lexemes(org uuid, product text, document tsvector) returns tsvector
language sql immutable parallel safe
as $$
  select array_to_tsvector(array(select private.search_scope(org, product) || u.lexeme from unnest(document) as u))
$$;
create or replace function private.scoped_query(org uuid, product text, query tsquery) returns tsquery
language sql immutable parallel safe
as $$
  select regexp_replace(query::text, '''((?:[^'']|'''')*)''', '''' || private.search_scope(org, product) || '\1''',
                        'g')::tsquery
$$;
revoke execute on function private.search_scope(uuid, text), private.scoped_lexemes(uuid, text, tsvector),
  private.scoped_query(uuid, text, tsquery) from public, anon, authenticated;

create table if not exists private.expert_match (
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  product_code text not null,
  organization_id uuid not null,
  level text not null,
  link_active boolean not null,
  approved boolean not null,
  active boolean not null,
  sectors text[] not null,
  departements text[] not null,
  languages text[] not null,
  rating numeric(2, 1),
  completed_dossiers integer not null,
  open_dossiers integer not null,
  capacity integer not null,
  last_assigned_at timestamptz,
  recent_assignments timestamptz[] not null,
  -- The parts that do not depend on the client (level, rating, experience, load), in cents: a
  -- ranking adds the sector and area parts in integer arithmetic, exact to the cent.
  scoped_vector tsvector not null,
  base_cents integer generated always as (
    ((private.score_level(level) + private.score_experience(completed_dossiers))::numeric * 100
     + private.score_rating(rating) * 100 + private.score_load(open_dossiers, capacity) * 100)::integer) stored,
  primary key (expert_id, product_code)
);
-- Ranking an organization's experts for a product reads this index only (no heap visit).
create index if not exists expert_match_rank_idx
  on private.expert_match (organization_id, product_code, base_cents desc)
  include (expert_id, active, open_dossiers, capacity, rating, sectors, departements, languages)
  where approved and link_active;
create index if not exists expert_match_search_idx on private.expert_match using gin (scoped_vector);
alter table private.expert_match enable row level security;
revoke all on private.expert_match from public, anon, authenticated;

create or replace function private.refresh_expert_match(p_expert uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  delete from private.expert_match m
  where m.expert_id = p_expert
    and not exists (select 1 from public.expert_products ep
                    where ep.expert_id = p_expert and ep.product_code = m.product_code);
  insert into private.expert_match as m (expert_id, product_code, organization_id, level, link_active, approved,
                                         active, sectors, departements, languages, rating, completed_dossiers,
                                         open_dossiers, capacity, last_assigned_at, recent_assignments, scoped_vector)
  select ep.expert_id, ep.product_code, p.organization_id, ep.level, ep.active, p.approval_status = 'approved',
         p.activity = 'active', p.sectors, p.departements, p.languages, p.rating, t.completed_dossiers,
         t.open_dossiers, t.capacity, t.last_assigned_at, t.recent_assignments,
         private.scoped_lexemes(p.organization_id, ep.product_code, p.search_vector)
  from public.expert_products ep
  join public.expert_profiles p on p.id = ep.expert_id
  join public.expert_terms t on t.expert_id = ep.expert_id
  where ep.expert_id = p_expert
  on conflict (expert_id, product_code) do update
  set organization_id = excluded.organization_id, level = excluded.level, link_active = excluded.link_active,
      approved = excluded.approved, active = excluded.active, sectors = excluded.sectors,
      departements = excluded.departements, languages = excluded.languages, rating = excluded.rating,
      completed_dossiers = excluded.completed_dossiers, open_dossiers = excluded.open_dossiers,
      capacity = excluded.capacity, last_assigned_at = excluded.last_assigned_at,
      recent_assignments = excluded.recent_assignments, scoped_vector = excluded.scoped_vector;
end
$$;
revoke execute on function private.refresh_expert_match(uuid) from public, anon, authenticated;

create or replace function private.refresh_expert_match_trigger() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'expert_profiles' then
    perform private.refresh_expert_match(new.id);
  elsif tg_op = 'DELETE' then
    perform private.refresh_expert_match(old.expert_id);
  else
    perform private.refresh_expert_match(new.expert_id);
  end if;
  return null;
end
$$;
revoke execute on function private.refresh_expert_match_trigger() from public, anon;
create or replace trigger expert_products_refresh_match after insert or update or delete on public.expert_products
  for each row execute function private.refresh_expert_match_trigger();
create or replace trigger expert_profiles_refresh_match after update on public.expert_profiles
  for each row when ((old.approval_status, old.activity, old.sectors, old.departements, old.languages, old.rating,
                      old.search_vector)
                     is distinct from (new.approval_status, new.activity, new.sectors, new.departements,
                                       new.languages, new.rating, new.search_vector))
  execute function private.refresh_expert_match_trigger();
create or replace trigger expert_terms_refresh_match after update on public.expert_terms
  for each row when ((old.open_dossiers, old.completed_dossiers, old.capacity, old.last_assigned_at)
                     is distinct from (new.open_dossiers, new.completed_dossiers, new.capacity, new.last_assigned_at))
  execute function private.refresh_expert_match_trigger();

insert into private.expert_match (expert_id, product_code, organization_id, level, link_active, approved, active,
                                  sectors, departements, languages, rating, completed_dossiers, open_dossiers,
                                  capacity, last_assigned_at, recent_assignments, scoped_vector)
select ep.expert_id, ep.product_code, p.organization_id, ep.level, ep.active, p.approval_status = 'approved',
       p.activity = 'active', p.sectors, p.departements, p.languages, p.rating, t.completed_dossiers,
       t.open_dossiers, t.capacity, t.last_assigned_at, t.recent_assignments,
         private.scoped_lexemes(p.organization_id, ep.product_code, p.search_vector)
from public.expert_products ep
join public.expert_profiles p on p.id = ep.expert_id
join public.expert_terms t on t.expert_id = ep.expert_id
on conflict do nothing;

-- 3. Ranking ------------------------------------------------------------------------------------
-- Experts qualified for a product, best match first (ties: fewer assignments in the last 30 days,
-- then the longest since the last assignment, then the smaller id), after the expert `p_after`.
-- Built as dynamic SQL so that each call is planned with only the filters it uses.
create or replace function private.ranked_experts(
  p_org uuid, p_product text, p_client_sector text, p_client_departement text,
  p_eligible_only boolean default false, p_exclude uuid[] default null, p_q text default null,
  p_sector text default null, p_departement text default null, p_min_rating numeric default null,
  p_language text default null, p_available_now boolean default false, p_has_capacity boolean default false,
  p_after uuid default null, p_limit integer default 20
) returns table (expert_id uuid, total numeric, parts jsonb, recent integer, last_assigned_at timestamptz)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  since timestamptz := now() - interval '30 days';
  tsq tsquery := case when numnode(websearch_to_tsquery('french'::regconfig, private.unaccent_fr(p_q))) > 0
                      then websearch_to_tsquery('french'::regconfig, private.unaccent_fr(p_q)) end;
  filters text := '';
  scope text := 'm.organization_id = $1 and m.product_code = $2';
  after_cents integer;
  after_recent integer;
  after_last timestamptz;
  scored text;
  query text;
begin
  if p_eligible_only then
    filters := filters || ' and m.active and m.open_dossiers < m.capacity';
  end if;
  if p_eligible_only or p_available_now then
    filters := filters || ' and m.active and m.expert_id not in (select a.expert_id from public.expert_absences a'
      || ' where a.organization_id = $1 and a.starts_at <= now() and a.ends_at > now())';
  end if;
  if p_has_capacity then filters := filters || ' and m.open_dossiers < m.capacity'; end if;
  if p_exclude is not null then filters := filters || ' and m.expert_id <> all ($5)'; end if;
  if tsq is not null then
    -- The scoped look-up already stays within the organization and product, so the (organization,
    -- product) test is written `is true` to keep the planner from AND-ing a second, redundant
    -- bitmap; the plain document rechecks what the scoped one cannot (phrase operators).
    scope := '(m.organization_id = $1 and m.product_code = $2) is true and m.scoped_vector @@ $17';
    if strpos(tsq::text, '<') > 0 then
      filters := filters || ' and exists (select 1 from public.expert_profiles x'
        || ' where x.id = m.expert_id and x.search_vector @@ $6)';
    end if;
  end if;
  if p_sector is not null then
    filters := filters || ' and ($7 = any (m.sectors) or cardinality(m.sectors) = 0)';
  end if;
  if p_departement is not null then
    filters := filters || ' and ($8 = any (m.departements) or ''national'' = any (m.departements))';
  end if;
  if p_min_rating is not null then filters := filters || ' and m.rating >= $9'; end if;
  if p_language is not null then filters := filters || ' and $10 = any (m.languages)'; end if;

  -- Ranked on index columns only (total in cents); the page's rows are read afterwards.
  scored := 'select m.expert_id, m.base_cents + 100 * private.score_sector(m.sectors, $3)'
    || ' + 100 * private.score_area(m.departements, $4) as cents from private.expert_match m'
    || ' where ' || scope || ' and m.approved and m.link_active' || filters;
  if p_after is null then
    query := 'with s as (' || scored || '), page as (select * from s order by s.cents desc'
      || ' fetch first $16 rows with ties)';
  else
    select m.base_cents + 100 * private.score_sector(m.sectors, p_client_sector)
             + 100 * private.score_area(m.departements, p_client_departement),
           private.count_recent(m.recent_assignments, since), m.last_assigned_at
    into after_cents, after_recent, after_last
    from private.expert_match m where m.expert_id = p_after and m.product_code = p_product and m.organization_id = p_org;
    if not found then
      raise exception 'unknown cursor' using errcode = 'PT422', hint = 'invalid_cursor';
    end if;
    query := 'with s as materialized (' || scored || '), page as ('
      || ' (select * from s where s.cents = $12)'
      || ' union all (select * from s where s.cents < $12 order by s.cents desc fetch first $16 rows with ties))';
  end if;
  query := query || ' select m.expert_id, round(p.cents::numeric / 100, 2),'
    || ' private.match_parts(m.level, m.sectors, m.departements, m.rating, m.completed_dossiers, m.open_dossiers,'
    || ' m.capacity, $3, $4), r.recent, m.last_assigned_at'
    || ' from page p join private.expert_match m on m.expert_id = p.expert_id and m.product_code = $2'
    || ' cross join lateral (select private.count_recent(m.recent_assignments, $11) as recent) r';
  if p_after is not null then
    query := query || ' where (-p.cents, r.recent, coalesce(m.last_assigned_at, ''-infinity''), m.expert_id)'
      || ' > (-$12, $13, coalesce($14, ''-infinity''::timestamptz), $15)';
  end if;
  query := query || ' order by p.cents desc, r.recent, m.last_assigned_at nulls first, m.expert_id limit $16';
  return query execute query
    using p_org, p_product, p_client_sector, p_client_departement, p_exclude, tsq, p_sector, p_departement,
          p_min_rating, p_language, since, after_cents, after_recent, after_last, p_after, p_limit,
          private.scoped_query(p_org, p_product, tsq);
end
$$;
revoke execute on function private.ranked_experts(uuid, text, text, text, boolean, uuid[], text, text, text, numeric,
  text, boolean, boolean, uuid, integer) from public, anon, authenticated;

-- Approved experts of an organization by rating (best first, then most reviewed, then id).
create or replace function private.rated_experts(
  p_org uuid, p_product text default null, p_eligible_only boolean default false, p_exclude uuid[] default null,
  p_q text default null, p_sector text default null, p_departement text default null,
  p_min_rating numeric default null, p_language text default null, p_available_now boolean default false,
  p_has_capacity boolean default false, p_after uuid default null, p_limit integer default 20
) returns table (expert_id uuid)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  tsq tsquery := case when numnode(websearch_to_tsquery('french'::regconfig, private.unaccent_fr(p_q))) > 0
                      then websearch_to_tsquery('french'::regconfig, private.unaccent_fr(p_q)) end;
  filters text := '';
  after_rating numeric;
  after_reviews integer;
  query text;
begin
  if p_product is not null then
    filters := filters || ' and exists (select 1 from public.expert_products ep where ep.expert_id = p.id'
      || ' and ep.product_code = $2 and ep.active)';
  end if;
  if p_eligible_only or p_available_now then
    filters := filters || ' and p.activity = ''active'' and not exists (select 1 from public.expert_absences a'
      || ' where a.expert_id = p.id and a.starts_at <= now() and a.ends_at > now())';
  end if;
  if p_eligible_only or p_has_capacity then
    filters := filters || ' and exists (select 1 from public.expert_terms t where t.expert_id = p.id'
      || ' and t.open_dossiers < t.capacity)';
  end if;
  if p_exclude is not null then filters := filters || ' and p.id <> all ($12)'; end if;
  if tsq is not null then filters := filters || ' and p.search_vector @@ $3'; end if;
  if p_sector is not null then
    filters := filters || ' and ($4 = any (p.sectors) or cardinality(p.sectors) = 0)';
  end if;
  if p_departement is not null then
    filters := filters || ' and ($5 = any (p.departements) or ''national'' = any (p.departements))';
  end if;
  if p_min_rating is not null then filters := filters || ' and p.rating >= $6'; end if;
  if p_language is not null then filters := filters || ' and $7 = any (p.languages)'; end if;
  if p_after is not null then
    select e.rating, e.review_count into after_rating, after_reviews
    from public.expert_profiles e where e.id = p_after and e.organization_id = p_org;
    if not found then
      raise exception 'unknown cursor' using errcode = 'PT422', hint = 'invalid_cursor';
    end if;
    filters := filters || ' and (case when $8::numeric is null then p.rating is null'
      || ' and (p.review_count < $9 or (p.review_count = $9 and p.id > $10))'
      || ' else p.rating < $8 or p.rating is null'
      || ' or (p.rating = $8 and (p.review_count < $9 or (p.review_count = $9 and p.id > $10))) end)';
  end if;
  query := 'select p.id from public.expert_profiles p where p.organization_id = $1 and p.approval_status = ''approved'''
    || filters || ' order by p.rating desc nulls last, p.review_count desc, p.id limit $11';
  return query execute query
    using p_org, p_product, tsq, p_sector, p_departement, p_min_rating, p_language, after_rating, after_reviews,
          p_after, p_limit, p_exclude;
end
$$;
revoke execute on function private.rated_experts(uuid, text, boolean, uuid[], text, text, text, numeric, text, boolean,
  boolean, uuid, integer) from public, anon, authenticated;

-- 4. The search, for front ends (RPC) and functions ---------------------------------------------
-- Whether the caller follows a dossier: staff of its organization, its clients and partner, its expert.
create or replace function private.can_follow_dossier(p_dossier uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.dossiers d
    where d.id = p_dossier
      and (private.has_role(d.organization_id, array['owner', 'admin', 'viewer'])
           or d.client_company_id in (select private.my_client_company_ids())
           or d.client_company_id in (select private.my_partner_company_ids())
           or d.expert_id in (select private.my_expert_profile_ids()))
  )
$$;
revoke execute on function private.can_follow_dossier(uuid) from public, anon;
grant execute on function private.can_follow_dossier(uuid) to authenticated, service_role;

-- Refuses a dossier the caller does not follow: 403 to a member of its organization (their role
-- does not allow it), 404 to anyone else, whether it exists elsewhere or not at all.
create or replace function private.require_followed_dossier(p_dossier uuid) returns void
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if private.can_follow_dossier(p_dossier) then
    return;
  elsif exists (select 1 from public.dossiers d where d.id = p_dossier and private.is_member(d.organization_id)) then
    raise exception 'your role does not give access to this dossier' using errcode = 'PT403', hint = 'forbidden';
  end if;
  raise exception 'no such dossier' using errcode = 'PT404', hint = 'dossier_not_found';
end
$$;
revoke execute on function private.require_followed_dossier(uuid) from public, anon;
grant execute on function private.require_followed_dossier(uuid) to authenticated, service_role;

create or replace function private.search_experts(
  p_organization uuid, p_q text, p_product text, p_sector text, p_departement text, p_min_rating numeric,
  p_language text, p_available_now boolean, p_has_capacity boolean, p_dossier uuid, p_eligible_only boolean,
  p_sort text, p_after uuid, p_page_size integer
) returns table (
  expert_id uuid, organization_id uuid, display_name text, company_name text, description text,
  certifications text[], sectors text[], departements text[], languages text[], time_zone text,
  working_hours jsonb, rating numeric, review_count integer, products jsonb, available_now boolean,
  has_capacity boolean, score numeric, score_parts jsonb, capacity integer, open_dossiers integer,
  completed_dossiers integer, fee_rate numeric
)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := (select auth.uid());
  service boolean := current_setting('role') = 'service_role';
  org uuid := p_organization;
  product text := p_product;
  client record;
  sort text := coalesce(p_sort, case when p_dossier is null then 'rating' else 'score' end);
  page_size integer := coalesce(p_page_size, 20);
  staff boolean;
  orgs uuid[];
  tried uuid[];
  ids uuid[];
  totals numeric[];
  parts jsonb[];
begin
  if page_size not between 1 and 100 then
    raise exception 'page_size is between 1 and 100' using errcode = 'PT422', hint = 'invalid_page_size';
  end if;
  if sort not in ('score', 'rating') then
    raise exception 'sort is score or rating' using errcode = 'PT422', hint = 'invalid_sort';
  end if;
  if p_dossier is not null then
    if not service then
      perform private.require_followed_dossier(p_dossier);
    end if;
    select d.organization_id, d.product_code, c.sector, c.departement into client
    from public.dossiers d join public.client_companies c on c.id = d.client_company_id where d.id = p_dossier;
    if org is not null and org <> client.organization_id then
      raise exception 'the dossier belongs to another organization' using errcode = 'PT422', hint = 'organization_mismatch';
    end if;
    org := client.organization_id;
    product := client.product_code;
  elsif sort = 'score' then
    raise exception 'sorting by match score needs a dossier' using errcode = 'PT422', hint = 'dossier_required';
  elsif org is null and not service then
    select array_agg(distinct x.organization_id) into orgs from public.memberships x where x.user_id = uid;
    if cardinality(orgs) > 1 then
      raise exception 'choose an organization' using errcode = 'PT422', hint = 'organization_required';
    end if;
    org := orgs[1];
  end if;
  if org is null or not (service or private.is_member(org)) then
    return;
  end if;
  staff := service or private.has_role(org, array['owner', 'admin', 'viewer']);

  if p_eligible_only and p_dossier is not null then
    -- Experts who already declined this dossier or let its offer expire are not proposed again.
    select array_agg(distinct o.expert_id) into tried from public.assignment_offers o
    where o.dossier_id = p_dossier and o.status in ('declined', 'expired');
  end if;
  if sort = 'score' then
    select array_agg(r.expert_id order by r.n), array_agg(r.total order by r.n), array_agg(r.parts order by r.n)
    into ids, totals, parts
    from private.ranked_experts(org, product, client.sector, client.departement, p_eligible_only, tried, p_q, p_sector,
                                p_departement, p_min_rating, p_language, p_available_now, p_has_capacity, p_after,
                                page_size) with ordinality as r(expert_id, total, parts, recent, last_at, n);
  else
    select array_agg(r.expert_id order by r.n) into ids
    from private.rated_experts(org, product, p_eligible_only, tried, p_q, p_sector, p_departement, p_min_rating,
                               p_language, p_available_now, p_has_capacity, p_after, page_size)
         with ordinality as r(expert_id, n);
    if p_dossier is not null then
      select array_agg(private.match_total(m.level, m.sectors, m.departements, m.rating, m.completed_dossiers,
                                           m.open_dossiers, m.capacity, client.sector, client.departement)
                       order by i.n),
             array_agg(private.match_parts(m.level, m.sectors, m.departements, m.rating, m.completed_dossiers,
                                           m.open_dossiers, m.capacity, client.sector, client.departement)
                       order by i.n)
      into totals, parts
      from unnest(ids) with ordinality as i(id, n)
      left join private.expert_match m on m.expert_id = i.id and m.product_code = product;
    end if;
  end if;

  return query
  select p.id, p.organization_id, p.display_name, p.company_name, p.description, p.certifications, p.sectors,
         p.departements, p.languages, p.time_zone, p.working_hours, p.rating, p.review_count,
         coalesce((select jsonb_agg(jsonb_build_object('code', ep.product_code, 'level', ep.level)
                                    order by ep.product_code)
                   from public.expert_products ep where ep.expert_id = p.id and ep.active), '[]'::jsonb),
         p.activity = 'active' and not exists (select 1 from public.expert_absences a where a.expert_id = p.id
                                                 and a.starts_at <= now() and a.ends_at > now()),
         t.open_dossiers < t.capacity, page.total, page.parts,
         case when staff or p.user_id = uid then t.capacity end,
         case when staff or p.user_id = uid then t.open_dossiers end,
         case when staff or p.user_id = uid then t.completed_dossiers end,
         case when staff or p.user_id = uid then t.fee_rate end
  from unnest(ids, totals, parts) with ordinality as page(id, total, parts, n)
  join public.expert_profiles p on p.id = page.id
  join public.expert_terms t on t.expert_id = p.id
  order by page.n;
end
$$;
revoke execute on function private.search_experts(uuid, text, text, text, text, numeric, text, boolean, boolean, uuid,
  boolean, text, uuid, integer) from public, anon;
grant execute on function private.search_experts(uuid, text, text, text, text, numeric, text, boolean, boolean, uuid,
  boolean, text, uuid, integer) to authenticated, service_role;

-- The RPC front ends call (POST /rest/v1/rpc/search_experts). Security invoker: the checks above run
-- with the caller's identity; anonymous callers cannot execute it at all.
create or replace function public.search_experts(
  organization_id uuid default null, q text default null, product text default null, sector text default null,
  departement text default null, min_rating numeric default null, language text default null,
  available_now boolean default false, has_capacity boolean default false, dossier_id uuid default null,
  eligible_only boolean default false, sort text default null, after uuid default null,
  page_size integer default 20
) returns table (
  expert_id uuid, organization_id uuid, display_name text, company_name text, description text,
  certifications text[], sectors text[], departements text[], languages text[], time_zone text,
  working_hours jsonb, rating numeric, review_count integer, products jsonb, available_now boolean,
  has_capacity boolean, score numeric, score_parts jsonb, capacity integer, open_dossiers integer,
  completed_dossiers integer, fee_rate numeric
)
language sql stable
set search_path = ''
as $$
  select * from private.search_experts($1, $2, $3, $4, $5, $6, $7, coalesce($8, false), coalesce($9, false), $10,
                                       coalesce($11, false), $12, $13, $14)
$$;
revoke execute on function public.search_experts(uuid, text, text, text, text, numeric, text, boolean, boolean, uuid,
  boolean, text, uuid, integer) from public, anon;
grant execute on function public.search_experts(uuid, text, text, text, text, numeric, text, boolean, boolean, uuid,
  boolean, text, uuid, integer) to authenticated, service_role;
