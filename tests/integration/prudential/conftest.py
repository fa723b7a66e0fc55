"""Prudential factories on top of the integration `world`: a user in each prudential role of A, and
portfolios, versions, calculations, scenarios and mappings in A and B (inside the rolled-back
transaction)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.conftest import World
from tests.support import db as tdb


def sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def document(day: str = "2025-12-31", amount: str = "1000000") -> dict[str, Any]:
    return {"reference_date": day, "exposures": [{"id": "e1", "class": "corporate", "amount": amount}]}


@dataclass
class Desk:
    """The prudential rows of the world, by name."""

    conn: tdb.Conn
    world: World
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def portfolio(self, org: uuid.UUID, name: str, author: uuid.UUID) -> uuid.UUID:
        row = self.conn.execute(
            "insert into public.prudential_portfolios (organization_id, name, created_by) values (%s, %s, %s)"
            " returning id",
            (org, name, author),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def version(self, portfolio: uuid.UUID, author: uuid.UUID, content: dict[str, Any] | None = None) -> uuid.UUID:
        content = content or document()
        row = self.conn.execute(
            "insert into public.prudential_portfolio_versions (organization_id, portfolio_id, version, input,"
            " input_sha256, reference_date, exposure_count, created_by)"
            " select organization_id, id, 1, %s, %s, %s, %s, %s from public.prudential_portfolios where id = %s"
            " returning id",
            (
                json.dumps(content),
                sha(content),
                content["reference_date"],
                len(content.get("exposures", [])),
                author,
                portfolio,
            ),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def calculation(self, version: uuid.UUID, author: uuid.UUID) -> uuid.UUID:
        row = self.conn.execute(
            "insert into public.prudential_calculations (organization_id, portfolio_version_id, rule_set,"
            " reference_date, input_sha256, result_sha256, result, created_by)"
            " select organization_id, id, 'CRR3-2025.1', reference_date, input_sha256, %s, '{\"id\": null}', %s"
            " from public.prudential_portfolio_versions where id = %s returning id",
            (sha({"id": None}), author, version),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def scenario(self, portfolio: uuid.UUID, author: uuid.UUID, name: str = "Stress") -> uuid.UUID:
        row = self.conn.execute(
            "insert into public.prudential_scenarios (organization_id, portfolio_id, name, shocks, created_by)"
            " select organization_id, id, %s, '[]', %s from public.prudential_portfolios where id = %s returning id",
            (name, author, portfolio),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def import_job(self, portfolio: uuid.UUID, requester: uuid.UUID) -> uuid.UUID:
        job = uuid.uuid4()
        self.conn.execute(
            "insert into public.prudential_import_jobs (id, organization_id, portfolio_id, requested_by, file_name,"
            " storage_key) select %s, organization_id, id, %s, 'expo.csv', organization_id || '/imports/' || %s"
            " from public.prudential_portfolios where id = %s",
            (job, requester, str(job), portfolio),
        )
        return job

    def mapping(self, org: uuid.UUID, author: uuid.UUID, template: str = "core") -> uuid.UUID:
        row = self.conn.execute(
            "insert into public.prudential_import_mappings (organization_id, template, columns, created_by)"
            ' values (%s, %s, \'{"encours": "amount"}\', %s) returning id',
            (org, template, author),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))


@pytest.fixture
def desk(conn: tdb.Conn, world: World) -> Desk:
    for name, role in (("analyst_a", "analyst"), ("analyst_a2", "analyst"), ("approver_a", "approver"),
                       ("approver_a2", "approver")):  # fmt: skip
        world.users[name] = tdb.make_user(conn)
        tdb.add_member(conn, world.org_a, world.users[name], role)
    u = world.users
    d = Desk(conn, world)
    d.ids["pa"] = d.portfolio(world.org_a, "Solo", u["analyst_a"])
    d.ids["va1"] = d.version(d.ids["pa"], u["analyst_a"])
    d.ids["va2"] = d.version(d.ids["pa"], u["analyst_a"], document(amount="2000000"))
    d.ids["ca1"] = d.calculation(d.ids["va1"], u["analyst_a"])
    d.ids["sa"] = d.scenario(d.ids["pa"], u["analyst_a"])
    d.ids["ma"] = d.mapping(world.org_a, u["owner_a"])
    d.ids["ja"] = d.import_job(d.ids["pa"], u["analyst_a"])
    d.ids["pb"] = d.portfolio(world.org_b, "Solo", u["owner_b"])
    d.ids["vb1"] = d.version(d.ids["pb"], u["owner_b"])
    d.ids["cb1"] = d.calculation(d.ids["vb1"], u["owner_b"])
    d.ids["sb"] = d.scenario(d.ids["pb"], u["owner_b"])
    d.ids["mb"] = d.mapping(world.org_b, u["owner_b"])
    d.ids["jb"] = d.import_job(d.ids["pb"], u["owner_b"])
    return d
