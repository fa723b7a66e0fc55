-- Why: a participant needs one screen per dossier (company, product, step and progress, amounts,
-- expert, checklist, open requests, the next expected action and who must take it, what may happen
-- now, the timeline) and a list with filters and keyset pages. Both are answered by the database in
-- one call each, for front ends (RPC) and the `dossier` function alike: the detail and the timeline
-- are security-definer functions that check the caller themselves (404 when the dossier is not
-- theirs) and show each role only the events meant for it; the list runs under RLS.

-- Keyset pages of an organization's dossiers, newest activity or creation first.
create index if not exists dossiers_organization_updated_idx on public.dossiers (organization_id, updated_at desc, id desc);
create index if not exists dossiers_organization_created_idx on public.dossiers (organization_id, created_at desc, id desc);
create index if not exists dossiers_client_company_updated_idx on public.dossiers (client_company_id, updated_at desc, id desc);
create index if not exists dossiers_expert_updated_idx on public.dossiers (expert_id, updated_at desc, id desc)
  where expert_id is not null;

-- The step and progress a dossier shows: its status's, or the kept status's for awaiting_reassignment
-- (resume_status) and on_hold (held_status).
create or replace function private.shown_status(p_status text, p_resume text, p_held text) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select case when p_status = 'awaiting_reassignment' and p_resume is not null then p_resume
              when p_status = 'on_hold' and p_held is not null then p_held
              else p_status end
$$;
revoke execute on function private.shown_status(text, text, text) from public, anon;
grant execute on function private.shown_status(text, text, text) to authenticated, service_role;

-- Marketplace event kinds the timeline does not repeat: the status change they caused is a dossier event.
create or replace function private.marketplace_kind_title(p_kind text, p_lang text) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select case p_lang when 'en' then
    case p_kind when 'offer_declined' then 'Offer declined by the expert'
                when 'offer_expired' then 'Offer expired without an answer'
                when 'offer_withdrawn' then 'Offer withdrawn'
                when 'expert_proposed' then 'Expert proposed'
                when 'handed_over' then 'Case handed over to the expert''s substitute'
                when 'review_posted' then 'Review of the expert posted'
                else replace(p_kind, '_', ' ') end
  else
    case p_kind when 'offer_declined' then 'Proposition déclinée par l''expert'
                when 'offer_expired' then 'Proposition expirée sans réponse'
                when 'offer_withdrawn' then 'Proposition retirée'
                when 'expert_proposed' then 'Expert proposé'
                when 'handed_over' then 'Dossier transmis au suppléant de l''expert'
                when 'review_posted' then 'Avis publié sur l''expert'
                else replace(p_kind, '_', ' ') end
  end
$$;
revoke execute on function private.marketplace_kind_title(text, text) from public, anon;
grant execute on function private.marketplace_kind_title(text, text) to authenticated, service_role;

-- The timeline a caller sees: the dossier's events for their audience merged with the marketplace's
-- (staff: all; the assigned expert: client-visible ones and those about them; clients and partners:
-- client-visible ones), oldest first, keyset by (created_at, source, id).
create or replace function public.dossier_timeline(p_dossier_id uuid, p_limit integer default 500)
returns table (
  source text, id bigint, type text, command text, from_status text, to_status text, actor_kind text,
  actor_id uuid, actor_role text, actor_name text, title_fr text, title_en text, details jsonb, visibility text,
  created_at timestamptz
)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  d public.dossiers := private.visible_dossier(p_dossier_id);
  v_audience text[] := case when (select auth.uid()) is null then array['staff', 'expert', 'client', 'partner']
                            else private.my_event_audience(p_dossier_id) end;
  v_staff boolean := 'staff' = any (v_audience);
  v_mine uuid[] := array(select private.my_expert_profile_ids());
begin
  return query
    select * from (
      select 'dossier'::text, e.id, e.type, e.command, e.from_status, e.to_status, e.actor_kind, e.actor_id,
             e.actor_role, e.actor_name, e.title_fr, e.title_en, e.details, e.visibility, e.created_at
      from public.dossier_events e
      where e.dossier_id = p_dossier_id and e.visibility = any (v_audience)
      union all
      select 'marketplace'::text, m.id, m.kind, null::text, null::text, null::text, m.actor_kind, m.actor_id,
             null::text, null::text, private.marketplace_kind_title(m.kind, 'fr'),
             private.marketplace_kind_title(m.kind, 'en'),
             case when v_staff then m.detail else m.detail - 'score' - 'parts' end,
             case when m.client_visible then 'client' else 'staff' end, m.created_at
      from public.marketplace_events m
      where m.dossier_id = p_dossier_id
        and m.kind not in ('offer_made', 'offer_accepted', 'assignment_forced', 'expert_released',
                           'returned_to_matching', 'assignment_failed')
        and (v_staff or m.client_visible or m.expert_id = any (v_mine))
        and cardinality(v_audience) > 0
    ) t
    order by 15, 1, 2
    limit greatest(1, least(coalesce(p_limit, 500), 2000));
end
$$;
revoke execute on function public.dossier_timeline(uuid, integer) from public, anon;
grant execute on function public.dossier_timeline(uuid, integer) to authenticated, service_role;

-- Everything a participant needs on one screen, as JSON.
create or replace function public.dossier_detail(p_dossier_id uuid, p_timeline_limit integer default 200)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  d public.dossiers := private.visible_dossier(p_dossier_id);
  v_roles text[] := private.dossier_roles(p_dossier_id);
  v_audience text[] := case when (select auth.uid()) is null then array['staff', 'expert', 'client', 'partner']
                            else private.my_event_audience(p_dossier_id) end;
  v_result jsonb;
begin
  select jsonb_build_object(
    'id', d.id, 'organization_id', d.organization_id,
    'status', d.status, 'status_label_fr', st.label_fr, 'status_label_en', st.label_en,
    'held_status', d.held_status, 'resume_status', d.resume_status,
    'step', sh.step, 'step_label_fr', sh.step_label_fr, 'step_label_en', sh.step_label_en, 'progress', sh.progress,
    'is_open', st.is_open, 'is_finished', st.is_finished,
    'priority', d.priority, 'created_at', d.created_at, 'updated_at', d.updated_at,
    'status_changed_at', d.status_changed_at,
    'company', jsonb_build_object('id', c.id, 'name', c.name, 'siren', c.siren, 'sector', c.sector,
                                  'departement', c.departement, 'city', c.city),
    'product', jsonb_build_object('code', p.code, 'name', p.name, 'category', p.category),
    -- money and rates as decimal strings ("12000.00", "0.3000"), never binary floats
    'amounts', jsonb_build_object('estimated', d.estimated_amount::text, 'audited', d.audited_amount::text,
                                  'accepted', d.audit_amount::text, 'claimed', d.claimed_amount::text,
                                  'granted', d.granted_amount::text, 'refunded', d.refunded_amount::text),
    'audit', case when d.audit_revision is null then null else jsonb_build_object(
      'revision', d.audit_revision, 'amount', d.audited_amount::text,
      'client_fee_rate', d.proposed_client_fee_rate::text, 'accepted_revision', d.accepted_audit_revision) end,
    'rates', case when d.rates_frozen_at is null then null else jsonb_build_object(
      'client_fee_rate', d.client_fee_rate::text, 'platform_fee_rate', d.platform_fee_rate::text,
      'partner_share_rate', d.partner_share_rate::text, 'frozen_at', d.rates_frozen_at) end,
    'claim', case when d.claim_filed_on is null then null else jsonb_build_object(
      'filed_on', d.claim_filed_on, 'administration', d.claim_administration,
      'administration_name', d.claim_administration_name, 'reference', d.claim_reference,
      'claimed_amount', d.claimed_amount::text) end,
    'decision', case when d.decision is null then null else jsonb_build_object(
      'decision', d.decision, 'granted_amount', d.granted_amount::text, 'decided_on', d.decided_on,
      'reason', d.decision_reason) end,
    'refund', case when d.refunded_amount is null then null else jsonb_build_object(
      'amount', d.refunded_amount::text, 'refunded_on', d.refunded_on) end,
    'hold', case when d.held_status is null then null else jsonb_build_object(
      'held_status', d.held_status, 'since', d.held_at, 'reason', d.hold_reason, 'resume_on', d.hold_until) end,
    'outcome', d.outcome, 'closed_at', d.closed_at, 'cancelled_at', d.cancelled_at, 'cancel_reason', d.cancel_reason,
    'invoice_id', d.invoice_id,
    'expert', case when e.id is null then null else jsonb_build_object(
      'id', e.id, 'display_name', e.display_name, 'company_name', e.company_name) end,
    'next_action', case when shn.waiting_on is null then null else jsonb_build_object(
      'waiting_on', shn.waiting_on, 'label_fr', shn.next_action_fr, 'label_en', shn.next_action_en,
      'mine', case shn.waiting_on when 'admin' then 'admin' = any (v_roles)
                                  when 'expert' then 'expert' = any (v_roles)
                                    or d.id in (select private.my_offered_dossier_ids())
                                  when 'client' then 'client' = any (v_roles) else false end) end,
    'my_roles', to_jsonb(v_roles),
    'checklist', private.dossier_checklist(d.id),
    'allowed_commands', (select coalesce(jsonb_agg(to_jsonb(a) order by a.command), '[]'::jsonb)
                         from public.dossier_allowed_commands(d.id) a),
    'timeline', (select coalesce(jsonb_agg(to_jsonb(t) order by t.created_at, t.source, t.id), '[]'::jsonb)
                 from public.dossier_timeline(d.id, p_timeline_limit) t)
  ) into v_result
  from public.dossier_statuses st
  join public.dossier_statuses sh on sh.code = private.shown_status(d.status, d.resume_status, d.held_status)
  -- the next action of a held dossier is its resumption, of the others their shown status's
  join public.dossier_statuses shn on shn.code = case when d.status = 'on_hold' then 'on_hold'
                                                      else private.shown_status(d.status, d.resume_status, null) end
  join public.client_companies c on c.id = d.client_company_id
  join public.products p on p.code = d.product_code
  left join public.expert_profiles e on e.id = d.expert_id
  where st.code = d.status;
  -- Partners follow status and amounts only.
  if v_audience = array['partner'] then
    v_result := v_result - 'checklist' - 'hold' - 'cancel_reason' || jsonb_build_object('checklist', null);
  end if;
  return v_result;
end
$$;
revoke execute on function public.dossier_detail(uuid, integer) from public, anon;
grant execute on function public.dossier_detail(uuid, integer) to authenticated, service_role;

-- What an expert is being offered: the dossier's brief (company, sector, département, product,
-- estimate) with the offer, so they can decide without seeing anything else.
create or replace function public.my_dossier_offers()
returns table (
  offer_id uuid, dossier_id uuid, offered_at timestamptz, expires_at timestamptz, score numeric, source text,
  company_name text, sector text, departement text, city text, product_code text, product_name text,
  estimated_amount numeric, priority smallint
)
language sql stable security definer
set search_path = ''
as $$
  select o.id, d.id, o.offered_at, o.expires_at, o.score, o.source, c.name, c.sector, c.departement, c.city,
         p.code, p.name, d.estimated_amount, d.priority
  from public.assignment_offers o
  join public.expert_profiles e on e.id = o.expert_id
  join public.dossiers d on d.id = o.dossier_id
  join public.client_companies c on c.id = d.client_company_id
  join public.products p on p.code = d.product_code
  where e.user_id = (select auth.uid()) and o.status = 'offered'
  order by o.expires_at, o.id
$$;
revoke execute on function public.my_dossier_offers() from public, anon;
grant execute on function public.my_dossier_offers() to authenticated;
