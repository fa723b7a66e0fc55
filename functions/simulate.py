"""`simulate`: the questionnaire, drafts, answers, completion with dossier merge, what-if, rule sets.

Signed-in callers act under RLS; anonymous visitors act through a draft's resume token
(`X-Resume-Token`) and are rate-limited per address.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import flask
import functions_framework

from shared.platform import db, ratelimit
from shared.platform.db import Connection
from shared.platform.errors import Unauthorized, Unprocessable, field_error
from shared.platform.http import Context, Reply, Router
from shared.simulation import service
from shared.simulation.requests import (
    AbandonIn,
    AnswersIn,
    ClaimIn,
    ClaimOut,
    ComparisonOut,
    CompletionOut,
    QuestionnaireOut,
    QuestionnaireQuery,
    RuleSetIn,
    RuleSetOut,
    SimulationOut,
    StartIn,
)

router = Router("simulate", description="Eligibility simulator")

ANONYMOUS_STARTS = (20, dt.timedelta(hours=1))
ANONYMOUS_CALLS = (600, dt.timedelta(minutes=10))


@contextmanager
def _acting(ctx: Context) -> Iterator[tuple[Connection, service.Caller]]:
    """The caller's transaction: as the verified user, or as the service keyed by a resume token."""
    claims = ctx.optional_claims()
    if claims is not None:
        with db.user_transaction(claims.raw) as conn:
            yield conn, service.Caller(user_id=uuid.UUID(claims.sub))
        return
    token = ctx.request.headers.get("X-Resume-Token", "")
    if not token:
        raise Unauthorized("Sign in, or send the draft's X-Resume-Token", code="missing_token")
    with db.service_transaction() as conn:
        _limit(conn, ctx, "calls", ANONYMOUS_CALLS)
        yield conn, service.Caller(token_hash=service.hash_token(token))


def _limit(conn: Connection, ctx: Context, kind: str, rule: tuple[int, dt.timedelta]) -> None:
    address = service.hash_token(ctx.client_address())[:32]
    ratelimit.hit(conn, bucket=f"simulate-{kind}:{address}", limit=rule[0], window=rule[1])


def _id(ctx: Context) -> uuid.UUID:
    return ctx.path_id("simulation_id")


@router.get("/questionnaire", query=QuestionnaireQuery, response=QuestionnaireOut, auth="public")
def get_questionnaire(ctx: Context) -> QuestionnaireOut:
    """The questions of the rule set in effect for an organization (no sign-in needed)."""
    query = ctx.query(QuestionnaireQuery)
    with db.service_transaction() as conn:  # public data, looked up by the organization named
        return QuestionnaireOut.model_validate(
            service.questionnaire(conn, organization_key=query.organization, version=query.rule_set)
        )


@router.post(
    "/simulations",
    body=StartIn,
    response=SimulationOut,
    status=201,
    auth="optional_user",
    also=(Reply(200, "The company's open draft, resumed", SimulationOut),),
)
def start(ctx: Context) -> flask.Response | SimulationOut:
    """Start a draft, or resume the company's open one (200)."""
    body: StartIn = ctx.body
    claims = ctx.optional_claims()
    if claims is not None:
        if body.client_company_id is None:
            raise Unprocessable(
                "client_company_id is required when signed in",
                errors=[field_error("client_company_id", "missing", "Field required")],
            )
        with db.user_transaction(claims.raw) as conn:
            state, created = service.start_for_company(
                conn, user_id=uuid.UUID(claims.sub), company_id=body.client_company_id, version=body.rule_set
            )
        out = SimulationOut.model_validate(state)
        return out if created else flask.Response(out.model_dump_json(), status=200, mimetype="application/json")
    if body.organization is None:
        raise Unprocessable(
            "Anonymous visitors name the organization",
            errors=[field_error("organization", "missing", "Field required")],
        )
    with db.service_transaction() as conn:
        _limit(conn, ctx, "starts", ANONYMOUS_STARTS)
        state, token = service.start_anonymous(conn, organization_key=body.organization, version=body.rule_set)
    return SimulationOut.model_validate({**state, "resume_token": token})


@router.get("/simulations/{simulation_id}", response=SimulationOut, auth="user_or_resume_token")
def get_simulation(ctx: Context) -> SimulationOut:
    """The simulation: answers, shown questions, next question, missing answers, results so far."""
    with _acting(ctx) as (conn, caller):
        return SimulationOut.model_validate(service.state(conn, caller=caller, simulation_id=_id(ctx)))


@router.post(
    "/simulations/{simulation_id}/answers", body=AnswersIn, response=SimulationOut, auth="user_or_resume_token"
)
def save_answers(ctx: Context) -> SimulationOut:
    """Save answers (validated one by one; null clears an answer)."""
    body: AnswersIn = ctx.body
    with _acting(ctx) as (conn, caller):
        return SimulationOut.model_validate(
            service.answer(conn, caller=caller, simulation_id=_id(ctx), answers=body.answers)
        )


@router.post("/simulations/{simulation_id}/complete", response=CompletionOut, auth="user_or_resume_token")
def complete(ctx: Context) -> CompletionOut:
    """Complete: every shown question answered; creates or updates the company's dossiers."""
    with _acting(ctx) as (conn, caller):
        return CompletionOut.model_validate(service.complete(conn, caller=caller, simulation_id=_id(ctx)))


@router.post(
    "/simulations/{simulation_id}/abandon", body=AbandonIn, response=SimulationOut, auth="user_or_resume_token"
)
def abandon(ctx: Context) -> SimulationOut:
    """Abandon a draft, saying why."""
    body: AbandonIn = ctx.body
    with _acting(ctx) as (conn, caller):
        return SimulationOut.model_validate(
            service.abandon(conn, caller=caller, simulation_id=_id(ctx), reason=body.reason)
        )


@router.post("/simulations/{simulation_id}/claim", body=ClaimIn, response=ClaimOut)
def claim(ctx: Context) -> ClaimOut:
    """After sign-up: attach an anonymous simulation to your company (a completed one creates dossiers)."""
    body: ClaimIn = ctx.body
    claims = ctx.claims()
    with db.user_transaction(claims.raw) as conn:
        return ClaimOut.model_validate(
            service.claim(
                conn,
                user_id=uuid.UUID(claims.sub),
                simulation_id=_id(ctx),
                token=body.resume_token,
                company_id=body.client_company_id,
            )
        )


@router.post(
    "/simulations/{simulation_id}/compare", body=AnswersIn, response=ComparisonOut, auth="user_or_resume_token"
)
def compare(ctx: Context) -> ComparisonOut:
    """What-if: a completed simulation against changed answers (nothing is written)."""
    body: AnswersIn = ctx.body
    with _acting(ctx) as (conn, caller):
        return ComparisonOut.model_validate(
            service.compare(conn, caller=caller, simulation_id=_id(ctx), answers=body.answers)
        )


@router.post("/rule-sets", body=RuleSetIn, response=RuleSetOut, status=201)
def publish_rule_set(ctx: Context) -> RuleSetOut:
    """Publish a rule set: platform operators for everyone, owners and admins for their organization."""
    body: RuleSetIn = ctx.body
    claims = ctx.claims()
    with db.user_transaction(claims.raw) as conn:
        return RuleSetOut.model_validate(
            service.publish_rule_set(
                conn, user_id=uuid.UUID(claims.sub), organization_id=body.organization_id, rule_set=body.rule_set
            )
        )


@functions_framework.http
def simulate(request: flask.Request) -> flask.Response:
    return router.serve(request)
