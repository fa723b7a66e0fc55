-- Why: exported documents carry the organization's branding (EXPORTS.md: name, logo, primary colour,
-- legal footer). The logo is a PNG or JPEG kept in file storage under the organization's own folder
-- (`<organization_id>/branding/<file>.png|jpg|jpeg`); the organization row only records its key, so
-- the existing policies apply: members read it, owners and admins change it. The check keeps a key
-- from pointing into another organization's folder.
alter table public.organizations
  add column if not exists logo_path text;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'organizations_logo_path_check'
                 and conrelid = 'public.organizations'::regclass) then
    alter table public.organizations add constraint organizations_logo_path_check check (
      logo_path is null
      or (split_part(logo_path, '/', 1) = id::text
          and logo_path ~* '^[0-9a-f-]{36}/branding/[a-z0-9][a-z0-9._-]{0,99}\.(png|jpe?g)$')
    );
  end if;
end
$$;
