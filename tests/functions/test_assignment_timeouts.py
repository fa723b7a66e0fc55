"""`assignment-timeouts` through its WSGI app: the cron secret, a sweep, and its idempotence."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from shared.platform.settings import Secret, Settings
from tests.support import db as tdb

SECRET = "cron-secret-for-tests"


@pytest.fixture
def cron(client_for: Callable[[str], FlaskClient], use: Callable[..., Settings]) -> FlaskClient:
    use(cron_secret=Secret(SECRET))
    return client_for("assignment_timeouts")


def test_calls_without_the_secret_are_refused(cron: FlaskClient, use: Callable[..., Settings]) -> None:
    assert cron.post("/").status_code == 401
    assert cron.post("/", headers={"X-Cron-Secret": "wrong"}).status_code == 401
    use(cron_secret=Secret(""))
    response = cron.post("/", headers={"X-Cron-Secret": ""})
    assert response.status_code == 401 and response.get_json()["code"] == "cron_only"


def test_a_sweep_expires_offers_and_offers_the_next_candidate_once(
    cron: FlaskClient, committed: tdb.Conn, tenant: dict[str, uuid.UUID]
) -> None:
    org = tenant["org"]
    committed.execute("update public.organizations set assignment_mode = 'auto' where id = %s", (org,))
    experts = []
    for level in ("expert", "avance"):
        user = tdb.make_user(committed)
        tdb.add_member(committed, org, user, "expert")
        expert = tdb.make_expert(committed, org, user)
        committed.execute(
            "insert into public.expert_products (expert_id, product_code, organization_id, level)"
            " values (%s, 'ticpe', %s, %s)",
            (expert, org, level),
        )
        experts.append(expert)
    dossier = committed.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status)"
        " values (%s, %s, 'ticpe', 'pending_admin_validation') returning id",
        (org, tenant["company"]),
    ).fetchone()["id"]  # type: ignore[index]
    committed.execute("update public.dossiers set status = 'admin_validated' where id = %s", (dossier,))
    with committed.transaction():
        committed.execute("set local session_replication_role = replica")
        committed.execute(
            "update public.dossiers set matching_started_at = now() - interval '3 days' where id = %s", (dossier,)
        )
        committed.execute(
            "update public.assignment_offers set offered_at = now() - interval '2 days',"
            " expires_at = now() - interval '1 minute' where dossier_id = %s",
            (dossier,),
        )
    first = cron.post("/", headers={"X-Cron-Secret": SECRET})
    assert first.status_code == 200
    body = first.get_json()
    assert body["expired"] >= 1 and body["offered"] >= 1 and body["failed_organizations"] == 0
    offers = committed.execute(
        "select expert_id, status from public.assignment_offers where dossier_id = %s order by attempt", (dossier,)
    ).fetchall()
    assert [(o["expert_id"], o["status"]) for o in offers] == [(experts[0], "expired"), (experts[1], "offered")]
    cron.post("/", headers={"X-Cron-Secret": SECRET})
    again = committed.execute(
        "select count(*) as n from public.assignment_offers where dossier_id = %s", (dossier,)
    ).fetchone()
    assert again is not None and again["n"] == 2
