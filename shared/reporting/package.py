"""EBA xBRL-CSV report packages (banking.md §6.2), byte-identical for the same report and timestamp.

``<LEI>.<CON|IND>_<CC>_COREP<XXYYZZ>_<MODULE>_<YYYY-MM-DD>_<YYYYMMDDhhmmssfff>.zip`` holding one folder of
that name with ``META-INF/reportPackage.json``, ``reports/report.json`` (extends exactly the module's
framework 4.2 entry point, no local tables), ``reports/parameters.csv``, ``reports/FilingIndicators.csv``
(every template of the module, true or false) and one ``reports/<table>.csv`` per table of a template
filed true (``datapoint,factValue`` plus the key column of open tables). Zip entries have a fixed
order, timestamp and permissions, so the bytes depend on the content only.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.reporting.taxonomy import FRAMEWORK, _raw
from shared.reporting.templates import Report

__all__ = ["DECIMALS", "Package", "file_stem", "write_package"]

#: decimals parameters (PRUDENTIAL.md §Reporting): amounts to the cent, ratios to 6 decimals.
DECIMALS = {"decimalsInteger": "0", "decimalsMonetary": "2", "decimalsPercentage": "6"}
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_TIMESTAMP = re.compile(r"^\d{17}$")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """A setting the EBA naming rules reject; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def lei_check_digits_ok(lei: str) -> bool:
    """ISO 17442 / ISO 7064 MOD 97-10: the 20-character LEI read as a number is ≡ 1 mod 97."""
    digits = "".join(str(int(ch, 36)) for ch in lei)
    return int(digits) % 97 == 1


def check_settings(lei: str, country: str, basis: str, timestamp: str | None) -> None:
    if not _LEI.match(lei):
        raise PackageError("lei", "must be 20 characters: 18 upper-case letters or digits, then 2 check digits")
    if not lei_check_digits_ok(lei):
        raise PackageError("lei", "check digits do not verify (ISO 17442, MOD 97-10)")
    if not _COUNTRY.match(country):
        raise PackageError("country", "must be an ISO 3166-1 alpha-2 code in upper case")
    if basis not in ("CON", "IND"):
        raise PackageError("basis", "must be CON or IND")
    if timestamp is None:
        return
    if not _TIMESTAMP.match(timestamp):
        raise PackageError("timestamp", "must be YYYYMMDDhhmmssfff (17 digits)")
    try:
        datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S")
    except ValueError:
        raise PackageError("timestamp", "is not a valid date and time") from None


def default_timestamp(reference_date: date) -> str:
    """The reference date at 00:00:00.000: two runs on the same input give the same bytes."""
    return reference_date.strftime("%Y%m%d") + "000000000"


def framework_component(code: str) -> str:
    """``COREP030300`` for ``corep_lcr_da``: the framework code in upper case + the module's version as
    XXYYZZ. EBA Filing Rules (since v5.4) name this component *FrameworkCodeModuleVersion*: the version
    of the module (DPM ``ModuleVersion.VersionNumber`` live in release 4.2, kept in ``dpm_4_2.json``:
    corep_of 4.1.0, corep_lr 4.1.0, corep_lcr_da 3.3.0, corep_nsfr 3.2.0), not the taxonomy release."""
    version: str = _raw()["module_versions"][code]["version"]
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{FRAMEWORK.upper()}{major:02d}{minor:02d}{patch:02d}"


def file_stem(report: Report, lei: str, country: str, timestamp: str) -> str:
    return "_".join(
        (
            f"{lei}.{report.basis}",
            country,
            framework_component(report.module.code),
            report.module.file_code,
            report.reference_date.isoformat(),
            timestamp,
        )
    )


def module_templates(code: str) -> list[str]:
    templates: list[str] = _raw()["module_versions"][code]["templates"]
    return templates


def module_applies(code: str, reference_date: date) -> bool:
    info = _raw()["module_versions"][code]
    start = date.fromisoformat(info["from"])
    end = date.fromisoformat(info["to"]) if info["to"] else None
    return start <= reference_date and (end is None or reference_date <= end)


def _csv(rows: list[list[str]]) -> bytes:
    return "".join(",".join(row) + "\n" for row in rows).encode("utf-8")


def _value(value: Any) -> str:
    return value if isinstance(value, str) else format(value, "f")


@dataclass(frozen=True)
class Package:
    name: str  # the .zip file name
    content: bytes


def files(report: Report, lei: str) -> dict[str, bytes]:
    """Path inside the top-level folder → bytes."""
    module = report.module
    out: dict[str, bytes] = {
        "META-INF/reportPackage.json": json.dumps(
            {"documentInfo": {"documentType": "https://xbrl.org/report-package/2023"}}, indent=2
        ).encode()
        + b"\n",
        "reports/report.json": json.dumps(
            {"documentInfo": {"documentType": "https://xbrl.org/2021/xbrl-csv", "extends": [module.entry_point]}},
            indent=2,
        ).encode()
        + b"\n",
    }
    kinds = {c.kind for c in report.cells.values()}
    params = [["name", "value"], ["entityID", f"lei:{lei}.{report.basis}"],
              ["refPeriod", report.reference_date.isoformat()], ["baseCurrency", "iso4217:EUR"]]  # fmt: skip
    if "integer" in kinds:
        params.append(["decimalsInteger", DECIMALS["decimalsInteger"]])
    if "monetary" in kinds:
        params.append(["decimalsMonetary", DECIMALS["decimalsMonetary"]])
    if "percentage" in kinds:
        params.append(["decimalsPercentage", DECIMALS["decimalsPercentage"]])
    out["reports/parameters.csv"] = _csv(params)
    indicators = [["templateID", "reported"]]
    for template in module_templates(module.code):
        indicators.append([template, "true" if report.filing.get(template) else "false"])
    out["reports/FilingIndicators.csv"] = _csv(indicators)
    for table in module.tables:
        if not report.filing.get(table.filing_indicator):
            continue  # no CSV for a template filed false (Filing Rules v5.8)
        cells = [c for c in report.cells.values() if c.table == table.code]
        if not cells:
            continue
        if table.key:
            rows = sorted([[c.datapoint, _value(c.value), c.sheet or ""] for c in cells])
            header = ["datapoint", "factValue", table.key["column"]]
        else:
            rows = sorted([[c.datapoint, _value(c.value)] for c in cells])
            header = ["datapoint", "factValue"]
        out[f"reports/{table.csv_name}"] = _csv([header, *rows])
    return out


def write_package(report: Report, lei: str, country: str, timestamp: str | None = None) -> Package:
    """The report package of ``report``; ``PackageError`` for a bad LEI, country or timestamp."""
    stamp = timestamp or default_timestamp(report.reference_date)
    check_settings(lei, country, report.basis, stamp)
    stem = file_stem(report, lei, country, stamp)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in files(report, lei).items():
            info = zipfile.ZipInfo(f"{stem}/{path}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return Package(f"{stem}.zip", buffer.getvalue())
