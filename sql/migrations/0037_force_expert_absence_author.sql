-- Why: expert_absences.created_by defaulted to auth.uid() but took any value a caller sent, so an
-- expert could record an absence as declared by someone else (issue 9 item 4). Like every other
-- created_by, it is now the caller's for signed-in users and never changes afterwards; system jobs
-- (service role) may still name the person they act for.
create or replace function private.force_expert_absence_author() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    new.created_by := old.created_by;
  elsif current_setting('role') in ('authenticated', 'anon') then
    new.created_by := (select auth.uid());
  end if;
  return new;
end
$$;
revoke execute on function private.force_expert_absence_author() from public, anon;

create or replace trigger expert_absences_force_author before insert or update on public.expert_absences
  for each row execute function private.force_expert_absence_author();
