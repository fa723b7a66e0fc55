"""`followup` through its WSGI app: the staff queue and a dossier's SLA as every role (RLS decides),
and the rules admins tune (thresholds, recipients, priority, activity) with bad input refused by field."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from tests.support import db as tdb
from tests.support.tokens import KeyPair


@dataclass
class Desk:
    org: uuid.UUID
    other: uuid.UUID
    users: dict[str, uuid.UUID]
    dossiers: dict[str, uuid.UUID]
    keys: KeyPair
    app: FlaskClient
    dossier_app: FlaskClient

    def get(self, who: str, path: str) -> tuple[int, dict[str, object]]:
        response = self.app.get(path, headers={"Authorization": f"Bearer {self.keys.token(self.users[who])}"})
        return response.status_code, response.get_json()

    def patch(self, who: str, path: str, body: object) -> tuple[int, dict[str, object]]:
        response = self.app.patch(
            path, json=body, headers={"Authorization": f"Bearer {self.keys.token(self.users[who])}"}
        )
        return response.status_code, response.get_json()


@pytest.fixture
def desk(committed: tdb.Conn, keys: KeyPair, client_for: Callable[[str], FlaskClient]) -> Desk:
    org, other = tdb.make_org(committed, "Cabinet Suivi"), tdb.make_org(committed, "Autre")
    users: dict[str, uuid.UUID] = {}
    for name, role, where in (
        ("owner", "owner", org),
        ("admin", "admin", org),
        ("expert", "expert", org),
        ("client", "client", org),
        ("client2", "client", org),
        ("viewer", "viewer", org),
        ("stranger", "owner", other),
    ):
        users[name] = tdb.make_user(committed)
        tdb.add_member(committed, where, users[name], role)
    users["outsider"] = tdb.make_user(committed)
    company = tdb.make_company(committed, org, name="Transports Suivi", users=(users["client"],))
    company2 = tdb.make_company(committed, org, name="Autre Client", users=(users["client2"],))
    dossiers = {}
    for key, company_id in (("one", company), ("two", company2)):
        row = committed.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code) values (%s, %s, 'ticpe')"
            " returning id",
            (org, company_id),
        ).fetchone()
        assert row is not None
        dossiers[key] = uuid.UUID(str(row["id"]))
    return Desk(org, other, users, dossiers, keys, client_for("followup"), client_for("dossier"))


def test_the_queue_and_a_dossiers_sla_as_every_role(desk: Desk) -> None:
    expected = {"owner": 2, "admin": 2, "expert": 0, "client": 1, "client2": 1, "viewer": 2, "stranger": 0,
                "outsider": 0}  # fmt: skip
    for who, count in expected.items():
        status, body = desk.get(who, "/followup/queue?limit=50")
        assert status == 200, (who, body)
        items = [i for i in body["items"] if i["dossier_id"] in {str(d) for d in desk.dossiers.values()}]  # type: ignore[union-attr]
        assert len(items) == count, who
    status, body = desk.get("client", f"/followup/dossiers/{desk.dossiers['one']}")
    assert status == 200 and body["state"] == "on_track"
    [action] = body["actions"]  # type: ignore[misc]
    assert action["code"] == "eligibility_documents" and action["act_before"] is not None
    for who in ("client2", "stranger", "outsider"):
        assert desk.get(who, f"/followup/dossiers/{desk.dossiers['one']}")[0] == 404, who
    detail = desk.dossier_app.get(
        f"/dossier/dossiers/{desk.dossiers['one']}",
        headers={"Authorization": f"Bearer {desk.keys.token(desk.users['client'])}"},
    )
    assert detail.status_code == 200, detail.get_json()
    sla = detail.get_json()["sla"]
    assert sla["state"] == "on_track" and [a["code"] for a in sla["actions"]] == ["eligibility_documents"]
    assert desk.get("client", "/followup/queue?limit=0")[0] == 422
    assert desk.app.get("/followup/queue").status_code == 401


def test_admins_tune_the_rules_and_open_clocks_follow(desk: Desk, committed: tdb.Conn) -> None:
    path = f"/followup/organizations/{desk.org}/rules"
    status, body = desk.get("client", path)
    assert status == 200 and len(body["items"]) == 16  # type: ignore[arg-type]
    assert desk.get("outsider", path)[0] == 404 and desk.get("stranger", path)[0] == 404
    before = committed.execute(
        "select target_at from public.awaited_actions where dossier_id = %s", (desk.dossiers["one"],)
    ).fetchone()
    change = {"target": "4", "target_recipients": ["C", "A"]}
    status, rule = desk.patch("admin", f"{path}/eligibility_documents", change)
    assert status == 200, rule
    assert rule["target"] == "4.00" and rule["target_recipients"] == ["C", "A"]
    after = committed.execute(
        "select target_at from public.awaited_actions where dossier_id = %s", (desk.dossiers["one"],)
    ).fetchone()
    assert before is not None and after is not None and after["target_at"] > before["target_at"]
    status, rule = desk.patch("owner", f"{path}/expert_acceptance", {"no_breach": True, "priority": 2})
    assert status == 200 and rule["breach"] is None
    for who in ("client", "expert", "viewer"):
        assert desk.patch(who, f"{path}/audit", {"target": "8"})[0] == 403, who
    assert desk.patch("stranger", f"{path}/audit", {"target": "8"})[0] == 404
    assert desk.patch("owner", f"{path}/no_such_action", {"target": "8"})[0] == 404
    for body, field in (
        ({"warning": "1"}, "warning"),  # below the target (4)
        ({"target": "-1"}, "target"),
        ({"target_recipients": ["X"]}, "target_recipients"),
        ({"label_fr": "autre"}, "label_fr"),
        ({}, "body"),
        ({"breach": "30", "no_breach": True}, "breach"),
    ):
        status, problem = desk.patch("owner", f"{path}/eligibility_documents", body)
        assert status == 422, (body, problem)
        assert any(field in str(e.get("field", "")) for e in problem["errors"]), (body, problem)  # type: ignore[union-attr]


def test_kpis_route_as_every_role_and_bad_periods(desk: Desk) -> None:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    period = f"start={today - timedelta(days=1)}&end={today + timedelta(days=1)}"
    path = f"/followup/organizations/{desk.org}/kpis?{period}"
    for who in ("owner", "admin"):
        status, body = desk.get(who, path)
        assert status == 200, (who, body)
        [org] = [i for i in body["items"] if i["dimension"] == "organization"]  # type: ignore[union-attr]
        # each dossier's documents are awaited since its creation: open, not closed, not breached
        assert (org["key"], org["open"], org["closed"], org["on_time_rate"], org["breaches"]) == (
            str(desk.org), 2, 0, None, 0,
        )  # fmt: skip
        assert [i["key"] for i in body["items"] if i["dimension"] == "product"] == ["ticpe"]  # type: ignore[union-attr]
    for who, expected in (("client", 403), ("viewer", 403), ("expert", 403), ("stranger", 404), ("outsider", 404)):
        assert desk.get(who, path)[0] == expected, who
    base = f"/followup/organizations/{desk.org}/kpis"
    for query, field in (
        ("end=2026-03-31", "start"),
        ("start=2026-02-30&end=2026-03-31", "start"),
        ("start=2026-03-01&end=soon", "end"),
        ("start=2026-03-31&end=2026-03-01", "end"),
        ("start=2025-01-01&end=2026-03-01", "end"),
        ("start=2026-03-01&end=2026-03-31&dimension=expert", "dimension"),
    ):
        status, problem = desk.get("admin", f"{base}?{query}")
        assert status == 422, (query, problem)
        assert problem["errors"][0]["field"] == f"query.{field}", (query, problem)  # type: ignore[index]
