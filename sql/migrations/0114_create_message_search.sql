-- Why: people look for "the message where the expert gave the amount" (domain/MESSAGING.md
-- "Search"). French full text with accents ignored, without contrib extensions: the same immutable
-- private.unaccent_fr as the expert search (0021, 0027) feeds a stored tsvector under a GIN index.
-- Search covers the caller's conversations only (not reported content an admin reads while
-- handling a report), excludes deleted and hidden messages, filters by conversation, dossier,
-- sender and dates, newest first with keyset pages on the message id.

alter table public.messages
  add column if not exists search_vector tsvector
    generated always as (to_tsvector('french'::regconfig, private.unaccent_fr(coalesce(body, '')))) stored;
create index if not exists messages_search_idx on public.messages using gin (search_vector);

create or replace function public.search_messages(
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
language plpgsql stable
set search_path = ''
as $$
declare
  v_query tsquery;
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
  if numnode(v_query) = 0 then
    return;  -- only stop words
  end if;
  return query
    select m.id, m.conversation_id, c.dossier_id, m.sender_id, p.display_name, m.kind, m.body, m.created_at
    from public.messages m
    join public.conversations c on c.id = m.conversation_id
    left join public.conversation_participants p on p.conversation_id = m.conversation_id and p.user_id = m.sender_id
    where m.conversation_id in (select private.my_conversation_ids())
      and m.search_vector @@ v_query
      and m.deleted_at is null and m.hidden_at is null
      and (p_conversation_id is null or m.conversation_id = p_conversation_id)
      and (p_dossier_id is null or c.dossier_id = p_dossier_id)
      and (p_sender_id is null or m.sender_id = p_sender_id)
      and (p_from is null or m.created_at >= p_from)
      and (p_to is null or m.created_at < p_to)
      and (p_before_id is null or m.id < p_before_id)
    order by m.id desc
    limit p_limit;
end
$$;
revoke execute on function public.search_messages(text, uuid, uuid, uuid, timestamptz, timestamptz, bigint, integer)
  from public, anon;
grant execute on function public.search_messages(text, uuid, uuid, uuid, timestamptz, timestamptz, bigint, integer)
  to authenticated;
