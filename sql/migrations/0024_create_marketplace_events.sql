-- Why: every marketplace event (an expert approved, rejected, suspended or reactivated; an offer
-- made, accepted, declined, expired or withdrawn; a forced assignment, a hand-over, a dossier
-- returned to matching or flagged `assignment_failed`) is recorded once, with its actor and its
-- details, so that the dossier's history can be shown and the notification issue can deliver them
-- later. Rows are written by the database only. Staff read their organization's events, experts the
-- events about them, clients and partners the client-visible events of the dossiers they follow.
create table if not exists public.marketplace_events (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  dossier_id uuid references public.dossiers (id) on delete cascade,
  expert_id uuid references public.expert_profiles (id) on delete set null,
  offer_id uuid,
  kind text not null check (kind in (
    'expert_approved', 'expert_rejected', 'expert_suspended', 'expert_reactivated',
    'offer_made', 'offer_accepted', 'offer_declined', 'offer_expired', 'offer_withdrawn',
    'expert_proposed', 'assignment_forced', 'expert_released', 'handed_over', 'returned_to_matching',
    'assignment_failed', 'review_posted')),
  actor_id uuid,
  actor_kind text not null default 'user' check (actor_kind in ('user', 'system')),
  client_visible boolean not null default false,
  detail jsonb not null default '{}'::jsonb check (jsonb_typeof(detail) = 'object'),
  created_at timestamptz not null default now()
);
create index if not exists marketplace_events_organization_idx
  on public.marketplace_events (organization_id, created_at desc);
create index if not exists marketplace_events_dossier_idx on public.marketplace_events (dossier_id, id);
create index if not exists marketplace_events_expert_idx on public.marketplace_events (expert_id, id);

create or replace function private.record_event(
  org uuid, kind text, dossier uuid default null, expert uuid default null, offer uuid default null,
  detail jsonb default '{}'::jsonb, client_visible boolean default false
) returns void
language sql security definer
set search_path = ''
as $$
  insert into public.marketplace_events (organization_id, dossier_id, expert_id, offer_id, kind, actor_id,
                                         actor_kind, client_visible, detail)
  values (org, dossier, expert, offer, kind, (select auth.uid()),
          case when (select auth.uid()) is null then 'system' else 'user' end, client_visible,
          coalesce(detail, '{}'::jsonb))
$$;
revoke execute on function private.record_event(uuid, text, uuid, uuid, uuid, jsonb, boolean) from public, anon;

-- Approval changes, whichever path made them (PostgREST or the `assign` function), become events.
create or replace function private.expert_approval_event() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.record_event(
    new.organization_id,
    case when new.approval_status = 'approved' and old.approval_status = 'suspended' then 'expert_reactivated'
         else 'expert_' || new.approval_status end,
    expert => new.id,
    detail => jsonb_build_object('from', old.approval_status, 'to', new.approval_status,
                                 'reason', new.approval_reason));
  return null;
end
$$;
revoke execute on function private.expert_approval_event() from public, anon;
create or replace trigger expert_profiles_approval_event after update of approval_status on public.expert_profiles
  for each row when (old.approval_status is distinct from new.approval_status and new.approval_status <> 'pending')
  execute function private.expert_approval_event();

-- Who may follow a dossier as a client or a partner.
create or replace function private.my_followed_dossier_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select d.id from public.dossiers d
  where d.client_company_id in (select private.my_client_company_ids())
     or d.client_company_id in (select private.my_partner_company_ids())
$$;
revoke execute on function private.my_followed_dossier_ids() from public, anon;
grant execute on function private.my_followed_dossier_ids() to authenticated, service_role;

alter table public.marketplace_events enable row level security;
grant select on public.marketplace_events to authenticated;
grant all on public.marketplace_events to service_role;

create policy "Staff read their organization's marketplace events" on public.marketplace_events
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer'])));

create policy "Experts read the marketplace events about them" on public.marketplace_events
  for select to authenticated
  using (expert_id in (select private.my_expert_profile_ids()));

create policy "Clients and partners read the visible events of their dossiers" on public.marketplace_events
  for select to authenticated
  using (client_visible and dossier_id in (select private.my_followed_dossier_ids()));
