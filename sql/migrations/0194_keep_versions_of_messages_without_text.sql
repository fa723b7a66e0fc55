-- Why: since 0140 a message may carry attachments only, with no text. Deleting or hiding one kept its
-- version with a null body in public.message_versions, whose body was `not null`: the author's delete
-- and the moderator's hide failed (23502). A version records who removed or replaced a message, when
-- and why; for a message without text it has no previous text to keep, so the body may be null.

alter table public.message_versions alter column body drop not null;
