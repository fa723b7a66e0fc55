"""`document_review` (FOLLOWUP.md): a version uploaded for a dossier with an expert opens the expert's
action; reviewing it on that dossier, or replacing it, closes it."""

from __future__ import annotations

import uuid

from tests.integration.conftest import World
from tests.support import db as tdb


def _version(conn: tdb.Conn, world: World, dossier: uuid.UUID) -> uuid.UUID:
    doc = conn.execute(
        "insert into public.documents (organization_id, client_company_id, dossier_id, document_type)"
        " values (%s, %s, %s, (select code from public.document_types limit 1)) returning id",
        (world.org_a, world.companies["ca1"], dossier),
    ).fetchone()
    assert doc is not None
    version = conn.execute(
        "insert into public.document_versions (organization_id, document_id, version, file_name, storage_key,"
        " declared_format, declared_size, uploaded_for_dossier_id)"
        " values (%s, %s, 1, 'kbis.pdf', %s, 'pdf', 10, %s) returning id",
        (world.org_a, doc["id"], f"org/{uuid.uuid4()}/kbis.pdf", dossier),
    ).fetchone()
    assert version is not None
    return uuid.UUID(str(version["id"]))


def _open_reviews(conn: tdb.Conn, dossier: uuid.UUID) -> list[str]:
    rows = conn.execute(
        "select subject from public.awaited_actions where dossier_id = %s and code = 'document_review'"
        " and closed_at is null",
        (dossier,),
    ).fetchall()
    return [r["subject"] for r in rows]


def test_an_uploaded_version_waits_for_the_experts_review(conn: tdb.Conn, world: World) -> None:
    dossier = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
        " values (%s, %s, 'ticpe', 'expert_assigned', %s) returning id",
        (world.org_a, world.companies["ca1"], world.experts["expert_a"]),
    ).fetchone()
    assert dossier is not None
    version = _version(conn, world, dossier["id"])
    assert _open_reviews(conn, dossier["id"]) == []  # still uploading
    conn.execute(
        "update public.document_versions set state = 'uploaded', completed_at = now(), size_bytes = 10,"
        " sha256 = repeat('a', 64), detected_format = 'pdf' where id = %s",
        (version,),
    )
    assert _open_reviews(conn, dossier["id"]) == [str(version)]
    conn.execute(
        "insert into public.document_reviews (dossier_id, version_id, organization_id, state)"
        " values (%s, %s, %s, 'validated')",
        (dossier["id"], version, world.org_a),
    )
    assert _open_reviews(conn, dossier["id"]) == []
    closed = conn.execute(
        "select close_reason from public.awaited_actions where subject = %s", (str(version),)
    ).fetchone()
    assert closed is not None and closed["close_reason"] == "reviewed"


def test_nothing_waits_on_an_expert_in_the_eligibility_phase(conn: tdb.Conn, world: World) -> None:
    dossier = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code) values (%s, %s, 'ticpe')"
        " returning id",
        (world.org_a, world.companies["ca1"]),
    ).fetchone()
    assert dossier is not None
    version = _version(conn, world, dossier["id"])
    conn.execute(
        "update public.document_versions set state = 'uploaded', completed_at = now(), size_bytes = 10,"
        " sha256 = repeat('a', 64), detected_format = 'pdf' where id = %s",
        (version,),
    )
    assert _open_reviews(conn, dossier["id"]) == []
