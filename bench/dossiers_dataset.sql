-- The dossier benchmark's data set, generated set-based: one organization ("Cabinet Bench") with an
-- admin, 16 experts (every active product), `bench.companies` client companies (100 000 for the full
-- run) and one dossier per company and active product (1 000 000 dossiers) spread over every workflow
-- status, each with its timeline ("created" plus the event that brought it to its status: 2 000 000
-- events minus the fresh ones) and the awaited action its status opens (migration 0106), with its
-- running clock segment and thresholds.
-- People are inserted with their triggers; the bulk rows without (row-by-row triggers: counters,
-- realtime, awaited actions), whose effects are then produced set-wise from the dossiers themselves.
insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)
select md5('bench-user:' || n)::uuid, 'authenticated', 'authenticated',
       case when n = 0 then 'admin@bench.test' else format('expert%s@bench.test', lpad(n::text, 2, '0')) end,
       '{}', now(), now()
from generate_series(0, 16) n;
insert into public.organizations (id, name, slug) values (md5('bench-dossiers-org')::uuid, 'Cabinet Bench', 'bench-dossiers');
insert into public.memberships (organization_id, user_id, role)
select md5('bench-dossiers-org')::uuid, md5('bench-user:' || n)::uuid, case when n = 0 then 'admin' else 'expert' end
from generate_series(0, 16) n;
insert into public.expert_profiles (id, organization_id, user_id, display_name, approval_status)
select md5('bench-expert:' || n)::uuid, md5('bench-dossiers-org')::uuid, md5('bench-user:' || n)::uuid,
       format('Expert %s', n), 'approved'
from generate_series(1, 16) n;
insert into public.expert_products (expert_id, product_code, organization_id, level)
select md5('bench-expert:' || n)::uuid, p.code, md5('bench-dossiers-org')::uuid, 'expert'
from generate_series(1, 16) n cross join public.products p where p.active;
update public.expert_terms set capacity = 1000 where organization_id = md5('bench-dossiers-org')::uuid;

set session_replication_role = replica;

insert into public.client_companies (id, organization_id, name, sector, departement)
select md5('bench-company:' || n)::uuid, md5('bench-dossiers-org')::uuid, format('Société %s', n),
       (array['Transport et Logistique', 'Commerce et Distribution', 'Industrie et Fabrication',
              'BTP et Construction'])[1 + n % 4],
       lpad((1 + n % 95)::text, 2, '0')
from generate_series(1, current_setting('bench.companies')::int) n;

create temporary table bench_statuses on commit drop as
select row_number() over (order by sort_order) - 1 as k, code, step
from public.dossier_statuses
where code not in ('on_hold', 'awaiting_reassignment', 'expert_pending_acceptance');

insert into public.dossiers (id, organization_id, client_company_id, product_code, status, estimated_amount,
                             audited_amount, priority, expert_id, created_at, updated_at, status_changed_at)
select md5('bench-dossier:' || c.n || ':' || p.code)::uuid, md5('bench-dossiers-org')::uuid,
       md5('bench-company:' || c.n)::uuid, p.code, s.code, (1000 + (c.n * 37 + p.position * 101) % 90000)::numeric,
       case when s.step >= 5 then (900 + (c.n * 31) % 80000)::numeric end,
       (1 + (c.n + p.position) % 3)::smallint,
       case when s.step >= 3 then md5('bench-expert:' || (1 + (c.n + p.position) % 16))::uuid end,
       now() - make_interval(mins => ((c.n * 13 + p.position) % 1000000)::int),
       now() - make_interval(mins => ((c.n * 7 + p.position) % 500000)::int),
       now() - make_interval(mins => ((c.n * 7 + p.position) % 500000)::int)
from generate_series(1, current_setting('bench.companies')::int) c(n)
cross join (select code, row_number() over (order by code) as position from public.products where active) p
join bench_statuses s on s.k = (c.n * 7 + p.position * 3) % (select count(*) from bench_statuses);

insert into public.dossier_events (organization_id, dossier_id, type, to_status, actor_kind, actor_role, title_fr,
                                   title_en, details, visibility, created_at)
select d.organization_id, d.id, 'created', 'pending_upload', 'system', 'system',
       'Dossier créé à la suite d''une simulation', 'Case created from a simulation', '{}'::jsonb, 'partner',
       d.created_at
from public.dossiers d where d.organization_id = md5('bench-dossiers-org')::uuid;

insert into public.dossier_events (organization_id, dossier_id, type, command, from_status, to_status, actor_kind,
                                   actor_role, title_fr, title_en, details, visibility, created_at)
select d.organization_id, d.id, 'override', 'override', 'pending_upload', d.status, 'system', 'system',
       'Statut : ' || s.label_fr, 'Status: ' || s.label_en, '{}'::jsonb, 'partner', d.status_changed_at
from public.dossiers d join public.dossier_statuses s on s.code = d.status
where d.organization_id = md5('bench-dossiers-org')::uuid and d.status <> 'pending_upload';

-- Each dossier's status opens its awaited action at the status change, clock running (what
-- private.track_dossier_status does row by row). The thresholds are the rule's, on the organization's
-- calendar: private.business_due set-wise — the calendar's working windows over the whole period with
-- the working seconds before each, a threshold being the window where the running total reaches it.
create temporary table bench_windows on commit drop as
select w.opens_at, w.closes_at,
       sum(extract(epoch from w.closes_at - w.opens_at)) over (order by w.opens_at) as upto_s,
       sum(extract(epoch from w.closes_at - w.opens_at)) over (order by w.opens_at)
         - extract(epoch from w.closes_at - w.opens_at) as before_s
from private.business_windows(private.organization_calendar(md5('bench-dossiers-org')::uuid),
                              (select min(status_changed_at) from public.dossiers
                               where organization_id = md5('bench-dossiers-org')::uuid)::date - 1,
                              current_date + 400) w;
create index on bench_windows (closes_at);
create index on bench_windows (upto_s);
analyze bench_windows;

create temporary table bench_rules on commit drop as
select r.code, r.clock, r.active,
       greatest(round(r.target * u.per_unit), 0)::integer as t,
       greatest(round(r.warning * u.per_unit), 0)::integer as w,
       greatest(round(r.breach * u.per_unit), 0)::integer as b
from public.awaited_action_rules r
cross join lateral (select case when r.clock = 'wall' then 60
                                else private.calendar_day_minutes(private.organization_calendar(r.organization_id))
                           end as per_unit) u
where r.organization_id = md5('bench-dossiers-org')::uuid;

insert into public.awaited_actions (organization_id, dossier_id, code, subject, clock, opened_at, running_since,
                                    target_minutes, warning_minutes, breach_minutes, target_at, warning_at,
                                    breach_at)
select d.organization_id, d.id, r.code, '', r.clock, d.status_changed_at, d.status_changed_at, r.t, r.w, r.b,
       case when r.active then due.t end, case when r.active then due.w end, case when r.active then due.b end
from public.dossiers d
join bench_rules r on r.code = private.status_awaited_action(d.status)
cross join lateral (select x.before_s + greatest(0, extract(epoch from d.status_changed_at - x.opens_at)) as s
                    from bench_windows x where x.closes_at > d.status_changed_at
                    order by x.closes_at limit 1) pos
cross join lateral (
  select case when r.clock = 'wall' then d.status_changed_at + make_interval(mins => r.t) else
           (select x.opens_at + make_interval(secs => pos.s + r.t * 60 - x.before_s) from bench_windows x
            where x.upto_s >= pos.s + r.t * 60 order by x.upto_s limit 1) end as t,
         case when r.clock = 'wall' then d.status_changed_at + make_interval(mins => r.w) else
           (select x.opens_at + make_interval(secs => pos.s + r.w * 60 - x.before_s) from bench_windows x
            where x.upto_s >= pos.s + r.w * 60 order by x.upto_s limit 1) end as w,
         case when r.clock = 'wall' then d.status_changed_at + make_interval(mins => r.b) else
           (select x.opens_at + make_interval(secs => pos.s + r.b * 60 - x.before_s) from bench_windows x
            where x.upto_s >= pos.s + r.b * 60 order by x.upto_s limit 1) end as b) due
where d.organization_id = md5('bench-dossiers-org')::uuid;

insert into public.awaited_action_segments (organization_id, action_id, state, started_at)
select a.organization_id, a.id, 'running', a.opened_at
from public.awaited_actions a where a.organization_id = md5('bench-dossiers-org')::uuid;

set session_replication_role = origin;

update public.expert_terms t
set open_dossiers = c.open, completed_dossiers = c.done
from (select d.expert_id, count(*) filter (where not private.dossier_is_finished(d.status)) as open,
             count(*) filter (where private.dossier_is_completed(d.status)) as done
      from public.dossiers d where d.organization_id = md5('bench-dossiers-org')::uuid and d.expert_id is not null
      group by d.expert_id) c
where t.expert_id = c.expert_id;
