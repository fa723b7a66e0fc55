"""`fintrack render`: the acceptance contract, through the real console entry point, files re-opened."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.exports.cli import DEMO_BRANDING
from tests.support.exports import docx_brand, docx_text, find_cell, fr, pdf_contents, pdf_rgb, pdf_text, xlsx_book
from tests.support.simulate import TRANSPORT

ROOT = Path(__file__).resolve().parents[3]
ANSWERS = json.dumps(TRANSPORT, ensure_ascii=False)
FOOTER = "Profitum Conseil SAS — 12 rue de la Paix, 75002 Paris — RCS Paris 732 829 320"


def render(stdin: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "infra.cli", "render", *args], input=stdin.encode(),
                          capture_output=True, check=False, timeout=120, cwd=ROOT)  # fmt: skip


def produce(tmp_path: Path, fmt: str, *extra: str) -> bytes:
    out = tmp_path / f"report.{fmt}"
    done = render(ANSWERS, "simulation-report", "--format", fmt, "--out", str(out), "--date", "2026-11-21", *extra)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b"" and done.stderr == b""
    return out.read_bytes()


def test_xlsx(tmp_path: Path) -> None:
    book = xlsx_book(produce(tmp_path, "xlsx", "--company", "Transports Durand"))
    sheet = book["Synthèse"]
    ticpe = find_cell(sheet, "TICPE")
    assert sheet.cell(ticpe.row, 3).value == 12000 and "€" in sheet.cell(ticpe.row, 3).number_format
    assert sheet.cell(find_cell(sheet, "Total des gains estimés").row, 3).value == pytest.approx(179471.36)
    assert find_cell(sheet, "Profitum Conseil").font.color.rgb == "FF1F4E79" and find_cell(sheet, FOOTER)
    assert find_cell(sheet, "Transports Durand")


def test_docx(tmp_path: Path) -> None:
    data = produce(tmp_path, "docx")
    text = docx_text(data)
    assert fr("12 000,00 €") in text and fr("179 471,36 €") in text and "21/11/2026" in text
    assert "Entreprise non précisée" in text and FOOTER in text
    colour, fills, _ = docx_brand(data)
    assert colour == "1F4E79" and "1F4E79" in fills


def test_pdf_in_french_and_english(tmp_path: Path) -> None:
    data = produce(tmp_path, "pdf")
    text = pdf_text(data)
    assert f"TICPE Oui {fr('12 000,00 €')}" in text and f"Total des gains estimés {fr('179 471,36 €')}" in text
    assert "Profitum Conseil" in text and FOOTER in text and pdf_rgb("#1F4E79") in pdf_contents(data)
    english = pdf_text(produce(tmp_path, "pdf", "--lang", "en"))
    assert "Total estimated gains €179,471.36" in english and "2026-11-21" in english


def test_same_answers_same_bytes(tmp_path: Path) -> None:
    for fmt in ("xlsx", "docx", "pdf"):
        first = hashlib.sha256(produce(tmp_path, fmt)).hexdigest()
        assert hashlib.sha256(produce(tmp_path, fmt)).hexdigest() == first, fmt


def test_standard_output(tmp_path: Path) -> None:
    done = render(ANSWERS, "simulation-report", "--format", "pdf", "--out", "-", "--date", "2026-11-21")
    assert done.returncode == 0 and done.stdout == produce(tmp_path, "pdf")


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        (ANSWERS, ("simulation-report", "--format", "odt"), "accepted: xlsx, docx, pdf"),
        (ANSWERS, ("invoice", "--format", "pdf"), "unknown document 'invoice'; accepted: simulation-report"),
        (ANSWERS, ("simulation-report", "--format", "pdf", "--lang", "de"), "accepted: fr, en"),
        ("{not json", ("simulation-report", "--format", "pdf"), "invalid JSON"),
        ("[1]", ("simulation-report", "--format", "pdf"), "expected a JSON object"),
        (json.dumps({"GENERAL_003": -1}), ("simulation-report", "--format", "pdf"), "answers.GENERAL_003"),
        (ANSWERS, ("simulation-report", "--format", "pdf", "--date", "21/11/2026"), "--date"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path: Path, stdin: str, args: tuple[str, ...],
                                                     message: str) -> None:  # fmt: skip
    out = tmp_path / "report.out"
    done = render(stdin, *args, "--out", str(out))
    assert done.returncode == 2 and done.stdout == b""
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_format_and_out_are_required() -> None:
    done = render(ANSWERS, "simulation-report", "--format", "pdf")
    assert done.returncode == 2 and len(done.stderr.decode().strip().splitlines()) == 1


def test_the_demo_branding_is_the_seed_s() -> None:
    seed = (ROOT / "sql" / "seed" / "demo.sql").read_text(encoding="utf-8")
    assert f"('profitum', '{DEMO_BRANDING.organization_name}', '{DEMO_BRANDING.primary_color}', " \
           f"'{DEMO_BRANDING.legal_footer}')" in seed  # fmt: skip


OFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(OFFICE is None, reason="LibreOffice (soffice/libreoffice) is not on PATH")
def test_libreoffice_converts_the_docx_and_xlsx(tmp_path: Path) -> None:
    assert OFFICE is not None
    for fmt in ("docx", "xlsx"):
        source = tmp_path / f"report.{fmt}"
        source.write_bytes(produce(tmp_path, fmt))
        done = subprocess.run(
            [OFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(tmp_path / fmt), str(source)],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        converted = (tmp_path / fmt / "report.pdf").read_bytes()
        assert "TICPE" in pdf_text(converted) and "Profitum Conseil" in pdf_text(converted)
