"""`healthz`: liveness and database reachability, for load balancers and the local stack."""

from __future__ import annotations

import flask
import functions_framework
from pydantic import BaseModel

from shared.platform import db
from shared.platform.http import Context, Router

router = Router("healthz", description="Liveness and database reachability")


class HealthOut(BaseModel):
    status: str
    database: str


@router.get("/", response=HealthOut, auth="public")
def get_health(ctx: Context) -> HealthOut:
    """Whether the function runs and reaches its database."""
    with db.anon_transaction() as conn:
        conn.execute("select 1")
    return HealthOut(status="ok", database="ok")


@functions_framework.http
def healthz(request: flask.Request) -> flask.Response:
    return router.serve(request)
