"""Marketplace factories on top of the integration `world` (all inside the rolled-back transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import World
from tests.support import db as tdb


@dataclass
class Market:
    conn: tdb.Conn
    world: World

    def expert(
        self,
        org: uuid.UUID | None = None,
        *,
        products: dict[str, str] | None = None,
        sectors: Sequence[str] = (),
        departements: Sequence[str] = ("69",),
        languages: Sequence[str] = ("fr",),
        rating: Decimal | None = None,
        capacity: int = 10,
        completed: int = 0,
        status: str = "approved",
        activity: str = "active",
        name: str = "Expert",
        company: str = "",
        description: str = "",
        certifications: Sequence[str] = (),
        user: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """An expert profile with its product links (default: ticpe at avance); returns the profile id."""
        tdb.as_owner(self.conn)
        org = org or self.world.org_a
        if user is None:
            user = tdb.make_user(self.conn)
            tdb.add_member(self.conn, org, user, "expert")
        row = self.conn.execute(
            "insert into public.expert_profiles (organization_id, user_id, display_name, company_name, approval_status,"
            " activity, sectors, departements, languages, rating, review_count, description, certifications)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning id",
            (
                org,
                user,
                name,
                company,
                status,
                activity,
                list(sectors),
                list(departements),
                list(languages),
                rating,
                0 if rating is None else 1,
                description,
                list(certifications),
            ),
        ).fetchone()
        assert row is not None
        expert_id: uuid.UUID = row["id"]
        self.conn.execute(
            "update public.expert_terms set capacity = %s, completed_dossiers = %s where expert_id = %s",
            (capacity, completed, expert_id),
        )
        for code, level in (products if products is not None else {"ticpe": "avance"}).items():
            self.link(expert_id, code, level)
        return expert_id

    def link(self, expert_id: uuid.UUID, product: str, level: str = "avance", active: bool = True) -> None:
        tdb.as_owner(self.conn)
        self.conn.execute(
            "insert into public.expert_products (expert_id, product_code, organization_id, level, active)"
            " select %s, %s, organization_id, %s, %s from public.expert_profiles where id = %s",
            (expert_id, product, level, active, expert_id),
        )

    def user_of(self, expert_id: uuid.UUID) -> uuid.UUID:
        row = self.conn.execute("select user_id from public.expert_profiles where id = %s", (expert_id,)).fetchone()
        assert row is not None
        return uuid.UUID(str(row["user_id"]))

    def company(
        self,
        org: uuid.UUID | None = None,
        *,
        sector: str | None = "Transport et Logistique",
        departement: str | None = "69",
        users: Sequence[uuid.UUID] = (),
    ) -> uuid.UUID:
        tdb.as_owner(self.conn)
        row = self.conn.execute(
            "insert into public.client_companies (organization_id, name, sector, departement)"
            " values (%s, 'Société', %s, %s) returning id",
            (org or self.world.org_a, sector, departement),
        ).fetchone()
        assert row is not None
        for user in users:
            self.conn.execute(
                "insert into public.client_company_users (company_id, user_id) values (%s, %s)", (row["id"], user)
            )
        return uuid.UUID(str(row["id"]))

    def dossier(
        self, company: uuid.UUID | None = None, *, product: str = "ticpe", status: str = "admin_validated"
    ) -> uuid.UUID:
        tdb.as_owner(self.conn)
        company = company or self.world.companies["ca1"]
        row = self.conn.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, status)"
            " select organization_id, id, %s, %s from public.client_companies where id = %s returning id",
            (product, status, company),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def settings(self, org: uuid.UUID | None = None, **values: Any) -> None:
        tdb.as_owner(self.conn)
        for column, value in values.items():
            assert column in ("assignment_mode", "offer_ttl_minutes", "max_offer_attempts")
            self.conn.execute(
                f"update public.organizations set {column} = %s where id = %s",  # noqa: S608 (fixed names)
                (value, org or self.world.org_a),
            )

    def row(self, query: str, *params: object) -> dict[str, Any]:
        tdb.as_owner(self.conn)
        found = self.conn.execute(query, params).fetchone()
        assert found is not None, query
        return found

    def sql(self, query: str, *params: object) -> None:
        """Arrange data as the database owner (no RLS, no API role)."""
        tdb.as_owner(self.conn)
        self.conn.execute(query, params)

    def rows(self, query: str, *params: object) -> list[dict[str, Any]]:
        tdb.as_owner(self.conn)
        return self.conn.execute(query, params).fetchall()


@pytest.fixture
def market(conn: tdb.Conn, world: World) -> Market:
    return Market(conn, world)


def backdate(conn: tdb.Conn, query: str, *params: object) -> None:
    """Rewrite history (timestamps the triggers guard), as only a test may: triggers are skipped."""
    tdb.as_owner(conn)
    conn.execute("set local session_replication_role = replica")
    try:
        conn.execute(query, params)
    finally:
        conn.execute("set local session_replication_role = origin")
