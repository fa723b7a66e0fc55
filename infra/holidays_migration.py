"""`python -m infra.holidays_migration`: print the migration that seeds French public holidays.

The SQL twin of the business calendar cannot call the ``holidays`` library, so the library's dates
for every supported French region and for the years the platform plans in are written into a
reference table by a generated migration (a test holds the two equal). Covering later years is a
new migration generated the same way with a wider range, never an edit of a landed one.
"""

from __future__ import annotations

import sys

FIRST_YEAR, LAST_YEAR = 2020, 2060

HEADER = """-- Why: the SQL twin of the business calendar (migration 0101) needs the public holidays the Python
-- side takes from the maintained `holidays` library; this file is generated from that library by
-- `python -m infra.holidays_migration` for {first}-{last} (a test compares them). Region `FR` is
-- metropolitan France; `FR-<code>` adds a subdivision's own days (Alsace-Moselle, overseas).
create table if not exists public.holiday_regions (
  code text primary key,
  first_year smallint not null,
  last_year smallint not null
);
create table if not exists public.public_holidays (
  region text not null references public.holiday_regions (code) on delete cascade,
  day date not null,
  name text not null,
  primary key (region, day)
);
alter table public.holiday_regions enable row level security;
alter table public.public_holidays enable row level security;
grant select on public.holiday_regions, public.public_holidays to authenticated;
grant all on public.holiday_regions, public.public_holidays to service_role;
create policy "Signed-in users read the holiday regions" on public.holiday_regions
  for select to authenticated using (true);
create policy "Signed-in users read the public holidays" on public.public_holidays
  for select to authenticated using (true);

insert into public.holiday_regions (code, first_year, last_year) values
{regions}
on conflict (code) do nothing;

insert into public.public_holidays (region, day, name) values
{days}
on conflict (region, day) do nothing;
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def rows() -> list[tuple[str, str, str]]:
    """(region, ISO date, French name) for every region and year covered, sorted."""
    import holidays

    from shared.followup.calendar import holiday_regions

    found: list[tuple[str, str, str]] = []
    for region in holiday_regions():
        subdivision = region.partition("-")[2] or None
        days = holidays.country_holidays(
            "FR", subdiv=subdivision, years=range(FIRST_YEAR, LAST_YEAR + 1), language="fr"
        )
        found.extend((region, day.isoformat(), name) for day, name in days.items())
    return sorted(found)


def render() -> str:
    from shared.followup.calendar import holiday_regions

    regions = ",\n".join(f"  ({_quote(code)}, {FIRST_YEAR}, {LAST_YEAR})" for code in holiday_regions())
    days = ",\n".join(f"  ({_quote(r)}, {_quote(d)}, {_quote(n)})" for r, d, n in rows())
    return HEADER.format(first=FIRST_YEAR, last=LAST_YEAR, regions=regions, days=days)


if __name__ == "__main__":
    sys.stdout.write(render())
