"""`prudential`: portfolios and their versions, calculations (recomputable to the same bytes), the
four-eyes approval, scenarios and what-if, imports with column mapping, and the calculation report.

Every route acts as the signed-in caller: RLS and the database's transition functions decide what
they see and may do (analyst, approver, owner, admin write; viewer reads; other roles see nothing).
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import flask
import functions_framework

from shared.adapters.storage import Storage, content_disposition, storage_from_settings
from shared.exports.requests import JobOut
from shared.platform import db
from shared.platform.errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType, field_error
from shared.platform.http import Context, Reply, Router, WithStatus, load_json
from shared.prudential.cli import parse_json
from shared.prudential.portfolios import jobs, service
from shared.prudential.portfolios.models import (
    CalculateIn,
    CalculationList,
    CalculationOut,
    ExportQuery,
    HistoryEntry,
    HistoryList,
    ImportedVersion,
    ImportJobOut,
    ImportPreview,
    ImportQuery,
    MappingIn,
    MappingList,
    MappingOut,
    OrganizationQuery,
    PortfolioDetail,
    PortfolioIn,
    PortfolioList,
    PortfolioOut,
    PortfolioPatch,
    RuleSetDocument,
    RuleSetIn,
    RuleSetList,
    RuleSetOut,
    RuleSetQuery,
    ScenarioIn,
    ScenarioList,
    ScenarioOut,
    TransitionIn,
    TransitionOut,
    VerificationOut,
    VersionOut,
    WhatIfIn,
    WhatIfOut,
)
from shared.prudential.texts import lang_of
from shared.reporting import jobs as corep_jobs
from shared.reporting import service as reporting
from shared.reporting.models import (
    CalendarOut,
    CalendarQuery,
    CommentIn,
    CommentOut,
    CorepView,
    DrillOut,
    DrillQuery,
    DueReportOut,
    LinkOut,
    ModuleQuery,
    PackageQuery,
    PlanIn,
    PlanOut,
    ReminderOut,
    WorkbookQuery,
)

router = Router("prudential", description="CRR3 prudential simulator: portfolios, calculations, approval")

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024  # a version's JSON input (large portfolios come as imports)
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # an imported XLSX or CSV


def _document(ctx: Context) -> dict[str, Any]:
    """The engine input in the body: ``{"input": {...}}`` parsed with exact decimals (never floats)."""
    request = ctx.request
    if request.content_length is not None and request.content_length > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"The body exceeds {MAX_DOCUMENT_BYTES} bytes")
    if (request.mimetype or "") != "application/json":
        raise UnsupportedMediaType("Send the body as application/json", code="unsupported_media_type")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"The body exceeds {MAX_DOCUMENT_BYTES} bytes")
    load_json(raw)  # the platform's limits: nesting, number length, text the database cannot store
    try:
        body = parse_json(raw.decode("utf-8"))  # numbers as exact decimals, never floats
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("The body is not valid JSON", code="malformed_json") from exc
    if not isinstance(body, dict) or set(body) != {"input"} or not isinstance(body["input"], dict):
        raise Unprocessable(
            'Send the engine input as {"input": {...}}',
            errors=[field_error("input", "object", "must be the only key, a JSON object")],
        )
    document: dict[str, Any] = body["input"]
    return document


# --- portfolios -----------------------------------------------------------------------------------


@router.get("/portfolios", query=OrganizationQuery, response=PortfolioList)
def list_portfolios(ctx: Context) -> PortfolioList:
    """The portfolios the caller may read (``organization_id`` to keep one organization's)."""
    query = ctx.query(OrganizationQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        rows = service.portfolios(conn, organization_id=query.organization_id)
    return PortfolioList(items=[PortfolioOut.model_validate(row) for row in rows])


@router.post("/portfolios", body=PortfolioIn, response=PortfolioOut, status=201)
def create_portfolio(ctx: Context) -> PortfolioOut:
    """A new portfolio (analyst, approver, admin, owner)."""
    body: PortfolioIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.create_portfolio(
            conn, organization_id=body.organization_id, name=body.name, description=body.description
        )
    return PortfolioOut.model_validate(row)


@router.get("/portfolios/{portfolio_id}", response=PortfolioDetail)
def get_portfolio(ctx: Context) -> PortfolioDetail:
    """A portfolio and its versions, newest first (without their inputs)."""
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.portfolio_detail(conn, portfolio_id=ctx.path_id("portfolio_id"))
    return PortfolioDetail.model_validate(row)


@router.route("PATCH", "/portfolios/{portfolio_id}", body=PortfolioPatch, response=PortfolioOut)
def update_portfolio(ctx: Context) -> PortfolioOut:
    """Rename a portfolio or change its description."""
    body: PortfolioPatch = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.update_portfolio(
            conn, portfolio_id=ctx.path_id("portfolio_id"), name=body.name, description=body.description
        )
    return PortfolioOut.model_validate(row)


@router.route("DELETE", "/portfolios/{portfolio_id}", status=204)
def delete_portfolio(ctx: Context) -> None:
    """Delete a portfolio (owners and admins; never one with an approved version)."""
    with db.user_transaction(ctx.claims().raw) as conn:
        service.delete_portfolio(conn, portfolio_id=ctx.path_id("portfolio_id"))


# --- versions -------------------------------------------------------------------------------------


@router.post("/portfolios/{portfolio_id}/versions", response=VersionOut, status=201)
def add_version(ctx: Context) -> VersionOut:
    """A new draft version holding ``{"input": <engine input>}``, validated like the CLI's."""
    document = _document(ctx)
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.add_version(conn, portfolio_id=ctx.path_id("portfolio_id"), document=document)
    return VersionOut.model_validate(row)


@router.get("/versions/{version_id}", response=VersionOut)
def get_version(ctx: Context) -> VersionOut:
    """A version with its input."""
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.version(conn, version_id=ctx.path_id("version_id"))
    return VersionOut.model_validate(row)


@router.route("PUT", "/versions/{version_id}", response=VersionOut)
def edit_version(ctx: Context) -> VersionOut:
    """Replace a draft's input (whoever does becomes one of its authors)."""
    document = _document(ctx)
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.edit_version(conn, version_id=ctx.path_id("version_id"), document=document)
    return VersionOut.model_validate(row)


def _transition(ctx: Context, action: str) -> TransitionOut:
    body: TransitionIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.transition(conn, version_id=ctx.path_id("version_id"), action=action, comment=body.comment)
    return TransitionOut.model_validate(row)


@router.post("/versions/{version_id}/submit", body=TransitionIn, response=TransitionOut)
def submit_version(ctx: Context) -> TransitionOut:
    """draft → in_review, with its current calculation."""
    return _transition(ctx, "submit")


@router.post("/versions/{version_id}/approve", body=TransitionIn, response=TransitionOut)
def approve_version(ctx: Context) -> TransitionOut:
    """in_review → approved, by someone who neither wrote nor submitted it."""
    return _transition(ctx, "approve")


@router.post("/versions/{version_id}/reject", body=TransitionIn, response=TransitionOut)
def reject_version(ctx: Context) -> TransitionOut:
    """in_review → rejected (comment required), opening the next draft version."""
    return _transition(ctx, "reject")


@router.get("/versions/{version_id}/history", response=HistoryList)
def version_history(ctx: Context) -> HistoryList:
    """Who submitted, approved or rejected the version, when, why, with which hashes (hash-chained)."""
    with db.user_transaction(ctx.claims().raw) as conn:
        rows = service.history(conn, version_id=ctx.path_id("version_id"))
    return HistoryList(items=[HistoryEntry.model_validate(row) for row in rows])


# --- calculations ---------------------------------------------------------------------------------


@router.post("/versions/{version_id}/calculate", body=CalculateIn, response=CalculationOut, status=201)
def calculate(ctx: Context) -> CalculationOut:
    """Calculate a version and keep the result with its rule set and the SHA-256 of input and result."""
    body: CalculateIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.calculate(conn, version_id=ctx.path_id("version_id"), rule_set=body.rule_set)
    return CalculationOut.model_validate(row)


@router.get("/versions/{version_id}/calculations", response=CalculationList)
def list_calculations(ctx: Context) -> CalculationList:
    """A version's calculations, newest first (without their results)."""
    with db.user_transaction(ctx.claims().raw) as conn:
        rows = service.calculations(conn, version_id=ctx.path_id("version_id"))
    return CalculationList(items=[CalculationOut.model_validate(row) for row in rows])


@router.get("/calculations/{calculation_id}", response=CalculationOut)
def get_calculation(ctx: Context) -> CalculationOut:
    """A calculation with its result."""
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.calculation(conn, calculation_id=ctx.path_id("calculation_id"))
    return CalculationOut.model_validate(row)


@router.post("/calculations/{calculation_id}/verify", response=VerificationOut)
def verify_calculation(ctx: Context) -> VerificationOut:
    """Recompute a stored calculation and compare the SHA-256 of its canonical input and result."""
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.verify(conn, calculation_id=ctx.path_id("calculation_id"))
    return VerificationOut.model_validate(row)


REPORT_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf")


@router.get(
    "/calculations/{calculation_id}/report",
    query=ExportQuery,
    also=(Reply(200, "The report, as an attachment", media_types=REPORT_TYPES),),
)
def calculation_report(ctx: Context) -> flask.Response:
    """The calculation report (``format`` xlsx or pdf, ``lang`` fr or en), "brouillon" unless approved."""
    query = ctx.query(ExportQuery)
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        document = service.report(
            conn, calculation_id=ctx.path_id("calculation_id"), fmt=query.format, lang=query.lang, storage=storage
        )
    return _attachment(document)


def _attachment(document: service.ReportFile) -> flask.Response:
    response = flask.Response(document.data, status=200, mimetype=document.content_type)
    response.headers["Content-Disposition"] = content_disposition(document.file_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{document.sha256}"'
    return response


# --- scenarios and what-if ------------------------------------------------------------------------


@router.get("/portfolios/{portfolio_id}/scenarios", response=ScenarioList)
def list_scenarios(ctx: Context) -> ScenarioList:
    """The portfolio's scenarios."""
    with db.user_transaction(ctx.claims().raw) as conn:
        rows = service.scenarios(conn, portfolio_id=ctx.path_id("portfolio_id"))
    return ScenarioList(items=[ScenarioOut.model_validate(row) for row in rows])


@router.post("/portfolios/{portfolio_id}/scenarios", body=ScenarioIn, response=ScenarioOut, status=201)
def create_scenario(ctx: Context) -> ScenarioOut:
    """A named set of deterministic shocks, checked by the engine's rules."""
    body: ScenarioIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.create_scenario(
            conn,
            portfolio_id=ctx.path_id("portfolio_id"),
            name=body.name,
            description=body.description,
            shocks=body.shocks,
        )
    return ScenarioOut.model_validate(row)


@router.route("DELETE", "/scenarios/{scenario_id}", status=204)
def delete_scenario(ctx: Context) -> None:
    """Delete a scenario."""
    with db.user_transaction(ctx.claims().raw) as conn:
        service.delete_scenario(conn, scenario_id=ctx.path_id("scenario_id"))


@router.post("/versions/{version_id}/what-if", body=WhatIfIn, response=WhatIfOut)
def what_if(ctx: Context) -> WhatIfOut:
    """Every figure of a version under a scenario or ad-hoc shocks: old / new / delta (nothing stored)."""
    body: WhatIfIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.what_if(
            conn,
            version_id=ctx.path_id("version_id"),
            scenario_id=body.scenario_id,
            shocks=body.shocks,
            rule_set=body.rule_set,
        )
    return WhatIfOut.model_validate(row)


# --- imports --------------------------------------------------------------------------------------

_FORM_FIELDS = frozenset({"template", "mapping", "reference_date", "save_mapping", "lang", "async"})


def _upload(ctx: Context) -> service.Upload:
    """The multipart form: ``file`` (XLSX or CSV), ``template``, ``mapping`` (a JSON object of header →
    field), ``reference_date``, ``save_mapping`` (true/false)."""
    request = ctx.request
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"The upload exceeds {MAX_UPLOAD_BYTES} bytes")
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data in `file`", code="unsupported_media_type")
    form, files = request.form, request.files
    unknown = sorted(set(form) - _FORM_FIELDS)
    if unknown or set(files) != {"file"}:
        errors = [field_error(name, "unknown_field", "not an import field") for name in unknown]
        errors += [] if "file" in files else [field_error("file", "required", "send the file in `file`")]
        raise Unprocessable("Invalid import form", errors=errors or [field_error("file", "one_file", "one file only")])
    upload = files["file"]
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"The upload exceeds {MAX_UPLOAD_BYTES} bytes")
    mapping = None
    if form.get("mapping"):
        try:
            mapping = json.loads(form["mapping"])
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise Unprocessable(
                "Invalid mapping", errors=[field_error("mapping", "object", "a JSON object of header → field")]
            )
    save = form.get("save_mapping", "false").lower()
    if save not in ("true", "false"):
        raise Unprocessable("Invalid save_mapping", errors=[field_error("save_mapping", "boolean", "true or false")])
    return service.Upload(
        data=data,
        file_name=(upload.filename or "import")[:200],
        template=form.get("template") or None,
        mapping=mapping,
        reference_date=form.get("reference_date") or None,
        save_mapping=save == "true",
        lang=lang_of(form.get("lang")),
    )


@router.post("/portfolios/{portfolio_id}/imports/preview", response=ImportPreview)
def import_preview(ctx: Context) -> ImportPreview:
    """The mapping, the first 50 rows and every row error and warning of a file (nothing stored)."""
    upload = _upload(ctx)
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.import_preview(conn, portfolio_id=ctx.path_id("portfolio_id"), upload=upload)
    return ImportPreview.model_validate(row)


@router.post(
    "/portfolios/{portfolio_id}/imports",
    response=ImportedVersion,
    status=201,
    also=(Reply(202, "A job, for a large file or `async=true` (poll its Location)", model=ImportJobOut),),
)
def import_commit(ctx: Context) -> Any:
    """All or nothing: a new draft version holding the file's exposures, or a 422 listing every row error.
    A file over 2 MB (or ``async=true``) becomes a job imported by the worker (202 + Location)."""
    upload = _upload(ctx)
    as_job = ctx.request.form.get("async", "false").lower() == "true" or len(upload.data) > jobs.INLINE_MAX_BYTES
    claims = ctx.claims()
    with db.user_transaction(claims.raw) as conn:
        if as_job:
            storage = storage_from_settings(ctx.settings)
            job = jobs.enqueue(
                conn, user_id=uuid.UUID(claims.sub), portfolio_id=ctx.path_id("portfolio_id"), upload=upload,
                storage=storage,
            )  # fmt: skip
        else:
            row = service.import_commit(conn, portfolio_id=ctx.path_id("portfolio_id"), upload=upload)
    if not as_job:
        return ImportedVersion.model_validate(row)
    response = flask.Response(
        ImportJobOut.model_validate(job).model_dump_json(), status=202, mimetype="application/json"
    )
    response.headers["Location"] = f"/prudential/import-jobs/{job['id']}"
    return response


@router.get("/import-jobs/{job_id}", response=ImportJobOut)
def get_import_job(ctx: Context) -> ImportJobOut:
    """An import job: its status, the version it created, or its error and row errors."""
    with db.user_transaction(ctx.claims().raw) as conn:
        row = jobs.job(conn, job_id=ctx.path_id("job_id"))
    return ImportJobOut.model_validate(row)


@router.post(
    "/portfolios/{portfolio_id}/imports/errors",
    query=ImportQuery,
    also=(Reply(200, "The error report, as an attachment", media_types=(REPORT_TYPES[0],)),),
)
def import_errors(ctx: Context) -> flask.Response:
    """Every row error of a file as an XLSX report (row, column, value, rule, problem)."""
    query = ctx.query(ImportQuery)
    upload = _upload(ctx)
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        document = service.import_error_report(
            conn, portfolio_id=ctx.path_id("portfolio_id"), upload=upload, lang=query.lang, storage=storage
        )
    return _attachment(document)


# --- import mappings ------------------------------------------------------------------------------


@router.get("/mappings", query=OrganizationQuery, response=MappingList)
def list_mappings(ctx: Context) -> MappingList:
    """The organization's saved column mappings, by template."""
    query = ctx.query(OrganizationQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        rows = service.mappings(conn, organization_id=query.organization_id)
    return MappingList(items=[MappingOut.model_validate(row) for row in rows])


@router.route("PUT", "/mappings/{template}", body=MappingIn, response=MappingOut)
def save_mapping(ctx: Context) -> MappingOut:
    """Save the column mapping of a template (owners and admins)."""
    body: MappingIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.save_mapping(
            conn, organization_id=body.organization_id, template=ctx.params["template"], columns=body.columns
        )
    return MappingOut.model_validate(row)


@router.route("DELETE", "/mappings/{template}", query=OrganizationQuery, status=204)
def delete_mapping(ctx: Context) -> None:
    """Delete a template's mapping (owners and admins)."""
    query = ctx.query(OrganizationQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        service.delete_mapping(conn, organization_id=query.organization_id, template=ctx.params["template"])


# --- rule sets ------------------------------------------------------------------------------------


@router.get("/rule-sets", query=RuleSetQuery, response=RuleSetList)
def list_rule_sets(ctx: Context) -> RuleSetList:
    """The platform's rule sets and those the caller's organizations published."""
    query = ctx.query(RuleSetQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        rows = service.rule_sets_list(conn, organization_id=query.organization_id)
    return RuleSetList(items=[RuleSetOut.model_validate(row) for row in rows])


@router.get("/rule-sets/{code}", query=RuleSetQuery, response=RuleSetDocument)
def get_rule_set(ctx: Context) -> RuleSetDocument:
    """A rule set with every dated parameter row, as the organization sees it."""
    query = ctx.query(RuleSetQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        document = service.rule_set_document(conn, code=ctx.params["code"], organization_id=query.organization_id)
    return RuleSetDocument.model_validate(document)


@router.post("/rule-sets", body=RuleSetIn, response=RuleSetOut, status=201)
def publish_rule_set(ctx: Context) -> RuleSetOut:
    """Publish a new rule set version for the organization (owners and admins), no deploy needed."""
    body: RuleSetIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = service.publish_rule_set(conn, organization_id=body.organization_id, document=body.document)
    return RuleSetOut.model_validate(row)


# --- COREP reporting (shared/reporting) ----------------------------------------------------------


@router.get("/calculations/{calculation_id}/corep", query=ModuleQuery, response=CorepView)
def corep_view(ctx: Context) -> CorepView:
    """A module's COREP templates with each cell's provenance and the validation results (stored)."""
    query = ctx.query(ModuleQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        view = reporting.view(conn, calculation_id=ctx.path_id("calculation_id"), module=query.module)
    return CorepView.model_validate(view)


@router.get("/calculations/{calculation_id}/corep/drill-down", query=DrillQuery, response=DrillOut)
def corep_drill_down(ctx: Context) -> DrillOut:
    """What is behind one reported cell: its source, its rule and the exposures that make it up."""
    q = ctx.query(DrillQuery)
    with db.user_transaction(ctx.claims().raw) as conn:
        found = reporting.drill(
            conn, calculation_id=ctx.path_id("calculation_id"), module=q.module, table=q.table, row=q.row,
            column=q.column, sheet=q.sheet, limit=q.limit,
        )  # fmt: skip
    return DrillOut.model_validate(found)


@router.get(
    "/calculations/{calculation_id}/corep/workbook",
    query=WorkbookQuery,
    also=(
        Reply(200, "The COREP workbook", media_types=(REPORT_TYPES[0],)),
        Reply(202, "A job, for a calculation above COREP_INLINE_MAX_EXPOSURES exposures", model=JobOut),
    ),
)
def corep_workbook(ctx: Context) -> flask.Response | WithStatus:
    """The COREP workbook of a module (one sheet per table), marked draft unless approved; a job (202,
    with its Location) for a large calculation."""
    q = ctx.query(WorkbookQuery)
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        job = _corep_job(ctx, conn, "corep-workbook", q.lang, {"module": q.module}, storage)
        if job is not None:
            return job
        made = reporting.workbook(
            conn, calculation_id=ctx.path_id("calculation_id"), module=q.module, lang=q.lang, storage=storage
        )
    return _attachment(service.ReportFile(made.data, made.content_type, made.file_name))


@router.get(
    "/calculations/{calculation_id}/corep/package",
    query=PackageQuery,
    also=(
        Reply(200, "The EBA xBRL-CSV report package", media_types=("application/zip",)),
        Reply(202, "A job, for a calculation above COREP_INLINE_MAX_EXPOSURES exposures", model=JobOut),
    ),
)
def corep_package(ctx: Context) -> flask.Response | WithStatus:
    """The xBRL-CSV report package of an approved calculation (409 otherwise; 422 naming failing rules);
    a job (202, with its Location) for a large calculation."""
    q = ctx.query(PackageQuery)
    storage = storage_from_settings(ctx.settings)
    with db.user_transaction(ctx.claims().raw) as conn:
        job = _corep_job(ctx, conn, "corep-package", "fr", _package_parameters(q), storage)
        if job is not None:
            return job
        made = reporting.package(
            conn, calculation_id=ctx.path_id("calculation_id"), module=q.module, lei=q.lei, country=q.country,
            basis=q.basis, timestamp=q.timestamp,
        )  # fmt: skip
    return _attachment(service.ReportFile(made.data, made.content_type, made.file_name))


@router.get(
    "/calculations/{calculation_id}/corep/package-link",
    query=PackageQuery,
    response=LinkOut,
    also=(Reply(202, "A job, for a calculation above COREP_INLINE_MAX_EXPOSURES exposures", model=JobOut),),
)
def corep_package_link(ctx: Context) -> LinkOut | WithStatus:
    """The package of an approved calculation stored and offered as a signed link (15 minutes); a job
    (202) for a large calculation, whose signed link ``GET /export/jobs/{id}`` gives once done."""
    q = ctx.query(PackageQuery)
    storage = storage_from_settings(ctx.settings)
    calculation_id = ctx.path_id("calculation_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        job = _corep_job(ctx, conn, "corep-package", "fr", _package_parameters(q), storage)
        if job is not None:
            return job
        made = reporting.package(
            conn, calculation_id=calculation_id, module=q.module, lei=q.lei, country=q.country, basis=q.basis,
            timestamp=q.timestamp,
        )  # fmt: skip
        organization = reporting.organization_of(conn, calculation_id=calculation_id)
    return LinkOut.model_validate(
        reporting.link(storage, organization_id=organization, calculation_id=calculation_id, made=made)
    )


@router.get(
    "/calculations/{calculation_id}/corep/workbook-link",
    query=WorkbookQuery,
    response=LinkOut,
    also=(Reply(202, "A job, for a calculation above COREP_INLINE_MAX_EXPOSURES exposures", model=JobOut),),
)
def corep_workbook_link(ctx: Context) -> LinkOut | WithStatus:
    """The workbook stored and offered as a signed link (15 minutes); a job (202) for a large calculation,
    whose signed link ``GET /export/jobs/{id}`` gives once done."""
    q = ctx.query(WorkbookQuery)
    storage = storage_from_settings(ctx.settings)
    calculation_id = ctx.path_id("calculation_id")
    with db.user_transaction(ctx.claims().raw) as conn:
        job = _corep_job(ctx, conn, "corep-workbook", q.lang, {"module": q.module}, storage)
        if job is not None:
            return job
        made = reporting.workbook(conn, calculation_id=calculation_id, module=q.module, lang=q.lang, storage=storage)
        organization = reporting.organization_of(conn, calculation_id=calculation_id)
    return LinkOut.model_validate(
        reporting.link(storage, organization_id=organization, calculation_id=calculation_id, made=made)
    )


def _package_parameters(q: PackageQuery) -> dict[str, Any]:
    return {"module": q.module, "lei": q.lei, "country": q.country, "basis": q.basis, "timestamp": q.timestamp}


def _corep_job(
    ctx: Context, conn: db.Connection, document: str, lang: str, parameters: dict[str, Any], storage: Storage
) -> WithStatus | None:
    """A COREP download of a large calculation queued as an export job (202 with its Location), else None."""
    job = corep_jobs.queue_if_large(
        conn, settings=ctx.settings, user_id=uuid.UUID(ctx.claims().sub), calculation_id=ctx.path_id("calculation_id"),
        document=document, lang=lang, parameters=parameters, storage=storage,
    )  # fmt: skip
    return None if job is None else WithStatus(job, 202, {"Location": f"/export/jobs/{job.id}"})


@router.post("/calculations/{calculation_id}/corep/comments", body=CommentIn, response=CommentOut, status=201)
def corep_comment(ctx: Context) -> CommentOut:
    """Explain a failing WARNING rule (needed before the package is produced)."""
    body: CommentIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = reporting.comment(
            conn, calculation_id=ctx.path_id("calculation_id"), module=body.module, rule=body.rule,
            scope=body.scope, text=body.comment,
        )  # fmt: skip
    return CommentOut.model_validate(row)


@router.get("/corep/calendar", query=CalendarQuery, response=CalendarOut)
def corep_calendar(ctx: Context) -> CalendarOut:
    """The next due COREP reports of the caller's organizations with their remittance dates and state."""
    q = ctx.query(CalendarQuery)
    today = datetime.datetime.now(datetime.UTC).date()
    with db.user_transaction(ctx.claims().raw) as conn:
        due = reporting.due_reports(conn, organization_id=q.organization_id, today=today, count=q.count)
        reminders = reporting.reminders(conn, organization_id=q.organization_id)
    items = []
    for d in due:
        item = DueReportOut.model_validate(d, from_attributes=True)
        found = reminders.get((d.organization_id or "", d.module, d.basis, d.reference_date))
        item.reminder = ReminderOut.model_validate(found) if found else None
        items.append(item)
    return CalendarOut(items=items)


@router.post("/corep/plans", body=PlanIn, response=PlanOut, status=201)
def corep_plan(ctx: Context) -> PlanOut:
    """Set a module the organization files (basis, source portfolio, authority's country); owners and admins."""
    body: PlanIn = ctx.body
    with db.user_transaction(ctx.claims().raw) as conn:
        row = reporting.save_plan(
            conn, organization_id=body.organization_id, module=body.module, basis=body.basis,
            portfolio_id=body.portfolio_id, country=body.country,
        )  # fmt: skip
    return PlanOut.model_validate(row)


@functions_framework.http
def prudential(request: flask.Request) -> flask.Response:
    return router.serve(request)
