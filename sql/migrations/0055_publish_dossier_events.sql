-- Why: participants follow a dossier live (WORKFLOW.md, Timeline). Each new timeline event is
-- broadcast from the database (realtime.send, Supabase's Broadcast from the Database) on private
-- topics `dossier:<id>:<audience>` — one per audience that may see it (staff, expert, client,
-- partner) — and a participant may join only the topics of its own audiences, so nobody receives an
-- event not meant for it. The table is also in the `supabase_realtime` publication for Postgres
-- Changes, where Realtime checks the same RLS policy per subscriber.

create or replace function private.broadcast_dossier_event() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_audience text;
begin
  foreach v_audience in array case new.visibility
      when 'partner' then array['staff', 'expert', 'client', 'partner']
      when 'client' then array['staff', 'expert', 'client']
      when 'expert' then array['staff', 'expert']
      else array['staff'] end
  loop
    perform realtime.send(
      jsonb_build_object('id', new.id, 'dossier_id', new.dossier_id, 'type', new.type, 'command', new.command,
                         'from_status', new.from_status, 'to_status', new.to_status, 'actor_role', new.actor_role,
                         'actor_name', new.actor_name, 'title_fr', new.title_fr, 'title_en', new.title_en,
                         'details', new.details, 'visibility', new.visibility, 'created_at', new.created_at),
      'dossier_event', 'dossier:' || new.dossier_id || ':' || v_audience, true);
  end loop;
  return null;
end
$$;
revoke execute on function private.broadcast_dossier_event() from public, anon, authenticated;
create or replace trigger dossier_events_broadcast after insert on public.dossier_events
  for each row execute function private.broadcast_dossier_event();

-- Who may receive a private Realtime topic. One function for every topic family of the platform
-- (add a branch for a new family): today `dossier:<uuid>:<audience>`.
create or replace function private.may_receive_topic(p_topic text) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_parts text[] := string_to_array(p_topic, ':');
  v_dossier uuid;
begin
  if v_parts[1] = 'dossier' and cardinality(v_parts) = 3
     and v_parts[2] ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_dossier := v_parts[2]::uuid;
    return v_parts[3] = any (private.my_event_audience(v_dossier));
  end if;
  return false;
end
$$;
revoke execute on function private.may_receive_topic(text) from public, anon;
grant execute on function private.may_receive_topic(text) to authenticated, service_role;

drop policy if exists "Participants receive the private topics meant for them" on realtime.messages;
create policy "Participants receive the private topics meant for them" on realtime.messages
  for select to authenticated
  using (extension = 'broadcast' and private.may_receive_topic(topic));

do $$
begin
  if not exists (select 1 from pg_publication_tables
                 where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'dossier_events') then
    alter publication supabase_realtime add table public.dossier_events;
  end if;
end
$$;
