-- Why: someone who set the unread-message email (`message_unread`) to the daily digest received
-- nothing at all: the `messages-unread` job skipped them, and the digest (0136) lists notifications,
-- which unread messages never were. Now the job writes, for such a person, one notification per
-- (conversation, read pointer) — "Nouveau message de …" with the preview and a link to the
-- conversation — flagged for the digest; the digest lists it at 08:30 if it is still unread, and
-- reading the conversation marks it read (so a read conversation is never in a digest). Email set to
-- immediate or off behaves as before. private.message_unread_candidates says which (`email_mode`).

drop function if exists private.message_unread_candidates(timestamptz, integer);
create or replace function private.message_unread_candidates(p_now timestamptz, p_limit integer default 500)
returns table (conversation_id uuid, user_id uuid, after_message_id bigint, organization_id uuid, email text,
               locale text, recipient_name text, sender_name text, conversation_title text, preview text,
               organization text, primary_color text, legal_footer text, email_enabled boolean,
               send_after timestamptz, email_mode text)
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
         private.after_quiet_hours(p.user_id, p.organization_id, p_now),
         case when pref.enabled is false then 'off' when pref.mode = 'digest' then 'digest' else 'immediate' end
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

-- The digest's notice of one candidate (idempotent per conversation, person and read pointer), and the
-- candidate recorded as handled.
create or replace function private.queue_message_unread_digest(p_conversation uuid, p_user uuid, p_after bigint,
                                                               p_organization uuid, p_title text, p_body text)
returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.notifications (organization_id, recipient_id, event, title, body, link, dedupe_key, email_digest)
  values (p_organization, p_user, 'message_unread', left(p_title, 300), left(coalesce(p_body, ''), 4000),
          '/conversations/' || p_conversation,
          'message_unread:' || p_conversation || ':' || p_user || ':' || p_after, true)
  on conflict (dedupe_key) do nothing;
  perform private.record_message_unread_email(p_conversation, p_user, p_after, null);
end
$$;
revoke execute on function private.queue_message_unread_digest(uuid, uuid, bigint, uuid, text, text)
  from public, anon, authenticated;
grant execute on function private.queue_message_unread_digest(uuid, uuid, bigint, uuid, text, text) to service_role;

-- 0142's hooks of a read, plus the digest's notices of that conversation.
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
    -- read in the conversation: its unread-message notices waiting for the digest are read too
    update public.notifications n set status = 'read', read_at = now()
    where n.recipient_id = p_new.user_id and n.status = 'unread' and n.event = 'message_unread'
      and n.link = '/conversations/' || p_new.conversation_id;
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
