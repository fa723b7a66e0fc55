-- Why: owners and admins bring experts, client users and partners into their organization by email.
-- An invitation names the organization, the address, the role (and for a client user the company);
-- its secret token travels only in the email (the database keeps its SHA-256), lasts 7 days and can
-- be used once, by a signed-in person whose account address is the invited one. Accepting gives the
-- membership and, for a client user, the company link, in one transaction. Owners and admins read
-- and revoke their organization's invitations; nobody else sees them.

create table if not exists public.invitations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and length(email) <= 320),
  role text not null check (role in ('expert', 'client', 'partner')),
  company_id uuid references public.client_companies (id) on delete cascade,
  locale text not null default 'fr' check (locale in ('fr', 'en')),
  token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
  invited_by uuid not null,
  status text not null default 'pending' check (status in ('pending', 'accepted', 'revoked')),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_by uuid,
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  check ((role = 'client') = (company_id is not null)),
  check ((status = 'accepted') = (accepted_at is not null and accepted_by is not null)),
  check ((status = 'revoked') = (revoked_at is not null))
);
create index if not exists invitations_organization_idx on public.invitations (organization_id, created_at desc);
create index if not exists invitations_company_id_idx on public.invitations (company_id);
-- One open invitation per address and place: inviting again replaces the previous one.
create unique index if not exists invitations_one_pending_idx
  on public.invitations (organization_id, email, role, coalesce(company_id, '00000000-0000-0000-0000-000000000000'))
  where status = 'pending';

alter table public.invitations enable row level security;
grant select on public.invitations to authenticated;
grant all on public.invitations to service_role;
create policy "Owners and admins read their organization's invitations" on public.invitations
  for select to authenticated
  using (organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])));

-- Creates (or renews) an invitation; the caller must be an owner or admin of the organization and a
-- client user's company must be one of its companies. Returns the invitation with what its email needs.
create or replace function private.create_invitation(
  p_organization uuid, p_email text, p_role text, p_company uuid, p_token_sha256 text, p_locale text default 'fr'
) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_email text := lower(btrim(coalesce(p_email, '')));
  v_row public.invitations;
begin
  if not private.has_role(p_organization, array['owner', 'admin']) then
    raise exception 'only owners and admins of the organization invite people'
      using errcode = 'PT403', hint = 'forbidden';
  end if;
  if v_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' or length(v_email) > 320 then
    perform private.raise_field_error('email', 'email', 'An email address is required');
  end if;
  if p_role is null or p_role not in ('expert', 'client', 'partner') then
    perform private.raise_field_error('role', 'one_of_expert_client_partner', 'The role is expert, client or partner');
  end if;
  if p_role = 'client' and (p_company is null or not exists (
      select 1 from public.client_companies c where c.id = p_company and c.organization_id = p_organization)) then
    perform private.raise_field_error('company_id', 'company_of_organization',
                                      'A client user is invited to one of the organization''s companies');
  end if;
  if p_role <> 'client' and p_company is not null then
    perform private.raise_field_error('company_id', 'client_only', 'Only client users are invited to a company');
  end if;
  if exists (select 1 from public.memberships m join auth.users u on u.id = m.user_id
             where m.organization_id = p_organization and lower(u.email) = v_email
               and (p_role <> 'client' or exists (select 1 from public.client_company_users cu
                                                  where cu.company_id = p_company and cu.user_id = u.id))) then
    raise exception 'this person is already a member' using errcode = 'PT409', hint = 'already_member';
  end if;
  update public.invitations set status = 'revoked', revoked_at = now()
  where organization_id = p_organization and email = v_email and role = p_role
    and company_id is not distinct from p_company and status = 'pending';
  insert into public.invitations (organization_id, email, role, company_id, locale, token_sha256, invited_by)
  values (p_organization, v_email, p_role, p_company, coalesce(p_locale, 'fr'), p_token_sha256, (select auth.uid()))
  returning * into v_row;
  return jsonb_build_object(
    'id', v_row.id, 'organization_id', v_row.organization_id, 'email', v_row.email, 'role', v_row.role,
    'company_id', v_row.company_id, 'locale', v_row.locale, 'status', v_row.status, 'expires_at', v_row.expires_at,
    'organization', (select o.name from public.organizations o where o.id = p_organization),
    'company', (select c.name from public.client_companies c where c.id = p_company),
    'inviter', (select coalesce(nullif(u.raw_user_meta_data ->> 'full_name', ''), u.email) from auth.users u
                where u.id = (select auth.uid())));
end
$$;
revoke execute on function private.create_invitation(uuid, text, text, uuid, text, text) from public, anon;
grant execute on function private.create_invitation(uuid, text, text, uuid, text, text) to authenticated, service_role;

create or replace function public.create_invitation(
  p_organization uuid, p_email text, p_role text, p_company uuid, p_token_sha256 text, p_locale text default 'fr'
) returns jsonb
language sql
set search_path = ''
as $$ select private.create_invitation(p_organization, p_email, p_role, p_company, p_token_sha256, p_locale) $$;
revoke execute on function public.create_invitation(uuid, text, text, uuid, text, text) from public, anon;
grant execute on function public.create_invitation(uuid, text, text, uuid, text, text) to authenticated, service_role;

-- Accepts the invitation of a token for the signed-in caller: unknown (404), revoked or already used
-- (409), expired (410 as 409 with its own code), meant for another address (403).
create or replace function private.accept_invitation(p_token_sha256 text) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_email text;
  v record;
begin
  if v_user is null then
    raise exception 'sign in to accept an invitation' using errcode = 'PT401', hint = 'unauthorized';
  end if;
  select i.* into v from public.invitations i where i.token_sha256 = p_token_sha256 for update;
  if not found then
    raise exception 'this invitation does not exist' using errcode = 'PT404', hint = 'invitation_not_found';
  end if;
  if v.status = 'accepted' then
    raise exception 'this invitation has already been used' using errcode = 'PT409', hint = 'invitation_used';
  end if;
  if v.status = 'revoked' then
    raise exception 'this invitation was withdrawn' using errcode = 'PT409', hint = 'invitation_revoked';
  end if;
  if v.expires_at <= now() then
    raise exception 'this invitation expired on %', to_char(v.expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
      using errcode = 'PT409', hint = 'invitation_expired';
  end if;
  select lower(u.email) into v_email from auth.users u where u.id = v_user;
  if v_email is distinct from v.email then
    raise exception 'this invitation was sent to another address' using errcode = 'PT403', hint = 'invitation_foreign';
  end if;
  insert into public.memberships (organization_id, user_id, role) values (v.organization_id, v_user, v.role)
  on conflict (organization_id, user_id) do nothing;
  if v.role = 'client' then
    insert into public.client_company_users (company_id, user_id, organization_id)
    values (v.company_id, v_user, v.organization_id)
    on conflict (company_id, user_id) do nothing;
  end if;
  update public.invitations set status = 'accepted', accepted_by = v_user, accepted_at = now() where id = v.id;
  return jsonb_build_object(
    'invitation_id', v.id, 'organization_id', v.organization_id, 'role',
    (select m.role from public.memberships m where m.organization_id = v.organization_id and m.user_id = v_user),
    'company_id', v.company_id);
end
$$;
revoke execute on function private.accept_invitation(text) from public, anon;
grant execute on function private.accept_invitation(text) to authenticated, service_role;

create or replace function public.accept_invitation(p_token_sha256 text) returns jsonb
language sql
set search_path = ''
as $$ select private.accept_invitation(p_token_sha256) $$;
revoke execute on function public.accept_invitation(text) from public, anon;
grant execute on function public.accept_invitation(text) to authenticated, service_role;

-- Withdraws a pending invitation of the caller's organization (owners and admins).
create or replace function private.revoke_invitation(p_invitation uuid) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v record;
begin
  select i.* into v from public.invitations i where i.id = p_invitation for update;
  if not found or not private.has_role(v.organization_id, array['owner', 'admin']) then
    raise exception 'no such invitation' using errcode = 'PT404', hint = 'invitation_not_found';
  end if;
  if v.status <> 'pending' then
    raise exception 'this invitation is % already', v.status using errcode = 'PT409', hint = 'invitation_' || v.status;
  end if;
  update public.invitations set status = 'revoked', revoked_at = now() where id = v.id;
  return jsonb_build_object('id', v.id, 'status', 'revoked');
end
$$;
revoke execute on function private.revoke_invitation(uuid) from public, anon;
grant execute on function private.revoke_invitation(uuid) to authenticated, service_role;

create or replace function public.revoke_invitation(p_invitation uuid) returns jsonb
language sql
set search_path = ''
as $$ select private.revoke_invitation(p_invitation) $$;
revoke execute on function public.revoke_invitation(uuid) from public, anon;
grant execute on function public.revoke_invitation(uuid) to authenticated, service_role;

-- Queues the invitation email (rendered by the function) in the outbox, for an address that already has an
-- account (Supabase Auth only emails new ones); essential, one per invitation. Owners and admins only.
create or replace function private.queue_invitation_email(p_invitation uuid, p_subject text, p_html text, p_text text)
returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  v record;
begin
  select i.* into v from public.invitations i where i.id = p_invitation;
  if not found or not private.has_role(v.organization_id, array['owner', 'admin']) or v.status <> 'pending' then
    raise exception 'no such pending invitation' using errcode = 'PT404', hint = 'invitation_not_found';
  end if;
  return private.enqueue_email(v.organization_id, 'invitation:' || v.id, null, v.email, p_subject, p_html, p_text,
                               'invitation', true);
end
$$;
revoke execute on function private.queue_invitation_email(uuid, text, text, text) from public, anon;
grant execute on function private.queue_invitation_email(uuid, text, text, text) to authenticated, service_role;
