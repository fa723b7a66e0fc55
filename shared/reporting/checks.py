"""Independent checks of a generated report package.

Three layers, each usable alone:

* :func:`structure_findings` — our own reading of the zip against banking.md §6.2 and the framework
  4.2 module mapping shipped with ``eba-xbridge`` (read from the installed package, not from our
  data file): single top-level folder named like the zip, ``reportPackage.json``, ``report.json``
  extending exactly one module entry point, the parameters, the filing indicators, one CSV per
  table of a template filed true and none for one filed false, every datapoint id defined for its
  table, every key and enumerated value allowed, plain decimal lexical values. ``eba-xbridge``'s
  validator does not resolve datapoints when ``report.json`` carries no namespace map (the EBA
  metadata holds it), which is why this check reads the module itself. ``eba-xbridge`` is the optional
  ``reporting`` extra (it pulls in pandas, numpy and lxml, too big for a Lambda package): without it
  the same checks run against the module as shipped in ``data/dpm_4_2.json`` (itself checked against
  ``eba-xbridge`` when it was extracted and by the tests), so the production path that writes
  packages needs nothing more.
* :func:`xbridge_findings` — ``eba-xbridge``'s xBRL-CSV validator (its CSV-0xx and EBA-xxx rules);
  ``skipped`` with the reason when the extra is not installed.
* :func:`arelle_findings` — Arelle against an EBA taxonomy package, only when an operator has
  configured one (``FINTRACK_ARELLE_TAXONOMY``, a taxonomy package zip or a folder of them) and
  ``arelleCmdLine`` is installed; otherwise a single ``skipped`` finding saying why.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from shared.reporting.package import module_templates
from shared.reporting.taxonomy import MODULES, module

__all__ = ["arelle_findings", "structure_findings", "xbridge_available", "xbridge_findings"]

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_NAME = re.compile(
    r"^(?P<lei>[A-Z0-9]{20})\.(?P<basis>CON|IND)_(?P<country>[A-Z]{2})_(?P<framework>[A-Z]+\d{6})_"
    r"(?P<module>[A-Z0-9]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<timestamp>\d{17})$"
)


XBRIDGE_MISSING = "eba-xbridge is not installed (pip install 'fintrack[reporting]')"


def xbridge_available() -> bool:
    """Whether the optional ``reporting`` extra (``eba-xbridge``) can be imported."""
    try:
        import xbridge  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _xbridge_module(code: str) -> dict[str, dict[str, Any]]:
    """``eba-xbridge``'s own framework 4.2 mapping: CSV name → {datapoint → allowed values}, keys."""
    import xbridge

    path = Path(xbridge.__file__).with_name("modules") / f"{code}_corep_4.2.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        t["url"]: {
            "filing_indicator": t["filing_indicator"],
            "open_keys": list(t["open_keys"]),
            "variables": {v["code"]: v["allowed_values"] or [] for v in t["variables"]},
            "url": data["url"],
        }
        for t in data["tables"]
    }


@cache
def _shipped_module(code: str) -> dict[str, dict[str, Any]]:
    """The same shape from ``data/dpm_4_2.json``: the tables this capability fills, their datapoints
    and the allowed members of enumerated cells (used when ``eba-xbridge`` is not installed)."""
    m = module(code)
    return {
        t.csv_name: {
            "filing_indicator": t.filing_indicator,
            "open_keys": [t.key["column"]] if t.key else [],
            "variables": {dp: [e["code"] for e in t.enumerations.get(cell, [])] for cell, dp in t.cells.items()},
            "url": m.entry_point,
        }
        for t in m.tables
    }


def _module_mapping(code: str) -> dict[str, dict[str, Any]]:
    return _xbridge_module(code) if xbridge_available() else _shipped_module(code)


def _rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"))))


def structure_findings(content: bytes, name: str) -> list[str]:
    """Problems found in the package ``content`` named ``name``; empty when it is well formed."""
    problems: list[str] = []
    stem = name.removesuffix(".zip")
    match = _NAME.match(stem)
    if not name.endswith(".zip") or match is None:
        return [f"{name}: not an EBA report package name"]
    code = next((c for c, f in MODULES.items() if f == match["module"]), None)
    if code is None:
        return [f"{name}: unknown module {match['module']}"]
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return [f"{name}: not a zip file"]
    entries = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    if any(not e.startswith(stem + "/") for e in entries):
        problems.append("every entry must be under the single top-level folder named like the zip")
    files = {e.removeprefix(stem + "/"): v for e, v in entries.items()}
    package_doc = json.loads(files.get("META-INF/reportPackage.json", b"{}"))
    if package_doc.get("documentInfo", {}).get("documentType") != "https://xbrl.org/report-package/2023":
        problems.append("META-INF/reportPackage.json: documentType must be https://xbrl.org/report-package/2023")
    tables = _module_mapping(code)
    entry_point = next(iter(tables.values()))["url"]
    report = json.loads(files.get("reports/report.json", b"{}"))
    info = report.get("documentInfo", {})
    if info.get("documentType") != "https://xbrl.org/2021/xbrl-csv":
        problems.append("reports/report.json: documentType must be https://xbrl.org/2021/xbrl-csv")
    if info.get("extends") != [entry_point]:
        problems.append(f"reports/report.json: must extend exactly {entry_point}")
    if "tableTemplates" in report or "tables" in report:
        problems.append("reports/report.json: no local table definitions")
    params = dict((r[0], r[1]) for r in _rows(files.get("reports/parameters.csv", b""))[1:] if len(r) == 2)
    if params.get("entityID") != f"lei:{match['lei']}.{match['basis']}":
        problems.append("parameters.csv: entityID must be lei:<LEI>.<basis> of the file name")
    if params.get("refPeriod") != match["date"]:
        problems.append("parameters.csv: refPeriod must be the reference date of the file name")
    if params.get("baseCurrency") != "iso4217:EUR":
        problems.append("parameters.csv: baseCurrency must be iso4217:EUR")
    if int(params.get("decimalsMonetary", "2")) < -4 or int(params.get("decimalsPercentage", "6")) < 4:
        problems.append("parameters.csv: decimalsMonetary ≥ −4 and decimalsPercentage ≥ 4")
    indicators = _rows(files.get("reports/FilingIndicators.csv", b""))
    if not indicators or indicators[0] != ["templateID", "reported"]:
        problems.append("FilingIndicators.csv: header must be templateID,reported")
    filed = {}
    for row in indicators[1:]:
        if len(row) != 2 or row[1] not in ("true", "false") or row[0] in filed:
            problems.append(f"FilingIndicators.csv: bad or duplicate row {row}")
            continue
        filed[row[0]] = row[1] == "true"
    if sorted(filed) != module_templates(code):
        problems.append("FilingIndicators.csv: one row per template of the module")
    members = {t.csv_name: set(t.sheet_members) for t in module(code).tables}
    for path, raw in sorted(files.items()):
        if not path.startswith("reports/") or path.count("/") != 1 or not path.endswith(".csv"):
            continue
        csv_name = path.removeprefix("reports/")
        if csv_name in ("parameters.csv", "FilingIndicators.csv"):
            continue
        table = tables.get(csv_name)
        if table is None:
            problems.append(f"{csv_name}: not a table of {code}")
            continue
        if not filed.get(table["filing_indicator"]):
            problems.append(f"{csv_name}: template {table['filing_indicator']} is not filed true")
        rows = _rows(raw)
        expected = ["datapoint", "factValue", *table["open_keys"]]
        if not rows or rows[0] != expected:
            problems.append(f"{csv_name}: header must be {','.join(expected)}")
            continue
        seen: set[tuple[str, ...]] = set()
        for number, row in enumerate(rows[1:], start=2):
            key = (row[0], *row[2:])
            if len(row) != len(expected) or key in seen:
                problems.append(f"{csv_name} row {number}: wrong field count or duplicate fact")
                continue
            seen.add(key)
            allowed = table["variables"].get(row[0])
            if allowed is None:
                problems.append(f"{csv_name} row {number}: {row[0]} is not a datapoint of this table")
            elif allowed and row[1] not in allowed:
                problems.append(f"{csv_name} row {number}: {row[1]} is not an allowed value of {row[0]}")
            elif not allowed and not _DECIMAL.match(row[1]):
                problems.append(f"{csv_name} row {number}: {row[1]!r} is not a plain decimal")
            if len(row) > 2 and row[2] not in members.get(csv_name, set()):
                problems.append(f"{csv_name} row {number}: {row[2]} is not a member of the key column")
    for template, reported in filed.items():
        has_csv = any(t["filing_indicator"] == template and f"reports/{u}" in files for u, t in tables.items())
        if reported and not has_csv and template != "C_00.01":
            problems.append(f"{template}: filed true without data")
    return problems


def xbridge_findings(path: str | Path) -> dict[str, Any]:
    """``eba-xbridge``'s validator with the EBA rules: ``{"errors": {rule: [...]}, "warnings": {...}}``;
    ``{"status": "skipped", "reason": ...}`` when the optional extra is not installed."""
    if not xbridge_available():
        return {"status": "skipped", "reason": XBRIDGE_MISSING}
    from xbridge.validation import validate

    result = validate(str(path), eba=True)
    errors: dict[str, Any] = {}
    warnings: dict[str, Any] = {}
    for section in result.values():
        errors.update(section["errors"])
        warnings.update(section["warnings"])
    return {"errors": errors, "warnings": warnings}


def arelle_findings(path: str | Path) -> dict[str, Any]:
    """Arelle's validation with the operator's EBA taxonomy package, or why it was skipped."""
    taxonomy = os.environ.get("FINTRACK_ARELLE_TAXONOMY", "").strip()
    if not taxonomy:
        return {"status": "skipped", "reason": "FINTRACK_ARELLE_TAXONOMY is not set (no EBA taxonomy package)"}
    if not Path(taxonomy).exists():
        return {"status": "skipped", "reason": f"taxonomy package {taxonomy} does not exist"}
    command = shutil.which("arelleCmdLine")
    if command is None:
        return {"status": "skipped", "reason": "arelleCmdLine is not installed (pip install arelle-release)"}
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "arelle.log"
        run = subprocess.run(
            [command, "--file", str(path), "--packages", taxonomy, "--validate", "--reportPackage",
             "--workOffline", "--logFile", str(log), "--logFormat", "[%(levelname)s] [%(messageCode)s] %(message)s"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        text = log.read_text(encoding="utf-8") if log.exists() else run.stdout + run.stderr
    errors = [line for line in text.splitlines() if line.startswith(("[ERROR]", "[CRITICAL]"))]
    return {"status": "failed" if run.returncode or errors else "passed", "errors": errors, "log": text[-4000:]}
