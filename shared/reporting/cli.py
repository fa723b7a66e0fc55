"""``fintrack prudential report``: one calculation input on stdin → one COREP file in ``--out``.

    fintrack prudential report --format xlsx|xbrl-csv --module corep_of|corep_lr|corep_lcr_da|corep_nsfr
        --lei LEI --country CC --basis CON|IND [--timestamp YYYYMMDDhhmmssfff] --out DIR

Reads one calculation input exactly as ``fintrack prudential`` (same validator, same ``<path>:
<problem>`` line and exit code 2 for bad input), computes, fills the module's templates, runs the
validation rules and writes the report package ``.zip`` (xbrl-csv) or the workbook ``.xlsx`` under
its EBA name into DIR, printing its path. A failing ERROR rule gives exit 2 and one stderr line with
the failing rule ids, and nothing is written. The timestamp defaults to the reference date at 00:00
so that two runs on the same input give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.exports.models import Branding
from shared.prudential.cli import parse_json
from shared.prudential.engine import calculate
from shared.prudential.models import InvalidInput, validate_input
from shared.prudential.rules import DEFAULT_RULE_SET, UnknownRuleSet, load_rule_set
from shared.reporting.checks import structure_findings
from shared.reporting.package import (
    PackageError,
    check_settings,
    default_timestamp,
    file_stem,
    module_applies,
    write_package,
)
from shared.reporting.taxonomy import MODULES
from shared.reporting.templates import Report, build
from shared.reporting.validation import errors, evaluate
from shared.reporting.xlsx import workbook

__all__ = ["FORMATS", "Options", "run"]

USAGE_ERROR = 2
FORMATS = ("xlsx", "xbrl-csv")
#: what each module needs in the input (else there is nothing to file).
_SECTION = {"corep_of": None, "corep_lr": "leverage", "corep_lcr_da": "lcr", "corep_nsfr": "nsfr"}


@dataclass(frozen=True)
class Options:
    format: str
    module: str
    lei: str
    country: str
    basis: str
    out: Path
    timestamp: str | None = None
    rule_set: str = DEFAULT_RULE_SET


def _report(options: Options, text: str) -> tuple[int, str, Report | None]:
    try:
        rule_set = load_rule_set(options.rule_set)
    except UnknownRuleSet:
        return USAGE_ERROR, f"--rule-set: unknown rule set {options.rule_set!r}", None
    try:
        document = parse_json(text)
    except ValueError as exc:
        return USAGE_ERROR, " ".join(f"input: {exc}".split()), None
    if not isinstance(document, dict):
        return USAGE_ERROR, "input: must be one JSON object (one calculation per report)", None
    try:
        inp = validate_input(document, rule_set)
        result = calculate(inp, rule_set)
    except InvalidInput as exc:
        return USAGE_ERROR, " ".join(exc.errors[0].line().split()), None
    section = _SECTION[options.module]
    if section is not None and getattr(result, section) is None:
        return USAGE_ERROR, f"{section}: required for module {options.module}", None
    if section is None and result.capital is None and not inp.exposures:
        return USAGE_ERROR, f"own_funds: required for module {options.module} (or exposures)", None
    report = build(inp, result, rule_set, options.basis, modules=[options.module])[options.module]
    return 0, "", report


def run(options: Options, text: str) -> tuple[int, str]:
    """``(0, path)`` or ``(2, one line)``; the file is written only on success."""
    if options.format not in FORMATS:
        return USAGE_ERROR, f"--format: must be one of {', '.join(FORMATS)}"
    if options.module not in MODULES:
        return USAGE_ERROR, f"--module: must be one of {', '.join(MODULES)}"
    try:
        check_settings(options.lei, options.country, options.basis, options.timestamp)
    except PackageError as exc:
        return USAGE_ERROR, f"--{exc.field}: {exc.problem}"
    code, message, report = _report(options, text)
    if report is None:
        return code, message
    if options.format == "xbrl-csv" and not module_applies(options.module, report.reference_date):
        return USAGE_ERROR, (
            f"reference_date: module {options.module} of framework 4.2 does not apply on "
            f"{report.reference_date.isoformat()} (first reference date 2026-03-31)"
        )
    timestamp = options.timestamp or default_timestamp(report.reference_date)
    try:
        check_settings(options.lei, options.country, options.basis, timestamp)
    except PackageError as exc:
        return USAGE_ERROR, f"--{exc.field}: {exc.problem}"
    findings = evaluate(report)
    failing = errors(findings)
    if failing:
        ids = ", ".join(dict.fromkeys(f.rule for f in failing))
        return USAGE_ERROR, f"validation: ERROR rules failed: {ids}"
    if options.format == "xbrl-csv":
        package = write_package(report, options.lei, options.country, timestamp)
        name, content = package.name, package.content
        problems = structure_findings(content, name)  # our own checks; no eba-xbridge needed
        if problems:
            raise RuntimeError(f"report package {name} fails its structure check: {problems}")
    else:
        name = file_stem(report, options.lei, options.country, timestamp) + ".xlsx"
        content = workbook(report, findings, Branding(organization_name=options.lei), approved=False)
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / name
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)
    return 0, str(path)
