"""SQL of the documents. Runs inside the caller's transaction: RLS and the security-definer
functions of migrations 0061–0064 decide. Database refusals become domain errors here, once:
SQLSTATE ``PTxxx`` carries the HTTP status, the hint the stable code and, for a 422, the detail
names the fields (``{"field", "rule"}`` or ``{"errors": [...]}``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import psycopg

from shared.platform import dberrors, errors
from shared.platform.db import Connection

Row = dict[str, Any]


def to_app_error(exc: psycopg.Error) -> errors.AppError | None:
    """The domain error a database refusal stands for (shared/platform/dberrors), or None."""
    return dberrors.to_app_error(exc)


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        error = to_app_error(exc)
        if error is None:
            raise
        raise error from exc


def _value(conn: Connection, query: str, params: dict[str, Any], *, last: bool = False) -> Any:
    """The single value ``query`` returns; with ``last`` the statement carries the transaction's
    COMMIT in the same message (nothing may follow it)."""
    with translated():
        cursor = conn.execute_and_commit(query.encode(), params) if last else conn.execute(query.encode(), params)
        row = cursor.fetchone()
    return None if row is None else next(iter(row.values()))


def begin_upload(
    conn: Connection,
    *,
    dossier_id: UUID,
    document_type: str | None,
    file_name: str,
    size: int,
    issue_date: date | None,
    request_item_id: UUID | None,
    document_id: UUID | None,
    label: str | None,
) -> Row:
    result: Row = _value(
        conn,
        "select private.document_begin_upload(%(dossier)s, %(type)s, %(file_name)s, %(size)s, %(issue_date)s,"
        " %(item)s, %(document)s, %(label)s) as result",
        {
            "dossier": dossier_id,
            "type": document_type,
            "file_name": file_name,
            "size": size,
            "issue_date": issue_date,
            "item": request_item_id,
            "document": document_id,
            "label": label,
        },
    )
    return result


def upload_to_check(conn: Connection, *, version_id: UUID) -> Row | None:
    """The caller's own upload (key, declared format, state, the type's size limit), under RLS."""
    with translated():
        row: Row | None = conn.execute(
            b"select v.storage_key, v.declared_format, v.state, t.max_size_bytes from public.document_versions v"
            b" join public.documents d on d.id = v.document_id"
            b" join public.document_types t on t.code = d.document_type"
            b" where v.id = %(version)s and v.uploaded_by = (select auth.uid())",
            {"version": version_id},
        ).fetchone()
    return row


def complete_upload(conn: Connection, *, version_id: UUID, size: int, sha256: str, detected_format: str) -> Row:
    """Records the checked version (pending) and commits: the transaction's last statement."""
    result: Row = _value(
        conn,
        "select private.document_complete_upload(%(version)s, %(size)s, %(sha256)s, %(format)s) as result",
        {"version": version_id, "size": size, "sha256": sha256, "format": detected_format},
        last=True,
    )
    return result


def abandon_upload(conn: Connection, *, version_id: UUID) -> str:
    return str(_value(conn, "select private.document_abandon_upload(%(version)s) as key", {"version": version_id}))


def delete_version(conn: Connection, *, version_id: UUID) -> str:
    return str(_value(conn, "select private.document_delete_version(%(version)s) as key", {"version": version_id}))


def download(conn: Connection, *, version_id: UUID, dossier_id: UUID | None) -> Row:
    result: Row = _value(
        conn,
        "select private.document_download(%(version)s, %(dossier)s) as result",
        {"version": version_id, "dossier": dossier_id},
    )
    return result


def checklist(conn: Connection, *, dossier_id: UUID, on: date | None = None) -> Row | None:
    result: Row | None = _value(
        conn,
        "select private.dossier_checklist(%(dossier)s, coalesce(%(on)s::date, current_date)) as result",
        {"dossier": dossier_id, "on": on},
    )
    return result


def sweep_stale_uploads(conn: Connection, *, older_than_seconds: int, limit: int) -> list[Row]:
    """Remove up to ``limit`` uploads still in progress after ``older_than_seconds`` (migration 0127):
    their version ids, document ids and storage keys. As the service role."""
    with translated():
        rows = conn.execute(
            b"select version_id, document_id, storage_key"
            b" from private.sweep_stale_uploads(make_interval(secs => %(age)s), %(limit)s)",
            {"age": older_than_seconds, "limit": limit},
        ).fetchall()
    return [dict(r) for r in rows]


def share(conn: Connection, *, dossier_id: UUID, shared: bool) -> Row:
    """Share or withdraw the dossier's documents with its company's partner (migration 0126)."""
    result: Row = _value(
        conn,
        "select public.share_dossier_documents(%(dossier)s, %(shared)s) as result",
        {"dossier": dossier_id, "shared": shared},
    )
    return result


def dossier_command(conn: Connection, *, dossier_id: UUID, command: str, payload: dict[str, Any]) -> Row:
    """W1's one entry point for dossier commands (request_documents, review_document)."""
    result: Row = _value(
        conn,
        "select public.dossier_command(%(dossier)s, %(command)s, %(payload)s::jsonb) as result",
        {"dossier": dossier_id, "command": command, "payload": json.dumps(payload, default=str)},
    )
    return result


def documents_of_dossier(conn: Connection, *, dossier_id: UUID) -> list[Row]:
    """The documents the caller sees on a dossier (its own and the company's reusable ones it needs),
    each with its versions, newest first, and each completed version's review on THIS dossier: a
    reusable Kbis validated on one dossier is still pending on another of the company's."""
    with translated():
        rows = conn.execute(
            b"select d.id, d.document_type, d.label, t.reusable, d.dossier_id,"
            b" coalesce(jsonb_agg(jsonb_build_object("
            b"   'id', v.id, 'version', v.version, 'state', v.state, 'file_name', v.file_name,"
            b"   'size_bytes', v.size_bytes, 'detected_format', v.detected_format, 'sha256', v.sha256,"
            b"   'issue_date', v.issue_date, 'uploaded_by', v.uploaded_by, 'created_at', v.created_at,"
            b"   'completed_at', v.completed_at,"
            b"   'review', case when v.state = 'uploading' then null else coalesce(r.state, 'pending') end,"
            b"   'review_reason', r.reason, 'review_category', r.category, 'reviewed_at', r.reviewed_at)"
            b"   order by v.version desc)"
            b"   filter (where v.id is not null), '[]') as versions"
            b" from public.dossiers x"
            b" join public.documents d on d.client_company_id = x.client_company_id"
            b"  and (d.dossier_id = x.id or (d.dossier_id is null"
            b"       and private.dossier_needs_type(x.id, d.document_type)))"
            b" join public.document_types t on t.code = d.document_type"
            b" left join public.document_versions v on v.document_id = d.id"
            b" left join public.document_reviews r on r.dossier_id = x.id and r.version_id = v.id"
            b" where x.id = %(dossier)s"
            b" group by d.id, t.reusable, t.position order by t.position, d.created_at",
            {"dossier": dossier_id},
        ).fetchall()
    return list(rows)


def document_types(conn: Connection) -> list[Row]:
    with translated():
        return list(
            conn.execute(
                b"select code, label_fr, label_en, formats, max_size_bytes, validity_months, reusable,"
                b" expert_document, period_fr, period_en from public.document_types order by position, code"
            ).fetchall()
        )
