-- Why: reading a dossier's document requests, their items or its reviews as staff built, for every
-- query, the set of every dossier of the organization (private.my_document_dossier_ids, 0061) to test
-- each row's dossier against it: on 1 000 000 dossiers, a few hundred milliseconds for one request.
-- The three policies ask 0120's private.can_read_dossier_documents about the row's dossier instead:
-- the same rules (staff of its organization, its company's client users, its assigned expert),
-- answered from that dossier's row and the caller's memberships.
drop policy if exists "Readers of a dossier's documents read their reviews" on public.document_reviews;
create policy "Readers of a dossier's documents read their reviews" on public.document_reviews
  for select to authenticated
  using (private.can_read_dossier_documents(dossier_id));

drop policy if exists "Readers of a dossier's documents read its requests" on public.document_requests;
create policy "Readers of a dossier's documents read its requests" on public.document_requests
  for select to authenticated
  using (private.can_read_dossier_documents(dossier_id));

drop policy if exists "Readers of a dossier's documents read its request items" on public.document_request_items;
create policy "Readers of a dossier's documents read its request items" on public.document_request_items
  for select to authenticated
  using (private.can_read_dossier_documents(dossier_id));
