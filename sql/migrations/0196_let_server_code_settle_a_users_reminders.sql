-- Why: the late party's own command could not end the wait it was reminded about. When an expert,
-- reminded in-app that an audit is late, completed it (or a client uploaded what was asked of them),
-- the command closed the awaited action, whose trigger (0131) marks the action's in-app reminders
-- `resolved`; the notifications guard (0103) refused that status because the request was a signed-in
-- user's (auth.role() = 'authenticated'), and the whole command failed with a 422.
-- The guard is for what a user changes through the Data API. It now applies when the statement runs
-- as the `authenticated` or `anon` role, as the messages guard does, and not when server code (a
-- security-definer function, running as its owner) changes a notification for them. Through the Data
-- API a user still only marks their notifications read, unread or archived.

create or replace function private.guard_notification_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') then
    if old.status in ('replaced', 'resolved') or new.status not in ('unread', 'read', 'archived') then
      raise exception 'a notification can only be marked read, unread or archived'
        using errcode = 'PT422', hint = 'validation_failed',
              detail = '{"field": "status", "rule": "one_of_unread_read_archived"}';
    end if;
    if (new.recipient_id, new.organization_id, new.event, new.dossier_id, new.title, new.body, new.link,
        new.priority, new.dedupe_key, new.created_at)
       is distinct from
       (old.recipient_id, old.organization_id, old.event, old.dossier_id, old.title, old.body, old.link,
        old.priority, old.dedupe_key, old.created_at) then
      raise exception 'only the status of a notification can change' using errcode = 'PT403', hint = 'forbidden';
    end if;
  end if;
  new.read_at := case when new.status = 'unread' then null else coalesce(old.read_at, now()) end;
  new.archived_at := case when new.status = 'archived' then coalesce(old.archived_at, now()) end;
  return new;
end
$$;
