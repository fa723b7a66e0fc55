-- Why: once a dossier is closed its client rates the expert who handled it, once (1–5 and an
-- optional comment, editable for 7 days); the expert may answer publicly, once. The expert's rating
-- (mean, one decimal) and review count are recomputed by the database on every change, from that
-- expert's reviews only. What a review is about (dossier, expert, company, organization, author)
-- is taken from the dossier and the caller, never from the request.
create table if not exists public.expert_reviews (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid not null unique references public.dossiers (id) on delete cascade,
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  client_company_id uuid not null references public.client_companies (id) on delete cascade,
  author_id uuid references auth.users (id) on delete set null,
  rating smallint not null check (rating between 1 and 5),
  comment text not null default '' check (length(comment) <= 2000),
  answer text check (answer is null or length(btrim(answer)) between 1 and 2000),
  answered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists expert_reviews_expert_idx on public.expert_reviews (expert_id, created_at desc);
create index if not exists expert_reviews_organization_idx on public.expert_reviews (organization_id);
create index if not exists expert_reviews_company_idx on public.expert_reviews (client_company_id);
create index if not exists expert_reviews_author_idx on public.expert_reviews (author_id);
create or replace trigger expert_reviews_touch_updated_at before update on public.expert_reviews
  for each row execute function private.touch_updated_at();

-- Closed dossiers of the caller's companies that have an expert: the ones they may review.
create or replace function private.my_reviewable_dossier_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select d.id from public.dossiers d
  where d.client_company_id in (select private.my_client_company_ids())
    and d.expert_id is not null and private.dossier_is_closed(d.status)
$$;
revoke execute on function private.my_reviewable_dossier_ids() from public, anon;
grant execute on function private.my_reviewable_dossier_ids() to authenticated, service_role;

create or replace function private.check_expert_review() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  person boolean := current_setting('role') in ('authenticated', 'anon');
  uid uuid := (select auth.uid());
begin
  if tg_op = 'INSERT' then
    select x.organization_id, x.expert_id, x.client_company_id, x.status into d
    from public.dossiers x where x.id = new.dossier_id;
    if d.expert_id is null or not private.dossier_is_closed(d.status) then
      raise exception 'only a closed dossier handled by an expert can be reviewed'
        using errcode = 'PT409', hint = 'dossier_not_closed';
    end if;
    new.organization_id := d.organization_id;
    new.expert_id := d.expert_id;
    new.client_company_id := d.client_company_id;
    new.created_at := now();
    if person then
      new.author_id := uid;
      new.answer := null;
      new.answered_at := null;
    end if;
    return new;
  end if;
  if (new.dossier_id, new.expert_id, new.organization_id, new.client_company_id, new.author_id, new.created_at)
     is distinct from (old.dossier_id, old.expert_id, old.organization_id, old.client_company_id, old.author_id,
                       old.created_at) then
    raise exception 'what a review is about never changes' using errcode = '42501';
  end if;
  if new.answer is distinct from old.answer then
    if person and new.expert_id not in (select private.my_expert_profile_ids()) then
      raise exception 'only the expert answers a review' using errcode = '42501';
    end if;
    if old.answer is not null then
      raise exception 'a review is answered once' using errcode = 'PT409', hint = 'already_answered';
    end if;
    new.answered_at := now();
  elsif new.answered_at is distinct from old.answered_at then
    raise exception 'answered_at is maintained by the database' using errcode = '42501';
  end if;
  if (new.rating, new.comment) is distinct from (old.rating, old.comment) and person then
    if old.author_id is distinct from uid then
      raise exception 'only the author edits a review' using errcode = '42501';
    end if;
    if old.created_at <= now() - interval '7 days' then
      raise exception 'a review can be edited for 7 days' using errcode = 'PT409', hint = 'review_locked';
    end if;
  end if;
  return new;
end
$$;
revoke execute on function private.check_expert_review() from public, anon;
create or replace trigger expert_reviews_check before insert or update on public.expert_reviews
  for each row execute function private.check_expert_review();

create or replace function private.recompute_expert_rating() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  target uuid := coalesce(new.expert_id, old.expert_id);
begin
  update public.expert_profiles p
  set rating = r.mean, review_count = r.n
  from (select round(avg(x.rating), 1) as mean, count(*)::integer as n
        from public.expert_reviews x where x.expert_id = target) as r
  where p.id = target and (p.rating, p.review_count) is distinct from (r.mean, r.n);
  if tg_op = 'INSERT' then
    perform private.record_event(new.organization_id, 'review_posted', new.dossier_id, new.expert_id,
      detail => jsonb_build_object('review_id', new.id, 'rating', new.rating));
  end if;
  return null;
end
$$;
revoke execute on function private.recompute_expert_rating() from public, anon;
create or replace trigger expert_reviews_recompute_rating
  after insert or delete or update of rating on public.expert_reviews
  for each row execute function private.recompute_expert_rating();

alter table public.expert_reviews enable row level security;
grant select, insert, update, delete on public.expert_reviews to authenticated;
grant all on public.expert_reviews to service_role;

create policy "Members read the reviews of their organization" on public.expert_reviews
  for select to authenticated
  using (organization_id in (select private.my_organization_ids()));

create policy "Clients review the closed dossiers of their company" on public.expert_reviews
  for insert to authenticated
  with check (dossier_id in (select private.my_reviewable_dossier_ids()));

create policy "Authors edit their review for seven days" on public.expert_reviews
  for update to authenticated
  using (author_id = (select auth.uid()) and created_at > now() - interval '7 days')
  with check (author_id = (select auth.uid()));

create policy "Experts answer the reviews about them" on public.expert_reviews
  for update to authenticated
  using (expert_id in (select private.my_expert_profile_ids()))
  with check (expert_id in (select private.my_expert_profile_ids()));

create policy "Owners and admins remove reviews" on public.expert_reviews
  for delete to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));
