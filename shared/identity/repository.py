"""SQL for the caller's identity. Runs inside a user transaction: RLS decides what is visible."""

from __future__ import annotations

from typing import Any

from shared.platform.db import Connection

_ME = """
select
  coalesce((
    select json_agg(json_build_object('organization_id', m.organization_id,
                                      'organization_name', o.name, 'role', m.role)
                    order by o.name, m.role)
    from public.memberships m join public.organizations o on o.id = m.organization_id
    where m.user_id = (select auth.uid())
  ), '[]') as memberships,
  coalesce((
    select json_agg(json_build_object('id', c.id, 'organization_id', c.organization_id,
                                      'name', c.name, 'siren', c.siren) order by c.name)
    from public.client_company_users u join public.client_companies c on c.id = u.company_id
    where u.user_id = (select auth.uid())
  ), '[]') as client_companies,
  coalesce((
    select json_agg(json_build_object('id', c.id, 'organization_id', c.organization_id,
                                      'name', c.name, 'siren', c.siren) order by c.name)
    from public.client_companies c
    where c.partner_user_id = (select auth.uid())
  ), '[]') as managed_companies,
  exists (select 1 from public.platform_operators p where p.user_id = (select auth.uid())) as operator
"""


def fetch_me(conn: Connection) -> dict[str, Any]:
    row = conn.execute(_ME).fetchone()
    assert row is not None
    return row
