-- Why: a version of a bank's prudential figures is signed off with four eyes: an analyst submits a
-- computed draft (`draft` → `in_review`), someone else approves it or rejects it with a comment;
-- a rejection opens the next draft version with the same input, an approval freezes the version for
-- good (0086's trigger). The approver is neither the submitter nor anyone who wrote its input. Each
-- transition is one security-definer function callable as an RPC (it checks the caller itself) and
-- appends a row to the hash-chained audit log (private.append_audit) with the actor, time, from/to,
-- comment, rule set and the SHA-256 of the canonical input and of the result. Errors: SQLSTATE PTxxx
-- with the stable code in the hint (as 0028).

-- The version, locked, when the caller may see it (404 otherwise) and holds `p_right` (403 otherwise).
create or replace function private.lock_portfolio_version(p_version uuid, p_right text)
returns public.prudential_portfolio_versions
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.prudential_portfolio_versions;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to do this' using errcode = 'PT401', hint = 'not_authenticated';
  end if;
  select x.* into v from public.prudential_portfolio_versions x where x.id = p_version for update;
  if not found or not private.has_role(v.organization_id, private.prudential_roles('read')) then
    raise exception 'no such portfolio version' using errcode = 'PT404', hint = 'version_not_found';
  end if;
  if not private.has_role(v.organization_id, private.prudential_roles(p_right)) then
    raise exception 'your role does not allow this' using errcode = 'PT403', hint = 'forbidden';
  end if;
  return v;
end
$$;
revoke execute on function private.lock_portfolio_version(uuid, text) from public, anon;
grant execute on function private.lock_portfolio_version(uuid, text) to authenticated, service_role;

-- One audit row per transition, through the tamper-evident log.
create or replace function private.audit_version_transition(
  v public.prudential_portfolio_versions, p_from text, p_to text, p_comment text, p_new_version uuid
) returns bigint
language plpgsql security definer
set search_path = ''
as $$
declare
  c record;
begin
  select x.rule_set, x.reference_date, x.input_sha256, x.result_sha256 into c
  from public.prudential_calculations x where x.id = v.calculation_id;
  return private.append_audit(
    v.organization_id, 'prudential_portfolio_versions', v.id,
    case p_to when 'in_review' then 'version_submitted' when 'approved' then 'version_approved'
              else 'version_rejected' end,
    jsonb_build_object('status', p_from),
    jsonb_build_object('status', p_to),
    jsonb_build_object(
      'actor_id', (select auth.uid()),
      'at', now(),
      'from', p_from,
      'to', p_to,
      'comment', p_comment,
      'portfolio_id', v.portfolio_id,
      'version', v.version,
      'calculation_id', v.calculation_id,
      'rule_set', c.rule_set,
      'reference_date', c.reference_date,
      'input_sha256', c.input_sha256,
      'result_sha256', c.result_sha256,
      'new_version_id', p_new_version
    )
  );
end
$$;
revoke execute on function private.audit_version_transition(public.prudential_portfolio_versions, text, text, text, uuid)
  from public, anon, authenticated;

-- draft → in_review: the draft needs a current calculation of exactly its input.
create or replace function public.submit_portfolio_version(p_version uuid, p_comment text default null)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.prudential_portfolio_versions := private.lock_portfolio_version(p_version, 'write');
  comment text := nullif(btrim(coalesce(p_comment, '')), '');
  calc uuid;
begin
  if v.status <> 'draft' then
    raise exception 'only a draft can be submitted (this version is %)', v.status
      using errcode = 'PT409', hint = 'version_not_draft';
  end if;
  select c.id into calc from public.prudential_calculations c
  where c.portfolio_version_id = v.id and c.status = 'current' and c.input_sha256 = v.input_sha256
  order by c.created_at desc, c.id limit 1;
  if calc is null then
    raise exception 'calculate this version before submitting it'
      using errcode = 'PT409', hint = 'calculation_required';
  end if;
  update public.prudential_portfolio_versions x
  set status = 'in_review', submitted_by = (select auth.uid()), submitted_at = now(), calculation_id = calc
  where x.id = v.id
  returning x.* into v;
  perform private.audit_version_transition(v, 'draft', 'in_review', comment, null);
  return jsonb_build_object('id', v.id, 'status', v.status, 'calculation_id', calc);
end
$$;

-- The four-eyes checks shared by approve and reject.
create or replace function private.check_second_pair_of_eyes(v public.prudential_portfolio_versions) returns void
language plpgsql stable security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
begin
  if v.status <> 'in_review' then
    raise exception 'only a version in review can be decided (this one is %)', v.status
      using errcode = 'PT409', hint = 'version_not_in_review';
  end if;
  if uid = v.submitted_by then
    raise exception 'you submitted this version: someone else must decide on it'
      using errcode = 'PT403', hint = 'self_approval';
  end if;
  if uid = v.created_by or uid = any (v.contributors) then
    raise exception 'you wrote this version: someone else must decide on it'
      using errcode = 'PT403', hint = 'approver_is_author';
  end if;
end
$$;
revoke execute on function private.check_second_pair_of_eyes(public.prudential_portfolio_versions)
  from public, anon, authenticated;

-- in_review → approved: immutable from now on.
create or replace function public.approve_portfolio_version(p_version uuid, p_comment text default null)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.prudential_portfolio_versions := private.lock_portfolio_version(p_version, 'approve');
  comment text := nullif(btrim(coalesce(p_comment, '')), '');
begin
  perform private.check_second_pair_of_eyes(v);
  update public.prudential_portfolio_versions x
  set status = 'approved', decided_by = (select auth.uid()), decided_at = now(), decision_comment = comment
  where x.id = v.id
  returning x.* into v;
  perform private.audit_version_transition(v, 'in_review', 'approved', comment, null);
  return jsonb_build_object('id', v.id, 'status', v.status);
end
$$;

-- in_review → rejected (comment required), and a new draft version n+1 with the same input, authors
-- and contributors, to be corrected.
create or replace function public.reject_portfolio_version(p_version uuid, p_comment text)
returns jsonb
language plpgsql security definer
set search_path = ''
as $$
declare
  v public.prudential_portfolio_versions := private.lock_portfolio_version(p_version, 'approve');
  comment text := nullif(btrim(coalesce(p_comment, '')), '');
  next_id uuid;
begin
  perform private.check_second_pair_of_eyes(v);
  if comment is null then
    raise exception 'say why the version is rejected' using errcode = 'PT422', hint = 'comment_required';
  end if;
  update public.prudential_portfolio_versions x
  set status = 'rejected', decided_by = (select auth.uid()), decided_at = now(), decision_comment = comment
  where x.id = v.id
  returning x.* into v;
  insert into public.prudential_portfolio_versions
    (organization_id, portfolio_id, version, input, input_sha256, reference_date, exposure_count, summary,
     source, based_on_version_id, created_by, contributors)
  values (v.organization_id, v.portfolio_id, v.version + 1, v.input, v.input_sha256, v.reference_date,
          v.exposure_count, v.summary, 'revision', v.id, v.created_by, v.contributors)
  returning id into next_id;
  perform private.audit_version_transition(v, 'in_review', 'rejected', comment, next_id);
  return jsonb_build_object('id', v.id, 'status', v.status, 'new_version_id', next_id);
end
$$;

revoke execute on function public.submit_portfolio_version(uuid, text), public.approve_portfolio_version(uuid, text),
  public.reject_portfolio_version(uuid, text) from public, anon;
grant execute on function public.submit_portfolio_version(uuid, text), public.approve_portfolio_version(uuid, text),
  public.reject_portfolio_version(uuid, text) to authenticated, service_role;
