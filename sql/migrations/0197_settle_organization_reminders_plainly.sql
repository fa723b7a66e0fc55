-- Why: 0185 resolved an organization action's in-app reminders while pretending, for one statement,
-- to be the service (swapping request.jwt.claims), because the notifications guard refused the
-- `resolved` status inside a signed-in user's request. Since 0196 that guard applies to Data API
-- updates only, so the settling is one plain update, as 0131's for dossier actions. Same rows.

create or replace function private.settle_closed_organization_awaited_action() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.notifications n set status = 'resolved'
  where n.organization_id = new.organization_id and n.dossier_id is null and n.status in ('unread', 'read')
    and n.event in ('report_due', 'action_due_soon')
    and split_part(n.dedupe_key, ':', 1) = 'reminder'
    and split_part(n.dedupe_key, ':', 2) in (select l.id::text from public.reminder_ledger l
                                              where l.action_id = new.id);
  return null;
end
$$;
