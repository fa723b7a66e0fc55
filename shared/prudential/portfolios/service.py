"""Use cases of the stored prudential work, run in the caller's transaction (RLS decides).

Portfolios and their versions, calculations (kept with their rule set and hashes, and recomputable to
the same bytes), the four-eyes transitions, scenarios and what-if, import mappings. No SQL here
(:mod:`.repository`), no HTTP (``functions/prudential.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from shared.adapters.storage import Storage
from shared.exports import service as export_service
from shared.platform import db
from shared.platform.db import Connection
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from shared.prudential.portfolios import engine_port, imports, render, repository, rule_sets
from shared.prudential.rules import DEFAULT_RULE_SET

Row = dict[str, Any]


# --- organizations --------------------------------------------------------------------------------


def organization_for(conn: Connection, *, organization_id: uuid.UUID | None, right: str, field: str) -> uuid.UUID:
    """The organization a request is about: the one named (404 unless the caller holds ``right`` there), or
    the caller's only organization with that right (422 naming ``field`` when there are several)."""
    mine = repository.prudential_organizations(conn, right=right)
    readable = mine if right == "read" else repository.prudential_organizations(conn, right="read")
    if organization_id is not None:
        if organization_id not in mine:
            if organization_id in readable:
                raise Forbidden("Your role does not allow this", code="forbidden")
            raise NotFound("Unknown organization", code="organization_not_found")
        return organization_id
    if not mine:
        if readable:
            raise Forbidden("Your role does not allow this", code="forbidden")
        raise NotFound("You have no prudential role in any organization", code="organization_not_found")
    if len(mine) > 1:
        message = "you belong to several organizations: name one"
        raise Unprocessable("Choose the organization", errors=[field_error(field, "missing", message)])
    return mine[0]


# --- portfolios -----------------------------------------------------------------------------------


def portfolios(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    return repository.portfolios(conn, organization_id=organization_id)


def portfolio(conn: Connection, *, portfolio_id: uuid.UUID) -> Row:
    row = repository.portfolio(conn, portfolio_id=portfolio_id)
    if row is None:
        raise NotFound("Unknown portfolio", code="portfolio_not_found")
    return row


def portfolio_detail(conn: Connection, *, portfolio_id: uuid.UUID) -> Row:
    row = portfolio(conn, portfolio_id=portfolio_id)
    versions = repository.versions(conn, portfolio_id=portfolio_id)
    return {**row, "versions": versions, "latest_version": versions[0]["version"] if versions else None}


def create_portfolio(conn: Connection, *, organization_id: uuid.UUID | None, name: str, description: str) -> Row:
    org = organization_for(conn, organization_id=organization_id, right="write", field="organization_id")
    return repository.create_portfolio(conn, organization_id=org, name=name.strip(), description=description)


def update_portfolio(conn: Connection, *, portfolio_id: uuid.UUID, name: str | None, description: str | None) -> Row:
    portfolio(conn, portfolio_id=portfolio_id)
    return repository.update_portfolio(
        conn, portfolio_id=portfolio_id, name=name.strip() if name else None, description=description
    )


def delete_portfolio(conn: Connection, *, portfolio_id: uuid.UUID) -> None:
    portfolio(conn, portfolio_id=portfolio_id)
    if not repository.delete_portfolio(conn, portfolio_id=portfolio_id):
        raise NotFound("Unknown portfolio", code="portfolio_not_found")


# --- versions -------------------------------------------------------------------------------------


def version(conn: Connection, *, version_id: uuid.UUID, with_input: bool = True) -> Row:
    row = repository.version(conn, version_id=version_id, with_input=with_input)
    if row is None:
        raise NotFound("Unknown portfolio version", code="version_not_found")
    return row


def add_version(conn: Connection, *, portfolio_id: uuid.UUID, document: dict[str, Any], source: str = "manual") -> Row:
    """A new draft version of the portfolio holding ``document`` (validated: 422 naming each bad field)."""
    owner = portfolio(conn, portfolio_id=portfolio_id)
    rule_set = rule_sets.load(conn, DEFAULT_RULE_SET, organization_id=owner["organization_id"])
    prepared = engine_port.prepare(document, rule_set)
    return repository.create_version(
        conn,
        organization_id=owner["organization_id"],
        portfolio_id=portfolio_id,
        content=prepared.document,
        input_sha256=prepared.sha256,
        reference_date=prepared.validated.reference_date,
        exposure_count=prepared.exposure_count,
        summary=prepared.summary,
        source=source,
    )


def edit_version(conn: Connection, *, version_id: uuid.UUID, document: dict[str, Any]) -> Row:
    """Replace a draft's input (409 once it is submitted, approved or rejected)."""
    current = version(conn, version_id=version_id, with_input=False)
    if current["status"] != "draft":
        raise Conflict(f"Only a draft can be edited (this version is {current['status']})", code="version_not_draft")
    rule_set = rule_sets.load(conn, DEFAULT_RULE_SET, organization_id=current["organization_id"])
    prepared = engine_port.prepare(document, rule_set)
    return repository.update_version_input(
        conn,
        version_id=version_id,
        content=prepared.document,
        input_sha256=prepared.sha256,
        reference_date=prepared.validated.reference_date,
        exposure_count=prepared.exposure_count,
        summary=prepared.summary,
    )


def transition(conn: Connection, *, version_id: uuid.UUID, action: str, comment: str | None) -> Row:
    """submit | approve | reject, through the four-eyes functions of the database."""
    return repository.transition(conn, action=action, version_id=version_id, comment=comment)


def history(conn: Connection, *, version_id: uuid.UUID) -> list[Row]:
    return repository.version_history(conn, version_id=version_id)


# --- calculations ---------------------------------------------------------------------------------


def calculate(conn: Connection, *, version_id: uuid.UUID, rule_set: str | None) -> Row:
    """Calculate a version with a rule set (default CRR3-2025.1) and keep the result with its hashes."""
    row = version(conn, version_id=version_id)
    if row["organization_id"] not in repository.prudential_organizations(conn, right="write"):
        raise Forbidden("Your role does not allow calculations", code="forbidden")
    code = rule_set or DEFAULT_RULE_SET
    computed = engine_port.compute(row["input"], rule_sets.load(conn, code, organization_id=row["organization_id"]))
    db.elevate(conn)  # only the engine's figures are recorded: the caller's right was checked above
    stored = repository.record_calculation(
        conn,
        organization_id=row["organization_id"],
        version_id=version_id,
        rule_set=code,
        reference_date=row["reference_date"],
        input_sha256=computed.input_sha256,
        result_sha256=computed.result_sha256,
        result=computed.result,
    )
    return {**stored, "result": computed.result}


def calculations(conn: Connection, *, version_id: uuid.UUID) -> list[Row]:
    version(conn, version_id=version_id, with_input=False)
    return repository.calculations(conn, version_id=version_id)


def calculation(conn: Connection, *, calculation_id: uuid.UUID) -> Row:
    row = repository.calculation(conn, calculation_id=calculation_id)
    if row is None:
        raise NotFound("Unknown calculation", code="calculation_not_found")
    return row


def verify(conn: Connection, *, calculation_id: uuid.UUID) -> Row:
    """Recompute a stored calculation from its version's input with its own rule set: identical when the
    canonical input and the canonical result hash exactly as recorded (and the stored result still does)."""
    row = calculation(conn, calculation_id=calculation_id)
    rule_set = rule_sets.load(conn, row["rule_set"], organization_id=row["organization_id"])
    computed = engine_port.compute(row["input"], rule_set)
    stored_result_sha = engine_port.sha256_of(row["result"])
    identical = (
        computed.input_sha256 == row["input_sha256"]
        and computed.result_sha256 == row["result_sha256"]
        and stored_result_sha == row["result_sha256"]
    )
    return {
        "calculation_id": row["id"],
        "identical": identical,
        "rule_set": row["rule_set"],
        "input_sha256": row["input_sha256"],
        "recomputed_input_sha256": computed.input_sha256,
        "result_sha256": row["result_sha256"],
        "recomputed_result_sha256": computed.result_sha256,
        "stored_result_sha256": stored_result_sha,
    }


# --- import mappings ------------------------------------------------------------------------------


def mappings(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    org = organization_for(conn, organization_id=organization_id, right="read", field="organization_id")
    return repository.mappings(conn, organization_id=org)


def save_mapping(conn: Connection, *, organization_id: uuid.UUID | None, template: str, columns: dict[str, str]) -> Row:
    org = organization_for(conn, organization_id=organization_id, right="read", field="organization_id")
    return repository.save_mapping(conn, organization_id=org, template=template, columns=columns)


def delete_mapping(conn: Connection, *, organization_id: uuid.UUID | None, template: str) -> None:
    org = organization_for(conn, organization_id=organization_id, right="read", field="organization_id")
    if not repository.delete_mapping(conn, organization_id=org, template=template):
        raise NotFound("Unknown mapping", code="mapping_not_found")


# --- rule sets ------------------------------------------------------------------------------------


def rule_sets_list(conn: Connection, *, organization_id: uuid.UUID | None) -> list[Row]:
    return repository.rule_sets(conn, organization_id=organization_id)


def rule_set_document(conn: Connection, *, code: str, organization_id: uuid.UUID | None) -> dict[str, Any]:
    org = organization_for(conn, organization_id=organization_id, right="read", field="organization_id")
    return rule_sets.load(conn, code, organization_id=org).to_document()


def publish_rule_set(conn: Connection, *, organization_id: uuid.UUID | None, document: dict[str, Any]) -> Row:
    org = organization_for(conn, organization_id=organization_id, right="manage", field="organization_id")
    return rule_sets.publish(conn, organization_id=org, document=document)


# --- scenarios and what-if ------------------------------------------------------------------------


def scenarios(conn: Connection, *, portfolio_id: uuid.UUID) -> list[Row]:
    portfolio(conn, portfolio_id=portfolio_id)
    return repository.scenarios(conn, portfolio_id=portfolio_id)


def create_scenario(
    conn: Connection, *, portfolio_id: uuid.UUID, name: str, description: str, shocks: list[dict[str, Any]]
) -> Row:
    owner = portfolio(conn, portfolio_id=portfolio_id)
    return repository.create_scenario(
        conn,
        organization_id=owner["organization_id"],
        portfolio_id=portfolio_id,
        name=name.strip(),
        description=description,
        shocks=engine_port.shocks(shocks),
    )


def delete_scenario(conn: Connection, *, scenario_id: uuid.UUID) -> None:
    if repository.scenario(conn, scenario_id=scenario_id) is None or not repository.delete_scenario(
        conn, scenario_id=scenario_id
    ):
        raise NotFound("Unknown scenario", code="scenario_not_found")


def what_if(
    conn: Connection,
    *,
    version_id: uuid.UUID,
    scenario_id: uuid.UUID | None,
    shocks: list[dict[str, Any]] | None,
    rule_set: str | None,
) -> Row:
    """A version's figures under a stored scenario (of its portfolio) or ad-hoc shocks: old / new / delta.
    Nothing is stored; the old figures are the version's current calculation when it used that rule set."""
    if (scenario_id is None) == (shocks is None):
        message = "give either scenario_id or shocks"
        raise Unprocessable("Choose the shocks", errors=[field_error("scenario_id", "one_of", message)])
    row = version(conn, version_id=version_id)
    if scenario_id is not None:
        stored = repository.scenario(conn, scenario_id=scenario_id)
        if stored is None or stored["portfolio_id"] != row["portfolio_id"]:
            raise NotFound("Unknown scenario for this portfolio", code="scenario_not_found")
        chosen = engine_port.shocks(stored["shocks"])  # rows written through the Data API are checked too
    else:
        chosen = engine_port.shocks(shocks or [])
    code = rule_set or DEFAULT_RULE_SET
    rules = rule_sets.load(conn, code, organization_id=row["organization_id"])
    base = repository.current_result(conn, version_id=version_id, rule_set=code, input_sha256=row["input_sha256"])
    outcome = engine_port.what_if(row["input"], chosen, rules, base)
    return {"version_id": version_id, "scenario_id": scenario_id, **outcome}


# --- calculation report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFile:
    data: bytes
    content_type: str
    file_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def report(conn: Connection, *, calculation_id: uuid.UUID, fmt: str, lang: str, storage: Storage) -> ReportFile:
    """A calculation's report in the organization's branding, marked draft unless its version is approved
    and this is the calculation it was approved with."""
    row = calculation(conn, calculation_id=calculation_id)
    organization = repository.organization(conn, organization_id=row["organization_id"])
    if organization is None:
        raise NotFound("Unknown organization", code="organization_not_found")
    version_row = version(conn, version_id=row["portfolio_version_id"], with_input=False)
    approved = version_row["status"] == "approved" and version_row["calculation_id"] == row["id"]
    document = render.Report(
        portfolio=row["portfolio_name"],
        version=row["version"],
        status="approved" if approved else ("draft" if version_row["status"] == "approved" else version_row["status"]),
        rule_set=row["rule_set"],
        reference_date=row["reference_date"],
        calculation_id=str(row["id"]),
        input_sha256=row["input_sha256"],
        result_sha256=row["result_sha256"],
        result=row["result"],
        day=organization["today"],
    )
    data, content_type = render.render(document, export_service.branding(organization, storage), fmt, lang)
    return ReportFile(data, content_type, render.file_name(document, fmt, lang))


# --- imports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file to import and how: its mapping template (saved per organization), explicit column
    mapping, the reference date of the new version (default: the latest version's), and whether to
    save the mapping used under the template (owners and admins)."""

    data: bytes
    file_name: str
    template: str | None = None
    mapping: dict[str, str] | None = None
    reference_date: str | None = None
    save_mapping: bool = False
    lang: str = "fr"


def _parse_upload(conn: Connection, owner: Row, upload: Upload) -> imports.Parsed:
    saved = None
    if upload.template:
        found = repository.mapping(conn, organization_id=owner["organization_id"], template=upload.template)
        saved = None if found is None else found["columns"]
    return imports.parse(upload.data, upload.file_name, saved=saved, explicit=upload.mapping, lang=upload.lang)


def _parsed_view(parsed: imports.Parsed) -> Row:
    return {
        "file_name": parsed.file_name,
        "rows": len(parsed.rows) + len({e["row"] for e in parsed.errors if e["row"] not in parsed.rows}),
        "valid_rows": len(parsed.exposures),
        "mapping": parsed.mapping,
        "unmapped_columns": parsed.unmapped,
        "preview": parsed.preview,
        "errors": parsed.errors,
        "warnings": parsed.warnings,
    }


def import_preview(conn: Connection, *, portfolio_id: uuid.UUID, upload: Upload) -> Row:
    """What an import would do: the mapping, the first 50 rows, every row error and warning (nothing stored)."""
    owner = portfolio(conn, portfolio_id=portfolio_id)
    return _parsed_view(_parse_upload(conn, owner, upload))


def import_commit(conn: Connection, *, portfolio_id: uuid.UUID, upload: Upload) -> Row:
    """A new draft version whose exposures are the file's (the rest from the latest version), all or
    nothing: any row error is a 422 listing every one, and nothing is written."""
    owner = portfolio(conn, portfolio_id=portfolio_id)
    parsed = _parse_upload(conn, owner, upload)
    if parsed.errors:
        problems = [
            {
                **field_error(f"file.row[{e['row']}].{e['column']}", e["rule"], e["message"]),
                "row": e["row"],
                "column": e["column"],
                "value": e["value"],
            }
            for e in parsed.errors
        ]
        raise Unprocessable(
            f"{len(parsed.errors)} row errors: nothing was imported", code="import_rejected", errors=problems
        )
    latest = repository.latest_version(conn, portfolio_id=portfolio_id)
    document: dict[str, Any] = {k: v for k, v in (latest["input"] if latest else {}).items() if k != "exposures"}
    if upload.reference_date:
        document["reference_date"] = upload.reference_date
    if "reference_date" not in document:
        message = "the portfolio has no version yet: give the reference date"
        raise Unprocessable("Reference date needed", errors=[field_error("reference_date", "required", message)])
    document["exposures"] = parsed.exposures
    if upload.save_mapping and upload.template:
        columns = {imports.normalise(header): target for header, target in parsed.mapping.items()}
        repository.save_mapping(
            conn, organization_id=owner["organization_id"], template=upload.template, columns=columns
        )
    row = add_version(conn, portfolio_id=portfolio_id, document=document, source="import")
    return {**row, "warnings": parsed.warnings}


def import_error_report(
    conn: Connection, *, portfolio_id: uuid.UUID, upload: Upload, lang: str, storage: Storage
) -> ReportFile:
    """Every row error of the file as an XLSX to correct it from (an empty report when there is none)."""
    owner = portfolio(conn, portfolio_id=portfolio_id)
    parsed = _parse_upload(conn, owner, dataclasses.replace(upload, lang=lang))
    organization = repository.organization(conn, organization_id=owner["organization_id"])
    assert organization is not None  # the caller reads the portfolio, hence its organization
    branding = export_service.branding(organization, storage)
    data = render.import_errors_xlsx(upload.file_name, parsed.errors, branding, organization["today"], lang)
    stem = "Erreurs d'import" if lang == "fr" else "Import errors"
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "-", f"{stem} - {upload.file_name}")[:180]
    return ReportFile(data, render.XLSX, f"{name}.xlsx")
