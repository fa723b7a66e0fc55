"""DOCX documents: simulation report and dossier summary, branded, with page numbers.

python-docx is imported on first use only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from shared.exports.formatting import (
    document_state_label,
    format_amount,
    format_date,
    format_datetime,
    label,
    lang_of,
    yes_no,
)
from shared.exports.models import Branding, DossierSummary, SimulationReport

if TYPE_CHECKING:
    from shared.exports._docx_doc import BrandedDocx


def _money(value: Decimal | None, lang: str) -> str:
    return "" if value is None else format_amount(value, lang)


def _identity(doc: BrandedDocx, reference: str, company: str, siren: str | None) -> list[tuple[str, str]]:
    pairs = [(label("reference", doc.lang), reference)] if reference else []
    pairs.append((label("company", doc.lang), company))
    if siren:
        pairs.append((label("siren", doc.lang), siren))
    return pairs


def simulation_report_docx(report: SimulationReport, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._docx_doc import BrandedDocx, Column

    lang = lang_of(lang)
    title = label("simulation_report", lang)
    doc = BrandedDocx(branding, title, lang, report.simulated_on)
    doc.title_block(title)
    doc.key_values(
        [
            *_identity(doc, report.reference or "", report.company_name, report.siren),
            (label("simulation_date", lang), format_date(report.simulated_on, lang)),
            (label("rule_set", lang), report.rule_set_version),
        ]
    )
    doc.heading(label("products", lang))
    columns = [
        Column(label("product", lang), 26),
        Column(label("eligible", lang), 13),
        Column(label("estimated_amount", lang), 19, "right"),
        Column(label("details", lang), 62),
    ]
    rows = [
        (
            p.name,
            yes_no(p.eligible, lang),
            _money(p.amount, lang),
            "\n".join([p.formula if p.eligible else p.reason, *(f"• {b}" for b in p.benefits)]).strip(),
        )
        for p in report.products
    ]
    doc.table(columns, rows, total=(label("total_estimated", lang), "", format_amount(report.total, lang), ""))
    doc.paragraph(label("disclaimer", lang, version=report.rule_set_version), size=8.5, grey=True, italic=True)
    doc.heading(label("answers", lang))
    doc.table(
        [Column(label("question", lang), 1), Column(label("answer", lang), 1)],
        [(a.question, a.answer) for a in report.answers],
    )
    return doc.render()


def dossier_summary_docx(summary: DossierSummary, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._docx_doc import BrandedDocx, Column

    lang = lang_of(lang)
    title = label("dossier_summary", lang)
    doc = BrandedDocx(branding, title, lang, summary.as_of)
    doc.title_block(title)
    doc.key_values(
        [
            *_identity(doc, summary.reference, summary.company_name, summary.siren),
            (label("product", lang), summary.product),
            (label("status", lang), summary.status_label),
            (label("step", lang), summary.step),
            (label("expert", lang), summary.expert or label("not_assigned", lang)),
        ]
    )
    doc.heading(label("amounts", lang))
    keys = ("estimated", "audited", "obtained", "refunded")
    amounts = (summary.estimated, summary.audited, summary.obtained, summary.refunded)
    doc.table([Column(label(k, lang), 1, "right") for k in keys], [[format_amount(a, lang) for a in amounts]])
    doc.heading(label("documents", lang))
    if summary.documents:
        doc.table(
            [Column(label("document", lang), 3), Column(label("state", lang), 1)],
            [(d.name, document_state_label(d.state, lang)) for d in summary.documents],
        )
    else:
        doc.paragraph(label("nothing", lang), grey=True)
    doc.heading(label("timeline", lang))
    if summary.timeline:
        columns = [Column(label(k, lang), w) for k, w in (("when", 23), ("actor", 20), ("event", 57))]
        doc.table(columns, ((format_datetime(e.at, lang), e.actor, e.event) for e in summary.timeline))
    else:
        doc.paragraph(label("nothing", lang), grey=True)
    return doc.render()
