-- Why: people matched on a dossier must be able to talk on the platform, and only people with a
-- business link may (domain/MESSAGING.md "Who may talk to whom"). Conversations (`dossier`, `direct`,
-- `support`) and their participants are tables read through PostgREST under RLS; the link rule is
-- ONE security-definer helper (private.may_contact) used by the opening RPCs, and participation is
-- ONE helper (private.is_conversation_participant) used by every table policy and by the Realtime
-- policy. Participants join and leave as links start and end: triggers on dossiers.expert_id,
-- client_company_users, client_companies.partner_user_id and memberships keep the rows true.

-- 1. Tables ---------------------------------------------------------------------------------------
create table if not exists public.conversations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  kind text not null check (kind in ('dossier', 'direct', 'support')),
  dossier_id uuid unique references public.dossiers (id) on delete cascade,
  title text check (length(title) between 1 and 200),
  status text not null default 'active' check (status in ('active', 'locked')),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_message_at timestamptz,
  check ((kind = 'dossier') = (dossier_id is not null))
);
create index if not exists conversations_organization_idx on public.conversations (organization_id, kind);
create index if not exists conversations_created_by_idx on public.conversations (created_by);
-- one support conversation per user and organization
create unique index if not exists conversations_one_support_per_user
  on public.conversations (organization_id, created_by) where kind = 'support';

create table if not exists public.conversation_participants (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  -- how the person takes part: 'support' = an owner or admin answering for the shared inbox
  role text not null check (role in ('client', 'expert', 'partner', 'admin', 'support')),
  access text not null default 'write' check (access in ('write', 'read')),
  display_name text not null,
  joined_at timestamptz not null default now(),
  -- receipts and counts (written by the server only; read through public.unread_counts())
  last_read_message_id bigint,
  last_read_at timestamptz,
  unread_count integer not null default 0 check (unread_count >= 0),
  muted boolean not null default false,
  primary key (conversation_id, user_id)
);
create index if not exists conversation_participants_user_idx on public.conversation_participants (user_id);
create index if not exists conversation_participants_organization_idx
  on public.conversation_participants (organization_id);

-- 2. Link and participation helpers -------------------------------------------------------------
create or replace function private.member_role(p_org uuid, p_user uuid) returns text
language sql stable security definer
set search_path = ''
as $$
  select m.role from public.memberships m where m.organization_id = p_org and m.user_id = p_user
$$;
revoke execute on function private.member_role(uuid, uuid) from public, anon;
grant execute on function private.member_role(uuid, uuid) to authenticated, service_role;

-- Dossiers that make a link: open, or closed less than 12 months ago.
create or replace function private.dossier_links(p_dossier_status text, p_closed_at timestamptz) returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((select s.is_open from public.dossier_statuses s where s.code = p_dossier_status), false)
      or coalesce(p_closed_at > now() - interval '12 months', false)
$$;
revoke execute on function private.dossier_links(text, timestamptz) from public, anon;
grant execute on function private.dossier_links(text, timestamptz) to authenticated, service_role;

-- May p_from open a conversation with (or add) p_to in organization p_org? Directional: a partner
-- never opens one with an expert, an expert may with the partner.
create or replace function private.may_contact(p_org uuid, p_from uuid, p_to uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  r_from text := private.member_role(p_org, p_from);
  r_to text := private.member_role(p_org, p_to);
begin
  if r_from is null or r_to is null or p_from = p_to or r_from = 'viewer' or r_to = 'viewer' then
    return false;
  end if;
  if r_from in ('owner', 'admin') then
    return true;
  end if;
  if r_from = 'client' and r_to = 'expert' then
    return exists (select 1 from public.dossiers d
                   join public.client_company_users cu on cu.company_id = d.client_company_id and cu.user_id = p_from
                   join public.expert_profiles e on e.id = d.expert_id and e.user_id = p_to
                   where d.organization_id = p_org and private.dossier_links(d.status, d.closed_at));
  elsif r_from = 'expert' and r_to = 'client' then
    return exists (select 1 from public.dossiers d
                   join public.client_company_users cu on cu.company_id = d.client_company_id and cu.user_id = p_to
                   join public.expert_profiles e on e.id = d.expert_id and e.user_id = p_from
                   where d.organization_id = p_org and private.dossier_links(d.status, d.closed_at));
  elsif r_from = 'client' and r_to = 'partner' then
    return exists (select 1 from public.client_company_users cu
                   join public.client_companies c on c.id = cu.company_id
                   where cu.user_id = p_from and c.partner_user_id = p_to and c.organization_id = p_org);
  elsif r_from = 'partner' and r_to = 'client' then
    return exists (select 1 from public.client_company_users cu
                   join public.client_companies c on c.id = cu.company_id
                   where cu.user_id = p_to and c.partner_user_id = p_from and c.organization_id = p_org);
  elsif r_from = 'expert' and r_to = 'partner' then
    return exists (select 1 from public.dossiers d
                   join public.client_companies c on c.id = d.client_company_id and c.partner_user_id = p_to
                   join public.expert_profiles e on e.id = d.expert_id and e.user_id = p_from
                   where d.organization_id = p_org and private.dossier_links(d.status, d.closed_at));
  end if;
  return false;
end
$$;
revoke execute on function private.may_contact(uuid, uuid, uuid) from public, anon;
grant execute on function private.may_contact(uuid, uuid, uuid) to authenticated, service_role;

-- THE participation check (table policies and Realtime): the caller takes part in the conversation;
-- p_write also requires write access, an active conversation and sending not suspended.
create or replace function private.is_conversation_participant(p_conversation uuid, p_write boolean default false)
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
begin
  if v_user is null or p_conversation is null then
    return false;
  end if;
  if not p_write then
    return exists (select 1 from public.conversation_participants p
                   where p.conversation_id = p_conversation and p.user_id = v_user);
  end if;
  return exists (select 1 from public.conversation_participants p
                 join public.conversations c on c.id = p.conversation_id
                 where p.conversation_id = p_conversation and p.user_id = v_user and p.access = 'write'
                   and c.status = 'active'
                   and not private.sending_suspended(c.organization_id, v_user));
end
$$;

-- The conversations the caller takes part in (policies of tables keyed by conversation).
create or replace function private.my_conversation_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select p.conversation_id from public.conversation_participants p where p.user_id = (select auth.uid())
$$;
revoke execute on function private.my_conversation_ids() from public, anon;
grant execute on function private.my_conversation_ids() to authenticated, service_role;

-- Suspensions of sending (moderation), declared here because the participation check reads them.
create table if not exists public.messaging_suspensions (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  reason text check (length(reason) <= 1000),
  suspended_by uuid references auth.users (id) on delete set null,
  suspended_at timestamptz not null default now(),
  primary key (organization_id, user_id)
);
create index if not exists messaging_suspensions_user_idx on public.messaging_suspensions (user_id);
create index if not exists messaging_suspensions_suspended_by_idx on public.messaging_suspensions (suspended_by);
alter table public.messaging_suspensions enable row level security;
grant select on public.messaging_suspensions to authenticated;
grant all on public.messaging_suspensions to service_role;
drop policy if exists "Users see their own suspension and staff their organization's" on public.messaging_suspensions;
create policy "Users see their own suspension and staff their organization's" on public.messaging_suspensions
  for select to authenticated
  using (user_id = (select auth.uid())
         or organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

create or replace function private.sending_suspended(p_org uuid, p_user uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.messaging_suspensions s where s.organization_id = p_org and s.user_id = p_user)
$$;
revoke execute on function private.sending_suspended(uuid, uuid) from public, anon;
grant execute on function private.sending_suspended(uuid, uuid) to authenticated, service_role;

revoke execute on function private.is_conversation_participant(uuid, boolean) from public, anon;
grant execute on function private.is_conversation_participant(uuid, boolean) to authenticated, service_role;

-- Display names never show an email: "Prénom Nom (Société)" for a client user, "Prénom Nom" for
-- others, "Prénom Nom (Support)" for the shared inbox.
create or replace function private.messaging_display_name(p_org uuid, p_user uuid, p_role text) returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_meta jsonb;
  v_name text;
  v_company text;
begin
  select coalesce(u.raw_user_meta_data, '{}'::jsonb) into v_meta from auth.users u where u.id = p_user;
  v_name := coalesce(nullif(btrim(concat_ws(' ', v_meta ->> 'first_name', v_meta ->> 'last_name')), ''),
                     nullif(btrim(v_meta ->> 'full_name'), ''), nullif(btrim(v_meta ->> 'name'), ''));
  if v_name is null and p_role = 'expert' then
    select nullif(btrim(e.display_name), '') into v_name from public.expert_profiles e
    where e.organization_id = p_org and e.user_id = p_user limit 1;
  end if;
  if v_name is null or v_name like '%@%' then
    v_name := 'Utilisateur';
  end if;
  if p_role = 'client' then
    select c.name into v_company from public.client_company_users cu
    join public.client_companies c on c.id = cu.company_id
    where cu.user_id = p_user and c.organization_id = p_org order by c.name limit 1;
    if v_company is not null then
      v_name := v_name || ' (' || v_company || ')';
    end if;
  elsif p_role = 'support' then
    v_name := v_name || ' (Support)';
  end if;
  return v_name;
end
$$;
revoke execute on function private.messaging_display_name(uuid, uuid, text) from public, anon, authenticated;

create or replace function private.add_participant(p_conversation uuid, p_user uuid, p_role text) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  select c.organization_id into v_org from public.conversations c where c.id = p_conversation;
  insert into public.conversation_participants (conversation_id, user_id, organization_id, role, display_name,
                                                last_read_message_id, last_read_at)
  select p_conversation, p_user, v_org, p_role, private.messaging_display_name(v_org, p_user, p_role),
         (select max(m.id) from public.messages m where m.conversation_id = p_conversation), now()
  on conflict (conversation_id, user_id) do update set access = 'write'
    where public.conversation_participants.access = 'read';
end
$$;
revoke execute on function private.add_participant(uuid, uuid, text) from public, anon, authenticated;

-- 3. Participants follow the links ----------------------------------------------------------------
-- Direct conversations: write access while the person is the creator or linked to it.
create or replace function private.refresh_direct_access(p_org uuid, p_user uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.conversation_participants p
  set access = case when p.user_id = c.created_by
                      or private.may_contact(p_org, c.created_by, p.user_id)
                      or private.may_contact(p_org, p.user_id, c.created_by) then 'write' else 'read' end
  from public.conversations c
  where c.id = p.conversation_id and c.kind = 'direct' and c.organization_id = p_org
    and (p.user_id = p_user or c.created_by = p_user);
end
$$;
revoke execute on function private.refresh_direct_access(uuid, uuid) from public, anon, authenticated;

create or replace function private.sync_dossier_conversation(p_dossier uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  d record;
  v_conversation uuid;
  v_expert_user uuid;
begin
  select x.id, x.organization_id, x.client_company_id, x.expert_id, x.product_code, c.name as company_name
  into d from public.dossiers x join public.client_companies c on c.id = x.client_company_id where x.id = p_dossier;
  select e.user_id into v_expert_user from public.expert_profiles e where e.id = d.expert_id;
  select c.id into v_conversation from public.conversations c where c.dossier_id = p_dossier;
  if v_conversation is null then
    if v_expert_user is null then
      return;  -- created when an expert is first assigned
    end if;
    insert into public.conversations (organization_id, kind, dossier_id, title)
    values (d.organization_id, 'dossier', p_dossier, left(d.product_code || ' — ' || d.company_name, 200))
    on conflict (dossier_id) do nothing
    returning id into v_conversation;
    if v_conversation is null then
      select c.id into v_conversation from public.conversations c where c.dossier_id = p_dossier;
    end if;
  end if;
  -- the former expert leaves; the new one sees the whole history
  delete from public.conversation_participants p
  where p.conversation_id = v_conversation and p.role = 'expert' and p.user_id is distinct from v_expert_user;
  if v_expert_user is not null then
    perform private.add_participant(v_conversation, v_expert_user, 'expert');
  end if;
  perform private.add_participant(v_conversation, cu.user_id, 'client')
  from public.client_company_users cu
  where cu.company_id = d.client_company_id
    and private.member_role(d.organization_id, cu.user_id) = 'client';
end
$$;
revoke execute on function private.sync_dossier_conversation(uuid) from public, anon, authenticated;

create or replace function private.on_dossier_expert_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.sync_dossier_conversation(new.id);
  if tg_op = 'UPDATE' and old.expert_id is not null then
    perform private.refresh_direct_access(new.organization_id, e.user_id)
    from public.expert_profiles e where e.id = old.expert_id;
  end if;
  return null;
end
$$;
revoke execute on function private.on_dossier_expert_change() from public, anon, authenticated;
create or replace trigger dossiers_sync_conversation_on_insert
  after insert on public.dossiers
  for each row when (new.expert_id is not null)
  execute function private.on_dossier_expert_change();
create or replace trigger dossiers_sync_conversation_on_update
  after update of expert_id on public.dossiers
  for each row when (old.expert_id is distinct from new.expert_id)
  execute function private.on_dossier_expert_change();

-- Client users of a company join (or leave) its dossier conversations.
create or replace function private.on_company_user_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.sync_dossier_conversation(d.id)
    from public.dossiers d where d.client_company_id = new.company_id and d.expert_id is not null;
  else
    delete from public.conversation_participants p
    using public.conversations c, public.dossiers d
    where c.id = p.conversation_id and d.id = c.dossier_id and d.client_company_id = old.company_id
      and p.user_id = old.user_id and p.role = 'client';
    perform private.refresh_direct_access(old.organization_id, old.user_id);
  end if;
  return null;
end
$$;
revoke execute on function private.on_company_user_change() from public, anon, authenticated;
create or replace trigger client_company_users_sync_conversations
  after insert or delete on public.client_company_users
  for each row execute function private.on_company_user_change();

-- A partner unlinked from a company leaves its dossier conversations, read-only in direct ones.
create or replace function private.on_company_partner_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.partner_user_id is not null then
    delete from public.conversation_participants p
    using public.conversations c, public.dossiers d
    where c.id = p.conversation_id and d.id = c.dossier_id and d.client_company_id = old.id
      and p.user_id = old.partner_user_id and p.role = 'partner';
    perform private.refresh_direct_access(old.organization_id, old.partner_user_id);
  end if;
  if new.partner_user_id is not null then
    perform private.refresh_direct_access(new.organization_id, new.partner_user_id);
  end if;
  return null;
end
$$;
revoke execute on function private.on_company_partner_change() from public, anon, authenticated;
create or replace trigger client_companies_sync_conversations
  after update of partner_user_id on public.client_companies
  for each row when (old.partner_user_id is distinct from new.partner_user_id)
  execute function private.on_company_partner_change();

-- Membership: owners and admins take part in every support conversation; losing the membership (or
-- becoming a viewer) removes all access.
create or replace function private.on_membership_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op in ('DELETE', 'UPDATE') then
    if tg_op = 'DELETE' or new.role = 'viewer' then
      delete from public.conversation_participants p
      where p.organization_id = old.organization_id and p.user_id = old.user_id;
    elsif new.role not in ('owner', 'admin') then
      delete from public.conversation_participants p
      where p.organization_id = old.organization_id and p.user_id = old.user_id and p.role in ('support', 'admin');
    end if;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.role in ('owner', 'admin') then
    perform private.add_participant(c.id, new.user_id, 'support')
    from public.conversations c where c.organization_id = new.organization_id and c.kind = 'support';
  end if;
  if tg_op = 'UPDATE' then
    perform private.refresh_direct_access(new.organization_id, new.user_id);
  end if;
  return null;
end
$$;
revoke execute on function private.on_membership_change() from public, anon, authenticated;
create or replace trigger memberships_sync_conversations
  after insert or delete or update of role on public.memberships
  for each row execute function private.on_membership_change();

-- 4. Opening and joining (RPCs that check the caller themselves) ---------------------------------
create or replace function public.open_conversation(
  p_organization_id uuid, p_kind text, p_participants uuid[] default '{}', p_title text default null
) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_role text := private.member_role(p_organization_id, (select auth.uid()));
  v_id uuid;
  v_other uuid;
begin
  if v_user is null or v_role is null then
    raise exception 'not a member of this organization' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if v_role = 'viewer' then
    raise exception 'viewers take part in no conversation' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if p_title is not null and length(btrim(p_title)) not between 1 and 200 then
    perform private.raise_field_error('title', 'length', 'Le titre doit compter de 1 à 200 caractères.');
  end if;
  if p_kind = 'support' then
    if v_role in ('owner', 'admin') then
      raise exception 'owners and admins answer the support inbox' using errcode = 'PT403', hint = 'forbidden';
    end if;
    select c.id into v_id from public.conversations c
    where c.organization_id = p_organization_id and c.kind = 'support' and c.created_by = v_user;
    if v_id is null then
      insert into public.conversations (organization_id, kind, title, created_by)
      values (p_organization_id, 'support', 'Support', v_user) returning id into v_id;
      perform private.add_participant(v_id, v_user, v_role);
      perform private.add_participant(v_id, m.user_id, 'support')
      from public.memberships m
      where m.organization_id = p_organization_id and m.role in ('owner', 'admin');
    end if;
    return v_id;
  elsif p_kind <> 'direct' then
    perform private.raise_field_error('kind', 'one_of',
      'Type de conversation : direct ou support (les conversations de dossier sont créées automatiquement).');
  end if;
  if coalesce(cardinality(p_participants), 0) = 0 or cardinality(p_participants) > 20 then
    perform private.raise_field_error('participants', 'length', 'De 1 à 20 participants.');
  end if;
  foreach v_other in array p_participants loop
    if not private.may_contact(p_organization_id, v_user, v_other) then
      raise exception 'no business link with %', v_other
        using errcode = 'PT403', hint = 'no_business_link', detail = jsonb_build_object('user_id', v_other)::text;
    end if;
  end loop;
  insert into public.conversations (organization_id, kind, title, created_by)
  values (p_organization_id, 'direct', nullif(btrim(p_title), ''), v_user) returning id into v_id;
  perform private.add_participant(v_id, v_user, case when v_role in ('owner', 'admin') then 'admin' else v_role end);
  perform private.add_participant(v_id, u, case when r in ('owner', 'admin') then 'admin' else r end)
  from (select distinct u, private.member_role(p_organization_id, u) as r from unnest(p_participants) u
        where u <> v_user) x;
  return v_id;
end
$$;
revoke execute on function public.open_conversation(uuid, text, uuid[], text) from public, anon;
grant execute on function public.open_conversation(uuid, text, uuid[], text) to authenticated;

create or replace function public.add_conversation_participant(p_conversation_id uuid, p_user_id uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  c public.conversations;
  v_role text;
begin
  select x.* into c from public.conversations x where x.id = p_conversation_id;
  if c.id is null or v_user is null
     or not (private.is_conversation_participant(c.id)
             or (c.kind = 'dossier' and private.has_role(c.organization_id, array['owner', 'admin']))) then
    raise exception 'no such conversation' using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if c.status <> 'active' then
    raise exception 'the conversation is locked' using errcode = 'PT409', hint = 'conversation_locked';
  end if;
  v_role := private.member_role(c.organization_id, p_user_id);
  if c.kind = 'dossier' and p_user_id = v_user and v_role in ('owner', 'admin') then
    perform private.add_participant(c.id, v_user, 'admin');  -- an admin joins: shown and audited
    insert into public.audit_log (organization_id, table_name, row_id, action, actor_id, actor_role, new_values)
    values (c.organization_id, 'conversations', c.id, 'update', v_user, 'admin',
            jsonb_build_object('event', 'admin_joined', 'user_id', v_user));
    return;
  end if;
  if not private.is_conversation_participant(c.id, true) then
    raise exception 'you cannot write in this conversation' using errcode = 'PT403', hint = 'forbidden';
  end if;
  if c.kind = 'dossier' and v_role = 'partner'
     and private.member_role(c.organization_id, v_user) = 'client'
     and exists (select 1 from public.dossiers d join public.client_companies co on co.id = d.client_company_id
                 where d.id = c.dossier_id and co.partner_user_id = p_user_id) then
    perform private.add_participant(c.id, p_user_id, 'partner');
  elsif c.kind = 'direct' and private.may_contact(c.organization_id, v_user, p_user_id) then
    perform private.add_participant(c.id, p_user_id, case when v_role in ('owner', 'admin') then 'admin' else v_role end);
  else
    raise exception 'no business link with %', p_user_id
      using errcode = 'PT403', hint = 'no_business_link', detail = jsonb_build_object('user_id', p_user_id)::text;
  end if;
end
$$;
revoke execute on function public.add_conversation_participant(uuid, uuid) from public, anon;
grant execute on function public.add_conversation_participant(uuid, uuid) to authenticated;

-- 5. RLS ----------------------------------------------------------------------------------------------
alter table public.conversations enable row level security;
grant select on public.conversations to authenticated;
grant all on public.conversations to service_role;
drop policy if exists "Participants read their conversations" on public.conversations;
create policy "Participants read their conversations" on public.conversations
  for select to authenticated
  using (id in (select private.my_conversation_ids()));

alter table public.conversation_participants enable row level security;
-- Receipts and counts are not readable by others: only the public columns are granted.
grant select (conversation_id, user_id, organization_id, role, access, display_name, joined_at)
  on public.conversation_participants to authenticated;
grant all on public.conversation_participants to service_role;
drop policy if exists "Participants see who takes part in their conversations" on public.conversation_participants;
create policy "Participants see who takes part in their conversations" on public.conversation_participants
  for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()));
