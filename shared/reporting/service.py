"""COREP reporting over stored calculations, as the signed-in caller (RLS decides what they see).

The templates are rebuilt from the calculation's version input with its own rule set (the engine is
deterministic, so they are exactly the figures that were approved); the validation results are
stored with the calculation at every evaluation; a WARNING that fails needs a reviewer's comment
before a package can be produced, an ERROR blocks it, and only an approved calculation (the one its
version was approved with) gets an xBRL-CSV package — the workbook is always available, marked
draft until then.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from shared.adapters.storage import Storage
from shared.exports import service as export_service
from shared.platform.db import Connection
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from shared.prudential.engine import calculate
from shared.prudential.models import validate_input
from shared.prudential.portfolios import rule_sets
from shared.prudential.portfolios import service as prudential
from shared.reporting import calendar, repository
from shared.reporting.calendar import DueReport
from shared.reporting.checks import structure_findings
from shared.reporting.package import PackageError, module_applies, write_package
from shared.reporting.taxonomy import MODULES
from shared.reporting.templates import Report, build, drill_down, template_view
from shared.reporting.validation import Finding, errors, evaluate, load_rules, warnings
from shared.reporting.xlsx import workbook as render_workbook

__all__ = ["Built", "comment", "drill", "package", "view", "workbook"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Built:
    calculation: dict[str, Any]
    report: Report
    findings: list[Finding]
    approved: bool


def _module(module: str) -> str:
    if module not in MODULES:
        raise Unprocessable("Unknown module", errors=[field_error("module", "unknown", f"one of {', '.join(MODULES)}")])
    return module


def _build(conn: Connection, calculation_id: uuid.UUID, module: str, basis: str = "CON") -> Built:
    row = prudential.calculation(conn, calculation_id=calculation_id)
    if row["status"] != "current" or row["input_sha256"] != row["version_input_sha256"]:
        raise Conflict("The calculation is superseded: its version's input changed", code="calculation_superseded")
    rule_set = rule_sets.load(conn, row["rule_set"], organization_id=row["organization_id"])
    inp = validate_input(row["input"], rule_set)
    report = build(inp, calculate(inp, rule_set), rule_set, basis, modules=[module])[module]
    findings = evaluate(report)
    version = prudential.version(conn, version_id=row["portfolio_version_id"], with_input=False)
    approved = version["status"] == "approved" and version["calculation_id"] == row["id"]
    return Built(row, report, findings, approved)


def _store(conn: Connection, built: Built, module: str) -> None:
    """Keep the results with the calculation; a viewer (read-only) evaluates without recording."""
    try:
        with conn.transaction():  # a savepoint: a refused insert leaves the caller's transaction usable
            repository.store_results(
                conn, organization_id=built.calculation["organization_id"], calculation_id=built.calculation["id"],
                module=module, findings=[f.to_json() for f in built.findings],
                error_count=len(errors(built.findings)), warning_count=len(warnings(built.findings)),
            )  # fmt: skip
    except psycopg.errors.InsufficientPrivilege:
        return


def _comment_key(rule: str, scope: str | None) -> str:
    return f"{rule}|{scope}" if scope else rule


def _comments(conn: Connection, calculation_id: uuid.UUID, module: str) -> dict[str, str]:
    return {
        _comment_key(c["rule_id"], c["scope"] or None): c["comment"]
        for c in repository.comments(conn, calculation_id=calculation_id, module=module)
    }


def view(conn: Connection, *, calculation_id: uuid.UUID, module: str) -> dict[str, Any]:
    """The templates (cells with provenance), filing indicators and validation results with comments."""
    built = _build(conn, calculation_id, _module(module))
    _store(conn, built, module)
    notes = _comments(conn, calculation_id, module)
    findings = []
    for f in built.findings:
        item = f.to_json()
        item["comment"] = notes.get(_comment_key(f.rule, f.scope))
        findings.append(item)
    failed: dict[str, list[str]] = {}
    for f in built.findings:
        if f.status == "failed":
            for address in f.cells:
                failed.setdefault(address, []).append(f.rule)
    shown = template_view(built.report)
    for cell, source in zip(shown["cells"], built.report.sorted_cells(), strict=True):
        cell["failed_rules"] = failed.get(source.address, [])
    return {
        **shown,
        "calculation_id": str(calculation_id),
        "approved": built.approved,
        "validation": {
            "errors": len(errors(built.findings)),
            "warnings": len(warnings(built.findings)),
            "unexplained_warnings": sum(
                1 for f in warnings(built.findings) if _comment_key(f.rule, f.scope) not in notes
            ),
            "findings": findings,
        },
    }


def drill(
    conn: Connection, *, calculation_id: uuid.UUID, module: str, table: str, row: str, column: str,
    sheet: str | None, limit: int,
) -> dict[str, Any]:  # fmt: skip
    built = _build(conn, calculation_id, _module(module))
    cell = built.report.cells.get((table, sheet, row, column))
    if cell is None:
        raise NotFound("No such reported cell", code="cell_not_found")
    return drill_down(built.report, cell, limit)


@dataclass(frozen=True)
class File:
    data: bytes
    content_type: str
    file_name: str


def workbook(conn: Connection, *, calculation_id: uuid.UUID, module: str, lang: str, storage: Storage) -> File:
    built = _build(conn, calculation_id, _module(module))
    organization = repository.organization(conn, organization_id=built.calculation["organization_id"])
    if organization is None:
        raise NotFound("Unknown organization", code="organization_not_found")
    branding = export_service.branding(organization, storage)
    notes = _comments(conn, calculation_id, module)
    data = render_workbook(built.report, built.findings, branding, built.approved, lang, notes)
    status = "" if built.approved else "_BROUILLON" if lang == "fr" else "_DRAFT"
    name = f"COREP_{built.report.module.file_code}_{built.report.reference_date.isoformat()}{status}.xlsx"
    return File(data, XLSX, name)


def package(
    conn: Connection, *, calculation_id: uuid.UUID, module: str, lei: str, country: str, basis: str,
    timestamp: str | None,
) -> File:  # fmt: skip
    """The xBRL-CSV package of an approved calculation: 409 unless approved, 422 for a failing ERROR rule
    or an unexplained WARNING, naming the rules."""
    built = _build(conn, calculation_id, _module(module), basis)
    if not built.approved:
        raise Conflict("Only the calculation a version was approved with is filed", code="calculation_not_approved")
    if not module_applies(module, built.report.reference_date):
        raise Unprocessable(
            "Framework 4.2 does not apply on this reference date",
            errors=[field_error("reference_date", "framework_not_applicable", "first reference date 2026-03-31")],
        )
    failing = errors(built.findings)
    if failing:
        raise Unprocessable(
            "ERROR validation rules fail", errors=[field_error(f.rule, "validation_error", f.message) for f in failing]
        )
    notes = _comments(conn, calculation_id, module)
    unexplained = [f for f in warnings(built.findings) if _comment_key(f.rule, f.scope) not in notes]
    if unexplained:
        raise Unprocessable(
            "WARNING validation rules need a comment",
            errors=[field_error(f.rule, "warning_unexplained", f.message) for f in unexplained],
        )
    try:
        made = write_package(built.report, lei, country, timestamp)
    except PackageError as exc:
        raise Unprocessable("Bad report setting", errors=[field_error(exc.field, "invalid", exc.problem)]) from None
    problems = structure_findings(made.content, made.name)  # our own checks; no eba-xbridge needed
    if problems:
        raise RuntimeError(f"report package {made.name} fails its structure check: {problems}")
    repository.record_export(
        conn, organization_id=built.calculation["organization_id"], calculation_id=calculation_id, module=module,
        file_name=made.name, sha256=hashlib.sha256(made.content).hexdigest(),
    )  # fmt: skip
    return File(made.content, "application/zip", made.name)


LINK_TTL_SECONDS = 900  # signed download links live 15 minutes


def link(storage: Storage, *, organization_id: uuid.UUID, calculation_id: uuid.UUID, made: File) -> dict[str, Any]:
    """Store ``made`` under the organization's prefix and give a signed download link to it."""
    key = f"{organization_id}/corep/{calculation_id}/{made.file_name}"
    storage.put(key, made.data, made.content_type)
    return {
        "url": storage.signed_url(key, expires_in=LINK_TTL_SECONDS, filename=made.file_name),
        "file_name": made.file_name,
        "sha256": hashlib.sha256(made.data).hexdigest(),
        "byte_size": len(made.data),
        "expires_in": LINK_TTL_SECONDS,
    }


def organization_of(conn: Connection, *, calculation_id: uuid.UUID) -> uuid.UUID:
    organization: uuid.UUID = prudential.calculation(conn, calculation_id=calculation_id)["organization_id"]
    return organization


# --- calendar -------------------------------------------------------------------------------------


def save_plan(
    conn: Connection, *, organization_id: uuid.UUID, module: str, basis: str, portfolio_id: uuid.UUID, country: str
) -> dict[str, Any]:
    """Set which module the organization files, on which basis, from which portfolio, to which authority."""
    owner = prudential.portfolio(conn, portfolio_id=portfolio_id)
    if owner["organization_id"] != organization_id:
        raise Unprocessable(
            "The portfolio belongs to another organization",
            errors=[field_error("portfolio_id", "other_organization", "a portfolio of this organization")],
        )
    try:
        with conn.transaction():
            return repository.save_plan(
                conn, organization_id=organization_id, module=_module(module), basis=basis,
                portfolio_id=portfolio_id, country=country,
            )  # fmt: skip
    except psycopg.errors.InsufficientPrivilege:
        raise Forbidden("Owners and admins set the filing plan", code="forbidden") from None


def due_reports(conn: Connection, *, organization_id: uuid.UUID | None, today: date, count: int = 2) -> list[DueReport]:
    """The next ``count`` due reports of every plan, earliest remittance first, with their state."""
    out: list[DueReport] = []
    for plan in repository.plans(conn, organization_id=organization_id):
        for reference, due in calendar.next_reference_dates(plan["module"], today, plan["country"], count):
            found = repository.latest_version_at(conn, portfolio_id=plan["portfolio_id"], reference_date=reference)
            status = found["status"] if found else None
            calc = (found["submitted_calculation_id"] or found["latest_calculation_id"]) if found else None
            approved = bool(found and status == "approved" and found["submitted_calculation_id"])
            done = bool(approved and calc and repository.exported(conn, calculation_id=calc, module=plan["module"]))
            out.append(
                DueReport(
                    plan["module"],
                    plan["basis"],
                    reference,
                    due,
                    calendar.state_of(status, calc, approved, done),
                    str(found["version_id"]) if found else None,
                    str(calc) if calc else None,
                    (due - today).days,
                    str(plan["organization_id"]),
                )
            )
    return sorted(out, key=lambda d: (d.remittance_date, d.module, d.basis))


def comment(
    conn: Connection, *, calculation_id: uuid.UUID, module: str, rule: str, scope: str | None, text: str
) -> dict[str, Any]:
    """Explain a WARNING rule of this calculation (one comment per rule and scope; its author revises it)."""
    _module(module)
    known = {r.id: r for r in load_rules()}
    if rule not in known or known[rule].severity != "WARNING":
        raise Unprocessable("Not a WARNING rule", errors=[field_error("rule", "unknown", "a WARNING rule id")])
    row = prudential.calculation(conn, calculation_id=calculation_id)
    try:
        with conn.transaction():
            return repository.save_comment(
                conn, organization_id=row["organization_id"], calculation_id=calculation_id, module=module,
                rule_id=rule, scope=scope or "", comment=text,
            )  # fmt: skip
    except psycopg.errors.InsufficientPrivilege:
        raise Forbidden("Only prudential writers comment, and only their own comments", code="forbidden") from None


def reminders(
    conn: Connection, *, organization_id: uuid.UUID | None
) -> dict[tuple[str, str, str, date], dict[str, Any]]:
    """The follow-up reminder of each due report the caller may see (0185), by (organization, module,
    basis, reference date): its SLA state, next threshold, last step sent, closing."""
    return {
        (str(r["organization_id"]), r["module"], r["basis"], r["reference_date"]): r
        for r in repository.reminders(conn, organization_id=organization_id)
    }
