-- Why: the dispatcher freezes its next batch with `status = 'queued' and send_after <= now() and
-- has_attachments = <flag> order by send_after, id` (0201 added the flag: a message with attachments
-- goes alone, and is looked for first at every claim). The only index for it was `(send_after) where
-- status = 'queued'`: looking for a message with attachments read every due row's heap tuple to find
-- none, and the rows one fan-out statement queues share one send_after, so a batch of 100 sorted the whole
-- backlog by id. With 100 000 messages queued, a claim took about 160 ms (35 ms + 123 ms), most of it
-- for nothing. The index now holds exactly the query's columns, in its order: each claim reads the
-- rows it freezes.
create index if not exists email_outbox_due_by_kind_idx
  on public.email_outbox (has_attachments, send_after, id) where status = 'queued';
drop index if exists public.email_outbox_due_idx;
