"""`followup`: SLA clocks for people — the staff queue ("à traiter avant …"), a dossier's awaited
actions with their SLA state, the KPIs (on-time rate and breaches per organization, expert and product),
and the follow-up rules (thresholds, recipients, priority, activity)
that owners and admins tune per organization.

Every route runs as the caller, so RLS decides what is visible and who may change a rule.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.followup import service
from shared.followup.models import (
    DossierSlaOut,
    KpiQuery,
    KpisOut,
    QueueOut,
    QueueQuery,
    RuleOut,
    RulePatch,
    RulesOut,
)
from shared.platform.http import Context, Router

router = Router("followup", description="SLA queue, awaited actions of a dossier, follow-up rules")


@router.get("/queue", query=QueueQuery, response=QueueOut)
def get_queue(ctx: Context) -> QueueOut:
    """Open running actions the caller may see, the next threshold first (breached ones on top)."""
    return service.staff_queue(ctx.claims().raw, limit=ctx.query(QueueQuery).limit)


@router.get("/dossiers/{dossier_id}", response=DossierSlaOut)
def get_dossier(ctx: Context) -> DossierSlaOut:
    """A dossier's open awaited actions and its worst SLA state."""
    return service.dossier_followup(ctx.claims().raw, str(ctx.path_id("dossier_id")))


@router.get("/organizations/{organization_id}/rules", response=RulesOut)
def get_rules(ctx: Context) -> RulesOut:
    """The organization's awaited actions: thresholds, recipients, priority, activity."""
    return service.list_rules(ctx.claims().raw, str(ctx.path_id("organization_id")))


@router.route("PATCH", "/organizations/{organization_id}/rules/{code}", body=RulePatch, response=RuleOut)
def patch_rule(ctx: Context) -> RuleOut:
    """Owners and admins change an action's thresholds, recipients, priority or activity; open
    instances are recomputed at once."""
    return service.update_rule(ctx.claims().raw, str(ctx.path_id("organization_id")), ctx.params["code"], ctx.body)


@router.get("/organizations/{organization_id}/kpis", query=KpiQuery, response=KpisOut)
def get_kpis(ctx: Context) -> KpisOut:
    """On-time rate and breaches per organization, expert and product over a period of local dates
    (owners and admins: the organization's awaited actions; an expert: those of their dossiers)."""
    return service.kpis(ctx.claims().raw, str(ctx.path_id("organization_id")), ctx.query(KpiQuery))


@functions_framework.http
def followup(request: flask.Request) -> flask.Response:
    return router.serve(request)
