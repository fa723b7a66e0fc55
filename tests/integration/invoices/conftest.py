"""Invoice fixtures on top of the integration `world`: organization A can invoice, B too."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb
from tests.support import invoices as tinv


@dataclass
class Billing:
    conn: tdb.Conn
    world: World
    buyer_a: uuid.UUID  # client_a's company, managed by partner_a
    buyer_b: uuid.UUID

    def dossier(self, org: str = "a", **over: Any) -> uuid.UUID:
        w = self.world
        if org == "a":
            return tinv.make_refundable_dossier(self.conn, w.org_a, self.buyer_a, w.experts["expert_a"], **over)
        return tinv.make_refundable_dossier(self.conn, w.org_b, self.buyer_b, w.experts["expert_b"], **over)

    def command(self, who: str, dossier: uuid.UUID, command: str, payload: dict[str, Any]) -> dict[str, Any]:
        tdb.as_user(self.conn, self.world.users[who])
        row = self.conn.execute(
            "select public.dossier_command(%s, %s, %s::jsonb) as r", (dossier, command, json.dumps(payload))
        ).fetchone()
        assert row is not None
        return dict(row["r"])

    def rpc(self, who: str, function: str, invoice: uuid.UUID, payload: dict[str, Any]) -> dict[str, Any]:
        tdb.as_user(self.conn, self.world.users[who])
        row = self.conn.execute(
            f"select public.{function}(%s, %s::jsonb) as r",
            (invoice, json.dumps(payload)),
        ).fetchone()
        assert row is not None
        return dict(row["r"])

    def refused(self, call: Any) -> tuple[str, str, Any]:
        """SQLSTATE, hint and detail of a refused call (the transaction continues)."""
        try:
            with self.conn.transaction():
                call()
        except psycopg.Error as exc:
            detail = exc.diag.message_detail or ""
            return (
                str(exc.sqlstate),
                str(exc.diag.message_hint),
                json.loads(detail) if detail.startswith("{") else detail,
            )
        raise AssertionError("the call was not refused")

    def invoice(self, invoice_id: uuid.UUID | str) -> dict[str, Any]:
        tdb.as_owner(self.conn)
        row = self.conn.execute("select * from public.invoices where id = %s", (invoice_id,)).fetchone()
        assert row is not None
        return dict(row)

    def dossier_row(self, dossier: uuid.UUID) -> dict[str, Any]:
        tdb.as_owner(self.conn)
        row = self.conn.execute("select * from public.dossiers where id = %s", (dossier,)).fetchone()
        assert row is not None
        return dict(row)


@pytest.fixture
def billing(conn: tdb.Conn, world: World) -> Billing:
    tinv.set_seller(conn, world.org_a)
    tinv.set_seller(conn, world.org_b)
    u = world.users
    buyer_a = tinv.make_buyer(conn, world.org_a, users=(u["client_a"],), partner=u["partner_a"])
    buyer_b = tinv.make_buyer(conn, world.org_b, name="Boulangerie B", users=(u["client_b"],))
    return Billing(conn=conn, world=world, buyer_a=buyer_a, buyer_b=buyer_b)
