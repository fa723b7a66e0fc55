-- The marketplace benchmark's data set, generated set-based: 20 organizations, 100 000 experts,
-- 200 000 client companies and 1 000 000 dossiers. Organization 1 is the large one (40 000 experts,
-- 400 000 dossiers); the 19 others share the rest. Deterministic (setseed); triggers are off during
-- the load (session_replication_role = replica), so the derived rows they would maintain (expert
-- terms and counters, the match index) are computed here, consistently, in bulk.
set session_replication_role = replica;
select setseed(0.20260301);

create temporary table bench_orgs on commit drop as
select k as org_no, md5('bench-org:' || k)::uuid as id,
       case when k = 1 then 1 else 40001 + (k - 2) * 3158 end as expert_start,
       case when k = 1 then 40000 when k = 20 then 100000 - 40000 - 18 * 3158 else 3158 end as expert_count,
       case when k = 1 then 1 else 80001 + (k - 2) * 6316 end as company_start,
       case when k = 1 then 80000 when k = 20 then 200000 - 80000 - 18 * 6316 else 6316 end as company_count
from generate_series(1, 20) as k;

create temporary table bench_words on commit drop as
select array['fiscalité', 'énergie', 'transport', 'remboursement', 'TICPE', 'URSSAF', 'cotisations', 'foncière',
             'contentieux', 'audit', 'économies', 'électricité', 'gaz', 'recouvrement', 'créances', 'agriculture',
             'chronotachygraphe', 'crédit', 'impôt', 'recherche', 'logistique', 'paie', 'déclarations', 'sociales',
             'optimisation', 'charges', 'accompagnement', 'expertise', 'comptable', 'juridique', 'industrie',
             'restauration', 'hôtellerie', 'santé', 'bâtiment', 'négociation', 'fournisseurs', 'contrats',
             'subventions', 'amortissements'] as words,
       array['Émilie', 'Étienne', 'Sophie', 'Hélène', 'François', 'Chloé', 'Jérôme', 'Noël', 'Maël', 'Zoé',
             'Inès', 'Loïc', 'Gaëlle', 'André', 'Cécile', 'Benoît', 'Anaïs', 'Raphaël', 'Léa', 'Jules'] as first_names,
       array['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
             'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'Bézier', 'Lemaître', 'Crémieux', 'Faure',
             'Rousseau'] as last_names,
       array['Transport et Logistique', 'Commerce et Distribution', 'Industrie et Fabrication',
             'Services aux Entreprises', 'BTP et Construction', 'Restauration et Hôtellerie',
             'Santé et Services Sociaux', 'Agriculture et Agroalimentaire', 'Services à la Personne',
             'Autre secteur'] as sectors,
       array['01', '06', '13', '31', '33', '35', '38', '44', '59', '67', '69', '75', '76', '92', '93', '94', '2A',
             '974'] as departements,
       array['ticpe', 'urssaf', 'dfs', 'foncier', 'msa', 'energie_elec', 'energie_gaz', 'recouvrement',
             'chronotachygraphes', 'logiciel_solid', 'cee', 'tva', 'cir'] as products;

insert into public.organizations (id, name, slug, assignment_mode)
select id, 'Bench ' || org_no, 'bench-' || org_no, 'client_choice' from bench_orgs;

-- Experts: users, memberships, profiles, terms.
create temporary table bench_experts on commit drop as
select n, o.id as org_id, md5('bench-expert:' || n)::uuid as id, md5('bench-expert-user:' || n)::uuid as user_id
from bench_orgs o, generate_series(o.expert_start, o.expert_start + o.expert_count - 1) as n;

insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)
select user_id, 'authenticated', 'authenticated', 'expert' || n || '@bench.test', '{}', now(), now() from bench_experts;
insert into public.memberships (organization_id, user_id, role) select org_id, user_id, 'expert' from bench_experts;

insert into public.expert_profiles (id, organization_id, user_id, display_name, company_name, approval_status,
                                    activity, sectors, departements, languages, description, certifications, rating,
                                    review_count)
select e.id, e.org_id, e.user_id,
       w.first_names[1 + (n * 7) % 20] || ' ' || w.last_names[1 + (n * 13) % 20],
       'Cabinet ' || w.last_names[1 + (n * 11) % 20],
       case when random() < 0.95 then 'approved' when random() < 0.6 then 'pending' else 'suspended' end,
       case when random() < 0.95 then 'active' else 'paused' end,
       case when random() < 0.4 then '{}'::text[]
            else array(select distinct w.sectors[1 + floor(random() * 10)::int + 0 * n]
                       from generate_series(1, 1 + (n % 2))) end,
       case when random() < 0.15 then array['national']
            else array(select distinct w.departements[1 + floor(random() * 18)::int + 0 * n]
                       from generate_series(1, 1 + (n % 3))) end,
       case when random() < 0.2 then array['fr', 'en'] when random() < 0.05 then array['fr', 'es'] else array['fr'] end,
       (select string_agg(w.words[1 + floor(random() * 40)::int + 0 * g + 0 * n], ' ') from generate_series(1, 10) as g),
       case when random() < 0.5 then array['Expert-comptable'] else array['Avocat fiscaliste'] end,
       case when random() < 0.7 then round((2.5 + random() * 2.5)::numeric, 1) end,
       0
from bench_experts e, bench_words w;
update public.expert_profiles p set review_count = 1 + (abs(hashtext(p.id::text)) % 40), approved_at = now()
where p.organization_id in (select id from bench_orgs) and p.rating is not null;

insert into public.expert_terms (expert_id, organization_id, user_id, capacity, last_assigned_at, recent_assignments)
select e.id, e.org_id, e.user_id, 5 + (n % 16),
       now() - make_interval(hours => (n % 1440)),
       array(select now() - make_interval(hours => (n * k) % 700) from generate_series(1, n % 4) as k order by 1)
from bench_experts e;

insert into public.expert_products (expert_id, product_code, organization_id, level)
select e.id, w.products[1 + (e.n * 7 + k * 5) % 13], e.org_id,
       (array['debutant', 'intermediaire', 'avance', 'expert'])[1 + (e.n + k) % 4]
from bench_experts e, bench_words w, generate_series(0, 2) as k
where k <= e.n % 3;

insert into public.expert_absences (expert_id, organization_id, starts_at, ends_at)
select e.id, e.org_id, now() - interval '2 days', now() + interval '5 days' from bench_experts e where e.n % 50 = 0;

-- Companies and dossiers: each company has 5 products; 10 % of dossiers wait for an expert.
create temporary table bench_companies on commit drop as
select c, o.org_no, o.id as org_id, o.expert_start, o.expert_count, md5('bench-company:' || c)::uuid as id
from bench_orgs o, generate_series(o.company_start, o.company_start + o.company_count - 1) as c;

insert into public.client_companies (id, organization_id, name, sector, departement)
select c.id, c.org_id, 'Société ' || c.c, w.sectors[1 + (c.c * 3) % 10], w.departements[1 + (c.c * 5) % 18]
from bench_companies c, bench_words w;

insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id, estimated_amount)
select c.org_id, c.id, w.products[1 + (c.c + k * 3) % 13], s.status,
       case when s.status in ('pending_upload', 'pending_admin_validation', 'admin_validated') then null
            else md5('bench-expert:' || (c.expert_start + floor(random() * c.expert_count)::int))::uuid end,
       round((1000 + random() * 90000)::numeric, 2)
from bench_companies c, bench_words w, generate_series(0, 4) as k,
     lateral (select case when r < 0.25 then 'pending_upload' when r < 0.30 then 'pending_admin_validation'
                          when r < 0.40 then 'admin_validated' when r < 0.55 then 'expert_assigned'
                          when r < 0.65 then 'documents_requested' when r < 0.75 then 'audit_in_progress'
                          else 'closed' end as status
              from (select random() + 0 * k + 0 * c.c as r) as x) as s;

-- Counters from the dossiers, and capacity never below the generated load.
update public.expert_terms t
set open_dossiers = c.open, completed_dossiers = c.done, capacity = greatest(t.capacity, c.open)
from (select d.expert_id, count(*) filter (where d.status <> 'closed') as open,
             count(*) filter (where d.status = 'closed') as done
      from public.dossiers d where d.expert_id is not null group by d.expert_id) as c
where t.expert_id = c.expert_id;

-- The benchmark's client users: one for every 50th company of each organization.
insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)
select md5('bench-client:' || c)::uuid, 'authenticated', 'authenticated', 'client' || c || '@bench.test', '{}',
       now(), now()
from bench_companies where c % 50 = 0;
insert into public.memberships (organization_id, user_id, role)
select org_id, md5('bench-client:' || c)::uuid, 'client' from bench_companies where c % 50 = 0;
insert into public.client_company_users (company_id, user_id, organization_id)
select id, md5('bench-client:' || c)::uuid, org_id from bench_companies where c % 50 = 0;
insert into auth.users (id, aud, role, email, raw_app_meta_data, created_at, updated_at)
select md5('bench-admin:' || org_no)::uuid, 'authenticated', 'authenticated', 'admin' || org_no || '@bench.test',
       '{}', now(), now()
from bench_orgs;
insert into public.memberships (organization_id, user_id, role)
select id, md5('bench-admin:' || org_no)::uuid, 'admin' from bench_orgs;

-- The match index, as its triggers would have kept it.
insert into private.expert_match (expert_id, product_code, organization_id, level, link_active, approved, active,
                                  sectors, departements, languages, rating, completed_dossiers, open_dossiers,
                                  capacity, last_assigned_at, recent_assignments, scoped_vector)
select ep.expert_id, ep.product_code, p.organization_id, ep.level, ep.active, p.approval_status = 'approved',
       p.activity = 'active', p.sectors, p.departements, p.languages, p.rating, t.completed_dossiers,
       t.open_dossiers, t.capacity, t.last_assigned_at, t.recent_assignments,
       private.scoped_lexemes(p.organization_id, ep.product_code, p.search_vector)
from public.expert_products ep
join public.expert_profiles p on p.id = ep.expert_id
join public.expert_terms t on t.expert_id = ep.expert_id
where p.organization_id in (select id from bench_orgs);

set session_replication_role = origin;
