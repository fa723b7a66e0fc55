"""Partners and documents (WORKFLOW.md, Access: "partners none unless a client shares the dossier"):
the share command and its refusals, RLS row counts of the shares and of what a share opens (tables
and storage.objects) as every role, withdrawal, a change of partner, logged partner downloads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from psycopg import errors as pg_errors

from tests.support import db as tdb
from tests.support.documents import Docs, Refusal

RECENT = date.today() - timedelta(days=5)
SHARE = "select public.share_dossier_documents(%s, %s) as r"
TABLES = [
    "dossier_document_shares",
    "documents",
    "document_versions",
    "document_reviews",
    "document_requests",
    "document_request_items",
    "document_downloads",
]


@pytest.fixture
def shared(docs: Docs) -> dict[str, Any]:
    """partner_a manages company A1; client_a shares its URSSAF dossier (not the TICPE one)."""
    w = docs.world
    docs.conn.execute(
        "update public.client_companies set partner_user_id = %s where id = %s",
        (w.users["partner_a"], w.companies["ca1"]),
    )
    made = {
        "kbis": docs.upload("client_a", "ticpe", "kbis", issue_date=RECENT),  # reusable: URSSAF needs it too
        "facture": docs.upload("client_a", "ticpe", "facture_carburant"),  # the TICPE dossier's own
        "rib": docs.upload("client_a", "urssaf", "rib"),
        "bulletins": docs.upload("client_a", "urssaf", "bulletins_paie"),
        "attestation": docs.upload("client_a2", "other", "attestation_vigilance", issue_date=RECENT),
        "kbis_b": docs.upload("client_b", "b", "kbis", issue_date=RECENT),
    }
    docs.review("expert_a", "urssaf", made["rib"]["version_id"])
    docs.command("expert_a", "urssaf", "request_documents", {"items": [{"document_type": "dsn"}]})
    for done in made.values():
        docs.conn.execute(
            "insert into storage.objects (bucket_id, name) values ('documents', %s)", (done["storage_key"],)
        )
    result = docs.call("client_a", SHARE, docs.dossiers["urssaf"], True)
    assert result["shared"] is True and result["partner_user_id"] == str(w.users["partner_a"])
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
    row = docs.conn.execute("select count(*) as n from storage.objects where bucket_id = 'documents'").fetchone()
    assert row is not None
    return (*seen, int(row["n"]))


# shares docs vers revw reqs item dl objects, once client_a has shared the URSSAF dossier with partner_a:
# the partner sees the URSSAF dossier's documents (its bulletins, the company's Kbis and RIB it needs),
# its review and its request, never the TICPE dossier's own invoice nor another company's files.
EXPECTED = {
    "owner_a": (1, 5, 5, 1, 1, 1, 0, 5),
    "admin_a": (1, 5, 5, 1, 1, 1, 0, 5),
    "viewer_a": (1, 5, 5, 1, 1, 1, 0, 5),
    "expert_a": (0, 4, 4, 1, 1, 1, 0, 4),
    "pending_a": (0, 0, 0, 0, 0, 0, 0, 0),
    "client_a": (1, 4, 4, 1, 1, 1, 0, 4),
    "client_a2": (0, 1, 1, 0, 0, 0, 0, 1),
    "partner_a": (1, 3, 3, 1, 1, 1, 0, 3),
    "owner_b": (0, 1, 1, 0, 0, 0, 0, 1),
    "client_b": (0, 1, 1, 0, 0, 0, 0, 1),
    "expert_b": (0, 1, 1, 0, 0, 0, 0, 1),
    "operator": (0, 0, 0, 0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0, 0, 0, 0),
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_exactly_the_shares_and_shared_documents(
    docs: Docs, shared: dict[str, Any], persona: str
) -> None:
    tdb.as_user(docs.conn, docs.world.users[persona])
    seen = _counts(docs)
    assert seen == EXPECTED[persona], dict(zip([*TABLES, "storage.objects"], seen, strict=True))


def test_service_role_sees_every_share(docs: Docs, shared: dict[str, Any]) -> None:
    tdb.as_service(docs.conn)
    assert _counts(docs) == (1, 6, 6, 1, 1, 1, 0, 6)


def test_anon_is_refused_the_shares(docs: Docs, shared: dict[str, Any]) -> None:
    tdb.as_anon(docs.conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), docs.conn.transaction():
        docs.conn.execute("select count(*) from public.dossier_document_shares")
    refusal = docs.refused("anon", SHARE, docs.dossiers["urssaf"], True)
    assert refusal.sqlstate == "42501"


def test_without_a_share_the_partner_sees_nothing(docs: Docs, shared: dict[str, Any]) -> None:
    result = docs.call("client_a", SHARE, docs.dossiers["urssaf"], False)
    assert result == {"dossier_id": str(docs.dossiers["urssaf"]), "shared": False, "partner_user_id": None,
                      "shared_at": None}  # fmt: skip
    tdb.as_user(docs.conn, docs.world.users["partner_a"])
    assert _counts(docs) == (0,) * 8


def test_a_new_partner_does_not_inherit_the_share(docs: Docs, shared: dict[str, Any]) -> None:
    w = docs.world
    newcomer = tdb.make_user(docs.conn)
    tdb.add_member(docs.conn, w.org_a, newcomer, "partner")
    docs.conn.execute(
        "update public.client_companies set partner_user_id = %s where id = %s", (newcomer, w.companies["ca1"])
    )
    for who in (w.users["partner_a"], newcomer):
        tdb.as_user(docs.conn, who)
        assert _counts(docs)[1:] == (0,) * 7
    tdb.as_owner(docs.conn)
    # sharing again hands the dossier to the company's partner of today
    result = docs.call("client_a", SHARE, docs.dossiers["urssaf"], True)
    assert result["partner_user_id"] == str(newcomer)
    tdb.as_user(docs.conn, newcomer)
    assert _counts(docs)[1] == 3


def test_the_partner_downloads_a_shared_document_and_the_download_is_logged(docs: Docs, shared: dict[str, Any]) -> None:
    rib = docs.call("partner_a", "select private.document_download(%s, %s) as r", shared["rib"]["version_id"],
                    docs.dossiers["urssaf"])  # fmt: skip
    assert rib["storage_key"] == shared["rib"]["storage_key"]
    refusal = docs.refused("partner_a", "select private.document_download(%s) as r", shared["facture"]["version_id"])
    assert (refusal.status, refusal.code) == (404, "document_not_found")
    tdb.as_user(docs.conn, docs.world.users["partner_a"])
    row = docs.conn.execute("select count(*) as n from public.document_downloads").fetchone()
    assert row is not None and row["n"] == 1
    checklist = docs.call("partner_a", "select private.dossier_checklist(%s) as r", docs.dossiers["urssaf"])
    assert any(i["document_type"] == "rib" for i in checklist["items"])
    # the unshared dossier's checklist is none of the partner's business (the service answers 404)
    assert docs.call("partner_a", "select private.dossier_checklist(%s) as r", docs.dossiers["ticpe"]) is None


def test_the_partner_still_cannot_upload_review_or_delete(docs: Docs, shared: dict[str, Any]) -> None:
    refusal = docs.refused(
        "partner_a", "select private.document_begin_upload(%s, 'bulletins_paie', 'b.pdf', 100) as r",
        docs.dossiers["urssaf"],
    )  # fmt: skip
    assert refusal.status == 403
    refusal = docs.refused("partner_a", "select private.document_delete_version(%s) as r",
                           shared["bulletins"]["version_id"])  # fmt: skip
    assert refusal.status == 403
    review = docs.command("partner_a", "urssaf", "review_document",
                          {"version_id": shared["bulletins"]["version_id"], "decision": "validate"})  # fmt: skip
    assert isinstance(review, Refusal) and review.status == 403
    delete = "delete from storage.objects where name = %s"
    with docs.conn.transaction(force_rollback=True):
        tdb.as_user(docs.conn, docs.world.users["partner_a"])
        assert docs.conn.execute(delete, (shared["bulletins"]["storage_key"],)).rowcount == 0
    tdb.as_owner(docs.conn)


@pytest.mark.parametrize(
    ("who", "dossier", "shared_flag", "status", "code"),
    [
        ("partner_a", "urssaf", True, 403, "forbidden"),
        ("expert_a", "urssaf", True, 403, "forbidden"),
        ("viewer_a", "urssaf", True, 403, "forbidden"),
        ("admin_a", "urssaf", True, 403, "forbidden"),  # staff may withdraw, never share for the client
        ("viewer_a", "urssaf", False, 403, "forbidden"),
        ("client_a2", "urssaf", True, 404, "dossier_not_found"),
        ("owner_b", "urssaf", False, 404, "dossier_not_found"),
        ("client_a2", "other", True, 409, "no_partner"),  # company A2 has no partner
    ],
)
def test_share_refusals(
    docs: Docs, shared: dict[str, Any], who: str, dossier: str, shared_flag: bool, status: int, code: str
) -> None:
    refusal = docs.refused(who, SHARE, docs.dossiers[dossier], shared_flag)
    assert (refusal.status, refusal.code) == (status, code)


def test_an_admin_withdraws_a_share_and_sharing_is_idempotent_on_the_timeline(
    docs: Docs, shared: dict[str, Any]
) -> None:
    docs.call("client_a", SHARE, docs.dossiers["urssaf"], True)  # again: no second event
    types = [e["type"] for e in docs.events("urssaf")]
    assert types.count("documents_shared") == 1
    docs.call("admin_a", SHARE, docs.dossiers["urssaf"], False)
    docs.call("admin_a", SHARE, docs.dossiers["urssaf"], False)
    types = [e["type"] for e in docs.events("urssaf")]
    assert types.count("documents_unshared") == 1
    refusal = docs.refused("client_a", "select public.share_dossier_documents(%s, null) as r", docs.dossiers["urssaf"])
    assert refusal.status == 422


def test_no_api_role_writes_the_shares_directly(docs: Docs, shared: dict[str, Any]) -> None:
    for persona in ("client_a", "partner_a", "owner_a"):
        with pytest.raises(pg_errors.InsufficientPrivilege), docs.conn.transaction(force_rollback=True):
            tdb.as_user(docs.conn, docs.world.users[persona])
            docs.conn.execute("delete from public.dossier_document_shares")
        tdb.as_owner(docs.conn)
