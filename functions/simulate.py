"""`simulate`: the questionnaire, drafts, answers, completion with dossier merge, what-if, rule sets.

Signed-in callers act under RLS; anonymous visitors act as ``anon`` through a draft's resume token
(`X-Resume-Token`) and are rate-limited per address. Who the caller is, and in which transaction
they act, is the simulation service's decision (``service.caller``, ``service.session``).
"""

from __future__ import annotations

import flask
import functions_framework

from shared.platform import db
from shared.platform.http import Context, Reply, Router, WithStatus
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


def _caller(ctx: Context, *, starting: bool = False) -> service.Caller:
    return service.caller(
        claims=ctx.optional_claims(),
        resume_token=ctx.request.headers.get("X-Resume-Token"),
        address=ctx.client_address(),
        starting=starting,
    )


@router.get("/questionnaire", query=QuestionnaireQuery, response=QuestionnaireOut, auth="public")
def get_questionnaire(ctx: Context) -> QuestionnaireOut:
    """The questions of the rule set in effect for an organization (no sign-in needed)."""
    query = ctx.query(QuestionnaireQuery)
    with db.anon_transaction() as conn:  # public data: anyone may read it
        return service.questionnaire(conn, organization_key=query.organization, version=query.rule_set, lang=query.lang)


@router.post(
    "/simulations",
    body=StartIn,
    response=SimulationOut,
    status=201,
    auth="optional_user",
    also=(Reply(200, "The company's open draft, resumed", SimulationOut),),
)
def start(ctx: Context) -> SimulationOut | WithStatus:
    """Start a draft, or resume the company's open one (200)."""
    caller = _caller(ctx, starting=True)
    with service.session(caller) as conn:
        out, created = service.start(conn, caller=caller, request=ctx.body)
    return out if created else WithStatus(out, 200)


@router.get("/simulations/{simulation_id}", response=SimulationOut, auth="user_or_resume_token")
def get_simulation(ctx: Context) -> SimulationOut:
    """The simulation: answers, shown questions, next question, missing answers, results so far."""
    caller = _caller(ctx)
    with service.session(caller) as conn:
        return service.state(conn, caller=caller, simulation_id=ctx.path_id("simulation_id"))


@router.post(
    "/simulations/{simulation_id}/answers", body=AnswersIn, response=SimulationOut, auth="user_or_resume_token"
)
def save_answers(ctx: Context) -> SimulationOut:
    """Save answers (validated one by one; null clears an answer)."""
    body: AnswersIn = ctx.body
    caller = _caller(ctx)
    with service.session(caller) as conn:
        return service.answer(conn, caller=caller, simulation_id=ctx.path_id("simulation_id"), answers=body.answers)


@router.post("/simulations/{simulation_id}/complete", response=CompletionOut, auth="user_or_resume_token")
def complete(ctx: Context) -> CompletionOut:
    """Complete: every shown question answered; creates or updates the company's dossiers."""
    caller = _caller(ctx)
    with service.session(caller) as conn:
        return service.complete(conn, caller=caller, simulation_id=ctx.path_id("simulation_id"))


@router.post(
    "/simulations/{simulation_id}/abandon", body=AbandonIn, response=SimulationOut, auth="user_or_resume_token"
)
def abandon(ctx: Context) -> SimulationOut:
    """Abandon a draft, saying why."""
    body: AbandonIn = ctx.body
    caller = _caller(ctx)
    with service.session(caller) as conn:
        return service.abandon(conn, caller=caller, simulation_id=ctx.path_id("simulation_id"), reason=body.reason)


@router.post("/simulations/{simulation_id}/claim", body=ClaimIn, response=ClaimOut)
def claim(ctx: Context) -> ClaimOut:
    """After sign-up: attach an anonymous simulation to your company (a completed one creates dossiers);
    the same claim retried gives the same answer."""
    body: ClaimIn = ctx.body
    caller = service.caller(claims=ctx.claims(), resume_token=None, address=ctx.client_address())
    with service.session(caller) as conn:
        return service.claim(
            conn,
            caller=caller,
            simulation_id=ctx.path_id("simulation_id"),
            token=body.resume_token,
            company_id=body.client_company_id,
        )


@router.post(
    "/simulations/{simulation_id}/compare", body=AnswersIn, response=ComparisonOut, auth="user_or_resume_token"
)
def compare(ctx: Context) -> ComparisonOut:
    """What-if: a completed simulation against changed answers, validated like saved answers (nothing is written)."""
    body: AnswersIn = ctx.body
    caller = _caller(ctx)
    with service.session(caller) as conn:
        return service.compare(conn, caller=caller, simulation_id=ctx.path_id("simulation_id"), answers=body.answers)


@router.post("/rule-sets", body=RuleSetIn, response=RuleSetOut, status=201)
def publish_rule_set(ctx: Context) -> RuleSetOut:
    """Publish a rule set: platform operators for everyone, owners and admins for their organization."""
    body: RuleSetIn = ctx.body
    caller = service.caller(claims=ctx.claims(), resume_token=None, address=ctx.client_address())
    with service.session(caller) as conn:
        assert caller.user_id is not None
        return service.publish_rule_set(
            conn, user_id=caller.user_id, organization_id=body.organization_id, rule_set=body.rule_set
        )


@functions_framework.http
def simulate(request: flask.Request) -> flask.Response:
    return router.serve(request)
