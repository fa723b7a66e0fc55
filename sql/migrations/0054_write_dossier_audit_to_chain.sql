-- Why: admin actions on a dossier (validations, overrides, forced assignments, releases...) belong
-- in the tamper-evident audit trail (migration 0034). The dossier's one audit wrapper, used by
-- private.change_dossier_status, now appends through private.append_audit, the chain's entry point;
-- the action is the command, the old and new values the status, the details what the command said.
create or replace function private.audit_dossier(p_organization uuid, p_dossier uuid, p_old jsonb, p_new jsonb,
                                                 p_details jsonb default null) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.append_audit(p_organization, 'dossiers', p_dossier,
                               coalesce(nullif(p_new ->> 'command', ''), 'update'), p_old,
                               p_new || coalesce(p_details, '{}'::jsonb), coalesce(p_details, '{}'::jsonb));
end
$$;
revoke execute on function private.audit_dossier(uuid, uuid, jsonb, jsonb, jsonb) from public, anon, authenticated;
