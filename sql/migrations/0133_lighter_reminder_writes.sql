-- Why: a sweep with 50 000 due instances writes ~40 000 outbox rows and ~50 000 message links in
-- seconds, and every index entry and foreign-key check on them counts. Same data, same constraints'
-- meaning, fewer writes per row:
-- - email_outbox.batch_id and resend_id are empty when a message is queued and only looked up by
--   value (a batch's rows, a webhook's message): their indexes hold the non-null values only, so
--   queueing writes two index entries less (`where batch_id = …` still uses them);
-- - the rendered bodies (HTML ~1.5 kB, over the in-row limit with the rest of the row) are compressed
--   with lz4 rather than pglz, several times cheaper to write and to read (when the server has lz4);
--   existing rows keep theirs;
-- - reminder_messages checked its ledger row and its organization separately: one composite foreign
--   key (organization_id, ledger_id) → reminder_ledger (organization_id, id) checks both at once and
--   also holds that a link and its ledger row belong to the same organization. The ledger's
--   (organization_id) index becomes the unique (organization_id, id) index that key needs (it serves
--   the same lookups by organization). Deleting an organization still removes its links (through its
--   ledger rows), and deleting a ledger row still removes its links. The links' (organization_id)
--   index likewise becomes (organization_id, ledger_id), the index of the new key.

drop index if exists public.email_outbox_batch_id_idx;
create index if not exists email_outbox_batch_id_idx on public.email_outbox (batch_id) where batch_id is not null;
drop index if exists public.email_outbox_resend_id_idx;
create index if not exists email_outbox_resend_id_idx on public.email_outbox (resend_id)
  where resend_id is not null;

do $$
begin
  alter table public.email_outbox
    alter column html set compression lz4,
    alter column text_body set compression lz4;
exception when feature_not_supported then
  null;  -- a server built without lz4 keeps pglz
end
$$;

create unique index if not exists reminder_ledger_organization_id_id_key on public.reminder_ledger (organization_id, id);
drop index if exists public.reminder_ledger_organization_id_idx;

alter table public.reminder_messages
  drop constraint if exists reminder_messages_ledger_id_fkey,
  drop constraint if exists reminder_messages_organization_id_fkey,
  drop constraint if exists reminder_messages_organization_id_ledger_id_fkey;
alter table public.reminder_messages
  add constraint reminder_messages_organization_id_ledger_id_fkey foreign key (organization_id, ledger_id)
    references public.reminder_ledger (organization_id, id) on delete cascade;
create index if not exists reminder_messages_organization_id_ledger_id_idx
  on public.reminder_messages (organization_id, ledger_id);
drop index if exists public.reminder_messages_organization_id_idx;
