"""The calculation report of a portfolio version: XLSX (one sheet per section, numbers as numbers)
and PDF (ratios, requirements, headroom, MDA, and bar charts of TREA by risk type and of RWA by
class), in the organization's branding, marked "Brouillon"/"Draft" unless the version is approved.

Pure: a :class:`Report` and a :class:`~shared.exports.models.Branding` in, bytes out. The heavy
writers (the streaming XLSX writer, fpdf2) are imported inside the functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.exports.formatting import format_date, format_decimal, lang_of
from shared.exports.models import Branding
from shared.prudential.texts import rule_text

if TYPE_CHECKING:
    from shared.exports._pdf_doc import BrandedPDF

_AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
_RATE = re.compile(r"^-?\d+\.\d{6}$")

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Rapport prudentiel", "Prudential report"),
    "draft": ("BROUILLON — version non approuvée", "DRAFT — version not approved"),
    "approved": ("Version approuvée", "Approved version"),
    "summary": ("Synthèse", "Summary"),
    "exposures": ("Expositions", "Exposures"),
    "credit_risk": ("Risque de crédit", "Credit risk"),
    "trea": ("Montant total d'exposition au risque", "Total risk exposure amount"),
    "capital": ("Fonds propres et exigences", "Own funds and requirements"),
    "leverage": ("Ratio de levier", "Leverage ratio"),
    "lcr": ("LCR", "LCR"),
    "nsfr": ("NSFR", "NSFR"),
    "item": ("Poste", "Item"),
    "value": ("Valeur", "Value"),
    "portfolio": ("Portefeuille", "Portfolio"),
    "version": ("Version", "Version"),
    "status": ("Statut", "Status"),
    "rule_set": ("Jeu de règles", "Rule set"),
    "reference_date": ("Date d'arrêté", "Reference date"),
    "calculation": ("Calcul", "Calculation"),
    "input_sha256": ("SHA-256 des données", "Input SHA-256"),
    "result_sha256": ("SHA-256 du résultat", "Result SHA-256"),
    "id": ("Identifiant", "Id"),
    "class": ("Catégorie", "Class"),
    "reporting_class": ("Catégorie déclarée", "Reporting class"),
    "original_exposure": ("Exposition initiale", "Original exposure"),
    "exposure_value": ("Valeur exposée", "Exposure value"),
    "risk_weight": ("Pondération", "Risk weight"),
    "rwa_pre_sf": ("RWA avant facteur PME", "RWA before SME factor"),
    "rwa": ("RWA", "RWA"),
    "density": ("Densité", "Density"),
    "rule": ("Règle appliquée", "Rule applied"),
    "ratios": ("Ratios", "Ratios"),
    "requirements": ("Exigences", "Requirements"),
    "headroom": ("Marge", "Headroom"),
    "mda": ("Montant maximal distribuable (MMD)", "Maximum distributable amount (MDA)"),
    "trea_chart": ("TREA par type de risque", "TREA by risk type"),
    "rwa_chart": ("RWA par catégorie d'exposition", "RWA by exposure class"),
    "none": ("aucune donnée", "no data"),
    "draft_status": ("Brouillon", "Draft"),
    "in_review_status": ("En révision", "In review"),
    "approved_status": ("Approuvé", "Approved"),
    "rejected_status": ("Rejeté", "Rejected"),
    "cet1_ratio": ("Ratio CET1", "CET1 ratio"),
    "tier1_ratio": ("Ratio Tier 1", "Tier 1 ratio"),
    "total_capital_ratio": ("Ratio de solvabilité global", "Total capital ratio"),
    "leverage_ratio": ("Ratio de levier", "Leverage ratio"),
    "lcr_ratio": ("LCR", "LCR"),
    "nsfr_ratio": ("NSFR", "NSFR"),
    "requirement": ("Exigence", "Requirement"),
    "tscr": ("TSCR", "TSCR"),
    "ocr": ("OCR", "OCR"),
    "combined_buffer": ("Coussin combiné", "Combined buffer"),
    "credit": ("Crédit", "Credit"),
    "operational": ("Opérationnel", "Operational"),
    "market": ("Marché", "Market"),
    "cva": ("CVA", "CVA"),
    "settlement": ("Règlement", "Settlement"),
    "other": ("Autres", "Other"),
    "output_floor_add_on": ("Plancher (output floor)", "Output floor add-on"),
    "cet1_available_for_cbr": ("CET1 disponible pour le coussin combiné", "CET1 available for the CBR"),
    "cet1_available_for_cbr_ratio": ("CET1 disponible (ratio)", "CET1 available (ratio)"),
    "buffer_met": ("Coussin combiné respecté", "Combined buffer met"),
    "quartile": ("Quartile", "Quartile"),
    "factor": ("Facteur", "Factor"),
    "maximum_distributable_amount": ("Montant maximal distribuable", "Maximum distributable amount"),
    "central_government": ("Administrations centrales", "Central governments"),
    "rgla": ("Administrations régionales", "Regional governments"),
    "pse": ("Entités du secteur public", "Public sector entities"),
    "mdb": ("Banques multilatérales", "Multilateral development banks"),
    "international_organisation": ("Organisations internationales", "International organisations"),
    "institution": ("Établissements", "Institutions"),
    "corporate": ("Entreprises", "Corporates"),
    "retail": ("Clientèle de détail", "Retail"),
    "real_estate": ("Biens immobiliers", "Real estate"),
    "in_default": ("En défaut", "In default"),
    "subordinated_debt": ("Dette subordonnée", "Subordinated debt"),
    "equity": ("Actions", "Equity"),
    "covered_bond": ("Obligations garanties", "Covered bonds"),
    "other_items": ("Autres actifs", "Other items"),
    "adc": ("Acquisition, aménagement, construction", "ADC"),
}


def text(key: str, lang: str) -> str:
    pair = _TEXT.get(key)
    return key.replace("_", " ") if pair is None else pair[0 if lang == "fr" else 1]


@dataclass(frozen=True)
class Report:
    portfolio: str
    version: int
    status: str
    rule_set: str
    reference_date: date
    calculation_id: str
    input_sha256: str
    result_sha256: str
    result: Mapping[str, Any]
    day: date

    @property
    def approved(self) -> bool:
        return self.status == "approved"


def title(report: Report, lang: str) -> str:
    state = text("approved", lang) if report.approved else text("draft", lang)
    return f"{text('title', lang)} — {report.portfolio} v{report.version} — {state}"


def file_name(report: Report, fmt: str, lang: str) -> str:
    stem = f"{text('title', lang)} - {report.portfolio} - v{report.version} - {report.reference_date.isoformat()}"
    if not report.approved:
        stem += " - " + text("draft_status", lang)
    stem = " ".join(re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "-", stem).split())[:180]
    return f"{stem}.{fmt}"


def _number(value: Any) -> Any:
    """Output strings as numbers (amounts and rates); other values as they are."""
    if isinstance(value, str) and (_AMOUNT.match(value) or _RATE.match(value)):
        return Decimal(value)
    return value


def _flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def _summary(report: Report, lang: str) -> list[tuple[str, Any]]:
    return [
        (text("portfolio", lang), report.portfolio),
        (text("version", lang), report.version),
        (text("status", lang), text(f"{report.status}_status", lang)),
        (text("rule_set", lang), report.rule_set),
        (text("reference_date", lang), report.reference_date),
        (text("calculation", lang), report.calculation_id),
        (text("input_sha256", lang), report.input_sha256),
        (text("result_sha256", lang), report.result_sha256),
    ]


# --- XLSX -----------------------------------------------------------------------------------------


def report_xlsx(report: Report, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._xlsx_book import Book, Row, S, Sheet

    lang = lang_of(lang)
    heading = title(report, lang)

    def head(columns: Sequence[str]) -> list[Row]:
        return [Row([heading], S.TITLE, height=22), Row([*columns], S.HEADER)]

    def cell_style(value: Any) -> int:
        if isinstance(value, str) and _AMOUNT.match(value):
            return S.MONEY
        if isinstance(value, date):
            return S.DATE
        return S.DEFAULT

    def pairs(values: Sequence[tuple[str, Any]]) -> list[Row]:
        return [Row([name, _number(value)], [S.TEXT, cell_style(value)]) for name, value in values]

    result = report.result
    item, value = text("item", lang), text("value", lang)
    sheets = [Sheet(text("summary", lang)[:31], (34, 70), head((item, value)), pairs(_summary(report, lang)))]
    columns = ("id", "class", "reporting_class", "original_exposure", "exposure_value", "risk_weight", "rwa_pre_sf",
               "rwa", "rule")  # fmt: skip
    exposures = (
        Row(
            [_number(e.get(c)) for c in columns[:-1]] + [rule_text(e.get("rule") or "", lang)],
            [cell_style(e.get(c)) for c in columns],
        )
        for e in result.get("exposures") or []
    )
    sheets.append(
        Sheet(
            text("exposures", lang),
            (16, 18, 18, 18, 18, 12, 18, 18, 60),
            head([text(c, lang) for c in columns]),
            exposures,
            landscape=True,
        )
    )
    credit = result.get("credit_risk") or {}
    class_columns = ("original_exposure", "exposure_value", "rwa_pre_sf", "rwa")
    by_class = [
        Row(
            [text(name, lang), *(_number(figures.get(c)) for c in class_columns)],
            [S.TEXT] + [S.MONEY] * len(class_columns),
        )
        for name, figures in (credit.get("by_class") or {}).items()
    ]
    totals = [(k, credit.get(k)) for k in ("exposure_value", "rwa_pre_sf", "rwa", "density")]
    sheets.append(
        Sheet(
            text("credit_risk", lang)[:31],
            (26, 18, 18, 18, 18),
            head([text("class", lang), *(text(c, lang) for c in class_columns)]),
            by_class,
            tail=[Row([]), *pairs(totals)],
        )
    )
    for section in ("trea", "capital", "leverage", "lcr", "nsfr"):
        values = result.get(section)
        if values is None:
            continue
        name = "TREA" if section == "trea" else text(section, lang)[:31]
        sheets.append(Sheet(name, (40, 20), head((item, value)), pairs(list(_flatten(values)))))
    return Book(branding, heading, report.day, lang, sheets).render()


# --- PDF ------------------------------------------------------------------------------------------


def _shown(value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("oui" if value else "non") if lang == "fr" else ("yes" if value else "no")
    if isinstance(value, str) and _RATE.match(value):  # a fraction with 6 decimals: a percentage with 4
        return f"{format_decimal((Decimal(value) * 100).quantize(Decimal('0.0001')), lang)} %"
    if isinstance(value, str) and _AMOUNT.match(value):
        return format_decimal(Decimal(value), lang)
    return str(value)


def _bars(pdf: BrandedPDF, heading: str, values: Sequence[tuple[str, Decimal]], lang: str) -> None:
    """A horizontal bar chart: one labelled bar per value, scaled to the largest."""
    from shared.exports._pdf_doc import FAMILY

    pdf.heading(heading)
    shown = [(name, amount) for name, amount in values if amount > 0]
    if not shown:
        pdf.paragraph(text("none", lang), grey=True)
        return
    top = max(amount for _, amount in shown)
    label_width, value_width = 48.0, 34.0
    room = pdf.w - pdf.l_margin - pdf.r_margin - label_width - value_width
    if pdf.y + 7 * len(shown) > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FAMILY, "", 8)
    pdf.set_fill_color(*pdf.branding.rgb)
    for name, amount in shown:
        y = pdf.y
        pdf.text(pdf.l_margin, y + 4, pdf.truncate(pdf.clean(name), label_width - 2))
        width = max(float(amount / top) * room, 0.5)
        pdf.rect(pdf.l_margin + label_width, y + 0.8, width, 4.4, style="F")
        pdf.text(pdf.l_margin + label_width + width + 2, y + 4, format_decimal(amount, lang))
        pdf.set_y(y + 6.5)
    pdf.ln(2)


def report_pdf(report: Report, branding: Branding, lang: str = "fr") -> bytes:
    from shared.exports._pdf_doc import BrandedPDF, Column

    lang = lang_of(lang)
    pdf = BrandedPDF(branding, title(report, lang), lang, report.day)
    pdf.add_page()
    if not report.approved:
        pdf.set_text_color(192, 0, 0)
        pdf.paragraph(text("draft", lang), size=12)
        pdf.set_text_color(0, 0, 0)
    summary = [(name, format_date(value, lang) if isinstance(value, date) else str(value))
               for name, value in _summary(report, lang)]  # fmt: skip
    pdf.key_values(summary)
    result = report.result
    capital = result.get("capital") or {}
    leverage, lcr, nsfr = result.get("leverage") or {}, result.get("lcr") or {}, result.get("nsfr") or {}
    two = [Column(text("item", lang), 3), Column(text("value", lang), 2, "R")]
    pdf.heading(text("ratios", lang))
    pdf.data_table(two, [
        (text("cet1_ratio", lang), _shown(capital.get("cet1_ratio"), lang)),
        (text("tier1_ratio", lang), _shown(capital.get("tier1_ratio"), lang)),
        (text("total_capital_ratio", lang), _shown(capital.get("total_capital_ratio"), lang)),
        (text("leverage_ratio", lang), _shown(leverage.get("ratio"), lang)),
        (text("lcr_ratio", lang), _shown(lcr.get("ratio"), lang)),
        (text("nsfr_ratio", lang), _shown(nsfr.get("ratio"), lang)),
    ])  # fmt: skip
    tiers = ("cet1", "tier1", "total")
    requirement, amount = capital.get("requirement") or {}, capital.get("requirement_amount") or {}
    headroom = capital.get("headroom") or {}
    pdf.heading(text("requirements", lang))
    columns = [
        Column("", 2),
        Column(text("requirement", lang), 2, "R"),
        Column(text("requirement", lang) + " (€)", 2, "R"),
        Column(text("headroom", lang) + " (€)", 2, "R"),
    ]
    pdf.data_table(columns, [
        (tier.upper() if tier != "total" else "Total", _shown(requirement.get(tier), lang),
         _shown(amount.get(tier), lang), _shown(headroom.get(tier), lang))
        for tier in tiers
    ])  # fmt: skip
    pdf.data_table(two, [(text(k, lang), _shown(capital.get(k), lang)) for k in ("combined_buffer", "tscr", "ocr")])
    pdf.heading(text("mda", lang))
    pdf.data_table(two, [(text(k, lang), _shown(v, lang)) for k, v in (capital.get("mda") or {}).items()])
    trea = result.get("trea") or {}
    kinds = ("credit", "operational", "market", "cva", "settlement", "other", "output_floor_add_on")
    _bars(pdf, text("trea_chart", lang), [(text(k, lang), Decimal(trea[k])) for k in kinds if trea.get(k)], lang)
    by_class = (result.get("credit_risk") or {}).get("by_class") or {}
    rwa = [
        (name.replace("_", " "), Decimal(figures["rwa"])) for name, figures in by_class.items() if figures.get("rwa")
    ]
    _bars(pdf, text("rwa_chart", lang), rwa, lang)
    return bytes(pdf.output())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(report: Report, branding: Branding, fmt: str, lang: str) -> tuple[bytes, str]:
    """The document and its content type."""
    if fmt == "pdf":
        return report_pdf(report, branding, lang), "application/pdf"
    return report_xlsx(report, branding, lang), XLSX


# --- import error report --------------------------------------------------------------------------

_ERROR_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Rapport d'erreurs d'import", "Import error report"),
    "row": ("Ligne", "Row"),
    "column": ("Colonne", "Column"),
    "value": ("Valeur", "Value"),
    "rule": ("Règle", "Rule"),
    "message": ("Problème", "Problem"),
    "file": ("Fichier", "File"),
    "none": ("Aucune erreur : le fichier peut être importé.", "No error: the file can be imported."),
}


def import_errors_xlsx(
    file: str, errors: Sequence[Mapping[str, Any]], branding: Branding, day: date, lang: str = "fr"
) -> bytes:
    """Every row error of an import (row, column, value, rule, problem) as one sheet; values are
    written as text, never as formulas, whatever they hold."""
    from shared.exports._xlsx_book import Book, Row, S, Sheet

    lang = lang_of(lang)
    pick = 0 if lang == "fr" else 1
    heading = f"{_ERROR_TEXT['title'][pick]} — {file}"
    columns = ("row", "column", "value", "rule", "message")
    head = [Row([heading], S.TITLE, height=22), Row([_ERROR_TEXT[c][pick] for c in columns], S.HEADER)]

    def shown(value: Any) -> Any:
        if value is None:
            return ""
        return value if isinstance(value, int) and not isinstance(value, bool) else str(value)

    body = (Row([shown(e.get(c)) for c in columns], [S.INTEGER, S.TEXT, S.TEXT, S.TEXT, S.WRAP]) for e in errors)
    tail = [] if errors else [Row([_ERROR_TEXT["none"][pick]], S.NOTE, merge=True)]
    sheet = Sheet(_ERROR_TEXT["title"][pick][:31], (8, 24, 30, 18, 60), head, body, tail)
    return Book(branding, heading, day, lang, [sheet]).render()
