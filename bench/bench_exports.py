"""Export renderers against the naive use of the same library, in the same run.

Targets (2 cores): 10 000-row dossier list XLSX ≤ 0.5 s and ≤ half of naive openpyxl; 2 000-row
dossier list PDF ≤ 0.3 s (fpdf2 ``table()`` ≈ 3 s); 500-row DOCX table ≤ 0.2 s; 100 000-row XLSX
under 150 MB peak RSS (measured in a fresh subprocess). Times are the best of a few warm runs.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import write
from shared.exports import docx as docx_export
from shared.exports import pdf as pdf_export
from shared.exports import xlsx as xlsx_export
from shared.exports._dossiers import headers
from shared.exports.formatting import format_amount, format_date
from shared.exports.models import (
    Branding,
    DocumentItem,
    DossierList,
    DossierRow,
    DossierSummary,
    TimelineEvent,
)

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 21)
BRANDING = Branding("Conseil Durand & Associés", "#1F4E79", "SAS au capital de 10 000 € — RCS Lyon 123 456 789")
# (code, French label) as public.dossier_statuses has them: the exports read labels from the database
STATUSES = (
    ("pending_upload", "Documents d'éligibilité à déposer"),
    ("audit_in_progress", "Audit en cours"),
    ("claim_filed", "Réclamation déposée"),
    ("closed", "Clôturé"),
    ("expert_assigned", "Expert attribué"),
)


def rows(count: int) -> Iterator[DossierRow]:
    for i in range(count):
        yield DossierRow(
            reference=f"D-{i:07d}",
            company=f"Société {i % 5000} SARL",
            product=("TICPE", "URSSAF", "Foncier", "MSA")[i % 4],
            status=STATUSES[i % 5][0],
            status_label=STATUSES[i % 5][1],
            expert=None if i % 7 == 0 else f"Expert {i % 40}",
            estimated=Decimal(i % 100_000) + Decimal("0.25"),
            audited=Decimal(i % 50_000) if i % 3 else None,
            obtained=Decimal(i % 20_000) if i % 5 == 0 else None,
            created_on=DAY - timedelta(days=i % 700),
            updated_on=DAY - timedelta(days=i % 30),
            priority=1 + i % 3,
        )


def best(block: Callable[[], object], runs: int) -> float:
    block()  # warm-up: imports, font parsing caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        block()
        times.append(time.perf_counter() - started)
    return round(min(times), 4)


def naive_xlsx(count: int) -> bytes:
    """openpyxl as the documentation shows it: a normal workbook, cell by cell, then save."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers("fr"))
    for row_number, d in enumerate(rows(count), start=2):
        values = (d.reference, d.company, d.product, d.status_label, d.expert, d.priority, d.estimated)
        for column, value in enumerate((*values, d.audited, d.obtained, d.created_on, d.updated_on), start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            if 7 <= column <= 9:
                cell.number_format = '#,##0.00\\ "€"'
            elif column >= 10:
                cell.number_format = "dd/mm/yyyy"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cells(d: DossierRow) -> tuple[str, ...]:
    def money(value: Decimal | None) -> str:
        return "" if value is None else format_amount(value)

    return (
        d.reference,
        d.company,
        d.product,
        d.status_label,
        d.expert or "",
        str(d.priority),
        money(d.estimated),
        money(d.audited),
        money(d.obtained),
        format_date(d.created_on),
        format_date(d.updated_on),
    )


def naive_pdf(count: int) -> bytes:
    """fpdf2's own ``table()`` on the same rows, fonts and page format."""
    from shared.exports._pdf_doc import BrandedPDF

    pdf = BrandedPDF(BRANDING, "Liste des dossiers", "fr", DAY, landscape=True)
    pdf.add_page()
    pdf.set_font("DejaVuSans", size=7.5)
    with pdf.table(col_widths=(13, 24, 14, 17, 15, 8, 14, 14, 14, 12, 12)) as table:
        table.row(headers("fr"))
        for d in rows(count):
            table.row(_cells(d))
    return bytes(pdf.output())


def summary(events: int) -> DossierSummary:
    timeline = tuple(
        TimelineEvent(datetime(2026, 1, 1, 8) + timedelta(minutes=i), f"Expert {i % 9}", f"Document n°{i} validé")
        for i in range(events)
    )
    return DossierSummary(
        "D-0000042", "Transports Martin SARL", "123456789", "TICPE", "audit_in_progress", "Audit en cours",
        "Audit (4/8)", "Jean Dupont", Decimal("12000"), None, None, (DocumentItem("Kbis", "validated"),), timeline, DAY,
    )  # fmt: skip


def naive_docx(events: int) -> bytes:
    """python-docx's documented way: ``add_table`` then ``add_row`` and ``cell.text`` per cell."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    for cell, title in zip(table.rows[0].cells, ("Date", "Acteur", "Événement"), strict=True):
        cell.text = title
    for event in summary(events).timeline:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = f"{event.at:%d/%m/%Y %H:%M}", event.actor, event.event
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux: VmHWM, because ``ru_maxrss`` survives ``exec`` and
    would report the parent's peak in a freshly spawned child."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def memory_child(count: int) -> dict[str, Any]:
    """Runs in a fresh interpreter: peak RSS before and after rendering ``count`` rows to XLSX."""
    before = peak_rss_mb()
    started = time.perf_counter()
    data = xlsx_export.dossier_list_xlsx(DossierList(rows(count), DAY), BRANDING)
    seconds = time.perf_counter() - started
    return {"rows": count, "seconds": round(seconds, 3), "bytes": len(data),
            "peak_rss_mb": peak_rss_mb(), "rss_before_render_mb": before}  # fmt: skip


def memory(count: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_exports", "--memory", str(count)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return dict(json.loads(result.stdout))


def main() -> None:
    big = memory(100_000)  # first, while this process is still small
    ours_xlsx = best(lambda: xlsx_export.dossier_list_xlsx(DossierList(rows(10_000), DAY), BRANDING), 5)
    naive_xlsx_s = best(lambda: naive_xlsx(10_000), 2)
    ours_pdf = best(lambda: pdf_export.dossier_list_pdf(DossierList(rows(2_000), DAY), BRANDING), 5)
    naive_pdf_s = best(lambda: naive_pdf(2_000), 1)
    ours_docx = best(lambda: docx_export.dossier_summary_docx(summary(500), BRANDING), 5)
    naive_docx_s = best(lambda: naive_docx(500), 3)
    figures = {
        "dossier_list_xlsx_10000_rows": {"ours_s": ours_xlsx, "naive_openpyxl_s": naive_xlsx_s,
                                          "ratio": round(ours_xlsx / naive_xlsx_s, 3), "target_s": 0.5},
        "dossier_list_pdf_2000_rows": {"ours_s": ours_pdf, "fpdf2_table_s": naive_pdf_s,
                                        "ratio": round(ours_pdf / naive_pdf_s, 3), "target_s": 0.3},
        "dossier_summary_docx_500_row_table": {"ours_s": ours_docx, "python_docx_add_row_s": naive_docx_s,
                                                "ratio": round(ours_docx / naive_docx_s, 3), "target_s": 0.2},
        "dossier_list_xlsx_100000_rows_memory": {**big, "target_peak_rss_mb": 150},
    }  # fmt: skip
    write("exports", figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        print(json.dumps(memory_child(int(sys.argv[2]))))
    else:
        main()
