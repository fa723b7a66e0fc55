"""XLSX documents: simulation report, comparison, dossier list.

Amounts are numeric cells with a euro number format, dates are date cells; every sheet is one table
whose header row is frozen, filtered and repeated on printed pages, under the organization's name
(and logo), with its legal footer below the table and in the printed footer with page numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from shared.exports._dossiers import COLUMNS, Totals, describe_filters, headers
from shared.exports._xlsx_book import Book, Row, S, Sheet, note_height
from shared.exports.formatting import format_date, label, lang_of, yes_no
from shared.exports.models import (
    Branding,
    Comparison,
    DossierList,
    DossierRow,
    KpiLine,
    KpiReport,
    ProductComparison,
    SimulationReport,
)

Meta = Sequence[tuple[str, object, int]]


def _head(branding: Branding, title: str, meta: Meta, header: Sequence[str]) -> list[Row]:
    rows = [Row((branding.organization_name,), S.TITLE, height=22), Row((title,), S.BOLD)]
    rows += [Row((name, value), (S.BOLD, style)) for name, value, style in meta]
    rows += [Row(), Row(header, S.HEADER, height=32)]
    return rows


def _notes(branding: Branding, widths: Sequence[float], *texts: str) -> list[Row]:
    rows = [Row()]
    for text in (*texts, branding.legal_footer):
        if text:
            rows.append(Row((text,), S.NOTE, height=note_height(text, widths), merge=True))
    return rows


def _total(size: int, caption: str, amounts: dict[int, Decimal], deltas: Sequence[int] = ()) -> Row:
    """A shaded total row: the caption, then the amounts at their columns (``deltas`` signed)."""
    values: list[object] = [caption, *[""] * (size - 1)]
    styles = [S.TOTAL] * size
    for column, amount in amounts.items():
        values[column] = amount
        styles[column] = S.TOTAL_DELTA if column in deltas else S.TOTAL_MONEY
    return Row(values, styles)


def _company_meta(company: str, siren: str | None, lang: str) -> list[tuple[str, object, int]]:
    meta: list[tuple[str, object, int]] = [(label("company", lang), company, S.TEXT)]
    if siren:
        meta.append((label("siren", lang), siren, S.TEXT))
    return meta


def simulation_report_xlsx(report: SimulationReport, branding: Branding, lang: str = "fr") -> bytes:
    lang = lang_of(lang)
    title = label("simulation_report", lang)
    meta = [
        *_company_meta(report.company_name, report.siren, lang),
        (label("simulation_date", lang), report.simulated_on, S.DATE),
        (label("rule_set", lang), report.rule_set_version, S.TEXT),
    ]
    header = [label(k, lang) for k in ("product", "eligible", "estimated_amount", "reason", "formula", "benefits")]
    widths = (30, 10, 17, 40, 45, 45)
    products = Sheet(
        name=label("summary", lang),
        widths=widths,
        head=_head(branding, title, meta, header),
        body=[
            Row(
                (p.name, yes_no(p.eligible, lang), p.amount, p.reason, p.formula, "\n".join(p.benefits)),
                (S.WRAP, S.TEXT, S.MONEY, S.WRAP, S.WRAP, S.WRAP),
            )
            for p in report.products
        ],
        tail=[
            _total(len(header), label("total_estimated", lang), {2: report.total}),
            *_notes(branding, widths, label("disclaimer", lang, version=report.rule_set_version)),
        ],
        landscape=True,
    )
    answers = _answers_sheet(report, branding, title, meta, lang)
    return Book(branding, title, report.simulated_on, lang, [products, answers]).render()


def _answers_sheet(report: SimulationReport, branding: Branding, title: str, meta: Meta, lang: str) -> Sheet:
    widths = (55, 55)
    return Sheet(
        name=label("answers", lang),
        widths=widths,
        head=_head(branding, title, meta, [label("question", lang), label("answer", lang)]),
        body=[Row((a.question, a.answer), S.WRAP) for a in report.answers],
        tail=_notes(branding, widths),
    )


def comparison_xlsx(comparison: Comparison, branding: Branding, lang: str = "fr") -> bytes:
    lang = lang_of(lang)
    title = label("comparison", lang)
    meta = [
        *_company_meta(comparison.company_name, comparison.siren, lang),
        (label("comparison_date", lang), comparison.compared_on, S.DATE),
        (label("rule_set", lang), comparison.rule_set_version, S.TEXT),
    ]
    keys = ("product", "eligible_before", "amount_before", "eligible_after", "amount_after", "delta")
    widths = (30, 13, 17, 13, 17, 17)
    products = Sheet(
        name=label("products", lang),
        widths=widths,
        head=_head(branding, title, meta, [label(k, lang) for k in keys]),
        body=[_comparison_row(p, lang) for p in comparison.products],
        tail=[
            _total(
                len(keys),
                label("total", lang),
                {2: comparison.old_total, 4: comparison.new_total, 5: comparison.delta_total},
                deltas=(5,),
            ),
            *_notes(branding, widths),
        ],
        landscape=True,
    )
    answer_widths = (45, 35, 35, 11)
    answers = Sheet(
        name=label("answers", lang),
        widths=answer_widths,
        head=_head(branding, title, meta, [label(k, lang) for k in ("question", "before", "after", "changed")]),
        body=[
            Row((c.question, c.old, c.new, yes_no(c.changed, lang)), (S.WRAP, S.WRAP, S.WRAP, S.TEXT))
            for c in comparison.answer_changes()
        ],
        tail=_notes(branding, answer_widths),
    )
    return Book(branding, title, comparison.compared_on, lang, [products, answers]).render()


def _comparison_row(p: ProductComparison, lang: str) -> Row:
    values = (p.name, yes_no(p.old_eligible, lang), p.old_amount, yes_no(p.new_eligible, lang), p.new_amount)
    return Row((*values, p.delta), (S.WRAP, S.TEXT, S.MONEY, S.TEXT, S.MONEY, S.DELTA))


_DOSSIER_WIDTHS = (16, 32, 22, 26, 22, 9, 16, 16, 16, 12, 13)
_DOSSIER_STYLES = (S.TEXT, S.TEXT, S.TEXT, S.TEXT, S.TEXT, S.INTEGER, S.MONEY, S.MONEY, S.MONEY, S.DATE, S.DATE)


def _dossier_rows(rows: Iterable[DossierRow], lang: str, totals: Totals) -> Iterator[Row]:
    for d in map(totals.add, rows):
        values = (d.reference, d.company, d.product, d.status_label, d.expert, d.priority, d.estimated)
        yield Row((*values, d.audited, d.obtained, d.created_on, d.updated_on), _DOSSIER_STYLES)


def dossier_list_xlsx(dossiers: DossierList, branding: Branding, lang: str = "fr") -> bytes:
    """Every row of ``dossiers`` (streamed: 100 000 rows stay well under 150 MB), with totals below."""
    lang = lang_of(lang)
    title = label("dossier_list", lang)
    meta = [
        (label("issued_on", lang), dossiers.generated_on, S.DATE),
        (label("filters", lang), describe_filters(dossiers.filters, lang), S.TEXT),
    ]
    totals = Totals()

    def tail() -> list[Row]:
        amounts = {6: totals.estimated, 7: totals.audited, 8: totals.obtained}
        count = Row((label("count", lang), totals.count), (S.BOLD, S.INTEGER))
        return [_total(len(COLUMNS), label("total", lang), amounts), count, *_notes(branding, _DOSSIER_WIDTHS)]

    sheet = Sheet(
        name=label("dossiers", lang),
        widths=_DOSSIER_WIDTHS,
        head=_head(branding, title, meta, headers(lang)),
        body=_dossier_rows(dossiers.rows, lang, totals),
        tail=tail,
        landscape=True,
    )
    return Book(branding, title, dossiers.generated_on, lang, [sheet]).render()


KPI_KEYS = ("kpi_dimension", "kpi_name", "kpi_closed", "kpi_on_time", "kpi_on_time_rate", "kpi_breached_closed",
            "kpi_open", "kpi_breached_open", "kpi_breaches", "kpi_median", "kpi_mean")  # fmt: skip
_KPI_WIDTHS = (15, 32, 12, 13, 14, 14, 12, 14, 13, 16, 16)
_KPI_STYLES = (S.TEXT, S.TEXT, S.INTEGER, S.INTEGER, S.DEFAULT, S.INTEGER, S.INTEGER, S.INTEGER, S.INTEGER,
               S.DEFAULT, S.DEFAULT)  # fmt: skip


def kpi_percent(rate: Decimal | None) -> Decimal | None:
    """An on-time ratio as a percentage with one decimal (0.6667 → 66.7)."""
    return None if rate is None else (rate * 100).quantize(Decimal("0.1"))


def _kpi_values(k: KpiLine, lang: str) -> tuple[object, ...]:
    dimension = label(f"kpi_{k.dimension}", lang)
    figures = (k.closed, k.on_time, kpi_percent(k.on_time_rate), k.breached_closed, k.open, k.breached_open)
    return (dimension, k.name, *figures, k.breaches, k.median_minutes, k.mean_minutes)


def kpi_report_xlsx(report: KpiReport, branding: Branding, lang: str = "fr") -> bytes:
    """One row per organization, expert and product: numbers in number cells, the rate in percent."""
    lang = lang_of(lang)
    title = label("kpi_report", lang)
    period = label("kpi_period_value", lang, start=format_date(report.start, lang), end=format_date(report.end, lang))
    meta = [(label("kpi_period", lang), period, S.TEXT), (label("issued_on", lang), report.generated_on, S.DATE)]
    sheet = Sheet(
        name=label("kpi_kpis", lang),
        widths=_KPI_WIDTHS,
        head=_head(branding, title, meta, [label(k, lang) for k in KPI_KEYS]),
        body=[Row(_kpi_values(k, lang), _KPI_STYLES) for k in report.lines],
        tail=_notes(branding, _KPI_WIDTHS, label("kpi_note", lang) if report.lines else label("kpi_nothing", lang)),
        landscape=True,
    )
    return Book(branding, title, report.generated_on, lang, [sheet]).render()
