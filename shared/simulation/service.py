"""Use cases of the simulator: the questionnaire, drafts, answers, completion, what-if, rule sets.

A caller (:func:`caller`) is a signed-in user or an anonymous visitor. A user's transaction runs as
them: RLS decides what they see and ``private.can_simulate_for`` whether they may write; their writes
then run as the service role in the same transaction, after those checks. A visitor's transaction
runs as ``anon`` and reaches its draft only through the token-keyed functions of migration 0046;
visitors are rate-limited per address (settings ``ANONYMOUS_STARTS_PER_HOUR`` and
``ANONYMOUS_CALLS_PER_10_MINUTES``). Every use case returns a response model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from shared.platform import db, ratelimit
from shared.platform.auth import Claims
from shared.platform.db import Connection
from shared.platform.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, field_error
from shared.platform.settings import get_settings
from shared.simulation import engine, merge, repository
from shared.simulation.models import Question, RuleSet
from shared.simulation.requests import (
    ClaimOut,
    ComparisonOut,
    CompletionOut,
    DossierOutcomes,
    Lang,
    QuestionnaireOut,
    QuestionOut,
    RuleSetOut,
    SimulationOut,
    StartIn,
)

Row = dict[str, Any]
SECTOR_QUESTION = "GENERAL_001"  # the answer a company's recorded sector must agree with
STARTS_WINDOW = dt.timedelta(hours=1)
CALLS_WINDOW = dt.timedelta(minutes=10)


class SimulationExpired(AppError):
    """A draft untouched for 24 hours is gone for good."""

    status, code, title = 410, "simulation_expired", "Draft expired"


@dataclass(frozen=True)
class Caller:
    """Who acts: a verified user (with their claims), or an anonymous visitor known by the hash of
    their address and, once they have a draft, of its resume token."""

    user_id: uuid.UUID | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    token_hash: str | None = None
    address_hash: str = ""

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


def caller(*, claims: Claims | None, resume_token: str | None, address: str, starting: bool = False) -> Caller:
    """The caller of a simulation request: the signed-in user when a token was verified, else a visitor
    holding a draft's resume token (not needed to start one). Neither → 401."""
    if claims is not None:
        return Caller(user_id=uuid.UUID(claims.sub), claims=claims.raw)
    if not resume_token and not starting:
        raise Unauthorized("Sign in, or send the draft's X-Resume-Token", code="missing_token")
    return Caller(token_hash=hash_token(resume_token) if resume_token else None, address_hash=hash_token(address)[:32])


@contextmanager
def session(who: Caller) -> Iterator[Connection]:
    """The caller's transaction: as the user, or as ``anon`` for a visitor (one call counted)."""
    if not who.anonymous:
        with db.user_transaction(who.claims) as conn:
            yield conn
        return
    with db.anon_transaction() as conn:
        if who.token_hash is not None:
            _limit(conn, who, "calls", get_settings().anonymous_call_limit, CALLS_WINDOW)
        yield conn


def _limit(conn: Connection, who: Caller, kind: str, limit: int, window: dt.timedelta) -> None:
    ratelimit.hit(conn, bucket=f"simulate-{kind}:{who.address_hash}", limit=limit, window=window)


def new_resume_token() -> tuple[str, str]:
    """An opaque token for the visitor and the hash we keep (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- reading ------------------------------------------------------------------------------------


def question_out(question: Question, lang: Lang = "fr") -> QuestionOut:
    """A question as front ends get it: labels in ``lang`` (French when untranslated), the display
    condition itself (``shown_when``), options as the accepted (French) values."""
    data = question.model_dump(mode="json", exclude={"condition", "label"})
    label = question.label_en if lang == "en" and question.label_en else question.label
    return QuestionOut.model_validate({**data, "label": label, "shown_when": question.condition})


def rule_set_of(conn: Connection, *, rule_set_id: uuid.UUID) -> RuleSet:
    """A stored rule set (cached per process: published rule sets never change)."""
    return repository.rule_set(conn, rule_set_id=rule_set_id)


def _rule_set_for(conn: Connection, *, organization_id: uuid.UUID, version: str | None) -> tuple[uuid.UUID, RuleSet]:
    found = repository.find_rule_set(conn, organization_id=organization_id, version=version)
    if found is None:
        raise Unprocessable(
            f"No rule set {version or 'in effect'}",
            errors=[field_error("rule_set", "unknown_rule_set", f"no rule set {version!r}")],
        )
    return found["id"], repository.rule_set(conn, rule_set_id=found["id"])


def _organization(conn: Connection, key: str) -> Row:
    organization = repository.organization_by_key(conn, key=key)
    if organization is None:
        raise NotFound("Unknown organization", code="organization_not_found")
    return organization


def questionnaire(conn: Connection, *, organization_key: str, version: str | None, lang: Lang) -> QuestionnaireOut:
    """The questions of the rule set in effect for an organization (anyone may read them)."""
    organization = _organization(conn, organization_key)
    _, rule_set = _rule_set_for(conn, organization_id=organization["id"], version=version)
    return QuestionnaireOut(
        rule_set=rule_set.version, lang=lang, questions=[question_out(q, lang) for q in rule_set.questions]
    )


def state(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID) -> SimulationOut:
    return _state(conn, _load(conn, caller=caller, simulation_id=simulation_id, write=False))


def _state(conn: Connection, row: Row, **extra: Any) -> SimulationOut:
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    answers = row["answers"]
    shown = engine.visible_questions(rule_set, answers)
    upcoming = engine.next_question(rule_set, answers)
    status = "expired" if row["stale"] else row["status"]
    preview = row["result"] if status == "completed" else engine.result_to_json(engine.evaluate(rule_set, answers))
    return SimulationOut(
        id=row["id"],
        status=status,
        rule_set=row["rule_set_version"],
        organization_id=row["organization_id"],
        client_company_id=row["client_company_id"],
        answers=answers,
        questions=[question_out(q) for q in shown],
        next_question=question_out(upcoming) if upcoming else None,
        missing=engine.missing_required(rule_set, answers),
        ignored=engine.ignored_answers(rule_set, answers),
        progress={"answered": sum(1 for q in shown if q.code in answers), "shown": len(shown)},
        preview=preview,
        abandon_reason=row["abandon_reason"],
        updated_at=row["updated_at"].isoformat(),
        **extra,
    )


def _load(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, write: bool) -> Row:
    """The simulation if the caller may see it (404 otherwise) and, to write, may change it (403)."""
    if caller.anonymous:
        found = repository.anonymous_simulation(
            conn, simulation_id=simulation_id, token_hash=caller.token_hash or "", lock=write
        )
    elif write:
        found = repository.simulation_for_writing(conn, simulation_id=simulation_id)
        if found is not None and found["access"] != "write":
            raise Forbidden("You may read this simulation but not change it", code="simulation_read_only")
        # the caller's rights are established: the writes run as the service (elevated by that statement)
    elif repository.access(conn, simulation_id=simulation_id) is not None:
        db.elevate(conn)  # visible to the caller (RLS): read it as the service
        found = repository.simulation(conn, simulation_id=simulation_id)
    else:
        found = None
    if found is None:
        raise NotFound("Unknown simulation", code="simulation_not_found")
    return found


def _draft(row: Row) -> None:
    if row["stale"] or row["status"] == "expired":
        raise SimulationExpired("This draft expired 24 hours after its last change; start a new simulation")
    if row["status"] != "draft":
        raise Conflict(f"The simulation is {row['status']}", code=f"simulation_{row['status']}")


# --- answers: one validation for saving, comparing and exporting -------------------------------------


def changed_answers(rule_set: RuleSet, base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied (``null`` clears an answer), each change validated against the
    rule set and kept in its stored form; every bad answer is reported at once (422, ``answers.CODE``)."""
    merged = dict(base)
    errors: list[dict[str, str]] = []
    for code, value in changes.items():
        if value is None:
            merged.pop(code, None)
            continue
        try:
            merged[code] = _stored(engine.normalize_answer(rule_set, code, value))
        except engine.AnswerError as exc:
            errors.extend(field_error(f"answers.{e['field']}", e["rule"], e["message"]) for e in exc.errors)
    if errors:
        raise Unprocessable(f"Invalid answers: {', '.join(e['field'] for e in errors)}", errors=errors)
    return merged


def what_if_answers(
    conn: Connection, *, rule_set_id: uuid.UUID, base: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers of a what-if (a completed simulation's answers with changes), validated as above."""
    return changed_answers(rule_set_of(conn, rule_set_id=rule_set_id), base, changes)


def _stored(value: engine.Answer) -> Any:
    """An answer as kept in the database's JSON (numbers as strings, several choices as a list)."""
    if isinstance(value, tuple):
        return list(value)
    return value if isinstance(value, str) else f"{value:f}"


def _still_valid(rule_set: RuleSet, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers this rule set accepts, in their stored form (the others are dropped)."""
    kept: dict[str, Any] = {}
    for code, value in answers.items():
        try:
            kept[code] = _stored(engine.normalize_answer(rule_set, code, value))
        except engine.AnswerError:
            continue
    return kept


# --- writing ------------------------------------------------------------------------------------


def _company_to_simulate_for(conn: Connection, *, company_id: uuid.UUID) -> Row:
    """The company, if the caller sees it (404 otherwise) and may simulate for it (403 otherwise)."""
    company = repository.company(conn, company_id=company_id)
    if company is None:
        raise NotFound("Unknown company", code="company_not_found")
    if not repository.can_simulate_for(conn, company_id=company_id):
        raise Forbidden("You cannot simulate for this company", code="cannot_simulate")
    return company


def start(conn: Connection, *, caller: Caller, request: StartIn) -> tuple[SimulationOut, bool]:
    """Start a draft, or resume the company's open one. Returns the state and whether it is new.

    A signed-in caller names the company (``client_company_id``); a visitor names the organization."""
    if not caller.anonymous:
        if request.client_company_id is None:
            raise Unprocessable(
                "client_company_id is required when signed in",
                errors=[field_error("client_company_id", "missing", "Field required")],
            )
        assert caller.user_id is not None
        return _start_for_company(
            conn, user_id=caller.user_id, company_id=request.client_company_id, version=request.rule_set
        )
    if request.organization is None:
        raise Unprocessable(
            "Anonymous visitors name the organization",
            errors=[field_error("organization", "missing", "Field required")],
        )
    _limit(conn, caller, "starts", get_settings().anonymous_start_limit, STARTS_WINDOW)
    return _start_anonymous(conn, organization_key=request.organization, version=request.rule_set), True


def _start_for_company(
    conn: Connection, *, user_id: uuid.UUID, company_id: uuid.UUID, version: str | None
) -> tuple[SimulationOut, bool]:
    """Resume the company's open draft, or start one pre-filled with the answers of its last completed
    simulation that the rule set still accepts (the front end may clear them)."""
    company = _company_to_simulate_for(conn, company_id=company_id)
    db.elevate(conn)
    draft = repository.open_draft(conn, company_id=company_id)
    if draft is not None and (version is None or draft["rule_set_version"] == version):
        return _state(conn, draft), False
    rule_set_id, rule_set = _rule_set_for(conn, organization_id=company["organization_id"], version=version)
    last = repository.last_completed(conn, company_id=company_id)
    row = repository.insert_simulation(
        conn,
        organization_id=company["organization_id"],
        company_id=company_id,
        rule_set_id=rule_set_id,
        version=rule_set.version,
        created_by=user_id,
        token_hash=None,
        answers=_still_valid(rule_set, last["answers"]) if last else None,
    )
    return _state(conn, row, prefilled_from=last["id"] if last else None), True


def _start_anonymous(conn: Connection, *, organization_key: str, version: str | None) -> SimulationOut:
    """A draft for a visitor, with its resume token (shown once, never stored)."""
    organization = _organization(conn, organization_key)
    rule_set_id, _ = _rule_set_for(conn, organization_id=organization["id"], version=version)
    token, token_hash = new_resume_token()
    row = repository.start_anonymous(
        conn, organization_id=organization["id"], rule_set_id=rule_set_id, token_hash=token_hash
    )
    return _state(conn, row, resume_token=token)


def answer(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, answers: dict[str, Any]) -> SimulationOut:
    """Validate and save answers (``null`` clears one); every bad answer is reported at once (422)."""
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=True)
    _draft(row)
    merged = changed_answers(repository.rule_set(conn, rule_set_id=row["rule_set_id"]), row["answers"], answers)
    if caller.anonymous:
        repository.save_anonymous_answers(
            conn, simulation_id=simulation_id, token_hash=caller.token_hash or "", answers=merged
        )
    else:
        repository.save_answers(conn, simulation_id=simulation_id, answers=merged)
    return _state(conn, {**row, "answers": merged})


def complete(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID) -> CompletionOut:
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
    wire = engine.result_to_json(engine.evaluate(rule_set, row["answers"]))
    if caller.anonymous:
        repository.complete_anonymous(
            conn, simulation_id=simulation_id, token_hash=caller.token_hash or "", result=wire
        )
        return _completion(row, wire, None, already=False)
    dossiers = merge.complete(conn, simulation_id=simulation_id, wire=wire)
    return _completion(row, wire, dossiers if row["client_company_id"] is not None else None, already=False)


def _completion(row: Row, result: dict[str, Any], dossiers: DossierOutcomes | None, *, already: bool) -> CompletionOut:
    """What completing (or claiming a completed simulation) answers: the result and the dossiers' fate."""
    return CompletionOut(
        id=row["id"],
        status="completed",
        rule_set=row["rule_set_version"],
        client_company_id=row["client_company_id"],
        result=result,
        dossiers=dossiers,
        already_completed=already,
    )


def abandon(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, reason: str) -> SimulationOut:
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=True)
    _draft(row)
    if caller.anonymous:
        repository.abandon_anonymous(
            conn, simulation_id=simulation_id, token_hash=caller.token_hash or "", reason=reason
        )
    else:
        repository.abandon(conn, simulation_id=simulation_id, reason=reason)
    return _state(conn, {**row, "status": "abandoned", "abandon_reason": reason})


def claim(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, token: str, company_id: uuid.UUID) -> ClaimOut:
    """Attach a visitor's simulation to a company the new user may simulate for (a completed one then
    creates its dossiers). The same claim retried (same user, same company) gives the same answer."""
    if caller.user_id is None:
        raise Unauthorized("Sign in to claim a simulation", code="missing_token")
    company = _company_to_simulate_for(conn, company_id=company_id)
    db.elevate(conn)
    row = repository.simulation_by_token(conn, simulation_id=simulation_id, token_hash=hash_token(token), lock=True)
    if row is None:
        raise NotFound("Unknown simulation or resume token", code="simulation_not_found")
    if row["client_company_id"] is not None:
        if row["client_company_id"] != company_id or row["created_by"] != caller.user_id:
            raise NotFound("Unknown simulation or resume token", code="simulation_not_found")
        return _claimed(conn, row, merged=None)
    if row["organization_id"] != company["organization_id"]:
        raise Conflict("The simulation was made for another organization", code="organization_mismatch")
    _same_sector(row, company)
    if row["status"] not in ("draft", "completed") or row["stale"]:
        _draft(row)
    claimed = repository.claim(conn, simulation_id=simulation_id, company_id=company_id, user_id=caller.user_id)
    if row["status"] != "completed":
        return _claimed(conn, claimed, merged=None)
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    dossiers = merge.merge(
        conn,
        organization_id=row["organization_id"],
        company_id=company_id,
        simulation_id=simulation_id,
        result=engine.evaluate(rule_set, row["answers"]),
    )
    return _claimed(conn, claimed, merged=dossiers)


def _same_sector(row: Row, company: Row) -> None:
    """A simulation answered for one sector cannot be attached to a company recorded in another (409)."""
    answered, recorded = row["answers"].get(SECTOR_QUESTION), company.get("sector")
    if answered is not None and recorded is not None and answered != recorded:
        raise Conflict(
            f"The simulation was answered for the sector {answered!r}, but {company['name']} is recorded in"
            f" the sector {recorded!r}",
            code="sector_mismatch",
        )


def _claimed(conn: Connection, row: Row, *, merged: DossierOutcomes | None) -> ClaimOut:
    """A claimed simulation and, when it is completed, its merge: as it happened, or (for a retried
    claim) read back from the dossiers' history."""
    if row["status"] != "completed":
        return ClaimOut(simulation=_state(conn, row), completion=None)
    if merged is None:
        merged = merge.report(conn, company_id=row["client_company_id"], simulation_id=row["id"], result=row["result"])
    return ClaimOut(simulation=_state(conn, row), completion=_completion(row, row["result"], merged, already=False))


def compare(conn: Connection, *, caller: Caller, simulation_id: uuid.UUID, answers: dict[str, Any]) -> ComparisonOut:
    """What-if: the completed simulation against changed answers (validated as saved answers are);
    nothing is written."""
    row = _load(conn, caller=caller, simulation_id=simulation_id, write=False)
    if row["status"] != "completed":
        raise Conflict("Only a completed simulation can be compared", code="simulation_not_completed")
    rule_set = repository.rule_set(conn, rule_set_id=row["rule_set_id"])
    changed = changed_answers(rule_set, row["answers"], answers)
    comparison = engine.compare(rule_set, row["answers"], changed)
    return ComparisonOut.model_validate(
        {
            "simulation_id": simulation_id,
            "old_answers": row["answers"],
            "new_answers": changed,
            **engine.comparison_to_json(comparison),
        }
    )


def publish_rule_set(
    conn: Connection, *, user_id: uuid.UUID, organization_id: uuid.UUID | None, rule_set: RuleSet
) -> RuleSetOut:
    """Publish a new rule set (RLS: platform operators, or the organization's owners and admins)."""
    rule_set_id = repository.insert_rule_set(
        conn, organization_id=organization_id, rule_set=rule_set, published_by=user_id
    )
    return RuleSetOut(
        id=rule_set_id,
        version=rule_set.version,
        organization_id=organization_id,
        effective_from=rule_set.effective_from.isoformat(),
    )


def expire_drafts(conn: Connection) -> int:
    return repository.expire_drafts(conn)
