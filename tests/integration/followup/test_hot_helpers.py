"""0190 rewrote seven hot `language sql` helpers as PL/pgSQL (planned once per session instead of at
every call). Each must return what its SQL original returned: the originals are recreated here, in
the test's rolled-back transaction, and both are compared over a range of inputs."""

from __future__ import annotations

from tests.integration.conftest import World
from tests.support import db as tdb

# The SQL bodies as they were before 0190 (0025, 0106, 0130, 0101, 0105, 0135), under other names.
ORIGINALS = """
create function pg_temp.was_finished(status text) returns boolean language sql immutable as $$
  select status in ('closed', 'completed', 'refund_completed', 'archived', 'cancelled', 'rejected',
                    'admin_rejected') $$;
create function pg_temp.was_next_step(p_notice timestamptz, p_target timestamptz, p_warning timestamptz,
                                      p_breach timestamptz, p_sent_rank integer) returns timestamptz
language sql immutable as $$
  select s.due from (values (0, p_notice), (1, p_target), (2, p_warning), (3, p_breach)) s(rank, due)
  where s.rank > coalesce(p_sent_rank, -1) and s.due is not null order by s.rank limit 1 $$;
create function pg_temp.was_quiet_end(p_at timestamptz, p_time_zone text, p_start time, p_end time,
                                      p_weekends boolean) returns timestamptz
language sql stable as $$
  with local as (select (p_at at time zone p_time_zone) as ts),
  night as (
    select l.ts, case
             when p_start = p_end then l.ts
             when p_start > p_end and l.ts::time >= p_start then (l.ts::date + 1) + p_end
             when p_start > p_end and l.ts::time < p_end then l.ts::date + p_end
             when p_start < p_end and l.ts::time >= p_start and l.ts::time < p_end then l.ts::date + p_end
             else l.ts end as out_of_night
    from local l),
  week as (
    select case when not p_weekends then n.out_of_night
                when extract(isodow from n.out_of_night) = 6 then (n.out_of_night::date + 2) + p_end
                when extract(isodow from n.out_of_night) = 7 then (n.out_of_night::date + 1) + p_end
                else n.out_of_night end as free
    from night n)
  select case when w.free = (select ts from local) then p_at else w.free at time zone p_time_zone end from week w $$;
"""


def test_dossier_is_finished_and_status_awaited_action_match_their_originals(conn: tdb.Conn) -> None:
    conn.execute(ORIGINALS)
    statuses = [r["code"] for r in conn.execute("select code from public.dossier_statuses").fetchall()]
    assert len(statuses) > 15
    rows = conn.execute(
        "select s, private.dossier_is_finished(s) as now, pg_temp.was_finished(s) as was,"
        " private.status_awaited_action(s) as action from unnest(%s::text[] || array[null, 'unknown']) s",
        (statuses,),
    ).fetchall()
    assert all(r["now"] is r["was"] for r in rows)
    actions = {r["s"]: r["action"] for r in rows}
    assert actions["pending_upload"] == "eligibility_documents"
    assert actions["claim_filed"] == "administration_decision"
    assert actions["closed"] is None and actions[None] is None


def test_next_step_matches_its_original_for_every_combination(conn: tdb.Conn) -> None:
    conn.execute(ORIGINALS)
    mismatches = conn.execute(
        """
        with i(v) as (values (null::timestamptz), ('2026-06-01 09:00+02'), ('2026-06-03 09:00+02')),
             r(v) as (values (null::integer), (-1), (0), (1), (2), (3), (4))
        select count(*) as n, count(*) filter (where private.awaited_action_next_step(a.v, b.v, c.v, d.v, r.v)
                                                 is distinct from pg_temp.was_next_step(a.v, b.v, c.v, d.v, r.v)) as bad
        from i a, i b, i c, i d, r
        """
    ).fetchone()
    assert mismatches == {"n": 3**4 * 7, "bad": 0}


def test_quiet_hours_end_matches_its_original_across_a_year_and_zones(conn: tdb.Conn) -> None:
    conn.execute(ORIGINALS)
    row = conn.execute(
        """
        select count(*) as n,
               count(*) filter (where private.quiet_hours_end(t, v.tz, v.s, v.e, v.w)
                                      is distinct from pg_temp.was_quiet_end(t, v.tz, v.s, v.e, v.w)) as bad,
               count(*) filter (where private.quiet_hours_end(t, v.tz, v.s, v.e, v.w) <> t) as quiet
        from generate_series('2026-01-01 00:00+00'::timestamptz, '2026-12-31 23:59+00', interval '37 minutes') t,
             (values ('Europe/Paris', '20:00'::time, '08:00'::time, true), ('Europe/Paris', '08:00', '20:00', false),
                     ('America/Cayenne', '22:00', '07:00', true), ('Europe/Paris', '09:00', '09:00', true),
                     ('Indian/Reunion', '12:00', '14:00', null), ('Pacific/Noumea', '23:30', '06:15', false))
               as v(tz, s, e, w)
        """
    ).fetchone()
    assert row is not None and row["n"] > 80_000 and row["bad"] == 0
    assert row["quiet"] > 10_000  # the comparison covers quiet instants, not only free ones


def test_user_quiet_hours_end_uses_the_users_settings_then_the_organizations_zone(conn: tdb.Conn, world: World) -> None:
    user = world.users["client_a"]
    # A Saturday noon in Paris: quiet (weekends) until Monday 08:00 by default.
    at = "2026-06-06 10:00+00"
    row = conn.execute("select private.user_quiet_hours_end(%s, %s, %s) as until", (user, world.org_a, at)).fetchone()
    assert row is not None and str(row["until"].isoformat()) == "2026-06-08T06:00:00+00:00"
    conn.execute(
        "insert into public.notification_settings (user_id, quiet_weekends) values (%s, false)"
        " on conflict (user_id) do update set quiet_weekends = false",
        (user,),
    )
    row = conn.execute("select private.user_quiet_hours_end(%s, %s, %s) as until", (user, world.org_a, at)).fetchone()
    assert row is not None and str(row["until"].isoformat()) == "2026-06-06T10:00:00+00:00"


def test_organization_calendar_and_clock_minutes(conn: tdb.Conn, world: World) -> None:
    nobody = "00000000-0000-0000-0000-0000000000c1"
    default = conn.execute("select (private.organization_calendar(%s)).* ", (nobody,)).fetchone()
    assert default is not None and default["time_zone"] == "Europe/Paris" and default["organization_id"] is not None
    conn.execute(
        "insert into public.business_calendars (organization_id, time_zone) values (%s, 'America/Cayenne')"
        " on conflict (organization_id) do update set time_zone = 'America/Cayenne'",
        (world.org_a,),
    )
    own = conn.execute("select (private.organization_calendar(%s)).time_zone as tz", (world.org_a,)).fetchone()
    assert own == {"tz": "America/Cayenne"}
    minutes = conn.execute(
        "select private.clock_minutes(private.organization_calendar(%(o)s), 'wall', %(a)s, %(b)s) as wall,"
        " private.clock_minutes(private.organization_calendar(%(o)s), 'business', %(a)s, %(b)s) as business,"
        " private.clock_minutes(private.organization_calendar(%(o)s), 'business', %(b)s, %(a)s) as backwards",
        {"o": nobody, "a": "2026-06-01 07:00+00", "b": "2026-06-02 07:00+00"},  # Monday 09:00 → Tuesday 09:00, Paris
    ).fetchone()
    assert minutes == {"wall": 1440, "business": 450, "backwards": 0}


def test_dossier_waits_on_client_follows_the_open_client_documents_action(conn: tdb.Conn, world: World) -> None:
    dossier = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code) values (%s, %s, 'ticpe')"
        " returning id",
        (world.org_a, world.companies["ca1"]),
    ).fetchone()
    assert dossier is not None

    def waits() -> bool:
        row = conn.execute("select private.dossier_waits_on_client(%s) as w", (dossier["id"],)).fetchone()
        assert row is not None
        return bool(row["w"])

    assert not waits()
    conn.execute(
        "select private.open_awaited_action(%s, 'client_documents', 'r1', '2026-05-22 19:10+02')", (dossier["id"],)
    )
    assert waits()
    conn.execute(
        "select private.close_awaited_action(a.id, 'received') from public.awaited_actions a where a.dossier_id = %s",
        (dossier["id"],),
    )
    assert not waits()
