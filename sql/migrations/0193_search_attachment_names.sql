-- Why: people look for "the message with the Kbis" by the file's name, and a message sent with files
-- only has no text to find (domain/MESSAGING.md "Search"). Attachment names now get their own French
-- full-text vector (accents ignored, `.`, `_` and `-` read as spaces so `releve_carburant-2026.pdf`
-- matches "relevé carburant") under a GIN index, and message search (0146) finds a message by its
-- text or by the name of one of its attachments — same rules otherwise: the caller's conversations
-- only, deleted and hidden messages excluded, filters, newest first, keyset pages on the message id.

alter table public.message_attachments
  add column if not exists search_vector tsvector
    generated always as (to_tsvector('french'::regconfig,
                                     private.unaccent_fr(regexp_replace(file_name, '[._-]+', ' ', 'g')))) stored;
create index if not exists message_attachments_search_idx on public.message_attachments using gin (search_vector);

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
      union all
      -- found by an attachment's name only (its text does not match: not listed twice)
      select m.id, m.conversation_id, m.sender_id, m.kind, m.body, m.created_at
      from public.messages m
      where m.id in (select a.message_id from public.message_attachments a
                     where a.conversation_id = any (v_conversations) and a.search_vector @@ v_query
                       and a.message_id is not null)
        and not m.search_vector @@ v_query
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
