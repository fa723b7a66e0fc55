-- Why: the marketplace needs expert profiles it can trust and search. Sectors, languages, time zone
-- and working hours are validated whatever the path (PostgREST or functions); approval follows a
-- fixed life cycle (pending → approved | rejected, approved ⇄ suspended, rejected → approved) and a
-- rejection carries its reason. Name, company, description and certifications feed a French
-- full-text column that ignores accents without any contrib extension (a translate()-based
-- unaccent, immutable, so the tsvector can be a stored generated column under a GIN index).

-- Lower case without accents or ligatures; translate() covers both cases since the cluster may
-- run with the C locale, where lower() leaves non-ASCII letters alone.
create or replace function private.unaccent_fr(value text) returns text
language sql immutable parallel safe
as $$
  select replace(replace(replace(replace(replace(replace(lower(translate(coalesce(value, ''),
    'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝŸýÿ’‘',
    'aaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooouuuuuuuuyyyy''''')),
    'œ', 'oe'), 'Œ', 'oe'), 'æ', 'ae'), 'Æ', 'ae'), 'ß', 'ss'), '''', ' ')
$$;
revoke execute on function private.unaccent_fr(text) from public, anon;
grant execute on function private.unaccent_fr(text) to authenticated, service_role;

create or replace function private.join_words(words text[]) returns text
language sql immutable parallel safe
as $$
  select coalesce(string_agg(w, ' '), '') from unnest(words) as w
$$;
revoke execute on function private.join_words(text[]) from public, anon;
grant execute on function private.join_words(text[]) to authenticated, service_role;

-- Every element of an array matches a pattern (true for an empty array).
create or replace function private.all_match(items text[], pattern text) returns boolean
language sql immutable parallel safe
as $$
  select coalesce(bool_and(i ~ pattern), true) from unnest(items) as i
$$;
revoke execute on function private.all_match(text[], text) from public, anon;
grant execute on function private.all_match(text[], text) to authenticated, service_role;

alter table public.expert_profiles
  add constraint expert_profiles_sectors_known check (sectors <@ array[
    'Transport et Logistique', 'Commerce et Distribution', 'Industrie et Fabrication',
    'Services aux Entreprises', 'BTP et Construction', 'Restauration et Hôtellerie',
    'Santé et Services Sociaux', 'Agriculture et Agroalimentaire', 'Services à la Personne',
    'Autre secteur']::text[]) not valid,
  add constraint expert_profiles_languages_iso check (
    cardinality(languages) between 1 and 20 and private.all_match(languages, '^[a-z]{2}$')) not valid,
  add constraint expert_profiles_working_hours_object check (jsonb_typeof(working_hours) = 'object') not valid,
  add constraint expert_profiles_description_length check (length(description) <= 5000) not valid,
  add constraint expert_profiles_rejection_has_reason check (
    approval_status <> 'rejected' or length(btrim(coalesce(approval_reason, ''))) > 0) not valid;

-- Working hours: {"mon": [["09:00", "12:30"], ["14:00", "18:00"]], ...}; the time zone must exist.
create or replace function private.check_expert_profile() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  day text;
  slot jsonb;
begin
  perform now() at time zone new.time_zone;
  for day, slot in select key, value from jsonb_each(new.working_hours) loop
    if day not in ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun') or jsonb_typeof(slot) <> 'array' then
      raise exception 'working_hours: days are mon..sun, each a list of ["HH:MM", "HH:MM"] slots'
        using errcode = '23514', hint = 'working_hours';
    end if;
    if exists (select 1 from jsonb_array_elements(slot) s
               where jsonb_typeof(s) <> 'array' or jsonb_array_length(s) <> 2
                  or coalesce(s ->> 0, '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
                  or coalesce(s ->> 1, '') !~ '^([01][0-9]|2[0-4]):[0-5][0-9]$'
                  or s ->> 0 >= s ->> 1) then
      raise exception 'working_hours: each slot is ["HH:MM", "HH:MM"] with start < end'
        using errcode = '23514', hint = 'working_hours';
    end if;
  end loop;
  if tg_op = 'UPDATE' and new.approval_status is distinct from old.approval_status then
    if (old.approval_status, new.approval_status) not in (
        ('pending', 'approved'), ('pending', 'rejected'), ('rejected', 'approved'),
        ('approved', 'suspended'), ('suspended', 'approved')) then
      raise exception 'an expert cannot go from % to %', old.approval_status, new.approval_status
        using errcode = 'PT409', hint = 'invalid_transition';
    end if;
    if new.approval_status = 'approved' and old.approval_status in ('pending', 'rejected') then
      new.approved_at := now();
    end if;
  end if;
  return new;
exception
  when invalid_parameter_value then
    raise exception 'unknown time zone %', new.time_zone using errcode = '23514', hint = 'time_zone';
end
$$;
revoke execute on function private.check_expert_profile() from public, anon;
grant execute on function private.check_expert_profile() to authenticated, service_role;
create or replace trigger expert_profiles_check before insert or update on public.expert_profiles
  for each row execute function private.check_expert_profile();

alter table public.expert_profiles add column if not exists search_vector tsvector
  generated always as (
    setweight(to_tsvector('french'::regconfig, private.unaccent_fr(display_name || ' ' || company_name)), 'A')
    || setweight(to_tsvector('french'::regconfig,
         private.unaccent_fr(description || ' ' || private.join_words(certifications))), 'B')
  ) stored;
create index if not exists expert_profiles_search_idx on public.expert_profiles using gin (search_vector);
-- Browsing approved experts of an organization by rating (the default sort).
create index if not exists expert_profiles_rating_idx
  on public.expert_profiles (organization_id, rating desc nulls last, review_count desc, id)
  where approval_status = 'approved';
