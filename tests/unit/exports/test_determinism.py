"""Same data, same bytes: every document rendered twice (and in a fresh process) hashes the same."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.exports import csv, docx, pdf, xlsx
from shared.exports.models import Branding, Comparison, DossierList, DossierSummary, SimulationReport

ROOT = Path(__file__).resolve().parents[3]


def renders(
    report: SimulationReport,
    comparison: Comparison,
    dossiers: Callable[..., DossierList],
    summary: DossierSummary,
    branding: Branding,
) -> dict[str, Callable[[], bytes]]:
    return {
        "report.xlsx": lambda: xlsx.simulation_report_xlsx(report, branding),
        "report.docx": lambda: docx.simulation_report_docx(report, branding),
        "report.pdf": lambda: pdf.simulation_report_pdf(report, branding),
        "comparison.xlsx": lambda: xlsx.comparison_xlsx(comparison, branding),
        "comparison.pdf": lambda: pdf.comparison_pdf(comparison, branding),
        "dossiers.xlsx": lambda: xlsx.dossier_list_xlsx(dossiers(count=50), branding),
        "dossiers.csv": lambda: csv.dossier_list_csv(dossiers(count=50), branding),
        "dossiers.pdf": lambda: pdf.dossier_list_pdf(dossiers(count=50), branding),
        "summary.pdf": lambda: pdf.dossier_summary_pdf(summary, branding),
        "summary.docx": lambda: docx.dossier_summary_docx(summary, branding),
    }


def test_two_renders_are_byte_identical(
    report: SimulationReport,
    comparison: Comparison,
    dossiers: Callable[..., DossierList],
    summary: DossierSummary,
    branding: Branding,
) -> None:
    for name, render in renders(report, comparison, dossiers, summary, branding).items():
        first, second = render(), render()
        assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest(), name


_CHILD = """
import hashlib, pickle, sys, time
time.time = lambda: 4_102_444_800.0  # the clock says 2100: nothing may depend on it
from shared.exports import docx, pdf, xlsx
report, summary, branding = pickle.loads(sys.stdin.buffer.read())
for data in (xlsx.simulation_report_xlsx(report, branding), docx.simulation_report_docx(report, branding),
             pdf.simulation_report_pdf(report, branding), pdf.dossier_summary_pdf(summary, branding)):
    print(hashlib.sha256(data).hexdigest())
"""


def test_renders_do_not_depend_on_the_process(
    report: SimulationReport, summary: DossierSummary, branding: Branding
) -> None:
    """A fresh interpreter, another hash seed and another clock give the same bytes."""
    expected = [
        hashlib.sha256(data).hexdigest()
        for data in (
            xlsx.simulation_report_xlsx(report, branding),
            docx.simulation_report_docx(report, branding),
            pdf.simulation_report_pdf(report, branding),
            pdf.dossier_summary_pdf(summary, branding),
        )
    ]
    result = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=pickle.dumps((report, summary, branding)),
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == expected


@pytest.mark.parametrize("name", ["xlsx", "docx", "pdf"])
def test_different_data_gives_different_bytes(report: SimulationReport, branding: Branding, name: str) -> None:
    import dataclasses

    render = {
        "xlsx": xlsx.simulation_report_xlsx,
        "docx": docx.simulation_report_docx,
        "pdf": pdf.simulation_report_pdf,
    }
    other = dataclasses.replace(report, company_name="Autre SARL")
    assert render[name](report, branding) != render[name](other, branding)
