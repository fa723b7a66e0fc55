"""Use cases of the simulator: the questionnaire, drafts, answers, completion, what-if, rule sets.

A caller is a signed-in user (the transaction runs as them: RLS decides what they see, and
``private.can_simulate_for`` whether they may write) or an anonymous visitor holding a draft's
resume token (the transaction runs as the service, and the token is the only key). Writes run as
the service role after those checks, in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from shared.platform import db
from shared.platform.db import Connection
from shared.platform.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable, field_error
from shared.simulation import engine, merge, repository
from shared.simulation.models import Question, RuleSet

Row = dict[str, Any]


class SimulationExpired(AppError):
    """A draft untouched for 24 hours is gone for good."""

    status, code, title = 410, "simulation_expired", "Draft expired"


@dataclass(frozen=True)
class Caller:
    """Who acts: a verified user, or an anonymous visitor with a resume token (as its hash)."""

    user_id: uuid.UUID | None = None
    token_hash: str | None = None


def new_resume_token() -> tuple[str, str]:
    """An opaque token for the visitor and the hash we keep (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- reading ------------------------------------------------------------------------------------


def question_json(question: Question) -> dict[str, Any]:
    return question.model_dump(mode="json", exclude={"condition"}) | {"shown_when": question.condition is not None}


def _rule_set_for(conn: Connection, *, organization_id: uuid.UUID, version: str | None) -> tuple[uuid.UUID, RuleSet]:
    found = repository.find_rule_set(conn, organization_id=organization_id, version=version)
    if found is None:
        raise Unprocessable(
            f"No rule set {version or 'in effect'}",
            errors=[field_error("rule_set", "unknown_rule_set", f"no rule set {version!r}")],
        )
    return found["id"], repository.rule_set(conn, rule_set_id=found["id"])


def questionnaire(conn: Connection, *, organization_key: str, version: str | None) -> dict[str, Any]:
    """The questions of the rule set in effect for an organization (anonymous visitors included)."""
    organization = repository.organization_by_key(conn, key=organization_key)
    if organization is None:
        raise NotFound("Unknown organization", code="organization_not_found")
    _, rule_set = _rule_set_for(conn, organization_id=organization["id"], version=version)
    return {"rule_set": rule_set.version, "questions": [question_json(q) for q in rule_set.questions]}


def state(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID) -> dict[str, Any]:
    return _state(conn, _load(conn, caller=caller, simulation_id=simulation_id, write=False))


def _state(conn: Connection, row: Row) -> dict[str, Any]:
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    answers = row["answers"]
    shown = engine.visible_questions(rule_set, answers)
    upcoming = engine.next_question(rule_set, answers)
    status = "expired" if row["stale"] else row["status"]
    preview = row["result"] if status == "completed" else engine.result_to_json(engine.evaluate(rule_set, answers))
    return {
        "id": str(row["id"]),
        "status": status,
        "rule_set": row["rule_set_version"],
        "organization_id": str(row["organization_id"]),
        "client_company_id": str(row["client_company_id"]) if row["client_company_id"] else None,
        "answers": answers,
        "questions": [question_json(q) for q in shown],
        "next_question": question_json(upcoming) if upcoming else None,
        "missing": engine.missing_required(rule_set, answers),
        "ignored": engine.ignored_answers(rule_set, answers),
        "progress": {"answered": sum(1 for q in shown if q.code in answers), "shown": len(shown)},
        "preview": preview,
        "abandon_reason": row["abandon_reason"],
        "updated_at": row["updated_at"].isoformat(),
    }


def _load(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, write: bool) -> Row:
    """The simulation if the caller may see it (404 otherwise) and, to write, may change it (403)."""
    if caller.user_id is not None and write:
        locked = repository.simulation_for_writing(conn, simulation_id=simulation_id)
        if locked is None:
            raise NotFound("Unknown simulation", code="simulation_not_found")
        if locked["access"] != "write":
            raise Forbidden("You may read this simulation but not change it", code="simulation_read_only")
        # the caller's rights are established: the writes run as the service (elevated by that statement)
    elif caller.user_id is not None:
        if repository.access(conn, simulation_id=simulation_id) is None:
            raise NotFound("Unknown simulation", code="simulation_not_found")
        db.elevate(conn)  # visible to the caller (RLS): read it as the service
        locked = repository.simulation(conn, simulation_id=simulation_id)
    else:
        locked = repository.simulation_by_token(
            conn, simulation_id=simulation_id, token_hash=caller.token_hash or "", lock=write
        )
        if locked is None:
            raise NotFound("Unknown simulation", code="simulation_not_found")
    assert locked is not None
    return locked


def _draft(row: Row) -> None:
    if row["stale"] or row["status"] == "expired":
        raise SimulationExpired("This draft expired 24 hours after its last change; start a new simulation")
    if row["status"] != "draft":
        raise Conflict(f"The simulation is {row['status']}", code=f"simulation_{row['status']}")


# --- writing ------------------------------------------------------------------------------------


def _company_to_simulate_for(conn: Connection, *, company_id: uuid.UUID) -> Row:
    """The company, if the caller sees it (404 otherwise) and may simulate for it (403 otherwise)."""
    company = repository.company(conn, company_id=company_id)
    if company is None:
        raise NotFound("Unknown company", code="company_not_found")
    if not repository.can_simulate_for(conn, company_id=company_id):
        raise Forbidden("You cannot simulate for this company", code="cannot_simulate")
    return company


def start_for_company(
    conn: Connection, *, user_id: uuid.UUID, company_id: uuid.UUID, version: str | None
) -> tuple[dict[str, Any], bool]:
    """Resume the company's open draft, or start one. Returns the state and whether it is new."""
    company = _company_to_simulate_for(conn, company_id=company_id)
    db.elevate(conn)
    draft = repository.open_draft(conn, company_id=company_id)
    if draft is not None and (version is None or draft["rule_set_version"] == version):
        return _state(conn, draft), False
    rule_set_id, rule_set = _rule_set_for(conn, organization_id=company["organization_id"], version=version)
    row = repository.insert_simulation(
        conn,
        organization_id=company["organization_id"],
        company_id=company_id,
        rule_set_id=rule_set_id,
        version=rule_set.version,
        created_by=user_id,
        token_hash=None,
    )
    return _state(conn, row), True


def start_anonymous(conn: Connection, *, organization_key: str, version: str | None) -> tuple[dict[str, Any], str]:
    """A draft for a visitor; returns its state and the resume token (shown once, never stored)."""
    organization = repository.organization_by_key(conn, key=organization_key)
    if organization is None:
        raise NotFound("Unknown organization", code="organization_not_found")
    rule_set_id, rule_set = _rule_set_for(conn, organization_id=organization["id"], version=version)
    token, token_hash = new_resume_token()
    row = repository.insert_simulation(
        conn,
        organization_id=organization["id"],
        company_id=None,
        rule_set_id=rule_set_id,
        version=rule_set.version,
        created_by=None,
        token_hash=token_hash,
    )
    return _state(conn, row), token


def answer(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, answers: dict[str, Any]) -> dict[str, Any]:
    """Validate and save answers (``null`` clears one); every bad answer is reported at once (422)."""
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=True)
    _draft(row)
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    merged = dict(row["answers"])
    errors: list[dict[str, str]] = []
    for code, value in answers.items():
        if value is None:
            merged.pop(code, None)
            continue
        try:
            merged[code] = _stored(engine.normalize_answer(rule_set, code, value))
        except engine.AnswerError as exc:
            errors.extend(field_error(f"answers.{e['field']}", e["rule"], e["message"]) for e in exc.errors)
    if errors:
        raise Unprocessable(f"Invalid answers: {', '.join(e['field'] for e in errors)}", errors=errors)
    repository.save_answers(conn, simulation_id=simulation_id, answers=merged)
    return _state(conn, {**row, "answers": merged})


def _stored(value: engine.Answer) -> Any:
    """An answer as kept in the database's JSON (numbers as strings, several choices as a list)."""
    if isinstance(value, tuple):
        return list(value)
    return value if isinstance(value, str) else f"{value:f}"


def complete(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID) -> dict[str, Any]:
    """Compute and keep the result; for a company, create or update its dossiers (merge rules)."""
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=True)
    if row["status"] == "completed":  # completing twice changes nothing
        return _completion(row, row["result"], None, already=True)
    _draft(row)
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    missing = engine.missing_required(rule_set, row["answers"])
    if missing:
        raise Unprocessable(
            f"Unanswered questions: {', '.join(missing)}",
            code="incomplete",
            errors=[field_error(f"answers.{code}", "required", "this question must be answered") for code in missing],
        )
    result = engine.evaluate(rule_set, row["answers"])
    wire = engine.result_to_json(result)
    dossiers = merge.complete(conn, simulation_id=simulation_id, wire=wire)
    return _completion(row, wire, dossiers if row["client_company_id"] is not None else None, already=False)


def _completion(row: Row, result: dict[str, Any], dossiers: merge.Outcome | None, *, already: bool) -> dict[str, Any]:
    """What completing (or claiming a completed simulation) answers: the result and the dossiers' fate."""
    return {
        "id": str(row["id"]),
        "status": "completed",
        "rule_set": row["rule_set_version"],
        "client_company_id": str(row["client_company_id"]) if row["client_company_id"] else None,
        "result": result,
        "dossiers": dossiers,
        "already_completed": already,
    }


def abandon(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, reason: str) -> dict[str, Any]:
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=True)
    _draft(row)
    repository.abandon(conn, simulation_id=simulation_id, reason=reason)
    return _state(conn, {**row, "status": "abandoned", "abandon_reason": reason})


def claim(
    conn: Connection, *, user_id: uuid.UUID, simulation_id: uuid.UUID, token: str, company_id: uuid.UUID
) -> dict[str, Any]:
    """Attach a visitor's simulation to the company the new user may simulate for."""
    company = _company_to_simulate_for(conn, company_id=company_id)
    db.elevate(conn)
    row = repository.simulation_by_token(conn, simulation_id=simulation_id, token_hash=hash_token(token), lock=True)
    if row is None:
        raise NotFound("Unknown simulation or resume token", code="simulation_not_found")
    if row["organization_id"] != company["organization_id"]:
        raise Conflict("The simulation was made for another organization", code="organization_mismatch")
    if row["status"] not in ("draft", "completed") or row["stale"]:
        _draft(row)
    repository.claim(conn, simulation_id=simulation_id, company_id=company_id, user_id=user_id)
    claimed = {**row, "client_company_id": company_id}
    if row["status"] != "completed":
        return {"simulation": _state(conn, claimed), "completion": None}
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    dossiers = merge.merge(
        conn,
        organization_id=row["organization_id"],
        company_id=company_id,
        simulation_id=simulation_id,
        result=engine.evaluate(rule_set, row["answers"]),
    )
    completion = _completion(claimed, row["result"], dossiers, already=False)
    return {"simulation": _state(conn, claimed), "completion": completion}


def compare(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, answers: dict[str, Any]) -> dict[str, Any]:
    """What-if: the completed simulation against changed answers; nothing is written."""
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=False)
    if row["status"] != "completed":
        raise Conflict("Only a completed simulation can be compared", code="simulation_not_completed")
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    changed = {**row["answers"], **answers}
    changed = {code: value for code, value in changed.items() if value is not None}
    try:
        comparison = engine.compare(rule_set, row["answers"], changed)
    except engine.AnswerError as exc:
        raise Unprocessable(
            exc.detail, errors=[field_error(f"answers.{e['field']}", e["rule"], e["message"]) for e in exc.errors]
        ) from exc
    return {
        "simulation_id": str(simulation_id),
        "old_answers": row["answers"],
        "new_answers": changed,
        **engine.comparison_to_json(comparison),
    }


def publish_rule_set(
    conn: Connection, *, user_id: uuid.UUID, organization_id: uuid.UUID | None, rule_set: RuleSet
) -> dict[str, Any]:
    """Publish a new rule set (RLS: platform operators, or the organization's owners and admins)."""
    rule_set_id = repository.insert_rule_set(
        conn, organization_id=organization_id, rule_set=rule_set, published_by=user_id
    )
    return {
        "id": str(rule_set_id),
        "version": rule_set.version,
        "organization_id": str(organization_id) if organization_id else None,
        "effective_from": rule_set.effective_from.isoformat(),
    }


def expire_drafts(conn: Connection) -> int:
    return repository.expire_drafts(conn)
