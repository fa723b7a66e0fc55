"""Report packages: EBA names and structure, eba-xbridge's validator with 0 errors, our own structure
check, determinism by hash, and the CLI contract of `fintrack prudential report`."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.cli import main
from shared.reporting.checks import arelle_findings, structure_findings, xbridge_findings
from shared.reporting.package import PackageError, framework_component, write_package
from shared.reporting.taxonomy import _raw
from shared.reporting.templates import Report
from tests.unit.reporting.conftest import DAY, LEI, RICH, Reports

MODULE_FILES = {"corep_of": "COREPOF", "corep_lr": "COREPLR", "corep_lcr_da": "COREPLCRDA", "corep_nsfr": "COREPNSFR"}
# FrameworkCodeModuleVersion (EBA Filing Rules ≥ 5.4): COREP + the module's DPM version live in release 4.2
FRAMEWORK_MODULE_VERSIONS = {
    "corep_of": "COREP040100",
    "corep_lr": "COREP040100",
    "corep_lcr_da": "COREP030300",
    "corep_nsfr": "COREP030200",
}


@pytest.mark.parametrize("code", list(MODULE_FILES))
def test_each_module_package_has_the_eba_name_and_structure(rich: dict[str, Report], code: str) -> None:
    package = write_package(rich[code], LEI, "FR", "20260415093000123")
    stem = f"{LEI}.CON_FR_{FRAMEWORK_MODULE_VERSIONS[code]}_{MODULE_FILES[code]}_2026-03-31_20260415093000123"
    assert package.name == stem + ".zip"
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    names = archive.namelist()
    assert all(n.startswith(stem + "/") for n in names)
    files = {n.removeprefix(stem + "/"): archive.read(n) for n in names}
    assert json.loads(files["META-INF/reportPackage.json"]) == {
        "documentInfo": {"documentType": "https://xbrl.org/report-package/2023"}
    }
    assert json.loads(files["reports/report.json"]) == {
        "documentInfo": {
            "documentType": "https://xbrl.org/2021/xbrl-csv",
            "extends": [f"http://www.eba.europa.eu/eu/fr/xbrl/crr/fws/corep/4.2/mod/{code}.json"],
        }
    }
    params = files["reports/parameters.csv"].decode().splitlines()
    assert params[:5] == [
        "name,value",
        f"entityID,lei:{LEI}.CON",
        "refPeriod,2026-03-31",
        "baseCurrency,iso4217:EUR",
        "decimalsMonetary,2",
    ]
    indicators = dict(line.split(",") for line in files["reports/FilingIndicators.csv"].decode().splitlines()[1:])
    for template, filed in rich[code].filing.items():
        assert indicators[template] == ("true" if filed else "false")
        tables = [t for t in rich[code].module.tables if t.filing_indicator == template]
        for table in tables:
            assert (f"reports/{table.csv_name}" in files) == (
                filed and any(c.table == table.code for c in rich[code].cells.values())
            )
    assert "C_04.00" in indicators or code != "corep_of"  # every template of the module, filed or not
    assert structure_findings(package.content, package.name) == []


@pytest.mark.parametrize("code", list(MODULE_FILES))
def test_eba_xbridge_validates_each_module_with_zero_errors(rich: dict[str, Report], code: str, tmp_path: Path) -> None:
    package = write_package(rich[code], LEI, "FR")
    path = tmp_path / package.name
    path.write_bytes(package.content)
    found = xbridge_findings(path)
    assert found == {"errors": {}, "warnings": {}}


def test_the_file_name_carries_the_module_version_of_the_dpm_and_of_eba_xbridges_module() -> None:
    """FrameworkCodeModuleVersion: the module's version (XXYYZZ), not the taxonomy release 4.2.0 — the
    EBA's own samples name a PILLAR3 module 1.0.0 of taxonomy 4.1 ``PILLAR3010000``."""
    import xbridge

    for code, expected in FRAMEWORK_MODULE_VERSIONS.items():
        assert framework_component(code) == expected
        version = _raw()["module_versions"][code]["version"]
        assert expected == "COREP" + "".join(f"{int(p):02d}" for p in version.split("."))
        # the same module (entry point and reference dates) as the pinned eba-xbridge's framework 4.2 mapping
        shipped = json.loads((Path(xbridge.__file__).with_name("modules") / f"{code}_corep_4.2.json").read_text())
        assert shipped["url"].endswith(f"/corep/4.2/mod/{code}.json")
        assert shipped["from"] == _raw()["module_versions"][code]["from"]
        assert re.match(r"^[A-Z][A-Z0-9]+\d{6}$", expected)  # eba-xbridge's EBA-NAME-030 pattern
    assert framework_component("corep_lcr_da") != "COREP040200"


def test_the_checks_catch_a_tampered_package(rich: dict[str, Report], tmp_path: Path) -> None:
    package = write_package(rich["corep_lcr_da"], LEI, "FR")
    stem = package.name.removesuffix(".zip")
    source = zipfile.ZipFile(io.BytesIO(package.content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("c_72.00.a.csv"):
                data = data.replace(b"dp143448,", b"dp999999999,", 1)
            target.writestr(item, data)
        target.writestr(f"{stem}/reports/c_75.01.a.csv", b"datapoint,factValue\n")  # C_75.01 is filed false
    path = tmp_path / package.name
    path.write_bytes(out.getvalue())
    problems = structure_findings(out.getvalue(), package.name)
    assert any("dp999999999 is not a datapoint" in p for p in problems)
    assert any("C_75.01 is not filed true" in p for p in problems)
    assert "CSV-049" in xbridge_findings(path)["errors"]


@pytest.mark.parametrize("code", list(MODULE_FILES))
def test_same_report_same_bytes_other_timestamp_other_bytes(
    reports: Reports, rich: dict[str, Report], code: str
) -> None:
    first = write_package(rich[code], LEI, "FR")
    second = write_package(reports(RICH)[code], LEI, "FR")  # built again from the same input
    assert hashlib.sha256(first.content).hexdigest() == hashlib.sha256(second.content).hexdigest()
    assert first.name.endswith("_20260331000000000.zip")
    assert write_package(rich[code], LEI, "FR", "20260401000000000").content != first.content


@pytest.mark.parametrize(
    ("lei", "country", "stamp", "field"),
    [
        ("529900T8BM49AURSDO56", "FR", None, "lei"),
        ("529900t8bm49aursdo55", "FR", None, "lei"),
        (LEI, "fr", None, "country"),
        (LEI, "FR", "2026", "timestamp"),
        (LEI, "FR", "20261340000000000", "timestamp"),
    ],
)
def test_bad_settings_name_their_field(
    rich: dict[str, Report], lei: str, country: str, stamp: str | None, field: str
) -> None:
    with pytest.raises(PackageError) as caught:
        write_package(rich["corep_of"], lei, country, stamp)
    assert caught.value.field == field


def test_arelle_is_skipped_with_its_reason_without_a_taxonomy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FINTRACK_ARELLE_TAXONOMY", raising=False)
    assert arelle_findings(tmp_path / "x.zip")["reason"].startswith("FINTRACK_ARELLE_TAXONOMY is not set")
    monkeypatch.setenv("FINTRACK_ARELLE_TAXONOMY", str(tmp_path / "missing.zip"))
    assert "does not exist" in arelle_findings(tmp_path / "x.zip")["reason"]


# --- CLI contract -------------------------------------------------------------------------------


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["prudential", "report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def args(out: Path, fmt: str = "xbrl-csv", module: str = "corep_of", *more: str) -> list[str]:
    return [
        "--format",
        fmt,
        "--module",
        module,
        "--lei",
        LEI,
        "--country",
        "FR",
        "--basis",
        "CON",
        "--out",
        str(out),
        *more,
    ]


@pytest.mark.parametrize(
    ("fmt", "module", "suffix"),
    [
        ("xbrl-csv", "corep_of", "COREP040100_COREPOF_2026-03-31_20260331000000000.zip"),
        ("xlsx", "corep_nsfr", "COREP030200_COREPNSFR_2026-03-31_20260331000000000.xlsx"),
    ],
)
def test_cli_writes_the_file_under_its_eba_name_and_prints_its_path(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fmt: str,
    module: str,
    suffix: str,
) -> None:
    code, out, err = cli(monkeypatch, capsys, json.dumps(RICH), *args(tmp_path / "a", fmt, module))
    assert (code, err) == (0, "")
    path = Path(out.strip())
    assert path.name == f"{LEI}.CON_FR_{suffix}" and path.parent == tmp_path / "a"
    code, again, _ = cli(monkeypatch, capsys, json.dumps(RICH), *args(tmp_path / "b", fmt, module))
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(Path(again.strip()).read_bytes()).digest()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [path.name]


def test_cli_error_rule_exits_2_listing_the_rules_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = {
        "reference_date": "2026-03-31",
        "own_funds": {"cet1_instruments": "100", "goodwill": "500"},
        "exposures": [{"id": "a", "class": "corporate", "amount": 1000}],
    }
    code, out, err = cli(monkeypatch, capsys, json.dumps(doc), *args(tmp_path))
    assert (code, out) == (2, "")
    assert err == "validation: ERROR rules failed: sign\n"
    assert not (tmp_path).exists() or list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "extra", "line"),
    [
        (
            '{"reference_date": "2026-03-31", "exposures": [{"id": "a", "class": "corporate", "cqs": 9}]}',
            [],
            "exposures[0].cqs: must be an integer 1..6",
        ),
        ("[]", [], "input: must be one JSON object (one calculation per report)"),
        ("{", [], "input: invalid JSON"),
        (
            '{"reference_date": "2025-12-31", "exposures": [{"id": "a", "class": "corporate", "amount": 1}]}',
            [],
            "reference_date: module corep_of of framework 4.2 does not apply",
        ),
        ('{"reference_date": "2026-03-31"}', [], "own_funds: required for module corep_of (or exposures)"),
        ('{"reference_date": "2026-03-31"}', ["--timestamp", "12"], "--timestamp: must be YYYYMMDDhhmmssfff"),
        ('{"reference_date": "2026-03-31"}', ["--module", "corep_lr"], "leverage: required for module corep_lr"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    text: str,
    extra: list[str],
    line: str,
) -> None:
    base = args(tmp_path)
    if "--module" in extra:
        base[3] = extra[1]
        extra = []
    code, out, err = cli(monkeypatch, capsys, text, *base, *extra)
    assert (code, out) == (2, "")
    assert err.startswith(line) and err.count("\n") == 1
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_v19_c01_csv_iff_reported_and_ratios_as_fractions(reports: Reports) -> None:
    v11 = {
        "own_funds": {"cet1_instruments": "1200", "at1_instruments": "200", "t2_instruments": "300"},
        "other_risks": {"other_rwa": "10000"},
    }
    with_capital = reports(v11)["corep_of"]
    files = _files(write_package(with_capital, LEI, "FR"))
    ratio_dp = with_capital.cells[("C_03.00", None, "r0010", "c0010")].datapoint
    assert f"{ratio_dp},0.120000" in files["reports/c_03.00.csv"].decode().splitlines()
    assert "C_01.00,true" in files["reports/FilingIndicators.csv"].decode().splitlines()
    assert "reports/c_01.00.csv" in files
    without = reports({"exposures": [{"id": "a", "class": "corporate", "amount": 10}]})["corep_of"]
    files = _files(write_package(without, LEI, "FR"))
    assert "C_01.00,false" in files["reports/FilingIndicators.csv"].decode().splitlines()
    assert "reports/c_01.00.csv" not in files and "reports/c_07.00.a.csv" in files


def _files(package: Any) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    stem = package.name.removesuffix(".zip")
    return {n.removeprefix(stem + "/"): archive.read(n) for n in archive.namelist()}


# --- eba-xbridge is an optional extra -----------------------------------------------------------

_WITHOUT_XBRIDGE = """
import json, sys
sys.modules["xbridge"] = None  # as if the optional `reporting` extra were not installed
from shared.prudential.engine import calculate
from shared.prudential.models import validate_input
from shared.prudential.rules import load_rule_set
from shared.reporting import checks, cli, package, service, templates, validation, xlsx
rules = load_rule_set("CRR3-2025.1")
inp = validate_input({"reference_date": sys.argv[2], **json.loads(sys.stdin.read())}, rules)
reports = templates.build(inp, calculate(inp, rules), rules, "CON")
out = {}
for code, report in reports.items():
    made = package.write_package(report, sys.argv[1], "FR")
    out[code] = [made.name, made.content.hex(), checks.structure_findings(made.content, made.name),
                 validation.errors(validation.evaluate(report)) == []]
out["xbridge"] = checks.xbridge_findings("x.zip")
import io, zipfile
made = package.write_package(reports["corep_lcr_da"], sys.argv[1], "FR")
source, tampered = zipfile.ZipFile(io.BytesIO(made.content)), io.BytesIO()
with zipfile.ZipFile(tampered, "w") as target:
    for item in source.infolist():
        data = source.read(item)
        target.writestr(item, data.replace(b"dp", b"dp999", 1) if item.filename.endswith("c_73.00.a.csv") else data)
out["tampered"] = checks.structure_findings(tampered.getvalue(), made.name)
heavy = [m for m in ("xbridge", "pandas", "numpy", "lxml") if sys.modules.get(m) is not None]
out["heavy"] = heavy
print(json.dumps(out))
"""


def test_templates_packages_and_structure_checks_work_without_eba_xbridge(rich: dict[str, Report]) -> None:
    import subprocess

    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_XBRIDGE, LEI, DAY], input=json.dumps(RICH), capture_output=True, text=True,
        check=False, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out.pop("heavy") == []  # nothing on the production path imports pandas, numpy or lxml
    assert out.pop("xbridge") == {
        "status": "skipped",
        "reason": "eba-xbridge is not installed (pip install 'fintrack[reporting]')",
    }
    assert any("is not a datapoint of this table" in p for p in out.pop("tampered"))
    for code, (name, content, problems, valid) in out.items():
        assert problems == [] and valid, code
        # the same bytes as with eba-xbridge installed
        made = write_package(rich[code], LEI, "FR")
        assert (name, bytes.fromhex(content)) == (made.name, made.content)
    assert structure_findings(made.content, made.name) == []
