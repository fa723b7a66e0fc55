-- Why: migration 0008 blocked updates of published rule sets, but an owner or admin could still
-- delete or add questions and product rules of a rule set that simulations had already used, and so
-- change what they recompute to (issue 9 item 2). A rule set is published by the transaction that
-- inserts it, with its questions and rules; after that transaction, its questions and product rules
-- refuse INSERT, UPDATE and DELETE for every role, the service role included. Withdrawing a rule set
-- nobody used (0008's policy; simulations reference it `on delete restrict`) still removes them.

-- The transaction that published each rule set (rule sets published before this migration have no
-- row: they are frozen). Written by a trigger only; nobody reads it but the triggers below.
create table if not exists private.rule_set_publications (
  rule_set_id uuid primary key references public.rule_sets (id) on delete cascade,
  transaction_id xid8 not null
);
alter table private.rule_set_publications enable row level security;
revoke all on private.rule_set_publications from public, anon, authenticated, service_role;

create or replace function private.record_rule_set_publication() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into private.rule_set_publications (rule_set_id, transaction_id)
  values (new.id, pg_catalog.pg_current_xact_id());
  return null;
end
$$;
revoke execute on function private.record_rule_set_publication() from public, anon;

create or replace trigger rule_sets_record_publication after insert on public.rule_sets
  for each row execute function private.record_rule_set_publication();

create or replace function private.refuse_published_rule_set_content_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  target uuid := case when tg_op = 'DELETE' then old.rule_set_id else new.rule_set_id end;
begin
  if tg_op <> 'UPDATE' then
    -- Still being published: the transaction that inserted the rule set writes its contents.
    if exists (select 1 from private.rule_set_publications p
               where p.rule_set_id = target and p.transaction_id = pg_catalog.pg_current_xact_id()) then
      return case when tg_op = 'DELETE' then old else new end;
    end if;
    -- Withdrawn: the rule set row is already gone, this is its cascade.
    if tg_op = 'DELETE' and not exists (select 1 from public.rule_sets r where r.id = target) then
      return old;
    end if;
  end if;
  raise exception 'published rule sets never change; publish a new version instead'
    using errcode = '42501', hint = 'rule_set_immutable';
end
$$;
revoke execute on function private.refuse_published_rule_set_content_change() from public, anon;

create or replace trigger questions_frozen_once_published before insert or update or delete on public.questions
  for each row execute function private.refuse_published_rule_set_content_change();
create or replace trigger product_rules_frozen_once_published
  before insert or update or delete on public.product_rules
  for each row execute function private.refuse_published_rule_set_content_change();
