"""public.followup_kpis (0172): on-time rate and breaches per organization, expert and product, values
computed by hand on a small fixture of the default calendar (Mon–Fri 09:00–12:30 and 14:00–18:00 in
Paris, 450 minutes a day; `document_review`: target 2 days = 900 min, breach 7 days = 3 150 min), and who
sees which rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.integration.conftest import World
from tests.support import db as tdb

MARCH = ("2026-03-01", "2026-03-31")


def _dossier(conn: tdb.Conn, world: World, company: str, product: str, expert: str | None) -> Any:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
        " values (%s, %s, %s, %s) returning id",
        (world.org_a, world.companies[company], product, world.experts[expert] if expert else None),
    ).fetchone()
    assert row is not None
    return row["id"]


def _open(conn: tdb.Conn, dossier: Any, subject: str, at: str) -> int:
    row = conn.execute(
        "select private.open_awaited_action(%s, 'document_review', %s, %s) as id", (dossier, subject, at)
    ).fetchone()
    assert row is not None
    return int(row["id"])


def _fixture(conn: tdb.Conn, world: World) -> None:
    d1 = _dossier(conn, world, "ca1", "ticpe", "expert_a")
    d2 = _dossier(conn, world, "ca2", "urssaf", "expert_a")
    d3 = _dossier(conn, world, "ca3", "urssaf", None)
    # A1: Mon 09:00 → Tue 10:00 = 450 + 60 = 510 min: on time
    conn.execute("select private.close_awaited_action(%s, 'done', '2026-03-03 10:00+01')",
                 (_open(conn, d1, "a1", "2026-03-02 09:00+01"),))  # fmt: skip
    # A2: closed exactly at its target instant (900 min: Tue 18:00): late, not on time
    a2 = _open(conn, d1, "a2", "2026-03-02 09:00+01")
    target = conn.execute("select target_at from public.awaited_actions where id = %s", (a2,)).fetchone()
    assert target is not None
    conn.execute("select private.close_awaited_action(%s, 'done', %s)", (a2, target["target_at"]))
    # A3: paused 2 weeks (180 min before, 120 after): 300 min, on time although 14 days passed
    a3 = _open(conn, d2, "a3", "2026-03-02 09:00+01")
    conn.execute("select private.pause_awaited_action(%s, 'on_hold', '2026-03-02 12:00+01')", (a3,))
    conn.execute("select private.resume_awaited_action(%s, 'on_hold', '2026-03-16 09:00+01')", (a3,))
    conn.execute("select private.close_awaited_action(%s, 'done', '2026-03-16 11:00+01')", (a3,))
    # A4: two working weeks = 4 500 min ≥ 3 150: breached when closed
    conn.execute("select private.close_awaited_action(%s, 'done', '2026-03-13 18:00+01')",
                 (_open(conn, d2, "a4", "2026-03-02 09:00+01"),))  # fmt: skip
    # A5: still open and running on a dossier without expert: breached since Tue 03-10 18:00
    _open(conn, d3, "a5", "2026-03-02 09:00+01")
    # A6: still open, paused after 60 min: not breached
    a6 = _open(conn, d3, "a6", "2026-03-02 09:00+01")
    conn.execute("select private.pause_awaited_action(%s, 'on_hold', '2026-03-02 10:00+01')", (a6,))
    # A7: closed in February: outside the period
    conn.execute("select private.close_awaited_action(%s, 'done', '2026-02-03 10:00+01')",
                 (_open(conn, d1, "a7", "2026-02-02 09:00+01"),))  # fmt: skip


def _kpis(conn: tdb.Conn, org: Any, start: str = MARCH[0], end: str = MARCH[1]) -> dict[tuple[str, str], Any]:
    rows = conn.execute("select * from public.followup_kpis(%s, %s, %s)", (org, start, end)).fetchall()
    return {(r["dimension"], r["key"]): r for r in rows}


def test_hand_computed_kpis(conn: tdb.Conn, world: World) -> None:
    _fixture(conn, world)
    tdb.as_user(conn, world.users["admin_a"])
    kpis = _kpis(conn, world.org_a)
    org = kpis[("organization", str(world.org_a))]
    assert org["label"] == "Org A"
    assert (org["closed"], org["on_time"], org["on_time_rate"]) == (4, 2, Decimal("0.5000"))
    assert (org["breached_closed"], org["open"], org["breached_open"], org["breaches"]) == (1, 2, 1, 2)
    # business minutes to close: 300, 510, 900, 4 500
    assert org["median_business_minutes_to_close"] == Decimal("705.0")
    assert org["mean_business_minutes_to_close"] == Decimal("1552.5")
    expert = kpis[("expert", str(world.experts["expert_a"]))]
    assert (expert["closed"], expert["on_time"], expert["on_time_rate"], expert["breaches"], expert["open"]) == (
        4, 2, Decimal("0.5000"), 1, 0,
    )  # fmt: skip
    ticpe, urssaf = kpis[("product", "ticpe")], kpis[("product", "urssaf")]
    assert (ticpe["closed"], ticpe["on_time"], ticpe["on_time_rate"], ticpe["breaches"]) == (2, 1, Decimal("0.5"), 0)
    assert ticpe["median_business_minutes_to_close"] == Decimal("705.0")
    got = tuple(urssaf[k] for k in ("closed", "on_time", "breached_closed", "open", "breached_open"))
    assert got == (2, 1, 1, 2, 1)
    assert set(kpis) == {("organization", str(world.org_a)), ("expert", str(world.experts["expert_a"])),
                         ("product", "ticpe"), ("product", "urssaf")}  # fmt: skip
    # February: only A7, closed on time (the others were opened in March)
    feb = _kpis(conn, world.org_a, "2026-02-01", "2026-02-28")[("organization", str(world.org_a))]
    assert (feb["closed"], feb["on_time"], feb["open"], feb["breaches"]) == (1, 1, 0, 0)
    # a period without anything: no rate rather than a division by zero
    empty = _kpis(conn, world.org_a, "2025-01-01", "2025-01-31")
    assert empty == {}


def test_kpi_rows_as_every_role(conn: tdb.Conn, world: World) -> None:
    _fixture(conn, world)
    everything = 4  # the organization, the expert, two products
    expected = {
        "owner_a": everything, "admin_a": everything, "expert_a": 4, "pending_a": 0, "client_a": 0,
        "client_a2": 0, "partner_a": 0, "viewer_a": 0, "owner_b": 0, "client_b": 0, "expert_b": 0,
        "outsider": 0, "operator": 0,
    }  # fmt: skip
    for persona, count in expected.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, world.users[persona])
            kpis = _kpis(conn, world.org_a)
            assert len(kpis) == count, persona
            if persona == "expert_a":
                # only their dossiers' actions: A1–A4 (A5, A6 are on a dossier without expert)
                org = kpis[("organization", str(world.org_a))]
                assert (org["closed"], org["open"], org["breaches"]) == (4, 0, 1)
                assert ("product", "urssaf") in kpis and kpis[("product", "urssaf")]["open"] == 0
