"""SQL of messaging's code paths. Runs inside the caller's transaction: RLS and the security-definer
functions of migrations 0140–0143 decide; database refusals (PTxxx) become domain errors once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from shared.platform import dberrors
from shared.platform.db import Connection

Row = dict[str, Any]


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        error = dberrors.to_app_error(exc)
        if error is None:
            raise
        raise error from exc


def _value(conn: Connection, query: str, params: dict[str, Any], *, last: bool = False) -> Any:
    with translated():
        cursor = conn.execute_and_commit(query.encode(), params) if last else conn.execute(query.encode(), params)
        row = cursor.fetchone()
    return None if row is None else next(iter(row.values()))


def begin_upload(conn: Connection, *, conversation_id: UUID, file_name: str, size: int) -> Row:
    result: Row = _value(
        conn,
        "select private.attachment_begin_upload(%(conversation)s, %(name)s, %(size)s) as result",
        {"conversation": conversation_id, "name": file_name, "size": size},
    )
    return result


def upload_to_check(conn: Connection, *, attachment_id: UUID) -> Row | None:
    """The caller's own attachment (key, declared format and size, state), under RLS."""
    with translated():
        row: Row | None = conn.execute(
            b"select storage_key, declared_format, state from public.message_attachments"
            b" where id = %(id)s and uploaded_by = (select auth.uid())",
            {"id": attachment_id},
        ).fetchone()
    return row


def complete_upload(conn: Connection, *, attachment_id: UUID, size: int, sha256: str, detected_format: str) -> Row:
    result: Row = _value(
        conn,
        "select private.attachment_complete_upload(%(id)s, %(size)s, %(sha256)s, %(format)s) as result",
        {"id": attachment_id, "size": size, "sha256": sha256, "format": detected_format},
        last=True,
    )
    return result


def abandon_upload(conn: Connection, *, attachment_id: UUID) -> str:
    return str(_value(conn, "select private.attachment_abandon_upload(%(id)s) as key", {"id": attachment_id}))


def download(conn: Connection, *, attachment_id: UUID) -> Row:
    result: Row = _value(conn, "select private.attachment_download(%(id)s) as result", {"id": attachment_id})
    return result


def to_file(conn: Connection, *, attachment_id: UUID) -> Row:
    result: Row = _value(conn, "select private.attachment_to_file(%(id)s) as result", {"id": attachment_id})
    return result


# --- the unread-message email (service role) --------------------------------------------------------
def unread_candidates(conn: Connection, *, now: datetime, limit: int) -> list[Row]:
    with translated():
        return list(
            conn.execute(
                b"select * from private.message_unread_candidates(%(now)s, %(limit)s)", {"now": now, "limit": limit}
            ).fetchall()
        )


def record_unread_email(conn: Connection, *, candidate: Row, outbox_id: object) -> None:
    conn.execute(
        b"select private.record_message_unread_email(%(conversation)s, %(user)s, %(pointer)s, %(outbox)s)",
        {
            "conversation": candidate["conversation_id"],
            "user": candidate["user_id"],
            "pointer": candidate["after_message_id"],
            "outbox": outbox_id,
        },
    )


def queue_unread_digest(conn: Connection, *, candidate: Row, title: str, body: str) -> None:
    conn.execute(
        b"select private.queue_message_unread_digest(%(conversation)s, %(user)s, %(pointer)s, %(org)s, %(title)s,"
        b" %(body)s)",
        {
            "conversation": candidate["conversation_id"],
            "user": candidate["user_id"],
            "pointer": candidate["after_message_id"],
            "org": candidate["organization_id"],
            "title": title,
            "body": body,
        },
    )


def enqueue_email(conn: Connection, **values: Any) -> object:
    from psycopg.types.json import Jsonb

    row = conn.execute(
        b"select private.enqueue_email(%(org)s, %(key)s, %(user)s, %(to)s, %(subject)s, %(html)s, %(text)s,"
        b" 'message_unread', false, %(headers)s, %(send_after)s) as id",
        {**values, "headers": Jsonb(values.get("headers") or {})},
    ).fetchone()
    return None if row is None else row["id"]


# --- retention (service role) -----------------------------------------------------------------------
def purge(conn: Connection, *, now: datetime, limit: int) -> Row:
    result: Row = _value(
        conn, "select private.purge_messaging(%(now)s, %(limit)s) as result", {"now": now, "limit": limit}
    )
    return result


def forget_purged_objects(conn: Connection, *, keys: list[str]) -> None:
    conn.execute(b"delete from private.messaging_purged_objects where storage_key = any(%(keys)s)", {"keys": keys})


def purged_objects(conn: Connection, *, limit: int) -> list[str]:
    rows = conn.execute(
        b"select storage_key from private.messaging_purged_objects order by purged_at limit %(limit)s",
        {"limit": limit},
    ).fetchall()
    return [str(r["storage_key"]) for r in rows]


# --- filing into the dossier's documents: the documents' own SQL entry points (0063) -----------------
def begin_document_upload(
    conn: Connection, *, dossier_id: UUID, document_type: str, file_name: str, size: int, issue_date: Any, label: Any
) -> Row:
    result: Row = _value(
        conn,
        "select private.document_begin_upload(%(dossier)s, %(type)s, %(name)s, %(size)s, %(issue_date)s,"
        " null, null, %(label)s) as result",
        {
            "dossier": dossier_id,
            "type": document_type,
            "name": file_name,
            "size": size,
            "issue_date": issue_date,
            "label": label,
        },
    )
    return result


def complete_document_upload(
    conn: Connection, *, version_id: UUID, size: int, sha256: str, detected_format: str
) -> Row:
    """Records the filed version (pending review) and commits: the transaction's last statement."""
    result: Row = _value(
        conn,
        "select private.document_complete_upload(%(version)s, %(size)s, %(sha256)s, %(format)s) as result",
        {"version": version_id, "size": size, "sha256": sha256, "format": detected_format},
        last=True,
    )
    return result
