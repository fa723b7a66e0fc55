"""RLS of the documents tables and of their files in storage.objects, as every role, with row counts
(a denied read is silent): client users their company's, the expert its dossiers' until released,
partners none, staff the organization (viewers read only), org A never org B."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from psycopg import errors as pg_errors

from tests.support import db as tdb
from tests.support.documents import Docs

TABLES = [
    "documents",
    "document_versions",
    "document_reviews",
    "document_requests",
    "document_request_items",
    "document_downloads",
]
RECENT = date.today() - timedelta(days=5)

# Rows each persona sees among the fixture's (A: 5 documents of two companies, one review, one request
# with one item, one download by expert_a; B: 1 document, one download by client_b).
EXPECTED = {
    #           docs vers revw reqs item dl   objects
    "owner_a": (5, 5, 1, 1, 1, 1, 5),
    "admin_a": (5, 5, 1, 1, 1, 1, 5),
    "viewer_a": (5, 5, 1, 1, 1, 1, 5),
    "expert_a": (4, 4, 1, 1, 1, 1, 4),
    "pending_a": (0, 0, 0, 0, 0, 0, 0),
    "client_a": (4, 4, 1, 1, 1, 0, 4),
    "client_a2": (1, 1, 0, 0, 0, 0, 1),
    "partner_a": (0, 0, 0, 0, 0, 0, 0),
    "owner_b": (1, 1, 0, 0, 0, 1, 1),
    "client_b": (1, 1, 0, 0, 0, 1, 1),
    "expert_b": (1, 1, 0, 0, 0, 0, 1),
    "operator": (0, 0, 0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0, 0, 0),
}


@pytest.fixture
def filled(docs: Docs) -> dict[str, Any]:
    w = docs.world
    # partner_a manages company A1: partners still see none of its documents
    docs.conn.execute(
        "update public.client_companies set partner_user_id = %s where id = %s",
        (w.users["partner_a"], w.companies["ca1"]),
    )
    made = {
        "kbis": docs.upload("client_a", "ticpe", "kbis", issue_date=RECENT),
        "facture": docs.upload("client_a", "ticpe", "facture_carburant"),
        "rib": docs.upload("client_a", "urssaf", "rib"),
        "bulletins": docs.upload("client_a", "urssaf", "bulletins_paie"),
        "attestation": docs.upload("client_a2", "other", "attestation_vigilance", issue_date=RECENT),
        "kbis_b": docs.upload("client_b", "b", "kbis", issue_date=RECENT),
    }
    docs.review("expert_a", "urssaf", made["rib"]["version_id"])
    docs.command("expert_a", "urssaf", "request_documents", {"items": [{"document_type": "dsn"}]})
    docs.call("expert_a", "select private.document_download(%s) as r", made["rib"]["version_id"])
    docs.call("client_b", "select private.document_download(%s) as r", made["kbis_b"]["version_id"])
    # the files as Supabase Storage records them
    for done in made.values():
        docs.conn.execute(
            "insert into storage.objects (bucket_id, name, owner_id) values ('documents', %s, %s)",
            (done["storage_key"], str(w.users["client_a"])),
        )
    docs.conn.execute("insert into storage.buckets (id, name) values ('other-bucket', 'other-bucket')")
    docs.conn.execute("insert into storage.objects (bucket_id, name) values ('other-bucket', %s)", (f"{w.org_a}/x",))
    return made


def _counts(docs: Docs) -> tuple[int, ...]:
    orgs = list(docs.world.orgs)
    seen = []
    for table in TABLES:
        row = docs.conn.execute(
            f"select count(*) as n from public.{table} where organization_id = any(%s)",  # noqa: S608 (fixed names)
            (orgs,),
        ).fetchone()
        assert row is not None
        seen.append(int(row["n"]))
    row = docs.conn.execute("select count(*) as n from storage.objects").fetchone()
    assert row is not None
    return (*seen, int(row["n"]))


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_exactly_its_documents(docs: Docs, filled: dict[str, Any], persona: str) -> None:
    tdb.as_user(docs.conn, docs.world.users[persona])
    seen = _counts(docs)
    assert seen == EXPECTED[persona], dict(zip([*TABLES, "storage.objects"], seen, strict=True))


def test_service_role_sees_everything(docs: Docs, filled: dict[str, Any]) -> None:
    tdb.as_service(docs.conn)
    assert _counts(docs) == (6, 6, 1, 1, 1, 2, 7)


@pytest.mark.parametrize("table", TABLES)
def test_anon_is_refused_every_table(docs: Docs, filled: dict[str, Any], table: str) -> None:
    tdb.as_anon(docs.conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), docs.conn.transaction():
        docs.conn.execute(f"select count(*) from public.{table}")  # noqa: S608


def test_anon_sees_no_stored_file(docs: Docs, filled: dict[str, Any]) -> None:
    tdb.as_anon(docs.conn)
    try:
        with docs.conn.transaction():
            row = docs.conn.execute("select count(*) as n from storage.objects").fetchone()
            assert row is not None and row["n"] == 0
    except pg_errors.InsufficientPrivilege:
        pass  # the local shim grants anon nothing on storage.objects; Supabase grants it and lets RLS say 0


def test_the_expert_loses_a_dossiers_documents_once_released(docs: Docs, filled: dict[str, Any]) -> None:
    docs.conn.execute("update public.dossiers set expert_id = null where id = %s", (docs.dossiers["urssaf"],))
    tdb.as_user(docs.conn, docs.world.users["expert_a"])
    assert _counts(docs) == (1, 1, 0, 0, 0, 1, 1)  # company A2's attestation; its own download log row


@pytest.mark.parametrize("persona", ["owner_a", "admin_a", "viewer_a", "expert_a", "client_a", "partner_a"])
def test_no_api_role_writes_the_tables_directly(docs: Docs, filled: dict[str, Any], persona: str) -> None:
    writes = [
        (
            "update public.document_versions set state = 'replaced', replaced_at = now() where id = %s",
            filled["rib"]["version_id"],
        ),
        ("delete from public.documents where id = %s", filled["kbis"]["document_id"]),
        ("update public.document_request_items set state = 'accepted' where dossier_id = %s", docs.dossiers["urssaf"]),
        (
            "insert into public.document_reviews (dossier_id, version_id, organization_id, state)"
            " select dossier_id, %s, organization_id, 'validated' from public.document_requests limit 1",
            filled["bulletins"]["version_id"],
        ),
    ]
    for query, param in writes:
        with pytest.raises(pg_errors.InsufficientPrivilege), docs.conn.transaction(force_rollback=True):
            tdb.as_user(docs.conn, docs.world.users[persona])
            docs.conn.execute(query, (param,))
        tdb.as_owner(docs.conn)


# -- storage.objects: uploads, overwrites, deletes ---------------------------------------------------
def _rows(docs: Docs, who: str, query: str, *params: object) -> int:
    """Rows a write affects (then undone), or -1 when refused with an error."""
    try:
        with docs.conn.transaction(force_rollback=True):
            tdb.as_user(docs.conn, docs.world.users[who])
            return docs.conn.execute(query, params).rowcount
    except (pg_errors.InsufficientPrivilege, pg_errors.RaiseException):
        return -1
    finally:
        tdb.as_owner(docs.conn)


def test_storage_uploads_only_to_a_key_the_uploader_was_given(docs: Docs, filled: dict[str, Any]) -> None:
    started = docs.begin("client_a", "urssaf", "bulletins_paie", file_name="b.pdf")
    insert = "insert into storage.objects (bucket_id, name, owner_id) values (%s, %s, %s)"
    key = started["storage_key"]
    uid = str(docs.world.users["client_a"])
    assert _rows(docs, "client_a", insert, "documents", key, uid) == 1
    assert _rows(docs, "client_a2", insert, "documents", key, uid) == -1
    assert _rows(docs, "client_a", insert, "documents", f"{key}x", uid) == -1
    assert _rows(docs, "client_a", insert, "other-bucket", key, uid) == -1
    # an existing version is never overwritten (no UPDATE policy: no upsert)
    update = "update storage.objects set metadata = '{}' where name = %s"
    assert _rows(docs, "client_a", update, filled["facture"]["storage_key"]) == 0
    assert _rows(docs, "owner_a", update, filled["facture"]["storage_key"]) == 0


def test_storage_deletes_only_the_uploaders_pending_files(docs: Docs, filled: dict[str, Any]) -> None:
    delete = "delete from storage.objects where name = %s"
    assert _rows(docs, "client_a", delete, filled["facture"]["storage_key"]) == 1
    assert _rows(docs, "expert_a", delete, filled["bulletins"]["storage_key"]) == 0
    assert _rows(docs, "owner_a", delete, filled["facture"]["storage_key"]) == 0
    assert _rows(docs, "client_a", delete, filled["rib"]["storage_key"]) == 0  # reviewed: no longer pending


def test_an_upload_in_progress_is_visible_to_its_uploader_only(docs: Docs, filled: dict[str, Any]) -> None:
    started = docs.begin("client_a", "urssaf", "bulletins_paie", file_name="b.pdf")
    docs.conn.execute(
        "insert into storage.objects (bucket_id, name) values ('documents', %s)", (started["storage_key"],)
    )
    visible = "select count(*) as n from storage.objects where name = %s"
    for who, expected in (("client_a", 1), ("expert_a", 0), ("owner_a", 0)):
        tdb.as_user(docs.conn, docs.world.users[who])
        row = docs.conn.execute(visible, (started["storage_key"],)).fetchone()
        assert row is not None and row["n"] == expected, who
    tdb.as_owner(docs.conn)
    assert uuid.UUID(str(started["version_id"]))
