-- The reminder sweep's data set, generated set-based: {orgs} organizations ("Cabinet Relances N"), each
-- with an owner and {companies} client companies with one client user each, one dossier per company and
-- active product ({orgs} × {companies} × 10 dossiers), and one open running awaited action per dossier
-- (`eligibility_documents`, waiting on the client) with its materialised thresholds. {due} instances,
-- spread at random over every organization and company, have their next step (the reminder) due
-- before the sweep instant T; the others are due later. Bulk rows are written without their triggers.
set session_replication_role = replica;

insert into public.organizations (id, name, slug)
select md5('bench-followup-org:' || o)::uuid, 'Cabinet Relances ' || o, 'bench-followup-' || o
from generate_series(1, {orgs}) o;
insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)
select md5('bench-followup-owner:' || o)::uuid, 'authenticated', 'authenticated', format('owner%s@relances.test', o),
       '{{}}', now(), now()
from generate_series(1, {orgs}) o;
insert into public.memberships (organization_id, user_id, role)
select md5('bench-followup-org:' || o)::uuid, md5('bench-followup-owner:' || o)::uuid, 'owner'
from generate_series(1, {orgs}) o;
select private.seed_awaited_action_rules(md5('bench-followup-org:' || o)::uuid) from generate_series(1, {orgs}) o;

insert into public.client_companies (id, organization_id, name, sector, departement)
select md5('bench-followup-company:' || o || ':' || n)::uuid, md5('bench-followup-org:' || o)::uuid,
       format('Transports %s-%s', o, n), 'Transport et Logistique', lpad((1 + n % 95)::text, 2, '0')
from generate_series(1, {orgs}) o cross join generate_series(1, {companies}) n;
insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
select md5('bench-followup-client:' || o || ':' || n)::uuid, 'authenticated', 'authenticated',
       format('client%s-%s@relances.test', o, n), '{{}}', jsonb_build_object('full_name', format('Client %s-%s', o, n)),
       now(), now()
from generate_series(1, {orgs}) o cross join generate_series(1, {companies}) n;
insert into public.memberships (organization_id, user_id, role)
select md5('bench-followup-org:' || o)::uuid, md5('bench-followup-client:' || o || ':' || n)::uuid, 'client'
from generate_series(1, {orgs}) o cross join generate_series(1, {companies}) n;
insert into public.client_company_users (company_id, user_id, organization_id)
select md5('bench-followup-company:' || o || ':' || n)::uuid, md5('bench-followup-client:' || o || ':' || n)::uuid,
       md5('bench-followup-org:' || o)::uuid
from generate_series(1, {orgs}) o cross join generate_series(1, {companies}) n;

insert into public.dossiers (id, organization_id, client_company_id, product_code, status, created_at, updated_at,
                             status_changed_at)
select md5('bench-followup-dossier:' || o || ':' || n || ':' || p.code)::uuid, md5('bench-followup-org:' || o)::uuid,
       md5('bench-followup-company:' || o || ':' || n)::uuid, p.code, 'pending_upload',
       {T} - interval '30 days', {T} - interval '30 days',
       {T} - interval '30 days'
from generate_series(1, {orgs}) o cross join generate_series(1, {companies}) n
cross join (select code from public.products where active) p;

-- Due: the {due} dossiers with the smallest hash; their reminder was reached hours before T.
create temporary table bench_due on commit drop as
select d.id from public.dossiers d
where d.organization_id in (select md5('bench-followup-org:' || o)::uuid from generate_series(1, {orgs}) o)
order by md5(d.id::text) limit {due};
create unique index on bench_due (id);

insert into public.awaited_actions (organization_id, dossier_id, code, subject, clock, opened_at, running_since,
                                    target_minutes, warning_minutes, breach_minutes, target_at, warning_at,
                                    breach_at, next_step_at)
select d.organization_id, d.id, 'eligibility_documents', '', 'business', d.created_at, d.created_at, 1350, 3150, 6750,
       case when due.id is not null then {T} - interval '2 hours' else {T} + interval '3 days' end,
       {T} + interval '6 days', {T} + interval '12 days',
       case when due.id is not null then {T} - interval '2 hours' else {T} + interval '3 days' end
from public.dossiers d left join bench_due due on due.id = d.id
where d.organization_id in (select md5('bench-followup-org:' || o)::uuid from generate_series(1, {orgs}) o);

insert into public.awaited_action_segments (organization_id, action_id, state, started_at)
select a.organization_id, a.id, 'running', a.opened_at from public.awaited_actions a;

set session_replication_role = origin;
