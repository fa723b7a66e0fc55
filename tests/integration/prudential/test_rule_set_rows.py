"""The seeded CRR3-2025.1 rows are exactly the bundled document; who reads them; they never change."""

from __future__ import annotations

import json
import re
from datetime import date

import psycopg
import pytest

from infra import prudential_ruleset_migration
from shared.platform.migrate import SQL_DIR
from shared.prudential.engine import compute
from shared.prudential.rule_repository import stored_rule_set
from shared.prudential.rules import load_rule_set
from tests.integration.conftest import World
from tests.support import db as tdb

SEED = SQL_DIR / "migrations" / "0081_seed_prudential_rule_set_crr3_2025_1.sql"


def test_the_seed_migration_embeds_the_bundled_document() -> None:
    migration = SEED.read_text(encoding="utf-8")
    assert migration == prudential_ruleset_migration.render("CRR3-2025.1")
    embedded = re.search(r"\$ruleset\$(.*)\$ruleset\$", migration, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == load_rule_set("CRR3-2025.1").to_document()


def test_the_stored_rule_set_equals_the_bundled_one_and_computes_the_same(conn: tdb.Conn) -> None:
    tdb.as_service(conn)
    stored = stored_rule_set(conn, code="CRR3-2025.1", organization_id=None)
    bundled = load_rule_set("CRR3-2025.1")
    order = lambda p: (p.code, p.key, p.valid_from)  # noqa: E731
    assert sorted(stored.parameters, key=order) == sorted(bundled.parameters, key=order)
    assert stored.effective_from == date(2025, 1, 1)
    document = {
        "reference_date": "2031-06-30",
        "exposures": [{"id": "e", "class": "corporate", "off_balance": "1000000", "ccf_bucket": 5}],
    }
    assert compute(document, stored) == compute(document, bundled)
    assert compute(document, stored)["credit_risk"]["rwa"] == "50000.00"


# Platform rule set CRR3-2025.1: members with a prudential role see it (and its 194 rows); others don't.
EXPECTED = {
    "owner_a": (1, 194),
    "admin_a": (1, 194),
    "viewer_a": (1, 194),
    "owner_b": (1, 194),
    "expert_a": (0, 0),
    "client_a": (0, 0),
    "partner_a": (0, 0),
    "client_b": (0, 0),
    "outsider": (0, 0),
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_reads_exactly_the_rule_sets_it_should(conn: tdb.Conn, world: World, persona: str) -> None:
    tdb.as_user(conn, world.users[persona])
    sets = conn.execute("select count(*) as n from public.prudential_rule_sets where code = 'CRR3-2025.1'").fetchone()
    rows = conn.execute(
        "select count(*) as n from public.prudential_rule_parameters p join public.prudential_rule_sets s"
        " on s.id = p.rule_set_id where s.code = 'CRR3-2025.1'"
    ).fetchone()
    assert sets is not None and rows is not None
    assert (sets["n"], rows["n"]) == EXPECTED[persona]


def test_anonymous_callers_read_nothing(conn: tdb.Conn) -> None:
    tdb.as_anon(conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("select count(*) from public.prudential_rule_sets")


def test_an_organization_rule_set_is_private_to_its_organization(conn: tdb.Conn, world: World) -> None:
    tdb.as_service(conn)
    org_a = world.orgs[0]
    conn.execute(
        "insert into public.prudential_rule_sets (organization_id, code, effective_from)"
        " values (%s, 'BANKA-2026.1', '2026-01-01')",
        (org_a,),
    )
    for persona, expected in (("owner_a", 1), ("viewer_a", 1), ("owner_b", 0), ("expert_a", 0)):
        tdb.as_user(conn, world.users[persona])
        row = conn.execute(
            "select count(*) as n from public.prudential_rule_sets where code = 'BANKA-2026.1'"
        ).fetchone()
        assert row is not None and row["n"] == expected, persona
        tdb.as_service(conn)


def test_published_rows_never_change(conn: tdb.Conn) -> None:
    # As the table owner (no API role may update at all): the trigger refuses even then.
    with pytest.raises(psycopg.Error) as caught, conn.transaction():
        conn.execute("update public.prudential_rule_parameters set value = 0.3 where code = 'ccf' and key = '1'")
    assert caught.value.sqlstate == "PT409" and caught.value.diag.message_hint == "rule_set_immutable"


def test_overlapping_rows_are_refused(conn: tdb.Conn) -> None:
    tdb.as_service(conn)
    with pytest.raises(psycopg.Error) as caught, conn.transaction():
        conn.execute(
            "insert into public.prudential_rule_parameters (rule_set_id, code, key, value, valid_from, valid_to)"
            " select id, 'ccf', '5', 0.5, '2029-06-01', null from public.prudential_rule_sets"
            " where code = 'CRR3-2025.1'"
        )
    assert caught.value.sqlstate == "PT422" and caught.value.diag.message_hint == "rule_parameter_overlap"
