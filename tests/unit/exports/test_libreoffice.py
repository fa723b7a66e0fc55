"""An independent office suite opens our DOCX and XLSX: LibreOffice headless converts them to PDF.

Skipped when neither ``soffice`` nor ``libreoffice`` is on PATH (it is not a project dependency).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from shared.exports.docx import dossier_summary_docx, simulation_report_docx
from shared.exports.models import Branding, Comparison, DossierList, DossierSummary, SimulationReport
from shared.exports.xlsx import comparison_xlsx, dossier_list_xlsx, simulation_report_xlsx

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(OFFICE is None, reason="LibreOffice (soffice/libreoffice) is not on PATH")


def convert(tmp_path: Path, name: str, data: bytes) -> str:
    assert OFFICE is not None
    source = tmp_path / name
    source.write_bytes(data)
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run(
        [
            OFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = source.with_suffix(".pdf")
    assert output.is_file() and output.stat().st_size > 0, result.stdout + result.stderr
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(output.read_bytes())).pages)


def test_docx_documents_convert(
    tmp_path: Path, report: SimulationReport, summary: DossierSummary, branding: Branding
) -> None:
    assert "Transports Martin SARL" in convert(tmp_path, "report.docx", simulation_report_docx(report, branding))
    assert "Audit en cours" in convert(tmp_path, "summary.docx", dossier_summary_docx(summary, branding))


def test_xlsx_documents_convert(
    tmp_path: Path,
    report: SimulationReport,
    comparison: Comparison,
    dossiers: Callable[..., DossierList],
    branding: Branding,
) -> None:
    assert "TICPE" in convert(tmp_path, "report.xlsx", simulation_report_xlsx(report, branding))
    assert "URSSAF" in convert(tmp_path, "comparison.xlsx", comparison_xlsx(comparison, branding))
    assert "D-000001" in convert(tmp_path, "dossiers.xlsx", dossier_list_xlsx(dossiers(count=20), branding))
