-- Why: a message must not sit unread (domain/MESSAGING.md "Notifications and reminders").
-- 1. `message_unread` joins the notification catalogue; the `messages-unread` job (every 5 minutes)
--    asks private.message_unread_candidates for the participants whose oldest unread message from
--    others is 30 minutes old and emails each once per conversation until they read: a candidate is
--    (conversation, user, read pointer), recorded once, and the outbox key carries the same triple.
--    Muted conversations never email; switched-off email or digest mode record the candidate as
--    skipped; quiet hours (the user's, in their time zone) delay the email.
-- 2. The follow-up engine's actions: a client's message in a dossier conversation opens
--    `unread_message` (late party: the expert) and the expert's reading closes it; a support
--    message from the person asking opens `support_reply` and a reply from the support inbox closes
--    it. A support conversation has no dossier, so an awaited action now belongs to a dossier OR a
--    conversation (`awaited_actions.dossier_id` becomes nullable beside a `conversation_id`), and
--    private.awaited_action_contacts gives the sweep the people behind C/E/P/A for both.

-- 1. The catalogue ---------------------------------------------------------------------------------
insert into public.notification_events (code, essential, default_mode, label_fr, label_en)
values ('message_unread', false, 'immediate', 'Message non lu', 'Unread message')
on conflict (code) do nothing;

-- The rules of both actions as data (0105 seeds them for new organizations; kept if already there).
insert into public.awaited_action_rules (organization_id, code, label_fr, label_en, late_party, open_while, clock,
                                         target, warning, breach, target_recipients, warning_recipients,
                                         breach_recipients, priority)
select o.id, v.* from public.organizations o, (values
  ('unread_message', 'Message client non lu', 'Unread client message', 'expert', 'a client message unread',
   'business', 2::numeric, 4::numeric, null::numeric, '{E}'::text[], '{E,A}'::text[], '{}'::text[], 3::smallint),
  ('support_reply', 'Message support sans réponse', 'Unanswered support message', 'admins',
   'a support message unanswered', 'business', 1, 2, 3, '{A}', '{A}', '{A}', 2)
) as v(code, label_fr, label_en, late_party, open_while, clock, target, warning, breach, target_recipients,
       warning_recipients, breach_recipients, priority)
on conflict (organization_id, code) do nothing;

-- 2. Awaited actions of a conversation --------------------------------------------------------------
alter table public.awaited_actions alter column dossier_id drop not null;
alter table public.awaited_actions
  add column if not exists conversation_id uuid references public.conversations (id) on delete cascade;
alter table public.awaited_actions drop constraint if exists awaited_actions_subject_check;
alter table public.awaited_actions add constraint awaited_actions_subject_check
  check (dossier_id is not null or conversation_id is not null);
create index if not exists awaited_actions_conversation_id_idx on public.awaited_actions (conversation_id);
create unique index if not exists awaited_actions_one_open_per_conversation_idx
  on public.awaited_actions (conversation_id, code, subject) where closed_at is null and dossier_id is null;

drop policy if exists "Who sees a dossier sees its awaited actions" on public.awaited_actions;
drop policy if exists "Who sees a dossier or answers support sees its awaited actions" on public.awaited_actions;
create policy "Who sees a dossier or answers support sees its awaited actions" on public.awaited_actions
  for select to authenticated
  using (organization_id in (select private.my_organization_ids())
         and ((dossier_id is not null and exists (select 1 from public.dossiers d where d.id = dossier_id))
              or (dossier_id is null
                  and organization_id in (select private.my_organization_ids_with_role(array['owner', 'admin'])))));

-- Opens (conversation, code) at p_at unless open; the dossier's when the conversation has one.
create or replace function private.open_conversation_awaited_action(p_conversation uuid, p_code text,
                                                                    p_at timestamptz default now())
returns bigint
language plpgsql security definer
set search_path = ''
as $$
declare
  c public.conversations;
  r public.awaited_action_rules;
  created bigint;
begin
  select * into c from public.conversations where id = p_conversation;
  -- already open (the common case on a busy conversation): nothing to write
  select a.id into created from public.awaited_actions a
  where a.code = p_code and a.closed_at is null
    and ((c.dossier_id is not null and a.dossier_id = c.dossier_id and a.subject = p_conversation::text)
         or (c.dossier_id is null and a.dossier_id is null and a.conversation_id = p_conversation and a.subject = ''));
  if created is not null then
    return created;
  end if;
  if c.dossier_id is not null then
    return private.open_awaited_action(c.dossier_id, p_code, p_conversation::text, p_at);
  end if;
  perform private.seed_awaited_action_rules(c.organization_id);
  select * into r from public.awaited_action_rules where organization_id = c.organization_id and code = p_code;
  insert into public.awaited_actions (organization_id, dossier_id, conversation_id, code, subject, clock, opened_at,
                                      running_since)
  values (c.organization_id, null, p_conversation, p_code, '', r.clock, p_at, p_at)
  on conflict (conversation_id, code, subject) where closed_at is null and dossier_id is null do nothing
  returning id into created;
  if created is null then
    return (select a.id from public.awaited_actions a
            where a.conversation_id = p_conversation and a.code = p_code and a.closed_at is null);
  end if;
  insert into public.awaited_action_segments (organization_id, action_id, state, started_at)
  values (c.organization_id, created, 'running', p_at);
  perform private.refresh_awaited_action(created);
  return created;
end
$$;
revoke execute on function private.open_conversation_awaited_action(uuid, text, timestamptz)
  from public, anon, authenticated;
grant execute on function private.open_conversation_awaited_action(uuid, text, timestamptz) to service_role;

create or replace function private.close_conversation_awaited_action(p_conversation uuid, p_code text,
                                                                     p_reason text, p_at timestamptz default now())
returns void
language sql security definer
set search_path = ''
as $$
  select private.close_awaited_action(a.id, p_reason, p_at)
  from public.awaited_actions a
  where a.code = p_code and a.closed_at is null
    and (a.conversation_id = p_conversation or a.subject = p_conversation::text)
$$;
revoke execute on function private.close_conversation_awaited_action(uuid, text, text, timestamptz)
  from public, anon, authenticated;
grant execute on function private.close_conversation_awaited_action(uuid, text, text, timestamptz) to service_role;

-- The people behind C, E, P, A for an instance: the dossier's, or for a conversation's instance the
-- organization's owners and admins (A) and the conversation's participants of that role (C, E, P).
create or replace function private.awaited_action_contacts(p_action bigint, p_roles text[])
returns table (user_id uuid, email text, name text, locale text)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  a public.awaited_actions;
begin
  select * into a from public.awaited_actions where id = p_action;
  if a.dossier_id is not null then
    return query select * from private.dossier_contacts(a.dossier_id, p_roles);
    return;
  end if;
  return query
    select u.id, u.email::text, coalesce(u.raw_user_meta_data ->> 'full_name', ''), coalesce(s.locale, 'fr')
    from auth.users u
    left join public.notification_settings s on s.user_id = u.id
    where u.email is not null
      and (('A' = any (p_roles) and u.id in (select m.user_id from public.memberships m
                                             where m.organization_id = a.organization_id
                                               and m.role in ('owner', 'admin')))
           or u.id in (select p.user_id from public.conversation_participants p
                       where p.conversation_id = a.conversation_id
                         and ((p.role = 'client' and 'C' = any (p_roles)) or (p.role = 'expert' and 'E' = any (p_roles))
                              or (p.role = 'partner' and 'P' = any (p_roles)))))
    order by u.id;
end
$$;
revoke execute on function private.awaited_action_contacts(bigint, text[]) from public, anon, authenticated;
grant execute on function private.awaited_action_contacts(bigint, text[]) to service_role;

-- 3. What sending and reading start and end ----------------------------------------------------------
create or replace function private.message_sent_hooks(p_message public.messages, p_kind text) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if p_message.sender_id is null then
    return;  -- system notices await nobody
  end if;
  select p.role into v_role from public.conversation_participants p
  where p.conversation_id = p_message.conversation_id and p.user_id = p_message.sender_id;
  if p_kind = 'dossier' and v_role = 'client' then
    perform private.open_conversation_awaited_action(p_message.conversation_id, 'unread_message',
                                                     p_message.created_at);
  elsif p_kind = 'support' and v_role = 'support' then
    perform private.close_conversation_awaited_action(p_message.conversation_id, 'support_reply', 'answered',
                                                      p_message.created_at);
  elsif p_kind = 'support' then
    perform private.open_conversation_awaited_action(p_message.conversation_id, 'support_reply',
                                                     p_message.created_at);
  end if;
end
$$;
revoke execute on function private.message_sent_hooks(public.messages, text) from public, anon, authenticated;

-- Reading cancels an unread-message email still waiting for the end of quiet hours; the expert
-- having read every client message of the dossier conversation closes `unread_message`.
create or replace function private.participant_read_hooks(p_old public.conversation_participants,
                                                          p_new public.conversation_participants) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if p_new.last_read_message_id is distinct from p_old.last_read_message_id then
    update public.email_outbox o set status = 'cancelled'
    from private.message_unread_emails e
    where e.conversation_id = p_new.conversation_id and e.user_id = p_new.user_id and o.id = e.outbox_id
      and o.status = 'queued';
  end if;
  if p_new.role = 'expert' and p_new.last_read_message_id is distinct from p_old.last_read_message_id
     and exists (select 1 from public.awaited_actions a
                 where a.subject = p_new.conversation_id::text and a.code = 'unread_message' and a.closed_at is null)
     and not exists (select 1 from public.messages m
                     join public.conversation_participants s on s.conversation_id = m.conversation_id
                       and s.user_id = m.sender_id and s.role = 'client'
                     where m.conversation_id = p_new.conversation_id
                       and m.id > coalesce(p_new.last_read_message_id, 0)) then
    perform private.close_conversation_awaited_action(p_new.conversation_id, 'unread_message', 'read');
  end if;
end
$$;
revoke execute on function private.participant_read_hooks(public.conversation_participants,
  public.conversation_participants) from public, anon, authenticated;

-- 4. The unread-message email --------------------------------------------------------------------------
-- One row per (conversation, user, read pointer) the job handled: emailed (outbox_id) or skipped.
create table if not exists private.message_unread_emails (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  after_message_id bigint not null,
  outbox_id uuid references public.email_outbox (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (conversation_id, user_id, after_message_id)
);
create index if not exists message_unread_emails_user_idx on private.message_unread_emails (user_id);
create index if not exists message_unread_emails_outbox_idx on private.message_unread_emails (outbox_id);
revoke all on private.message_unread_emails from public, anon, authenticated;
grant all on private.message_unread_emails to service_role;

-- The first instant at or after p_at outside the user's quiet hours (their settings, else the
-- defaults 20:00–08:00 and weekends, in their time zone, else the organization's).
create or replace function private.after_quiet_hours(p_user uuid, p_org uuid, p_at timestamptz) returns timestamptz
language plpgsql stable security definer
set search_path = ''
as $$
declare
  s public.notification_settings;
  v_zone text;
  v_local timestamp;
  v_start time;
  v_end time;
  v_weekends boolean;
begin
  select * into s from public.notification_settings where user_id = p_user;
  v_zone := coalesce(s.time_zone, (private.organization_calendar(p_org)).time_zone, 'Europe/Paris');
  v_start := coalesce(s.quiet_start, '20:00');
  v_end := coalesce(s.quiet_end, '08:00');
  v_weekends := coalesce(s.quiet_weekends, true);
  v_local := p_at at time zone v_zone;
  for i in 1..8 loop
    if v_weekends and extract(isodow from v_local) in (6, 7) then
      v_local := v_local::date + 1 + v_end;
    elsif v_start > v_end and v_local::time >= v_start then
      v_local := v_local::date + 1 + v_end;
    elsif (v_start > v_end and v_local::time < v_end) or (v_start < v_end and v_local::time >= v_start
                                                            and v_local::time < v_end) then
      v_local := v_local::date + v_end;
    else
      exit;
    end if;
  end loop;
  return greatest(p_at, v_local at time zone v_zone);
end
$$;
revoke execute on function private.after_quiet_hours(uuid, uuid, timestamptz) from public, anon, authenticated;
grant execute on function private.after_quiet_hours(uuid, uuid, timestamptz) to service_role;

create or replace function private.message_unread_candidates(p_now timestamptz, p_limit integer default 500)
returns table (conversation_id uuid, user_id uuid, after_message_id bigint, organization_id uuid, email text,
               locale text, recipient_name text, sender_name text, conversation_title text, preview text,
               organization text, primary_color text, legal_footer text, email_enabled boolean,
               send_after timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select p.conversation_id, p.user_id, coalesce(p.last_read_message_id, 0), p.organization_id, u.email::text,
         coalesce(ns.locale, 'fr'),
         coalesce(nullif(btrim(concat_ws(' ', u.raw_user_meta_data ->> 'first_name',
                                         u.raw_user_meta_data ->> 'last_name')), ''),
                  u.raw_user_meta_data ->> 'full_name', ''),
         coalesce(sp.display_name, 'Support'),
         coalesce(c.title, case c.kind when 'support' then 'Support' else 'Conversation' end),
         left(regexp_replace(coalesce(m.body, '(pièce jointe)'), '\s+', ' ', 'g'), 100),
         o.name, o.primary_color, o.legal_footer,
         coalesce(pref.enabled and pref.mode = 'immediate', true),
         private.after_quiet_hours(p.user_id, p.organization_id, p_now)
  from public.conversation_participants p
  join public.conversations c on c.id = p.conversation_id
  join public.organizations o on o.id = p.organization_id
  join auth.users u on u.id = p.user_id
  cross join lateral (
    select x.id, x.body, x.sender_id, x.created_at from public.messages x
    where x.conversation_id = p.conversation_id and x.id > coalesce(p.last_read_message_id, 0)
      and x.sender_id is distinct from p.user_id and x.deleted_at is null and x.hidden_at is null
    order by x.id limit 1) m
  left join public.conversation_participants sp on sp.conversation_id = p.conversation_id
    and sp.user_id = m.sender_id
  left join public.notification_settings ns on ns.user_id = p.user_id
  left join public.notification_preferences pref on pref.user_id = p.user_id and pref.event = 'message_unread'
    and pref.channel = 'email'
  where p.unread_count > 0 and not p.muted and u.email is not null
    and m.created_at <= p_now - interval '30 minutes'
    and not exists (select 1 from private.message_unread_emails e
                    where e.conversation_id = p.conversation_id and e.user_id = p.user_id
                      and e.after_message_id = coalesce(p.last_read_message_id, 0))
  order by m.created_at
  limit p_limit
$$;
revoke execute on function private.message_unread_candidates(timestamptz, integer) from public, anon, authenticated;
grant execute on function private.message_unread_candidates(timestamptz, integer) to service_role;

create or replace function private.record_message_unread_email(p_conversation uuid, p_user uuid, p_after bigint,
                                                               p_outbox uuid)
returns void
language sql security definer
set search_path = ''
as $$
  insert into private.message_unread_emails (conversation_id, user_id, after_message_id, outbox_id)
  values (p_conversation, p_user, p_after, p_outbox)
  on conflict do nothing
$$;
revoke execute on function private.record_message_unread_email(uuid, uuid, bigint, uuid) from public, anon,
  authenticated;
grant execute on function private.record_message_unread_email(uuid, uuid, bigint, uuid) to service_role;
