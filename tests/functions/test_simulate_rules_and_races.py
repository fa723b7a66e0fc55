"""Publishing rule sets through `simulate`, and concurrent completions creating each dossier once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.simulation.models import load_rule_set
from tests.support import db as tdb
from tests.support.simulate import TRANSPORT, Site
from tests.support.simulate import answer as _answer
from tests.support.simulate import complete as _complete
from tests.support.simulate import dossiers as _dossiers
from tests.support.simulate import start as _start


def _document(version: str, rate: str) -> dict[str, Any]:
    document = load_rule_set("FR-2025.1").model_dump(mode="json")
    document["version"], document["effective_from"] = version, "2026-01-01"
    next(p for p in document["products"] if p["code"] == "ticpe")["formula"]["factors"][1]["value"] = rate
    return document


def test_admins_publish_for_their_organization_and_old_simulations_keep_their_version(
    site: Site, committed: tdb.Conn
) -> None:
    before = _start(site)
    _answer(site, before["id"], TRANSPORT)
    _complete(site, before["id"])
    body = {"organization_id": str(site.org), "rule_set": _document("FR-2026.1", "0.25")}
    assert site.call("POST", "/rule-sets", "client", json=body).status_code == 403
    assert site.call("POST", "/rule-sets", "viewer", json=body).status_code == 403
    published = site.call("POST", "/rule-sets", "admin", json=body)
    assert published.status_code == 201, published.get_json()
    assert site.call("POST", "/rule-sets", "admin", json=body).status_code == 409  # versions are unique
    after = _start(site)
    assert after["rule_set"] == "FR-2026.1"
    _answer(site, after["id"], TRANSPORT)
    assert _complete(site, after["id"]).get_json()["result"]["products"]["ticpe"]["amount"] == "15000.00"
    old = site.call("GET", f"/simulations/{before['id']}").get_json()
    assert old["rule_set"] == "FR-2025.1" and old["preview"]["products"]["ticpe"]["amount"] == "12000.00"
    platform = site.call("POST", "/rule-sets", "admin", json={"rule_set": _document("FR-2026.2", "0.3")})
    assert platform.status_code == 403


def test_invalid_rule_sets_are_422_naming_the_field(site: Site) -> None:
    document = _document("FR-2026.3", "0.25")
    next(p for p in document["products"] if p["code"] == "ticpe")["formula"]["factors"][1]["value"] = 0.25
    response = site.call("POST", "/rule-sets", "admin", json={"organization_id": str(site.org), "rule_set": document})
    assert response.status_code == 422
    assert any(e["field"].startswith("rule_set.products.0.formula") for e in response.get_json()["errors"])
    document = _document("FR-2026.3", "0.25")
    document["products"][0]["eligibility"] = {"question": "NOPE", "operator": "equals", "value": "Oui"}
    assert (
        site.call(
            "POST", "/rule-sets", "admin", json={"organization_id": str(site.org), "rule_set": document}
        ).status_code
        == 422
    )


def _race(count: int, action: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = action(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.race
def test_concurrent_completions_of_one_simulation_create_each_dossier_once(
    site: Site, committed: tdb.Conn, client_for: Callable[[str], FlaskClient]
) -> None:
    draft = _start(site)
    _answer(site, draft["id"], TRANSPORT)
    statuses = _race(4, lambda _: _complete(site, draft["id"]).status_code)
    assert statuses == [200] * 4
    dossiers = committed.execute(
        "select product_code, count(*) as n from public.dossiers where client_company_id = %s group by 1",
        (site.company,),
    ).fetchall()
    assert len(dossiers) == 8 and all(row["n"] == 1 for row in dossiers)


@pytest.mark.race
def test_a_completion_racing_a_claim_for_the_same_company(site: Site, committed: tdb.Conn) -> None:
    draft = _start(site)
    _answer(site, draft["id"], {**TRANSPORT, "DFS_001": 1})
    visitor = site.call("POST", "/simulations", None, json={"organization": site.slug}, address="198.51.100.99")
    anonymous = visitor.get_json()
    token = {"X-Resume-Token": anonymous["resume_token"]}
    _answer(site, anonymous["id"], {**TRANSPORT, "DFS_001": 3}, who=None, headers=token)
    assert _complete(site, anonymous["id"], who=None, headers=token).status_code == 200
    claim = {"resume_token": anonymous["resume_token"], "client_company_id": str(site.company)}
    actions = [
        lambda: _complete(site, draft["id"]).status_code,
        lambda: site.call("POST", f"/simulations/{anonymous['id']}/claim", json=claim).status_code,
    ]
    assert _race(2, lambda i: actions[i]()) == [200, 200]
    rows = _dossiers(committed, site.company)
    assert len(rows) == 8
    history = committed.execute(
        "select count(*) as n from public.dossier_amount_history where dossier_id = %s", (rows["dfs"]["id"],)
    ).fetchone()
    assert history["n"] == 2  # created by one, updated by the other: never two dossiers
    assert str(rows["dfs"]["estimated_amount"]) in {"1800.00", "5400.00"}
    assert uuid.UUID(str(rows["dfs"]["source_simulation_id"])) in {uuid.UUID(draft["id"]), uuid.UUID(anonymous["id"])}
