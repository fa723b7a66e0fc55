"""Rule sets as data: the seeded FR-2025.1 is exactly the bundled document, and it round-trips."""

from __future__ import annotations

import json
import re
import uuid

from infra import ruleset_migration
from shared.platform.migrate import SQL_DIR
from shared.simulation import engine, repository
from shared.simulation.models import load_rule_set
from tests.support import db as tdb


def test_the_seed_migration_embeds_the_bundled_document() -> None:
    migration = (SQL_DIR / "migrations" / "0011_seed_rule_set_fr_2025_1.sql").read_text()
    assert migration == ruleset_migration.render("FR-2025.1")
    embedded = re.search(r"\$ruleset\$(.*)\$ruleset\$", migration, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == load_rule_set("FR-2025.1").model_dump(mode="json")


def test_the_database_rule_set_equals_the_bundled_one(conn: tdb.Conn) -> None:
    row = repository.find_rule_set(conn, organization_id=uuid.uuid4(), version=None)
    assert row is not None and row["version"] == "FR-2025.1"
    stored = repository.rule_set(conn, rule_set_id=row["id"])
    assert stored == load_rule_set("FR-2025.1")
    answers = {"TICPE_001": "Oui", "TICPE_003": ["Camions de plus de 7,5 tonnes"], "TICPE_002": "5000"}
    assert engine.result_to_json(engine.evaluate(stored, answers)) == engine.result_to_json(
        engine.evaluate(load_rule_set("FR-2025.1"), answers)
    )


def test_an_organization_rule_set_takes_precedence_and_versions_stay_addressable(conn: tdb.Conn) -> None:
    org = tdb.make_org(conn)
    bundled = load_rule_set("FR-2025.1")
    document = bundled.model_dump(mode="json")
    document["version"] = "FR-2026.1"
    document["effective_from"] = "2026-01-01"
    ticpe = next(p for p in document["products"] if p["code"] == "ticpe")
    ticpe["formula"]["factors"][1]["value"] = "0.25"
    new = type(bundled).model_validate(document)
    repository.insert_rule_set(conn, organization_id=org, rule_set=new, published_by=uuid.uuid4())
    latest = repository.find_rule_set(conn, organization_id=org, version=None)
    assert latest is not None and latest["version"] == "FR-2026.1"
    answers = {"TICPE_001": "Oui", "TICPE_003": ["Engins de chantier"], "TICPE_002": "1000"}
    amount = engine.evaluate(repository.rule_set(conn, rule_set_id=latest["id"]), answers).products["ticpe"].amount
    assert str(amount) == "3000.00"
    old = repository.find_rule_set(conn, organization_id=org, version="FR-2025.1")
    assert old is not None
    assert (
        str(engine.evaluate(repository.rule_set(conn, rule_set_id=old["id"]), answers).products["ticpe"].amount)
        == "2400.00"
    )
    other = repository.find_rule_set(conn, organization_id=uuid.uuid4(), version=None)
    assert other is not None and other["version"] == "FR-2025.1"
