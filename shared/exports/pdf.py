"""PDF documents: simulation report, comparison, dossier list, dossier summary.

Every page carries the organization's header (logo, name, document title) and footer (legal text,
"Page n / N"); text is set in the bundled DejaVu Sans. fpdf2 is imported on first use only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from shared.exports._dossiers import Totals, describe_filters, headers
from shared.exports.formatting import (
    document_state_label,
    format_amount,
    format_date,
    format_datetime,
    format_decimal,
    label,
    lang_of,
    yes_no,
)
from shared.exports.models import (
    Branding,
    Comparison,
    DossierList,
    DossierRow,
    DossierSummary,
    KpiLine,
    KpiReport,
    SimulationReport,
)

if TYPE_CHECKING:
    from shared.exports._pdf_doc import BrandedPDF


def _money(value: Decimal | None, lang: str) -> str:
    """An amount in a table cell: empty when unknown."""
    return "" if value is None else format_amount(value, lang)


def _output(pdf: BrandedPDF) -> bytes:
    return bytes(pdf.output())


def _company(pdf: BrandedPDF, company: str, siren: str | None, *more: tuple[str, str], reference: str = "") -> None:
    pairs = [(label("reference", pdf.lang), reference)] if reference else []
    pairs.append((label("company", pdf.lang), company))
    if siren:
        pairs.append((label("siren", pdf.lang), siren))
    pdf.key_values([*pairs, *more])


def simulation_report_pdf(report: SimulationReport, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._pdf_doc import BrandedPDF, Column

    lang = lang_of(lang)
    pdf = BrandedPDF(branding, label("simulation_report", lang), lang, report.simulated_on)
    pdf.add_page()
    _company(
        pdf,
        report.company_name,
        report.siren,
        (label("simulation_date", lang), format_date(report.simulated_on, lang)),
        (label("rule_set", lang), report.rule_set_version),
        reference=report.reference or "",
    )
    pdf.heading(label("products", lang))
    columns = [
        Column(label("product", lang), 28, wrap=True),
        Column(label("eligible", lang), 11),
        Column(label("estimated_amount", lang), 19, "R"),
        Column(label("details", lang), 62, wrap=True),
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
    total = (label("total_estimated", lang), "", format_amount(report.total, lang), "")
    pdf.data_table(columns, rows, total=total)
    pdf.paragraph(label("disclaimer", lang, version=report.rule_set_version), size=8, grey=True)
    pdf.heading(label("answers", lang))
    pdf.data_table(
        [Column(label("question", lang), 1, wrap=True), Column(label("answer", lang), 1, wrap=True)],
        [(a.question, a.answer) for a in report.answers],
    )
    return _output(pdf)


def comparison_pdf(comparison: Comparison, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._pdf_doc import BrandedPDF, Column

    lang = lang_of(lang)
    pdf = BrandedPDF(branding, label("comparison", lang), lang, comparison.compared_on)
    pdf.add_page()
    _company(
        pdf,
        comparison.company_name,
        comparison.siren,
        (label("comparison_date", lang), format_date(comparison.compared_on, lang)),
        (label("rule_set", lang), comparison.rule_set_version),
    )
    pdf.heading(label("products", lang))
    keys = ("eligible_before", "amount_before", "eligible_after", "amount_after")
    columns = [
        Column(label("product", lang), 30, wrap=True),
        *(Column(label(k, lang), 13) if k.startswith("eligible") else Column(label(k, lang), 19, "R") for k in keys),
        Column(label("delta", lang), 19, "R"),
    ]
    rows = [
        (
            p.name,
            yes_no(p.old_eligible, lang),
            _money(p.old_amount, lang),
            yes_no(p.new_eligible, lang),
            _money(p.new_amount, lang),
            format_amount(p.delta, lang, signed=True),
        )
        for p in comparison.products
    ]
    total = (label("total", lang), "", _money(comparison.old_total, lang), "", _money(comparison.new_total, lang))
    pdf.data_table(columns, rows, total=(*total, format_amount(comparison.delta_total, lang, signed=True)))
    pdf.heading(label("answers", lang))
    widths = (("question", 40), ("before", 30), ("after", 30))
    answer_columns = [Column(label(k, lang), w, wrap=True) for k, w in widths]
    answer_columns.append(Column(label("changed", lang), 12))
    changes = [(c.question, c.old or "", c.new or "", yes_no(c.changed, lang)) for c in comparison.answer_changes()]
    pdf.data_table(answer_columns, changes)
    return _output(pdf)


def _dossier_cells(rows: Iterable[DossierRow], lang: str, totals: Totals) -> Iterator[tuple[str, ...]]:
    for d in map(totals.add, rows):
        yield (
            d.reference,
            d.company,
            d.product,
            d.status_label,
            d.expert or "",
            "" if d.priority is None else str(d.priority),
            _money(d.estimated, lang),
            _money(d.audited, lang),
            _money(d.obtained, lang),
            format_date(d.created_on, lang),
            format_date(d.updated_on, lang),
        )


def dossier_list_pdf(dossiers: DossierList, branding: Branding, lang: str = "fr") -> bytes:
    """Every dossier in one landscape table (rows streamed), totals and count at the end."""
    from shared.exports._pdf_doc import BrandedPDF, Column

    lang = lang_of(lang)
    pdf = BrandedPDF(branding, label("dossier_list", lang), lang, dossiers.generated_on, landscape=True)
    pdf.add_page()
    pdf.key_values(
        [
            (label("issued_on", lang), format_date(dossiers.generated_on, lang)),
            (label("filters", lang), describe_filters(dossiers.filters, lang)),
        ]
    )
    pdf.ln(2)
    widths = (13, 24, 14, 17, 15, 8, 14, 14, 14, 12, 12)
    aligns = "LLLLLRRRRLL"
    columns = [Column(t, w, a) for t, w, a in zip(headers(lang), widths, aligns, strict=True)]
    totals = Totals()

    def total() -> tuple[str, ...]:
        amounts = (format_amount(a, lang) for a in (totals.estimated, totals.audited, totals.obtained))
        count = label("dossier_count", lang, count=str(totals.count))
        return (label("total", lang), count, "", "", "", "", *amounts, "", "")

    pdf.data_table(columns, _dossier_cells(dossiers.rows, lang, totals), total=total)
    return _output(pdf)


def dossier_summary_pdf(summary: DossierSummary, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._pdf_doc import BrandedPDF, Column

    lang = lang_of(lang)
    pdf = BrandedPDF(branding, label("dossier_summary", lang), lang, summary.as_of)
    pdf.add_page()
    _company(
        pdf,
        summary.company_name,
        summary.siren,
        (label("product", lang), summary.product),
        (label("status", lang), summary.status_label),
        (label("step", lang), summary.step),
        (label("expert", lang), summary.expert or label("not_assigned", lang)),
        reference=summary.reference,
    )
    pdf.heading(label("amounts", lang))
    keys = ("estimated", "audited", "obtained", "refunded")
    amounts = (summary.estimated, summary.audited, summary.obtained, summary.refunded)
    pdf.data_table([Column(label(k, lang), 1, "R") for k in keys], [tuple(format_amount(a, lang) for a in amounts)])
    pdf.heading(label("documents", lang))
    if summary.documents:
        pdf.data_table(
            [Column(label("document", lang), 3, wrap=True), Column(label("state", lang), 1)],
            [(d.name, document_state_label(d.state, lang)) for d in summary.documents],
        )
    else:
        pdf.paragraph(label("nothing", lang), grey=True)
    pdf.heading(label("timeline", lang))
    if summary.timeline:
        columns = [Column(label(k, lang), w, wrap=k != "when") for k, w in (("when", 16), ("actor", 22), ("event", 62))]
        pdf.data_table(columns, ((format_datetime(e.at, lang), e.actor, e.event) for e in summary.timeline))
    else:
        pdf.paragraph(label("nothing", lang), grey=True)
    return _output(pdf)


def _number(value: Decimal | int | None, lang: str) -> str:
    """A figure in a table cell (one decimal when it has some; empty when unknown)."""
    return "" if value is None else format_decimal(value, lang)


def _kpi_cells(line: KpiLine, lang: str) -> tuple[str, ...]:
    from shared.exports.xlsx import kpi_percent

    rate = kpi_percent(line.on_time_rate)
    return (
        label(f"kpi_{line.dimension}", lang), line.name, _number(line.closed, lang), _number(line.on_time, lang),
        "" if rate is None else f"{_number(rate, lang)} %", _number(line.breached_closed, lang),
        _number(line.open, lang), _number(line.breached_open, lang), _number(line.breaches, lang),
        _number(line.median_minutes, lang), _number(line.mean_minutes, lang),
    )  # fmt: skip


def _bar_chart(pdf: BrandedPDF, title: str, bars: list[tuple[str, float, str]], scale: float) -> None:
    """A horizontal bar per (name, value, shown text), the longest bar ``scale`` wide in value."""
    from shared.exports._pdf_doc import FAMILY

    pdf.heading(title)
    name_width, bar_width, height = 60.0, pdf.w - pdf.l_margin - pdf.r_margin - 60.0 - 25.0, 5.5
    for name, value, shown in bars:
        if pdf.y + height + 1 > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.y
        pdf.set_font(FAMILY, "", 8)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(name_width - 2, height, pdf.truncate(name, name_width - 2), align="R")
        pdf.set_fill_color(242, 242, 242)
        pdf.rect(pdf.l_margin + name_width, y + 0.8, bar_width, height - 1.6, style="F")
        if scale > 0 and value > 0:
            pdf.set_fill_color(*pdf.branding.rgb)
            pdf.rect(pdf.l_margin + name_width, y + 0.8, bar_width * min(value / scale, 1.0), height - 1.6, style="F")
        pdf.set_xy(pdf.l_margin + name_width + bar_width + 2, y)
        pdf.cell(23, height, shown, align="L")
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.ln(2)


def kpi_report_pdf(report: KpiReport, branding: Branding, lang: str = "fr") -> bytes:
    """The KPI table, then per dimension with several rows one chart of the on-time rate and one of the
    breaches."""
    from shared.exports._pdf_doc import BrandedPDF, Column

    lang = lang_of(lang)
    pdf = BrandedPDF(branding, label("kpi_report", lang), lang, report.generated_on, landscape=True)
    pdf.add_page()
    period = label("kpi_period_value", lang, start=format_date(report.start, lang), end=format_date(report.end, lang))
    pdf.key_values(
        [(label("kpi_period", lang), period), (label("issued_on", lang), format_date(report.generated_on, lang))]
    )
    pdf.ln(2)
    if not report.lines:
        pdf.paragraph(label("kpi_nothing", lang))
        return _output(pdf)
    keys = ("kpi_dimension", "kpi_name", "kpi_closed", "kpi_on_time", "kpi_on_time_rate", "kpi_breached_closed",
            "kpi_open", "kpi_breached_open", "kpi_breaches", "kpi_median", "kpi_mean")  # fmt: skip
    widths = (13, 28, 10, 11, 11, 14, 10, 14, 14, 15, 15)
    aligns = "LLRRRRRRRRR"
    columns = [Column(label(k, lang), w, a) for k, w, a in zip(keys, widths, aligns, strict=True)]
    pdf.data_table(columns, (_kpi_cells(line, lang) for line in report.lines))
    pdf.paragraph(label("kpi_note", lang), size=8, grey=True)
    for dimension in ("organization", "expert", "product"):
        lines = [line for line in report.lines if line.dimension == dimension]
        if not lines:
            continue
        named = label(f"kpi_{dimension}", lang).lower()
        rated = [line for line in lines if line.on_time_rate is not None]
        if rated:
            _bar_chart(
                pdf,
                label("kpi_rate_chart", lang, dimension=named),
                [(line.name, float(line.on_time_rate or 0), _kpi_cells(line, lang)[4]) for line in rated],
                1.0,
            )
        most = max((line.breaches for line in lines), default=0)
        _bar_chart(
            pdf,
            label("kpi_breach_chart", lang, dimension=named),
            [(line.name, float(line.breaches), _number(line.breaches, lang)) for line in lines],
            float(most),
        )
    return _output(pdf)
