-- Why: FOLLOWUP.md lists two awaited actions no event opened yet. `invoice_payment` (the client, an
-- invoice past due: reminder the next working morning, escalated at 10 d, critical at 20 d) opens
-- with the invoice, its clock starting when the due date has passed (the first instant of the next
-- local day), and closes when the invoice is paid or cancelled. `document_review` (the expert, a
-- document pending review) opens when a version uploaded for a dossier with an expert is complete,
-- outside the eligibility phase that admins review, and closes when it is reviewed on that dossier or
-- replaced. Both in the transaction of their event; other helpers' actions (unread_message,
-- support_reply) only need their rule rows and calls to private.open/close_awaited_action.

-- Invoices: one instance per invoice (subject: its id).
create or replace function private.track_invoice_payment() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  cal public.business_calendars := private.organization_calendar(new.organization_id);
begin
  if tg_op = 'INSERT' and new.status in ('issued', 'partially_paid') then
    perform private.open_awaited_action(new.dossier_id, 'invoice_payment', new.id::text,
                                        ((new.due_date + 1)::timestamp at time zone cal.time_zone));
  elsif tg_op = 'UPDATE' and new.status in ('paid', 'cancelled') and old.status is distinct from new.status then
    perform private.close_awaited_action(a.id, case when new.status = 'paid' then 'paid' else 'cancelled' end, now())
    from public.awaited_actions a
    where a.dossier_id = new.dossier_id and a.code = 'invoice_payment' and a.subject = new.id::text
      and a.closed_at is null;
  end if;
  return null;
end
$$;
revoke execute on function private.track_invoice_payment() from public, anon, authenticated;
create or replace trigger invoices_track_awaited_actions after insert or update of status on public.invoices
  for each row execute function private.track_invoice_payment();

-- Statuses in which the expert reviews what is uploaded (before them, admins review the eligibility).
create or replace function private.expert_reviews_documents(p_status text) returns boolean
language sql immutable
set search_path = ''
as $$
  select p_status in ('expert_assigned', 'documents_requested', 'documents_received', 'audit_in_progress',
                      'audit_completed', 'audit_refused', 'audit_accepted', 'claim_filed', 'claim_refused',
                      'result_recorded', 'on_hold')
$$;

-- A version complete for a dossier with an expert opens its review; replaced, it closes.
create or replace function private.track_document_version_review() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  opened bigint;
begin
  if new.state = 'uploaded' and old.state is distinct from 'uploaded' and new.uploaded_for_dossier_id is not null then
    select * into d from public.dossiers where id = new.uploaded_for_dossier_id;
    if d.expert_id is not null and private.expert_reviews_documents(d.status)
       and not exists (select 1 from public.document_reviews r where r.dossier_id = d.id and r.version_id = new.id) then
      opened := private.open_awaited_action(d.id, 'document_review', new.id::text,
                                            coalesce(new.completed_at, now()));
      if d.status = 'on_hold' then
        perform private.pause_awaited_action(opened, 'on_hold', coalesce(new.completed_at, now()));
      end if;
    end if;
  elsif new.state = 'replaced' and old.state is distinct from 'replaced' then
    perform private.close_awaited_action(a.id, 'replaced', coalesce(new.replaced_at, now()))
    from public.awaited_actions a
    where a.code = 'document_review' and a.subject = new.id::text and a.closed_at is null;
  end if;
  return null;
end
$$;
revoke execute on function private.track_document_version_review() from public, anon, authenticated;
create or replace trigger document_versions_track_awaited_actions after update of state on public.document_versions
  for each row execute function private.track_document_version_review();

-- Reviewed (validated or rejected) on the dossier: the expert's action ends.
create or replace function private.track_document_review() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.close_awaited_action(a.id, 'reviewed', new.reviewed_at)
  from public.awaited_actions a
  where a.dossier_id = new.dossier_id and a.code = 'document_review' and a.subject = new.version_id::text
    and a.closed_at is null;
  return null;
end
$$;
revoke execute on function private.track_document_review() from public, anon, authenticated;
create or replace trigger document_reviews_track_awaited_actions after insert or update on public.document_reviews
  for each row execute function private.track_document_review();

revoke execute on function private.expert_reviews_documents(text) from public, anon, authenticated;
grant execute on function private.expert_reviews_documents(text) to service_role;

-- Invoices already issued and unpaid get their action.
select private.open_awaited_action(i.dossier_id, 'invoice_payment', i.id::text,
                                   ((i.due_date + 1)::timestamp at time zone (private.organization_calendar(i.organization_id)).time_zone))
from public.invoices i
where i.status in ('issued', 'partially_paid');
