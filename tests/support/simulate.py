"""Helpers for `simulate` function tests: a site with a user in every role, and short calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from tests.support import db as tdb
from tests.support.tokens import KeyPair

TRANSPORT = {
    "GENERAL_001": "Transport et Logistique",
    "GENERAL_002": "1 000 000€ - 5 000 000€",
    "GENERAL_003": "21 à 50",
    "GENERAL_004": "Oui",
    "FONCIER_001": 3456.78,
    "RECOUVR_001": "Oui, montant modéré (10 000€ - 50 000€)",
    "ENERGIE_ELEC_FACTURES": "Oui",
    "ENERGIE_ELEC_MONTANT": 2200,
    "ENERGIE_GAZ_FACTURES": "Non",
    "TICPE_001": "Oui",
    "TICPE_003": ["Camions de plus de 7,5 tonnes"],
    "TICPE_002": 5000,
    "DFS_001": 5,
}
EXPECTED_AMOUNTS = {
    "ticpe": "12000.00",
    "urssaf": "122500.00",
    "dfs": "9000.00",
    "foncier": "691.36",
    "energie_elec": "5280.00",
    "recouvrement": "30000.00",
}
EXPECTED_DOSSIERS = {*EXPECTED_AMOUNTS, "chronotachygraphes", "logiciel_solid"}


@dataclass
class Site:
    slug: str
    org: uuid.UUID
    users: dict[str, uuid.UUID]
    company: uuid.UUID
    prospect: uuid.UUID
    other_company: uuid.UUID
    keys: KeyPair
    client: FlaskClient

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.token(self.users[who])}"} if who else {}

    def call(
        self,
        method: str,
        path: str,
        who: str | None = "client",
        json: Any = None,
        headers: dict[str, str] | None = None,
        address: str = "203.0.113.1",
    ) -> Any:
        return self.client.open(
            path,
            method=method,
            json=json,
            headers={**self.headers(who), **(headers or {})},
            environ_base={"REMOTE_ADDR": address},
        )


def start(site: Site, who: str = "client", company: uuid.UUID | None = None) -> dict[str, Any]:
    response = site.call("POST", "/simulations", who, json={"client_company_id": str(company or site.company)})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def answer(site: Site, sim: str, answers: dict[str, Any], who: str | None = "client", **kw: Any) -> Any:
    return site.call("POST", f"/simulations/{sim}/answers", who, json={"answers": answers}, **kw)


def complete(site: Site, sim: str, who: str | None = "client", **kw: Any) -> Any:
    return site.call("POST", f"/simulations/{sim}/complete", who, **kw)


def dossiers(conn: tdb.Conn, company: uuid.UUID) -> dict[str, dict[str, Any]]:
    rows = conn.execute("select * from public.dossiers where client_company_id = %s", (company,)).fetchall()
    return {row["product_code"]: row for row in rows}
