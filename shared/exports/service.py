"""Use cases of the exports: a document rendered inline, or queued as a job for the worker; the jobs.

The data of a document is always gathered in a transaction acting as the person who asked for it —
the caller for an inline export, the job's requester in the worker — so RLS decides what it
contains, exactly as it does for the data itself: a simulation or a dossier they cannot see is a 404.
Job writes run as the service role after those checks. Every use case returns a model: the file
(``ExportFile``), a job (``JobOut``), a list of jobs, or what a worker run did (``WorkerOut``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from shared.adapters.storage import Storage, StorageError
from shared.exports import dossier_inputs, repository, simulation_inputs
from shared.exports.formats import CONTENT_TYPES, renderer
from shared.exports.formatting import label
from shared.exports.models import Branding, DossierFilters, DossierList, DossierSummary, KpiLine, KpiReport
from shared.exports.requests import DossierFiltersIn, ExportFile, ExportIn, JobList, JobOut, KpiPeriodIn, WorkerOut
from shared.followup import service as followup
from shared.identity import service as identity
from shared.platform import db
from shared.platform.db import Connection
from shared.platform.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable, field_error
from shared.simulation import service as simulations

logger = logging.getLogger(__name__)
Row = dict[str, Any]

INLINE_MAX_ROWS = 2000  # a longer dossier list becomes a job
DOWNLOAD_TTL_SECONDS = 900  # signed download URLs live 15 minutes
LEASE_SECONDS = 300  # a worker silent for longer is presumed dead: its job is claimed again
MAX_ATTEMPTS = 3  # claims of one job before it fails as interrupted
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_TITLES = {
    "simulation-report": "simulation_report",
    "comparison": "comparison",
    "dossier-list": "dossier_list",
    "dossier-summary": "dossier_summary",
    "kpi-report": "kpi_report",
}
_ANONYMOUS = {"fr": "Visiteur anonyme", "en": "Anonymous visitor"}


@dataclass(frozen=True)
class Target:
    """Where a requested document's data lives, established as the caller: its organization, and for a
    dossier list how many rows it will have."""

    organization_id: uuid.UUID
    rows: int | None = None


def file_name(document: str, subject: str, day: dt.date, fmt: str, lang: str) -> str:
    """``Rapport de simulation - Transports Durand - 2026-11-21.pdf``: readable, safe on every system."""
    stem = f"{label(_TITLES[document], lang)} - {subject} - {day.isoformat()}"
    stem = " ".join(_UNSAFE_IN_NAMES.sub("-", stem).split())[:180].rstrip(" .-")
    return f"{stem}.{fmt}"


# --- gathering as the caller --------------------------------------------------------------------------


def _organization(conn: Connection, organization_id: uuid.UUID) -> Row:
    row = repository.organization(conn, organization_id=organization_id)
    if row is None:
        raise NotFound("Unknown organization", code="organization_not_found")
    return row


def branding(organization: Row, storage: Storage) -> Branding:
    """The organization's branding; its logo when one is set and readable (else none, with a warning)."""
    name, colour, footer = organization["name"], organization["primary_color"], organization["legal_footer"]
    if organization["logo_path"]:
        try:
            return Branding(name, colour, footer, storage.get(organization["logo_path"]))
        except (StorageError, ValueError):  # missing, unreachable, or not a PNG/JPEG
            logger.warning("logo of organization %s unusable; rendering without it", organization["id"])
    return Branding(name, colour, footer)


def _simulation(conn: Connection, simulation_id: uuid.UUID) -> Row:
    row = repository.simulation(conn, simulation_id=simulation_id)
    if row is None:
        raise NotFound("Unknown simulation", code="simulation_not_found")
    if row["status"] != "completed":
        raise Conflict("Only a completed simulation can be exported", code="simulation_not_completed")
    return row


def _changed_answers(conn: Connection, sim: Row, answers: dict[str, Any]) -> dict[str, Any]:
    """The simulation's answers with the changes applied (``null`` removes one), validated exactly as
    the simulator validates saved answers (422)."""
    return simulations.what_if_answers(conn, rule_set_id=sim["rule_set_id"], base=sim["answers"], changes=answers)


def _check_filters(conn: Connection, filters: DossierFiltersIn) -> None:
    """A status or product filter that matches nothing by construction is a 422 listing the accepted values."""
    errors = []
    statuses = repository.status_codes(conn) if filters.status is not None else []
    if filters.status is not None and filters.status not in statuses:
        accepted = ", ".join(statuses)
        message = f"unknown status {filters.status!r}; accepted statuses: {accepted}"
        errors.append(field_error("filters.status", "unknown_status", message))
    if filters.product is not None:
        products = repository.product_codes(conn)
        if filters.product not in products:
            message = f"unknown product {filters.product!r}; accepted products: {', '.join(products)}"
            errors.append(field_error("filters.product", "unknown_product", message))
    if errors:
        raise Unprocessable(f"Invalid fields: {', '.join(e['field'] for e in errors)}", errors=errors)


def _list_organization(conn: Connection, filters: DossierFiltersIn) -> uuid.UUID:
    mine = identity.my_organization_ids(conn)
    if filters.organization_id is not None:
        if filters.organization_id not in mine:
            raise NotFound("Unknown organization", code="organization_not_found")
        return filters.organization_id
    if not mine:
        raise NotFound("You belong to no organization", code="organization_not_found")
    if len(mine) > 1:
        message = "you belong to several organizations: name one"
        raise Unprocessable(
            "Choose the organization of the list",
            errors=[field_error("filters.organization_id", "missing", message)],
        )
    return mine[0]


def _list_filters(organization: Row, filters: DossierFiltersIn, lang: str) -> dict[str, Any]:
    return {
        "organization_id": organization["id"],
        "time_zone": organization["time_zone"],
        "status": filters.status,
        "product": filters.product,
        "expert_id": filters.expert_id,
        "created_from": filters.created_from,
        "created_to": filters.created_to,
        "lang": lang,
    }


def locate(conn: Connection, *, request: ExportIn) -> Target:
    """Check, as the caller, that the document's data exists and is theirs to see (404 otherwise)."""
    if request.document in ("simulation-report", "comparison"):
        assert request.simulation_id is not None
        sim = _simulation(conn, request.simulation_id)
        if request.document == "comparison":
            _changed_answers(conn, sim, request.answers or {})
        return Target(sim["organization_id"])
    if request.document == "kpi-report":
        assert request.period is not None
        followup.check_kpi_access(conn, str(request.period.organization_id))
        return Target(request.period.organization_id)
    if request.document == "dossier-summary":
        assert request.dossier_id is not None
        found = repository.dossier(conn, dossier_id=request.dossier_id, lang=request.lang)
        if found is None:
            raise NotFound("Unknown dossier", code="dossier_not_found")
        return Target(found["organization_id"])
    filters = request.filters or DossierFiltersIn()
    _check_filters(conn, filters)
    organization = _organization(conn, _list_organization(conn, filters))
    rows = repository.count_dossiers(conn, **_list_filters(organization, filters, request.lang))
    return Target(organization["id"], rows)


def produce(conn: Connection, *, request: ExportIn, storage: Storage) -> ExportFile:
    """Gather the document's data as the caller and render it (consume nothing outside the transaction)."""
    lang, fmt = request.lang, request.format
    if request.document in ("simulation-report", "comparison"):
        assert request.simulation_id is not None
        sim = _simulation(conn, request.simulation_id)
        organization = _organization(conn, sim["organization_id"])
        data, subject, day = _simulation_document(conn, request, sim, organization)
    elif request.document == "kpi-report":
        assert request.period is not None
        organization = _organization(conn, request.period.organization_id)
        data = _kpi_report(conn, organization, request.period, lang)
        subject, day = organization["name"], organization["today"]
    elif request.document == "dossier-summary":
        assert request.dossier_id is not None
        data, organization = _summary(conn, request.dossier_id, lang)
        subject, day = data.reference, data.as_of
    else:
        filters = request.filters or DossierFiltersIn()
        organization = _organization(conn, _list_organization(conn, filters))
        data = _dossier_list(conn, organization, filters, lang)
        subject, day = organization["name"], organization["today"]
    content = renderer(request.document, fmt)(data, branding(organization, storage), lang)
    return ExportFile(
        data=content, content_type=CONTENT_TYPES[fmt], file_name=file_name(request.document, subject, day, fmt, lang)
    )


def _simulation_document(conn: Connection, request: ExportIn, sim: Row, organization: Row) -> tuple[Any, str, dt.date]:
    rule_set = simulations.rule_set_of(conn, rule_set_id=sim["rule_set_id"])
    company = sim["company"] or _ANONYMOUS[request.lang]
    if request.document == "simulation-report":
        report = simulation_inputs.simulation_report(
            rule_set, sim["answers"], company=company, siren=sim["siren"], day=sim["completed_on"],
            lang=request.lang, reference=dossier_inputs.reference("SIM", sim["id"]),
        )  # fmt: skip
        return report, company, report.simulated_on
    changed = _changed_answers(conn, sim, request.answers or {})
    comparison = simulation_inputs.comparison(
        rule_set, sim["answers"], changed, company=company, siren=sim["siren"], day=organization["today"],
        lang=request.lang,
    )  # fmt: skip
    return comparison, company, comparison.compared_on


def _summary(conn: Connection, dossier_id: uuid.UUID, lang: str) -> tuple[DossierSummary, Row]:
    found = repository.dossier(conn, dossier_id=dossier_id, lang=lang)
    if found is None:
        raise NotFound("Unknown dossier", code="dossier_not_found")
    organization = _organization(conn, found["organization_id"])
    tz = organization["time_zone"]
    history = repository.amount_history(conn, dossier_id=dossier_id, time_zone=tz)
    events = repository.events(conn, dossier_id=dossier_id, time_zone=tz)
    return dossier_inputs.summary(found, history, events, as_of=organization["today"], lang=lang), organization


def _dossier_list(conn: Connection, organization: Row, filters: DossierFiltersIn, lang: str) -> DossierList:
    product = filters.product and (repository.product_name(conn, code=filters.product, lang=lang) or filters.product)
    expert = filters.expert_id and (repository.expert_name(conn, expert_id=filters.expert_id) or "—")
    status = filters.status and (repository.status_label(conn, code=filters.status, lang=lang) or filters.status)
    shown = DossierFilters(status or None, product or None, expert or None, filters.created_from, filters.created_to)
    rows = repository.dossiers(conn, **_list_filters(organization, filters, lang))
    return DossierList(dossier_inputs.dossier_rows(rows), organization["today"], shown)


def _kpi_report(conn: Connection, organization: Row, period: KpiPeriodIn, lang: str) -> KpiReport:
    """The follow-up KPIs the caller may read (public.followup_kpis decides), products named in ``lang``."""
    lines = []
    for r in followup.kpi_rows(conn, str(organization["id"]), period.start, period.end):
        name = r["label"] or r["key"]
        if r["dimension"] == "product":
            name = repository.product_name(conn, code=r["key"], lang=lang) or name
        lines.append(
            KpiLine(
                r["dimension"], name, r["closed"], r["on_time"], r["on_time_rate"], r["breached_closed"], r["open"],
                r["breached_open"], r["breaches"], r["median_business_minutes_to_close"],
                r["mean_business_minutes_to_close"],
            )
        )  # fmt: skip
    return KpiReport(period.start, period.end, organization["today"], tuple(lines))


# --- requests ---------------------------------------------------------------------------------------


def request_export(conn: Connection, *, user_id: uuid.UUID, request: ExportIn, storage: Storage) -> ExportFile | JobOut:
    """The file, when small; else (or when asked) a queued job. Access is checked now, as the caller."""
    target = locate(conn, request=request)
    if not request.async_ and (target.rows is None or target.rows <= INLINE_MAX_ROWS):
        return produce(conn, request=request, storage=storage)
    parameters = request.parameters()
    if request.document == "dossier-list":  # the worker lists the organization resolved now
        parameters["filters"] = {**parameters.get("filters", {}), "organization_id": str(target.organization_id)}
    db.elevate(conn)  # the caller may see the data: queue the job as the service
    queued = repository.insert_job(
        conn, organization_id=target.organization_id, requested_by=user_id, document=request.document,
        fmt=request.format, lang=request.lang, parameters=parameters,
    )  # fmt: skip
    return job_view(queued, storage)


def queue(
    conn: Connection, *, organization_id: uuid.UUID, requested_by: uuid.UUID, document: str, fmt: str, lang: str,
    parameters: dict[str, Any], storage: Storage,
) -> JobOut:  # fmt: skip
    """Queue a job of another capability's document (the COREP downloads, 0187) once it checked, as the
    caller, that they may see its data; the worker renders it through ``render_job``."""
    db.elevate(conn)
    queued = repository.insert_job(
        conn, organization_id=organization_id, requested_by=requested_by, document=document, fmt=fmt, lang=lang,
        parameters=parameters,
    )  # fmt: skip
    return job_view(queued, storage)


def _job(conn: Connection, *, job_id: uuid.UUID) -> Row:
    found = repository.job(conn, job_id=job_id)
    if found is None:
        raise NotFound("Unknown export job", code="export_job_not_found")
    return found


def job(conn: Connection, *, job_id: uuid.UUID, storage: Storage) -> JobOut:
    """A job the caller may see: its status, its error when failed, a download URL when done."""
    return job_view(_job(conn, job_id=job_id), storage)


def jobs(conn: Connection, *, status: str | None, limit: int, storage: Storage) -> JobList:
    """The caller's jobs, newest first."""
    return JobList(items=[job_view(row, storage) for row in repository.my_jobs(conn, status=status, limit=limit)])


def retry(conn: Connection, *, user_id: uuid.UUID, job_id: uuid.UUID, storage: Storage) -> JobOut:
    """Put a failed job back in the queue: only the person who asked for it may."""
    found = _job(conn, job_id=job_id)
    if found["requested_by"] != user_id:
        raise Forbidden("Only the person who asked for this export may retry it", code="not_requester")
    if found["status"] != "failed":
        raise Conflict(f"The export is {found['status']}; only a failed one can be retried", code="export_not_failed")
    db.elevate(conn)
    queued = repository.requeue(conn, job_id=job_id)
    if queued is None:  # retried concurrently
        raise Conflict("The export was retried already", code="export_not_failed")
    return job_view(queued, storage)


def job_view(row: Row, storage: Storage) -> JobOut:
    """A job as the API shows it: its error, and a signed download URL when it is done."""
    view = dict(row)
    view["error"] = {"code": row["error_code"], "detail": row["error"]} if row["status"] == "failed" else None
    if row["status"] == "done" and row["storage_key"]:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=DOWNLOAD_TTL_SECONDS)
        url = storage.signed_url(row["storage_key"], expires_in=DOWNLOAD_TTL_SECONDS, filename=row["file_name"])
        view.update(download_url=url, download_expires_at=expires.replace(microsecond=0))
    return JobOut.model_validate(view)


# --- the worker ---------------------------------------------------------------------------------------

TIME_BUDGET_SECONDS = 50.0  # no new job is claimed after this; the schedule runs every minute
MAX_JOBS_PER_RUN = 50


def run_worker(
    storage: Storage, *, budget_seconds: float = TIME_BUDGET_SECONDS, max_jobs: int = MAX_JOBS_PER_RUN
) -> WorkerOut:
    """One scheduled run: fail jobs interrupted too often, then claim and process queued jobs until none
    is left, the time budget is spent or the run's quota is reached.

    A system job: each step is its own short transaction (claims as the service role, rendering as the
    job's requester), so a crash loses at most the job in hand, which is claimed again after its lease."""
    deadline = time.monotonic() + budget_seconds
    with db.service_transaction() as conn:
        counts = {"done": 0, "failed": 0, "lost": 0, "interrupted": expire(conn)}
    for _ in range(max_jobs):
        if time.monotonic() > deadline:
            break
        with db.service_transaction() as conn:
            claimed = claim(conn)
        if claimed is None:
            break
        counts[process(claimed, storage)] += 1
    return WorkerOut(**counts)


def process(job: Row, storage: Storage) -> str:
    """Render, store and record one claimed job: ``done``, ``failed`` or ``lost`` (another worker owns it)."""
    try:
        with db.user_transaction(requester_claims(job)) as conn:
            file = render_job(conn, job=job, storage=storage)
        with db.service_transaction() as conn:
            if not heartbeat(conn, job=job):
                return "lost"
        stored = store(storage, job=job, file=file)
        with db.service_transaction() as conn:
            return "done" if finish(conn, job=job, stored=stored) else "lost"
    except Exception as exc:
        if public_error(exc)[0] == "export_failed":
            logger.exception("export job %s failed", job["id"])
        with db.service_transaction() as conn:
            return "failed" if fail(conn, job=job, exc=exc) else "lost"


def expire(conn: Connection) -> int:
    """Jobs whose worker died ``MAX_ATTEMPTS`` times in a row fail (their requester may retry them)."""
    error = "The export was interrupted several times; retry it, and contact support if it fails again"
    return repository.fail_exhausted(conn, max_attempts=MAX_ATTEMPTS, error=error)


def claim(conn: Connection) -> Row | None:
    """The next job to process (queued, or abandoned by a crashed worker), under a fresh lease."""
    return repository.claim(conn, lease_seconds=LEASE_SECONDS)


def requester_claims(job: Row) -> dict[str, str]:
    """The claims a job is rendered with: its requester's, so the same RLS applies as at request time."""
    return {"sub": str(job["requested_by"]), "role": "authenticated", "aud": "authenticated"}


def render_job(conn: Connection, *, job: Row, storage: Storage) -> ExportFile:
    """Render a job in a transaction acting as its requester."""
    if str(job["document"]).startswith("corep-"):  # the COREP downloads of large calculations (0187)
        from shared.reporting import jobs as corep_jobs  # (shared.reporting imports this module)

        return corep_jobs.render(conn, job=job, storage=storage)
    return produce(conn, request=ExportIn.from_job(job), storage=storage)


def storage_key(job: Row) -> str:
    return f"{job['organization_id']}/exports/{job['id']}.{job['format']}"


def store(storage: Storage, *, job: Row, file: ExportFile) -> dict[str, Any]:
    """Write the file at the job's key (atomically: a reader sees the whole file or none)."""
    key = storage_key(job)
    storage.put(key, file.data, file.content_type)
    return {"storage_key": key, "byte_size": len(file.data), "sha256": file.sha256,
            "content_type": file.content_type, "file_name": file.file_name}  # fmt: skip


def heartbeat(conn: Connection, *, job: Row) -> bool:
    return repository.heartbeat(conn, job_id=job["id"], attempt=job["attempts"], lease_seconds=LEASE_SECONDS)


def finish(conn: Connection, *, job: Row, stored: dict[str, Any]) -> bool:
    """Mark the job done, unless another worker took it over meanwhile (then False, nothing changes)."""
    return repository.finish(conn, job_id=job["id"], attempt=job["attempts"], stored=stored)


def fail(conn: Connection, *, job: Row, exc: BaseException) -> bool:
    code, detail = public_error(exc)
    return repository.fail(conn, job_id=job["id"], attempt=job["attempts"], error=detail, code=code)


def public_error(exc: BaseException) -> tuple[str, str]:
    """What a failed job keeps: a caller-facing error's code and text, never an internal detail."""
    if isinstance(exc, AppError) and exc.code != "internal_error":
        return exc.code, exc.detail
    return "export_failed", "The export could not be generated; retry it, and contact support if it fails again"
