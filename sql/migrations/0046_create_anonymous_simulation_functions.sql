-- Why: an anonymous visitor's requests ran as `service_role`, with the resume token checked in
-- Python. They now run as `anon`, and reach their draft only through these security-definer
-- functions keyed by the token's SHA-256 hash: each touches one unclaimed draft whose hash matches,
-- and nothing else. The questionnaire is public per organization (any visitor of its site may
-- answer it), so looking up an organization by slug and reading the rule set in effect are
-- functions too, usable by anyone; they expose the organization's id, name and slug, and the rule
-- set, nothing more. Only system jobs keep the service role.

create or replace function private.organization_by_key(p_key text)
returns table (id uuid, name text, slug text)
language sql stable security definer
set search_path = ''
as $$
  select o.id, o.name, o.slug from public.organizations o where o.slug = p_key or o.id::text = p_key
$$;

-- The organization's own rule set before the platform's; the latest in effect unless a version is named.
create or replace function private.rule_set_in_effect(p_organization uuid, p_version text)
returns table (id uuid, version text, organization_id uuid)
language sql stable security definer
set search_path = ''
as $$
  select r.id, r.version, r.organization_id from public.rule_sets r
  where (r.organization_id = p_organization or r.organization_id is null)
    and (r.version = p_version or (p_version is null and r.effective_from <= current_date))
  order by (r.organization_id is not null) desc, r.effective_from desc, r.published_at desc
  limit 1
$$;

-- A published rule set as one JSON document (questions and product rules), as the engine reads it.
create or replace function private.rule_set_document(p_rule_set uuid) returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'version', r.version, 'effective_from', r.effective_from, 'description', r.description,
    'questions', (select jsonb_agg(q.definition order by q.position) from public.questions q
                  where q.rule_set_id = r.id),
    'products', coalesce((
      select jsonb_agg(p.details || jsonb_build_object(
               'code', p.code, 'order', p.position, 'name', p.name, 'category', nullif(p.category, ''),
               'kind', p.kind, 'active', pr.active, 'sectors', to_jsonb(p.sectors), 'notes', nullif(p.notes, ''),
               'benefits', p.benefits, 'eligibility', pr.rule, 'formula', pr.formula) order by p.position)
      from public.product_rules pr join public.products p on p.code = pr.product_code
      where pr.rule_set_id = r.id), '[]'::jsonb)
  )
  from public.rule_sets r where r.id = p_rule_set
$$;

-- An unclaimed draft (or its completed or abandoned end) by id and token hash; locked on request.
create or replace function private.anonymous_simulation(p_simulation uuid, p_token_hash text, p_lock boolean)
returns table (
  id uuid, organization_id uuid, client_company_id uuid, rule_set_id uuid, rule_set_version text, status text,
  answers jsonb, result jsonb, total numeric, abandon_reason text, created_by uuid, created_at timestamptz,
  updated_at timestamptz, completed_at timestamptz, stale boolean
)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_lock then
    return query
      select s.id, s.organization_id, s.client_company_id, s.rule_set_id, s.rule_set_version, s.status, s.answers,
             s.result, s.total, s.abandon_reason, s.created_by, s.created_at, s.updated_at, s.completed_at,
             s.status = 'draft' and s.updated_at < now() - interval '24 hours'
      from public.simulations s
      where s.id = p_simulation and s.resume_token_hash = p_token_hash and s.client_company_id is null
      for update;
  else
    return query
      select s.id, s.organization_id, s.client_company_id, s.rule_set_id, s.rule_set_version, s.status, s.answers,
             s.result, s.total, s.abandon_reason, s.created_by, s.created_at, s.updated_at, s.completed_at,
             s.status = 'draft' and s.updated_at < now() - interval '24 hours'
      from public.simulations s
      where s.id = p_simulation and s.resume_token_hash = p_token_hash and s.client_company_id is null;
  end if;
end
$$;

-- A new anonymous draft of an organization, with a rule set that is the platform's or its own.
create or replace function private.start_anonymous_simulation(p_organization uuid, p_rule_set uuid, p_token_hash text)
returns table (
  id uuid, organization_id uuid, client_company_id uuid, rule_set_id uuid, rule_set_version text, status text,
  answers jsonb, result jsonb, total numeric, abandon_reason text, created_by uuid, created_at timestamptz,
  updated_at timestamptz, completed_at timestamptz, stale boolean
)
language sql volatile security definer
set search_path = ''
as $$
  insert into public.simulations as s (organization_id, rule_set_id, rule_set_version, resume_token_hash)
  select p_organization, r.id, r.version, p_token_hash
  from public.rule_sets r
  where r.id = p_rule_set and (r.organization_id is null or r.organization_id = p_organization)
  returning s.id, s.organization_id, s.client_company_id, s.rule_set_id, s.rule_set_version, s.status, s.answers,
            s.result, s.total, s.abandon_reason, s.created_by, s.created_at, s.updated_at, s.completed_at, false
$$;

-- Writes to an unclaimed draft; each returns whether it found the draft (the caller has locked it).
create or replace function private.save_anonymous_answers(p_simulation uuid, p_token_hash text, p_answers jsonb)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update public.simulations s set answers = p_answers
   where s.id = p_simulation and s.resume_token_hash = p_token_hash and s.client_company_id is null
     and s.status = 'draft';
  return found;
end
$$;

create or replace function private.abandon_anonymous_simulation(p_simulation uuid, p_token_hash text, p_reason text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update public.simulations s set status = 'abandoned', abandon_reason = p_reason
   where s.id = p_simulation and s.resume_token_hash = p_token_hash and s.client_company_id is null
     and s.status = 'draft';
  return found;
end
$$;

create or replace function private.complete_anonymous_simulation(p_simulation uuid, p_token_hash text, p_result jsonb)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update public.simulations s
     set status = 'completed', result = p_result, total = (p_result ->> 'total')::numeric, completed_at = now()
   where s.id = p_simulation and s.resume_token_hash = p_token_hash and s.client_company_id is null
     and s.status = 'draft';
  return found;
end
$$;

revoke execute on function private.organization_by_key(text), private.rule_set_in_effect(uuid, text),
  private.rule_set_document(uuid), private.anonymous_simulation(uuid, text, boolean),
  private.start_anonymous_simulation(uuid, uuid, text), private.save_anonymous_answers(uuid, text, jsonb),
  private.abandon_anonymous_simulation(uuid, text, text), private.complete_anonymous_simulation(uuid, text, jsonb)
  from public;
grant execute on function private.organization_by_key(text), private.rule_set_in_effect(uuid, text),
  private.rule_set_document(uuid) to anon, authenticated, service_role;
grant execute on function private.anonymous_simulation(uuid, text, boolean),
  private.start_anonymous_simulation(uuid, uuid, text), private.save_anonymous_answers(uuid, text, jsonb),
  private.abandon_anonymous_simulation(uuid, text, text), private.complete_anonymous_simulation(uuid, text, jsonb)
  to anon, service_role;
