"""Dossier workflow factories on top of the integration `world` and the marketplace helpers.

Everything runs inside the test's rolled-back transaction. Commands are called exactly as a front end
calls them through PostgREST: ``public.dossier_command`` as the signed-in user.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import World
from tests.integration.marketplace.conftest import Market
from tests.support import db as tdb


@dataclass
class Refusal:
    """A database refusal as the API sees it: SQLSTATE, stable code (hint) and machine detail."""

    sqlstate: str
    code: str
    detail: dict[str, Any]
    message: str

    @property
    def status(self) -> int:
        return int(self.sqlstate[2:]) if self.sqlstate.startswith("PT") else 500


@dataclass
class Flow:
    """A dossier and the people around it, with commands run as each of them."""

    market: Market
    dossier: uuid.UUID
    company: uuid.UUID
    expert: uuid.UUID
    users: dict[str, uuid.UUID]

    @property
    def conn(self) -> tdb.Conn:
        return self.market.conn

    def run(self, who: str, command: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Runs a command as ``who``; fails the test when it is refused."""
        result = self.attempt(who, command, payload)
        assert not isinstance(result, Refusal), result
        return result

    def attempt(
        self, who: str, command: str, payload: dict[str, Any] | None = None, *, dossier: uuid.UUID | None = None
    ) -> dict[str, Any] | Refusal:
        """Runs a command as ``who`` (a user name of the world or 'service'); a refusal is returned."""
        try:
            with self.conn.transaction():
                if who == "service":
                    tdb.as_service(self.conn)
                else:
                    tdb.as_user(self.conn, self.users[who])
                row = self.conn.execute(
                    "select public.dossier_command(%s, %s, %s::jsonb) as r",
                    (dossier or self.dossier, command, json.dumps(payload or {})),
                ).fetchone()
        except psycopg.Error as exc:
            tdb.as_owner(self.conn)
            detail = exc.diag.message_detail
            parsed: dict[str, Any] = {}
            if detail:
                try:
                    parsed = json.loads(detail)
                except ValueError:
                    parsed = {"text": detail}
            return Refusal(exc.sqlstate or "", exc.diag.message_hint or "", parsed, exc.diag.message_primary or "")
        tdb.as_owner(self.conn)
        assert row is not None
        result: dict[str, Any] = row["r"]
        return result

    def refused(self, who: str, command: str, payload: dict[str, Any] | None = None) -> Refusal:
        result = self.attempt(who, command, payload)
        assert isinstance(result, Refusal), f"{command} by {who} was not refused: {result}"
        return result

    def state(self) -> dict[str, Any]:
        return self.market.row(
            "select d.*, s.step, s.progress from public.dossiers d"
            " join public.dossier_statuses s on s.code = d.status where d.id = %s",
            self.dossier,
        )

    def status(self) -> str:
        return str(self.state()["status"])

    def events(self) -> list[dict[str, Any]]:
        return self.market.rows("select * from public.dossier_events where dossier_id = %s order by id", self.dossier)

    def put(self, status: str, **columns: Any) -> None:
        """Arranges the dossier in a status as the database owner (bypassing the commands)."""
        sets = ", ".join(f"{name} = %s" for name in columns)  # fixed names from the tests
        self.market.sql(
            f"update public.dossiers set status = %s{', ' + sets if sets else ''} where id = %s",  # noqa: S608
            status,
            *columns.values(),
            self.dossier,
        )

    def upload(self, document_type: str, *, issued: date | None = None, for_dossier: bool = True) -> uuid.UUID:
        """A checked upload (version 1, state uploaded) of a document of the dossier's company; returns the
        version id. Reusable types belong to the company, the others to the dossier."""
        tdb.as_owner(self.conn)
        reusable = self.market.row("select reusable from public.document_types where code = %s", document_type)
        org = self.market.row("select organization_id from public.dossiers where id = %s", self.dossier)
        doc = self.market.row(
            "insert into public.documents (organization_id, client_company_id, dossier_id, document_type)"
            " values (%s, %s, %s, %s) returning id",
            org["organization_id"],
            self.company,
            None if reusable["reusable"] else (self.dossier if for_dossier else None),
            document_type,
        )
        version = self.market.row(
            "insert into public.document_versions (document_id, organization_id, version, storage_key, file_name,"
            " declared_format, declared_size, size_bytes, detected_format, sha256, issue_date, state, completed_at,"
            " uploaded_for_dossier_id) values (%s, %s, 1, %s, 'f.pdf', 'pdf', 10, 10, 'pdf', %s, %s, 'uploaded',"
            " now(), %s) returning id",
            doc["id"],
            org["organization_id"],
            f"{org['organization_id']}/companies/{self.company}/{doc['id']}/v1",
            hashlib.sha256(doc["id"].bytes).hexdigest(),
            issued or date.today(),
            self.dossier,
        )
        return uuid.UUID(str(version["id"]))

    def review_all(self, state: str = "validated") -> None:
        """Reviews every current version shown on the dossier (as the owner)."""
        self.market.sql(
            "insert into public.document_reviews (dossier_id, version_id, organization_id, state, reviewed_by)"
            " select %s, s.version_id, d.organization_id, %s, null from public.dossiers d,"
            " private.dossier_document_states(%s, current_date) s where d.id = %s"
            " on conflict (dossier_id, version_id) do update set state = excluded.state",
            self.dossier,
            state,
            self.dossier,
            self.dossier,
        )


@pytest.fixture
def market(conn: tdb.Conn, world: World) -> Market:
    return Market(conn, world)


@pytest.fixture
def flow(market: Market, world: World) -> Flow:
    """A TICPE dossier of company A1 (client_a, partner_a) in pending_upload; expert_a is approved for
    TICPE with the default fee rate 0.30."""
    company = world.companies["ca1"]
    market.sql(
        "update public.client_companies set partner_user_id = %s where id = %s", world.users["partner_a"], company
    )
    expert = world.experts["expert_a"]
    market.link(expert, "ticpe", "avance")
    dossier = market.dossier(company, status="pending_upload")
    return Flow(market, dossier, company, expert, dict(world.users))


def walk_to_expert(flow: Flow) -> None:
    """pending_upload → submit → validate → pick → accept (as the real people)."""
    for document_type in ("kbis", "carte_grise", "facture_carburant"):
        flow.upload(document_type)
    flow.run("client_a", "submit_eligibility")
    flow.run("admin_a", "validate_eligibility")
    tdb.as_user(flow.conn, flow.users["client_a"])
    offer = flow.conn.execute("select private.assignment_pick(%s, %s) as id", (flow.dossier, flow.expert)).fetchone()
    assert offer is not None
    tdb.as_user(flow.conn, flow.users["expert_a"])
    flow.conn.execute("select private.offer_accept(%s)", (offer["id"],))
    tdb.as_owner(flow.conn)


def walk_to_audit(flow: Flow) -> None:
    """… → documents collected and validated → audit started."""
    walk_to_expert(flow)
    flow.upload("rib")
    flow.review_all()
    flow.run("expert_a", "start_audit")


def walk_to_completed(flow: Flow, amount: str = "12000.00", rate: str | None = None) -> None:
    walk_to_audit(flow)
    payload: dict[str, Any] = {"amount": amount}
    if rate is not None:
        payload["client_fee_rate"] = rate
    flow.run("expert_a", "complete_audit", payload)


def walk_to_filed(flow: Flow, claimed: str = "10000.00") -> None:
    walk_to_completed(flow)
    flow.run("client_a", "accept_audit", {"revision": 1})
    flow.run(
        "expert_a",
        "file_claim",
        {"filed_on": "2026-01-15", "administration": "douanes", "reference": "TICPE-42", "claimed_amount": claimed},
    )
