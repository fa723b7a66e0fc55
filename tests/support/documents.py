"""Document test helpers: dossiers in chosen statuses, uploads and commands run exactly as the
`documents` function runs them (as the signed-in user), refusals as the API sees them."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from tests.integration.conftest import World
from tests.support import db as tdb


@dataclass
class Refusal:
    sqlstate: str
    code: str
    detail: dict[str, Any]

    @property
    def status(self) -> int:
        return int(self.sqlstate[2:]) if self.sqlstate.startswith("PT") else 500


@dataclass
class Docs:
    conn: tdb.Conn
    world: World
    dossiers: dict[str, uuid.UUID]

    def _as(self, who: str) -> None:
        if who == "service":
            tdb.as_service(self.conn)
        elif who == "anon":
            tdb.as_anon(self.conn)
        else:
            tdb.as_user(self.conn, self.world.users[who])

    def attempt(self, who: str, query: str, *params: object) -> Any:
        """The single value ``query`` returns as ``who``, or the :class:`Refusal`."""
        try:
            with self.conn.transaction():
                self._as(who)
                row = self.conn.execute(query, params).fetchone()
        except psycopg.Error as exc:
            tdb.as_owner(self.conn)
            try:
                detail = json.loads(exc.diag.message_detail or "{}")
            except ValueError:
                detail = {"text": exc.diag.message_detail}
            return Refusal(exc.sqlstate or "", exc.diag.message_hint or "", detail)
        tdb.as_owner(self.conn)
        return None if row is None else next(iter(row.values()))

    def call(self, who: str, query: str, *params: object) -> Any:
        result = self.attempt(who, query, *params)
        assert not isinstance(result, Refusal), result
        return result

    def refused(self, who: str, query: str, *params: object) -> Refusal:
        result = self.attempt(who, query, *params)
        assert isinstance(result, Refusal), f"not refused: {result}"
        return result

    def begin(
        self,
        who: str,
        dossier: str,
        document_type: str | None,
        file_name: str = "file.pdf",
        size: int = 1000,
        issue_date: date | None = None,
        item: uuid.UUID | None = None,
        document: uuid.UUID | None = None,
        label: str | None = None,
    ) -> Any:
        return self.attempt(
            who,
            "select private.document_begin_upload(%s, %s, %s, %s, %s, %s, %s, %s) as r",
            self.dossiers[dossier],
            document_type,
            file_name,
            size,
            issue_date,
            item,
            document,
            label,
        )

    def upload(self, who: str, dossier: str, document_type: str | None, **options: Any) -> dict[str, Any]:
        """Start and complete an upload as ``who`` (the file checks are the function's; here the
        facts are given); returns the completion's result with the storage key added."""
        started = self.begin(who, dossier, document_type, **options)
        assert not isinstance(started, Refusal), started
        fmt = started["format"]
        done: dict[str, Any] = self.call(
            who,
            "select private.document_complete_upload(%s, %s, %s, %s) as r",
            started["version_id"],
            options.get("size", 1000),
            hashlib.sha256(str(started["version_id"]).encode()).hexdigest(),
            fmt,
        )
        return {**done, "storage_key": started["storage_key"]}

    def command(self, who: str, dossier: str, command: str, payload: dict[str, Any]) -> Any:
        return self.attempt(
            who,
            "select public.dossier_command(%s, %s, %s::jsonb) as r",
            self.dossiers[dossier],
            command,
            json.dumps(payload),
        )

    def review(self, who: str, dossier: str, version: Any, decision: str = "validate", **more: Any) -> Any:
        return self.command(who, dossier, "review_document", {"version_id": str(version), "decision": decision, **more})

    def status(self, dossier: str) -> str:
        row = self.conn.execute(
            "select status from public.dossiers where id = %s", (self.dossiers[dossier],)
        ).fetchone()
        assert row is not None
        return str(row["status"])

    def put(self, dossier: str, status: str) -> None:
        """Arrange a status as the database owner (bypassing the commands)."""
        self.conn.execute("update public.dossiers set status = %s where id = %s", (status, self.dossiers[dossier]))

    def problems(self, dossier: str, phase: str, on: date | None = None) -> list[dict[str, str]]:
        row = self.conn.execute(
            "select private.dossier_document_problems(%s, %s, %s) as p", (self.dossiers[dossier], phase, on)
        ).fetchone()
        assert row is not None
        return list(row["p"])

    def checklist(self, who: str, dossier: str, on: date | None = None) -> Any:
        return self.call(
            who, "select private.dossier_checklist(%s, coalesce(%s, current_date)) as r", self.dossiers[dossier], on
        )

    def item_state(self, dossier: str, who: str, document_type: str) -> str:
        checklist = self.checklist(who, dossier)
        states = {i["document_type"]: i["state"] for i in checklist["items"]}
        return str(states[document_type])

    def events(self, dossier: str) -> list[dict[str, Any]]:
        return list(
            self.conn.execute(
                "select type, title_fr, actor_kind from public.dossier_events where dossier_id = %s order by id",
                (self.dossiers[dossier],),
            ).fetchall()
        )


def make_dossier(
    conn: tdb.Conn, org: uuid.UUID, company: uuid.UUID, product: str, status: str, expert: uuid.UUID | None
) -> uuid.UUID:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
        " values (%s, %s, %s, %s, %s) returning id",
        (org, company, product, status, expert),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))
