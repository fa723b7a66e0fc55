"""Recomputing an organization's open awaited actions after a threshold or calendar change (0171).

One organization with 100 000 open instances (2 000 dossiers × 50 subjects: 80 % `audit` and 10 %
`client_documents` on business clocks, 10 % `expert_acceptance` on a wall clock; a tenth paused with
minutes already spent, a tenth with a step in the ledger; clocks started over the last 90 days), on a
throwaway embedded cluster. Measured, each as the statement an admin's PATCH or calendar edit runs:
- a threshold change of `audit` (80 000 instances recomputed);
- a calendar change (hours, a closed day: all 100 000 recomputed);
- the one-instance path (private.refresh_awaited_action, what the trigger called per instance before)
  on a sample of 5 000 instances, extrapolated to 100 000 — and the sample's instants compared with the
  set-based ones (they must be equal).
The backend's CPU time is reported beside the wall time (the machine is shared).

`python -m bench.bench_followup_recompute [--small]` (--small: 10 000 instances, a 1 000 sample).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import write
from infra.embedded import Cluster
from shared.platform.migrate import apply_migrations

SMALL = "--small" in sys.argv
DOSSIERS = 200 if SMALL else 2_000
SUBJECTS = 50
SAMPLE = 1_000 if SMALL else 5_000
ORG = "00000000-0000-0000-0000-0000000000b1"

SETUP = """
insert into public.organizations (id, name, slug) values (%(org)s, 'Cabinet Recompute', 'cabinet-recompute');
insert into public.client_companies (id, organization_id, name, sector, departement)
select md5('recompute-company:' || g)::uuid, %(org)s, 'Transport ' || g, 'Transport et Logistique', '69'
from generate_series(1, %(dossiers)s) g;
select set_config('fintrack.capacity_override', 'on', false);
insert into public.dossiers (id, organization_id, client_company_id, product_code)
select md5('recompute-dossier:' || g)::uuid, %(org)s, md5('recompute-company:' || g)::uuid, 'ticpe'
from generate_series(1, %(dossiers)s) g;
insert into public.awaited_actions (organization_id, dossier_id, code, subject, clock, opened_at, running_since,
                                    pause_reason, elapsed_minutes)
select %(org)s, md5('recompute-dossier:' || d)::uuid, c.code, 'bench-' || s, c.clock, c.opened,
       case when (d * 7 + s) %% 10 = 0 then null else c.opened + interval '3 hours' end,
       case when (d * 7 + s) %% 10 = 0 then 'on_hold' end,
       case when (d * 7 + s) %% 10 in (0, 1) then 180 + (d + s) %% 600 else 0 end
from generate_series(1, %(dossiers)s) d
cross join generate_series(1, %(subjects)s) s
cross join lateral (select case when s %% 10 = 0 then 'expert_acceptance' when s %% 10 = 1 then 'client_documents'
                                else 'audit' end as code,
                           case when s %% 10 = 0 then 'wall' else 'business' end as clock,
                           timestamptz '2026-12-07 09:00+01' - make_interval(mins => (d * 131 + s * 977) %% 129600)
                             as opened) c;
insert into public.reminder_ledger (organization_id, action_id, step, status, due_at)
select a.organization_id, a.id, 'reminder', 'sent', a.opened_at from public.awaited_actions a
where a.organization_id = %(org)s and a.id %% 10 = 3;
select private.refresh_awaited_action(a.id) from public.awaited_actions a
where a.organization_id = %(org)s and a.closed_at is null and a.id %% 10 = 3;
"""

STATE = (
    "select id, target_minutes, warning_minutes, breach_minutes, target_at, warning_at, breach_at, notice_at,"
    " next_step_at from public.awaited_actions where organization_id = %s and closed_at is null and id %% %s = 0"
)


class Backend:
    """Wall and CPU time of one statement on this connection's backend."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute("select pg_backend_pid()").fetchone()
        assert row is not None
        self.stat = Path(f"/proc/{row[0]}/stat")

    def cpu(self) -> float:
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100

    def time(self, conn: psycopg.Connection[Any], sql: str, params: Any = None) -> dict[str, float]:
        cpu, started = self.cpu(), time.perf_counter()
        conn.execute(sql, params)
        return {"seconds": round(time.perf_counter() - started, 3), "cpu_seconds": round(self.cpu() - cpu, 2)}


def run(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in SETUP.split(";\n"):
            if statement.strip():
                conn.execute(statement, {"org": ORG, "dossiers": DOSSIERS, "subjects": SUBJECTS})
        conn.execute("analyze")
        backend = Backend(conn)
        counts = conn.execute(
            "select count(*), count(*) filter (where code = 'audit'), count(*) filter (where running_since is null)"
            " from public.awaited_actions where organization_id = %s and closed_at is null",
            (ORG,),
        ).fetchone()
        assert counts is not None
        threshold = backend.time(
            conn, "update public.awaited_action_rules set target = 6, warning = 12 where organization_id = %s"
            " and code = 'audit'", (ORG,),
        )  # fmt: skip
        calendar = backend.time(
            conn,
            "insert into public.business_calendars (organization_id, time_zone, working_days, hours, public_holidays,"
            " closed_days) values (%s, 'Europe/Paris', '{1,2,3,4,5}',"
            ' \'[["08:30", "12:30"], ["13:30", "18:00"]]\', \'FR\', \'{2026-12-24}\')'
            " on conflict (organization_id) do update set hours = excluded.hours, closed_days = excluded.closed_days",
            (ORG,),
        )
        every = max(1, int(counts[0]) // SAMPLE)
        set_based = {r[0]: r for r in conn.execute(STATE, (ORG, every)).fetchall()}
        per_row = backend.time(
            conn,
            "select count(private.refresh_awaited_action(a.id)) from public.awaited_actions a"
            " where a.organization_id = %s and a.closed_at is null and a.id %% %s = 0",
            (ORG, every),
        )
        one_by_one = {r[0]: r for r in conn.execute(STATE, (ORG, every)).fetchall()}
    sample = len(one_by_one)
    mismatches = sum(1 for k, v in one_by_one.items() if set_based.get(k) != v)
    scale = int(counts[0]) / sample
    return {
        "open_instances": int(counts[0]),
        "audit_instances": int(counts[1]),
        "paused": int(counts[2]),
        "threshold_change": {**threshold, "instances": int(counts[1])},
        "calendar_change": {**calendar, "instances": int(counts[0])},
        "one_by_one_sample": {**per_row, "instances": sample},
        "one_by_one_extrapolated_seconds": round(per_row["seconds"] * scale, 1),
        "one_by_one_extrapolated_cpu_seconds": round(per_row["cpu_seconds"] * scale, 1),
        "sample_mismatches": mismatches,
        "met": mismatches == 0,
    }


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="fintrack-bench-recompute-"))
    root.chmod(0o755)
    cluster = Cluster(root / "postgres")
    try:
        url = cluster.start()
        apply_migrations(url)
        load_before = os.getloadavg()
        figures: dict[str, Any] = {"scale": "small" if SMALL else "full", "recompute": run(url)}
        load_after = os.getloadavg()
        figures["load_average"] = {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in load_after],
        }
        print(figures, flush=True)
        write("followup_recompute_small" if SMALL else "followup_recompute", figures)
        return 0 if figures["recompute"]["met"] else 1
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
