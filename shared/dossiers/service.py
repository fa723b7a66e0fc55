"""Dossier use cases: run a command, list, detail, timeline, what may happen now, offers' briefs.

Each runs in the transaction its caller opened as the user (RLS and the database's functions decide);
none commits.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from shared.dossiers import render, repository
from shared.dossiers.models import (
    AllowedCommands,
    CommandOut,
    DossierDetail,
    DossierPage,
    ListQuery,
    OfferBriefList,
    StatusList,
    Timeline,
)
from shared.followup import service as followup
from shared.platform import errors
from shared.platform.db import Connection


def run(conn: Connection, *, dossier_id: UUID, command: str, body: BaseModel | None, last: bool = False) -> CommandOut:
    """Runs one command on the dossier as the caller (the body's fields left out are not sent).
    ``last``: the command is the transaction's last statement and commits it in the same message."""
    payload: dict[str, Any] = {} if body is None else body.model_dump(mode="json", exclude_none=True)
    answer = repository.run_command(conn, dossier_id=dossier_id, command=command, payload=payload, last=last)
    return render.command(answer)


def allowed(conn: Connection, *, dossier_id: UUID) -> AllowedCommands:
    """What may happen to the dossier now, and who may do it (404 when it is not the caller's)."""
    rows = repository.allowed_commands(conn, dossier_id=dossier_id)
    return render.allowed(dossier_id, repository.status(conn, dossier_id=dossier_id), rows)


def detail(conn: Connection, *, dossier_id: UUID, lang: str) -> DossierDetail:
    found = render.detail(repository.detail(conn, dossier_id=dossier_id), lang)
    return found.model_copy(update={"sla": followup.dossier_sla(conn, str(dossier_id))})


def timeline(conn: Connection, *, dossier_id: UUID, lang: str, limit: int = 500) -> Timeline:
    return render.timeline(repository.timeline(conn, dossier_id=dossier_id, limit=limit), lang)


def statuses(conn: Connection, *, lang: str) -> StatusList:
    return render.statuses(repository.statuses(conn), lang)


def offers(conn: Connection) -> OfferBriefList:
    return render.offers(repository.my_offers(conn))


# --- the list ---------------------------------------------------------------------------------------
def encode_cursor(at: dt.datetime, dossier_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{dossier_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, UUID]:
    """The position a cursor names; 422 on the `after` parameter when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, dossier = raw.partition("|")
        return dt.datetime.fromisoformat(at), UUID(dossier)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise errors.Unprocessable(
            "after is not a cursor of this list",
            errors=[errors.field_error("query.after", "cursor", "pass the next_cursor of the previous page")],
        ) from exc


def _day(value: dt.date | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)


def _next_day(value: dt.date | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def list_dossiers(conn: Connection, *, query: ListQuery, last: bool = False) -> DossierPage:
    """The dossiers the caller may see, filtered, newest first, one keyset page at a time.
    ``last``: the page's query is the transaction's last statement and commits it in its message."""
    if query.min_amount is not None and query.max_amount is not None and query.min_amount > query.max_amount:
        raise errors.Unprocessable(
            "min_amount is above max_amount",
            errors=[errors.field_error("query.min_amount", "range", "min_amount must not exceed max_amount")],
        )
    organizations = repository.my_organizations(conn)
    if not organizations:
        return DossierPage(items=[], next_cursor=None)
    wants_sets = bool(query.step or query.open_only or query.waiting_on_me)
    sets = repository.status_sets(conn, step=query.step) if wants_sets else {}
    # The statuses the page may hold (None: any): the filters on status, step and openness intersected.
    codes: set[str] | None = None
    if query.status:
        codes = set(query.status.split(","))
    if query.step:
        in_step = {*(sets.get("step_codes") or []), "on_hold", "awaiting_reassignment"}
        codes = in_step if codes is None else codes & in_step
    if query.open_only:
        opened = set(sets.get("open_codes") or [])
        codes = opened if codes is None else codes & opened
    filters = {
        "step_codes": (sets.get("step_codes") or ["-"]) if query.step else None,
        "admin_codes": sets.get("admin_codes", []),
        "client_codes": sets.get("client_codes", []),
        "expert_codes": sets.get("expert_codes", []),
        "product": query.product,
        "company": query.company_id,
        "expert": query.expert_id,
        "priority": query.priority,
        "min_amount": query.min_amount,
        "max_amount": query.max_amount,
        "created_from": _day(query.created_from),
        "created_to": _next_day(query.created_to),
        "updated_from": _day(query.updated_from),
        "updated_to": _next_day(query.updated_to),
        "waiting": query.waiting_on_me,
    }
    after = decode_cursor(query.after) if query.after else None
    rows = repository.list_dossiers(
        conn,
        organizations=organizations,
        codes=None if codes is None else sorted(codes),
        filters=filters,
        sort=query.sort,
        after=after,
        limit=query.page_size,
        lang=query.lang,
        last=last,
    )
    items = [render.card(row) for row in rows]
    cursor = None
    if len(items) == query.page_size:
        final = items[-1]
        cursor = encode_cursor(final.updated_at if query.sort == "updated" else final.created_at, final.id)
    return DossierPage(items=items, next_cursor=cursor)
