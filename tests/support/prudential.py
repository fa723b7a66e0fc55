"""Helpers for `prudential` function tests: an organization with a user in every role, short calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support import db as tdb
from tests.support.tokens import KeyPair

ROLES = ("owner", "admin", "analyst", "analyst2", "approver", "approver2", "viewer", "expert", "client", "partner")


def bank_input(amount: str = "1000000", **extra: Any) -> dict[str, Any]:
    """A small but complete engine input: two exposures, own funds and requirements."""
    return {
        "id": "Q4",
        "reference_date": "2025-12-31",
        "exposures": [
            {"id": "c1", "class": "corporate", "amount": amount, "cqs": 2},
            {"id": "r1", "class": "retail", "amount": "50000.10"},
        ],
        "own_funds": {"cet1_instruments": "200000", "at1_instruments": "10000"},
        "requirements": {"p2r": "0.02"},
        **extra,
    }


@dataclass
class Bank:
    org: uuid.UUID
    other: uuid.UUID
    users: dict[str, uuid.UUID]
    keys: KeyPair
    client: FlaskClient

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.token(self.users[who])}"}

    def get(self, who: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(f"/prudential{path}", headers=self.headers(who), **kwargs)

    def post(self, who: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(f"/prudential{path}", headers=self.headers(who), **kwargs)

    def put(self, who: str, path: str, body: Any) -> TestResponse:
        return self.client.put(f"/prudential{path}", headers=self.headers(who), json=body)

    def portfolio(self, who: str = "analyst", name: str | None = None) -> str:
        response = self.post(who, "/portfolios", {"name": name or f"Solo {uuid.uuid4().hex[:6]}"})
        assert response.status_code == 201, response.json
        return str(response.json["id"])  # type: ignore[index]

    def version(self, portfolio: str, document: dict[str, Any] | None = None, who: str = "analyst") -> str:
        response = self.post(who, f"/portfolios/{portfolio}/versions", {"input": document or bank_input()})
        assert response.status_code == 201, response.json
        return str(response.json["id"])  # type: ignore[index]

    def calculate(self, version: str, who: str = "analyst") -> dict[str, Any]:
        response = self.post(who, f"/versions/{version}/calculate", {})
        assert response.status_code == 201, response.json
        out: dict[str, Any] = response.json  # type: ignore[assignment]
        return out


def make_bank(committed: tdb.Conn, keys: KeyPair, client: FlaskClient) -> Bank:
    org = tdb.make_org(committed, "Banque Test")
    other = tdb.make_org(committed, "Autre Banque")
    users: dict[str, uuid.UUID] = {}
    for name in ROLES:
        users[name] = tdb.make_user(committed)
        tdb.add_member(committed, org, users[name], name.rstrip("2"))
    users["stranger"] = tdb.make_user(committed)
    tdb.add_member(committed, other, users["stranger"], "owner")
    return Bank(org, other, users, keys, client)
