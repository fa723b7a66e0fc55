-- Why: an expert's load (open dossiers), experience (completed dossiers) and recency (last
-- assignment, assignments of the last 30 days) weigh in the match score and its tie-breaks, and
-- capacity must hold even when several accepts race. The database maintains them from the dossiers
-- themselves, in the transaction that changes a dossier, never by scanning on read: the update of
-- the expert's terms row serialises concurrent assignments of one expert, and an assignment that
-- would exceed capacity is refused (only a forced assignment, which sets a transaction-local
-- override, may go beyond it).

-- Dossier statuses, as far as the marketplace is concerned. Anything not listed as finished counts
-- as open work for its expert.
create or replace function private.dossier_is_finished(status text) returns boolean
language sql immutable parallel safe
as $$
  select status in ('closed', 'completed', 'refund_completed', 'archived', 'cancelled', 'rejected',
                    'admin_rejected')
$$;
create or replace function private.dossier_is_completed(status text) returns boolean
language sql immutable parallel safe
as $$
  select status in ('closed', 'completed', 'refund_completed')
$$;
create or replace function private.dossier_is_closed(status text) returns boolean
language sql immutable parallel safe
as $$
  select status in ('closed', 'completed', 'refund_completed', 'archived')
$$;
revoke execute on function private.dossier_is_finished(text), private.dossier_is_completed(text),
  private.dossier_is_closed(text) from public, anon;
grant execute on function private.dossier_is_finished(text), private.dossier_is_completed(text),
  private.dossier_is_closed(text) to authenticated, service_role;

-- Assignment times of the last 30 days, newest last, trimmed on each assignment.
alter table public.expert_terms add column if not exists recent_assignments timestamptz[] not null default '{}';

-- Like the other counters, only the database changes it (security invoker: current_user is the caller).
create or replace function private.protect_recent_assignments() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') and new.recent_assignments is distinct from old.recent_assignments then
    raise exception 'counters are maintained by the database' using errcode = '42501';
  end if;
  return new;
end
$$;
revoke execute on function private.protect_recent_assignments() from public, anon;
grant execute on function private.protect_recent_assignments() to authenticated, service_role;
create or replace trigger expert_terms_protect_recent_assignments before update on public.expert_terms
  for each row execute function private.protect_recent_assignments();

create or replace function private.count_recent(times timestamptz[], since timestamptz) returns integer
language sql immutable parallel safe
as $$
  select count(*)::integer from unnest(times) as t where t > since
$$;
revoke execute on function private.count_recent(timestamptz[], timestamptz) from public, anon;
grant execute on function private.count_recent(timestamptz[], timestamptz) to authenticated, service_role;

create or replace function private.maintain_expert_counters() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  was_open boolean := tg_op <> 'INSERT' and old.expert_id is not null and not private.dossier_is_finished(old.status);
  is_open boolean := tg_op <> 'DELETE' and new.expert_id is not null and not private.dossier_is_finished(new.status);
  was_done boolean := tg_op <> 'INSERT' and old.expert_id is not null and private.dossier_is_completed(old.status);
  is_done boolean := tg_op <> 'DELETE' and new.expert_id is not null and private.dossier_is_completed(new.status);
  same boolean := tg_op = 'UPDATE' and old.expert_id is not distinct from new.expert_id;
  assigned boolean := tg_op <> 'DELETE' and new.expert_id is not null and not same;
  terms record;
begin
  if was_open and not (is_open and same) then
    update public.expert_terms set open_dossiers = greatest(open_dossiers - 1, 0) where expert_id = old.expert_id;
  end if;
  if was_done and not (is_done and same) then
    update public.expert_terms set completed_dossiers = greatest(completed_dossiers - 1, 0)
    where expert_id = old.expert_id;
  end if;
  if (is_open and not (was_open and same)) or assigned or (is_done and not (was_done and same)) then
    update public.expert_terms t
    set open_dossiers = t.open_dossiers + case when is_open and not (was_open and same) then 1 else 0 end,
        completed_dossiers = t.completed_dossiers + case when is_done and not (was_done and same) then 1 else 0 end,
        last_assigned_at = case when assigned then now() else t.last_assigned_at end,
        recent_assignments = case when assigned then
            array(select r from unnest(t.recent_assignments) as r where r > now() - interval '30 days' order by r)
            || now()
          else t.recent_assignments end
    where t.expert_id = new.expert_id
    returning t.open_dossiers, t.capacity into terms;
    if is_open and not (was_open and same) and terms.open_dossiers > terms.capacity
       and coalesce(current_setting('fintrack.capacity_override', true), '') <> 'on' then
      raise exception 'the expert has no capacity left (% open of %)', terms.open_dossiers - 1, terms.capacity
        using errcode = 'PT409', hint = 'capacity_reached';
    end if;
  end if;
  return null;
end
$$;
revoke execute on function private.maintain_expert_counters() from public, anon;
-- Only dossiers with an expert (before or after) touch the counters: most dossiers are created,
-- and many change status, before anyone is assigned, and those rows skip the trigger entirely.
create or replace trigger dossiers_maintain_expert_counters_on_insert
  after insert on public.dossiers
  for each row when (new.expert_id is not null) execute function private.maintain_expert_counters();
create or replace trigger dossiers_maintain_expert_counters_on_update
  after update of expert_id, status on public.dossiers
  for each row when (old.expert_id is not null or new.expert_id is not null)
  execute function private.maintain_expert_counters();
create or replace trigger dossiers_maintain_expert_counters_on_delete
  after delete on public.dossiers
  for each row when (old.expert_id is not null) execute function private.maintain_expert_counters();

-- Dossiers assigned before this migration count too.
update public.expert_terms t
set open_dossiers = c.open, completed_dossiers = c.done
from (
  select d.expert_id,
         count(*) filter (where not private.dossier_is_finished(d.status)) as open,
         count(*) filter (where private.dossier_is_completed(d.status)) as done
  from public.dossiers d where d.expert_id is not null group by d.expert_id
) as c
where t.expert_id = c.expert_id;
