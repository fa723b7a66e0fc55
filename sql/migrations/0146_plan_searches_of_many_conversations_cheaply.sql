-- Why: after 0144 the search of a user in 2 000 conversations spent a quarter of its time planning:
-- the caller's conversation list reached the planner as a constant array of 2 000 ids, and the
-- planner estimates such a condition element by element, again for every index path it weighs (4 to
-- 10 ms a search on the benchmark's machine, more than the index scans it was choosing between).
-- Past 100 conversations the list now goes through private.opaque_uuid_array, which the planner
-- cannot fold into a constant: it is estimated as a whole and evaluated once when the index scan
-- starts; the plan is the same (the GIN index and the conversation index ANDed). A short list stays
-- a constant, for which the planner's element-by-element estimate is cheap and lets it pick the
-- conversation index alone. Same rows, same order, same errors.

-- The array given, computed at run time (plpgsql: never inlined or folded by the planner).
create or replace function private.opaque_uuid_array(p_values uuid[]) returns uuid[]
language plpgsql stable
set search_path = ''
as $$
begin
  return p_values;
end
$$;
revoke execute on function private.opaque_uuid_array(uuid[]) from public, anon, authenticated;

create or replace function private.search_messages(
  p_query text,
  p_conversation_id uuid default null,
  p_dossier_id uuid default null,
  p_sender_id uuid default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_before_id bigint default null,
  p_limit integer default 20
) returns table (id bigint, conversation_id uuid, dossier_id uuid, sender_id uuid, sender_name text, kind text,
                 body text, created_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_query tsquery;
  v_conversations uuid[];
begin
  if length(btrim(coalesce(p_query, ''))) not between 2 and 200 then
    perform private.raise_field_error('q', 'length', 'La recherche doit compter de 2 à 200 caractères.');
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    perform private.raise_field_error('limit', 'range', 'De 1 à 100 résultats par page.');
  end if;
  if p_from is not null and p_to is not null and p_from > p_to then
    perform private.raise_field_error('to', 'after_from', 'La date de fin doit suivre la date de début.');
  end if;
  v_query := websearch_to_tsquery('french'::regconfig, private.unaccent_fr(p_query));
  if numnode(v_query) = 0 or v_user is null then
    return;  -- only stop words, or nobody signed in
  end if;
  -- the caller's conversations, once (the policy of public.messages: private.my_conversation_ids())
  select array_agg(p.conversation_id) into v_conversations
  from public.conversation_participants p
  where p.user_id = v_user
    and (p_conversation_id is null or p.conversation_id = p_conversation_id)
    and (p_dossier_id is null
         or exists (select 1 from public.conversations c where c.id = p.conversation_id and c.dossier_id = p_dossier_id));
  if v_conversations is null then
    return;
  end if;
  return query
    with found as materialized (
      select m.id, m.conversation_id, m.sender_id, m.kind, m.body, m.created_at
      from public.messages m
      -- many conversations: the list is handed to the index as it is, not estimated element by element
      where m.conversation_id = any (case when cardinality(v_conversations) > 100
                                          then private.opaque_uuid_array(v_conversations)
                                          else v_conversations end)
        and m.search_vector @@ v_query
        and m.deleted_at is null and m.hidden_at is null
        and (p_sender_id is null or m.sender_id = p_sender_id)
        and (p_from is null or m.created_at >= p_from)
        and (p_to is null or m.created_at < p_to)
        and (p_before_id is null or m.id < p_before_id)
    ), page as (
      select f.* from found f order by f.id desc limit p_limit
    )
    select f.id, f.conversation_id, c.dossier_id, f.sender_id, p.display_name, f.kind, f.body, f.created_at
    from page f
    join public.conversations c on c.id = f.conversation_id
    -- (the sender's row by the primary key: compared as text, user_id does not lead the planner to
    -- the user index, which walks every conversation of a sender taking part in thousands)
    left join public.conversation_participants p
      on p.conversation_id = f.conversation_id and p.user_id::text = f.sender_id::text
    order by f.id desc;
end
$$;
revoke execute on function private.search_messages(text, uuid, uuid, uuid, timestamptz, timestamptz, bigint, integer)
  from public, anon;
grant execute on function private.search_messages(text, uuid, uuid, uuid, timestamptz, timestamptz, bigint, integer)
  to authenticated;
