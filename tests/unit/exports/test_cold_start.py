"""Importing the renderers costs nothing: format libraries load on the first render only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_CHILD = """
import sys
import shared.exports, shared.exports.csv, shared.exports.docx, shared.exports.pdf, shared.exports.xlsx
print(" ".join(sorted(m for m in ("fpdf", "docx", "openpyxl", "fontTools", "PIL", "lxml") if m in sys.modules)))
"""


def test_renderer_modules_do_not_import_format_libraries() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
