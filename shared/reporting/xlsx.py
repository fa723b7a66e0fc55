"""The COREP workbook: one sheet per template table (C 07.00: one per exposure class), EBA row and
column codes in the margins, values as numbers, the organization's branding, and the validation
results; marked DRAFT unless the calculation is approved. Same bytes for the same report (the
reproducible writer of ``shared.exports``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from shared.exports._xlsx_book import Book, Row, S, Sheet, note_height
from shared.exports.models import Branding
from shared.reporting.taxonomy import Table
from shared.reporting.templates import Report
from shared.reporting.validation import Finding

__all__ = ["workbook"]

_TEXT = {
    "fr": {
        "draft": "BROUILLON — calcul non approuvé, ne pas remettre",
        "approved": "Approuvé",
        "status": "Statut",
        "reference_date": "Date d'arrêté",
        "basis": "Périmètre",
        "module": "Module",
        "row": "Ligne",
        "label": "Libellé",
        "validation": "Contrôles",
        "rule": "Règle",
        "severity": "Gravité",
        "result": "Résultat",
        "scope": "Portée",
        "message": "Message",
        "comment": "Commentaire",
        "footer": "Codes de lignes et colonnes : cadre de reporting EBA 4.2 (DPM 2.0). Montants en euros.",
    },
    "en": {
        "draft": "DRAFT — calculation not approved, not for submission",
        "approved": "Approved",
        "status": "Status",
        "reference_date": "Reference date",
        "basis": "Basis",
        "module": "Module",
        "row": "Row",
        "label": "Label",
        "validation": "Validation",
        "rule": "Rule",
        "severity": "Severity",
        "result": "Result",
        "scope": "Scope",
        "message": "Message",
        "comment": "Comment",
        "footer": "Row and column codes: EBA reporting framework 4.2 (DPM 2.0). Amounts in euro.",
    },
}


def _head(branding: Branding, title: str, meta: Sequence[tuple[str, str]], header: Sequence[str]) -> list[Row]:
    rows = [Row((branding.organization_name,), S.TITLE, height=22), Row((title,), S.BOLD)]
    rows += [Row((name, value), (S.BOLD, S.TEXT)) for name, value in meta]
    return [*rows, Row(), Row(header, S.HEADER, height=48)]


def _table_sheet(report: Report, table: Table, sheet: str | None, name: str, head: list[Row]) -> Sheet:
    columns = [c for c in table.columns if not c["abstract"]]
    values = {(c.row, c.column): c for c in report.cells.values() if c.table == table.code and c.sheet == sheet}
    body = []
    for row in table.rows:
        cells: list[object] = [row["code"], row["label"]]
        styles: list[int] = [S.TEXT, S.BOLD if row["abstract"] else S.WRAP]
        for column in columns:
            cell = values.get((f"r{row['code']}", f"c{column['code']}"))
            if cell is None:
                cells.append("")
                styles.append(S.DEFAULT)
            elif isinstance(cell.value, Decimal):
                cells.append(cell.value)
                styles.append(S.MONEY if cell.kind == "monetary" else S.DEFAULT)
            else:
                label = next((m["label"] for m in table.enumerations.get(f"{cell.row},{cell.column}", [])
                              if m["code"] == cell.value), cell.value)  # fmt: skip
                cells.append(label)
                styles.append(S.TEXT)
        body.append(Row(cells, styles))
    widths = (8, 60, *[16] * len(columns))
    return Sheet(name=name, widths=widths, head=head, body=body, landscape=len(columns) > 4)


def workbook(
    report: Report, findings: Sequence[Finding], branding: Branding, approved: bool, lang: str = "fr",
    comments: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    """The workbook of ``report``; ``comments``: rule id (or ``id|scope``) → the reviewer's explanation."""
    text = _TEXT["en" if lang == "en" else "fr"]
    status = text["approved"] if approved else text["draft"]
    meta = [
        (text["status"], status), (text["module"], f"{report.module.code} (COREP 4.2)"),
        (text["reference_date"], report.reference_date.isoformat()), (text["basis"], report.basis),
    ]  # fmt: skip
    sheets: list[Sheet] = []
    for table in report.module.tables:
        if not report.filing.get(table.filing_indicator):
            continue
        label = table.code.replace("_", " ")
        if table.key:
            members = sorted({c.sheet for c in report.cells.values() if c.table == table.code and c.sheet})
            for member in members:
                title = f"{label} — {table.name} — {table.sheet_members.get(member, member)}"
                header = [text["row"], text["label"], *[f"c{c['code']}\n{c['label']}" for c in table.columns
                                                         if not c["abstract"]]]  # fmt: skip
                head = _head(branding, title, meta, header)
                name = f"{label[:9]} {member.split(':')[1]}"
                sheets.append(_table_sheet(report, table, member, name, head))
        else:
            title = f"{label} — {table.name}"
            header = [text["row"], text["label"], *[f"c{c['code']}\n{c['label']}" for c in table.columns
                                                     if not c["abstract"]]]  # fmt: skip
            sheets.append(_table_sheet(report, table, None, label[:31], _head(branding, title, meta, header)))
    notes = comments or {}
    widths = (16, 10, 10, 18, 70, 40)
    body = [
        Row(
            (
                f.rule,
                f.severity,
                f.status,
                f.scope or "",
                f.message,
                notes.get(f"{f.rule}|{f.scope}" if f.scope else f.rule, ""),
            ),
            (S.TEXT, S.TEXT, S.BOLD if f.status == "failed" else S.TEXT, S.TEXT, S.WRAP, S.WRAP),
        )
        for f in findings
        if f.status != "skipped"
    ]
    header = [text["rule"], text["severity"], text["result"], text["scope"], text["message"], text["comment"]]
    footer = text["footer"] + (f" {branding.legal_footer}" if branding.legal_footer else "")
    sheets.append(
        Sheet(
            name=text["validation"],
            widths=widths,
            head=_head(branding, f"{report.module.code} — {text['validation']}", meta, header),
            body=body,
            tail=[Row(), Row((footer,), S.NOTE, height=note_height(footer, widths), merge=True)],
        )
    )
    title = f"COREP {report.module.file_code} {report.reference_date.isoformat()}"
    return Book(branding, title, report.reference_date, "en" if lang == "en" else "fr", sheets).render()
