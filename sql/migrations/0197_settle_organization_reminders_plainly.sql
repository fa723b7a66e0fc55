-- Why: closing an awaited action resolves its in-app reminders, but only 0131's settling for dossier
-- actions did it plainly. 0185's, for organization actions (COREP reports), pretended for one statement
-- to be the service (swapping request.jwt.claims), because the notifications guard refused the
-- `resolved` status inside a signed-in user's request; and nothing settled a conversation's action
-- (a support message answered, 0142): its reminders stayed unread after the reply.
-- Since 0196 that guard applies to Data API updates only, so one plain update settles every action
-- without a dossier, organization or conversation: the reminders its ledger sent (0131 keeps dossier
-- actions, matched through their dossier's notifications).

create or replace function private.settle_closed_organization_awaited_action() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.notifications n set status = 'resolved'
  where n.organization_id = new.organization_id and n.dossier_id is null and n.status in ('unread', 'read')
    and split_part(n.dedupe_key, ':', 1) = 'reminder'
    and split_part(n.dedupe_key, ':', 2) in (select l.id::text from public.reminder_ledger l
                                              where l.action_id = new.id);
  return null;
end
$$;

create or replace trigger awaited_actions_settle_organization_action_on_close after update of closed_at
  on public.awaited_actions
  for each row when (old.closed_at is null and new.closed_at is not null and new.dossier_id is null)
  execute function private.settle_closed_organization_awaited_action();
