-- Why: WORKFLOW.md (Documents, Access) gives partners no documents "unless a client shares the
-- dossier". A partner follows its companies' dossiers (status and amounts) but saw none of their
-- files, and no client could change that. A client user of the company now shares one dossier's
-- documents with the company's partner (`public.share_dossier_documents`, also the `documents`
-- function's `PUT /documents/dossiers/{id}/share`) and may withdraw the share at any time; an owner
-- or admin may withdraw it too (not grant it: the client's consent is the rule). A share names the
-- partner it was given to, so a company that changes partner does not hand the files to the next one.
-- The shared dossier's documents are its own ones and the company's reusable ones it needs (the same
-- set the checklist shows), read only: the partner sees them, their versions, reviews and requests,
-- downloads them through signed URLs (logged), and reads their files in `storage.objects`, since the
-- dispatcher's `documents` branch asks `private.can_read_document` like every other reader.

create table if not exists public.dossier_document_shares (
  dossier_id uuid primary key references public.dossiers (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  partner_user_id uuid not null references auth.users (id) on delete cascade,
  shared_by uuid references auth.users (id) on delete set null,
  shared_at timestamptz not null default now()
);
create index if not exists dossier_document_shares_organization_id_idx on public.dossier_document_shares (organization_id);
create index if not exists dossier_document_shares_partner_user_id_idx on public.dossier_document_shares (partner_user_id);
create index if not exists dossier_document_shares_shared_by_idx on public.dossier_document_shares (shared_by);

-- The dossiers shared with the caller as the company's partner (still its partner, still a member).
create or replace function private.my_shared_dossier_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select s.dossier_id from public.dossier_document_shares s
  join public.dossiers d on d.id = s.dossier_id
  where s.partner_user_id = (select auth.uid())
    and d.client_company_id in (select private.my_partner_company_ids())
$$;
revoke execute on function private.my_shared_dossier_ids() from public, anon;
grant execute on function private.my_shared_dossier_ids() to authenticated, service_role;

alter table public.dossier_document_shares enable row level security;
grant select on public.dossier_document_shares to authenticated;
grant all on public.dossier_document_shares to service_role;

drop policy if exists "Staff, the company's users and the partner read a dossier's share" on public.dossier_document_shares;
create policy "Staff, the company's users and the partner read a dossier's share" on public.dossier_document_shares
  for select to authenticated
  using (
    organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin', 'viewer']))
    or dossier_id in (select d.id from public.dossiers d
                      where d.client_company_id in (select private.my_client_company_ids()))
    or partner_user_id = (select auth.uid())
  );

-- Reading documents: the rule of 0061 plus the dossiers shared with the caller.
create or replace function private.my_document_dossier_ids() returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select d.id from public.dossiers d
  where d.organization_id in (select m.organization_id from public.memberships m
                              where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin', 'viewer'))
     or d.client_company_id in (select private.my_client_company_ids())
     or d.expert_id in (select private.my_expert_profile_ids())
     or d.id in (select private.my_shared_dossier_ids())
$$;

create or replace function private.can_read_document(p_org uuid, p_company uuid, p_dossier uuid, p_type text)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.memberships m
                 where m.organization_id = p_org and m.user_id = (select auth.uid())
                   and m.role in ('owner', 'admin', 'viewer'))
      or p_company in (select private.my_client_company_ids())
      or exists (select 1 from public.dossiers d
                 join public.expert_profiles e on e.id = d.expert_id
                 where e.user_id = (select auth.uid()) and d.organization_id = p_org
                   and (d.id = p_dossier
                        or (p_dossier is null and d.client_company_id = p_company
                            and private.dossier_needs_type(d.id, p_type))))
      or exists (select 1 from public.dossiers d
                 where d.id in (select private.my_shared_dossier_ids()) and d.organization_id = p_org
                   and (d.id = p_dossier
                        or (p_dossier is null and d.client_company_id = p_company
                            and private.dossier_needs_type(d.id, p_type))))
$$;

-- Share (p_shared true) or withdraw (false) a dossier's documents with its company's partner.
-- 404: no such dossier for the caller; 403: not a client user of the company (an owner or admin may
-- only withdraw); 409 `no_partner`: the company has no partner to share with. Idempotent: sharing
-- a shared dossier or withdrawing an unshared one changes nothing and adds no event.
create or replace function private.share_dossier_documents(p_dossier uuid, p_shared boolean)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  d public.dossiers;
  v_roles text[];
  v_partner uuid;
  v_current public.dossier_document_shares;
begin
  if p_shared is null then
    perform private.raise_field_error('shared', 'required', 'true to share, false to withdraw');
  end if;
  d := private.visible_dossier(p_dossier, p_lock => true);
  v_roles := private.dossier_roles(d.id);
  if not ('client' = any (v_roles) or (not p_shared and 'admin' = any (v_roles))) then
    raise exception 'only a client user of the company shares its dossier''s documents'
      using errcode = 'PT403', hint = 'forbidden';
  end if;
  select x.* into v_current from public.dossier_document_shares x where x.dossier_id = d.id;
  if p_shared then
    select c.partner_user_id into v_partner from public.client_companies c
    join public.memberships m on m.organization_id = c.organization_id and m.user_id = c.partner_user_id
                             and m.role = 'partner'
    where c.id = d.client_company_id;
    if v_partner is null then
      raise exception 'the company has no partner to share with' using errcode = 'PT409', hint = 'no_partner';
    end if;
    if v_current.partner_user_id is distinct from v_partner then
      insert into public.dossier_document_shares (dossier_id, organization_id, partner_user_id, shared_by)
      values (d.id, d.organization_id, v_partner, (select auth.uid()))
      on conflict (dossier_id) do update
        set partner_user_id = excluded.partner_user_id, shared_by = excluded.shared_by, shared_at = now()
      returning * into v_current;
      perform private.add_dossier_event(
        d.id, 'documents_shared', 'Documents partagés avec le partenaire', 'Documents shared with the partner',
        jsonb_build_object('partner_user_id', v_partner), 'partner');
    end if;
    return jsonb_build_object('dossier_id', d.id, 'shared', true, 'partner_user_id', v_current.partner_user_id,
                              'shared_at', v_current.shared_at);
  end if;
  if v_current.dossier_id is not null then
    delete from public.dossier_document_shares where dossier_id = d.id;
    perform private.add_dossier_event(
      d.id, 'documents_unshared', 'Partage des documents retiré', 'Document sharing withdrawn',
      jsonb_build_object('partner_user_id', v_current.partner_user_id), 'partner');
  end if;
  return jsonb_build_object('dossier_id', d.id, 'shared', false, 'partner_user_id', null, 'shared_at', null);
end
$$;
revoke execute on function private.share_dossier_documents(uuid, boolean) from public, anon;
grant execute on function private.share_dossier_documents(uuid, boolean) to authenticated, service_role;

-- The RPC front ends call through PostgREST: a security-invoker wrapper (as in 0058 and 0115).
create or replace function public.share_dossier_documents(p_dossier uuid, p_shared boolean default true)
returns jsonb
language sql security invoker
set search_path = ''
as $$
  select private.share_dossier_documents(p_dossier, p_shared)
$$;
revoke execute on function public.share_dossier_documents(uuid, boolean) from public, anon;
grant execute on function public.share_dossier_documents(uuid, boolean) to authenticated, service_role;
