"""Numbers, dates and fixed texts of the documents, in French (default) or English.

French follows CLDR fr-FR: ``1 234,56 €`` with U+202F (narrow no-break space) between thousands
and U+00A0 (no-break space) before the euro sign; dates ``21/11/2026``. English: ``€1,234.56`` and
ISO dates ``2026-11-21`` (unambiguous for every English reader). Amounts are rounded half-up to the
cent. Every fixed text of every document comes from :data:`LABELS`; dossier statuses and steps come from
the workflow's reference table (``public.dossier_statuses``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Lang = Literal["fr", "en"]

NNBSP = "\u202f"  # narrow no-break space: French thousands separator
NBSP = "\u00a0"  # no-break space: before the euro sign in French
DASH = "—"  # shown for an unknown amount or an empty value
_CENT = Decimal("0.01")


def lang_of(lang: str) -> Lang:
    """``fr``/``en`` from ``fr``, ``FR``, ``fr-FR``, ``en_GB``…; ``ValueError`` for anything else."""
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    if code == "fr":
        return "fr"
    if code == "en":
        return "en"
    raise ValueError(f"unsupported language: {lang!r} (fr or en)")


def cents(value: Decimal | int) -> Decimal:
    """The amount rounded half-up to the cent, as it is printed and stored in cells."""
    return Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_amount(value: Decimal | int | None, lang: str = "fr", *, signed: bool = False) -> str:
    """``1 234,56 €`` (fr) or ``€1,234.56`` (en); ``—`` for ``None``; ``signed`` adds ``+`` when positive."""
    if value is None:
        return DASH
    amount = cents(value)
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    units, _, fraction = f"{abs(amount):f}".partition(".")
    if lang_of(lang) == "fr":
        return f"{sign}{_group(units, NNBSP)},{fraction}{NBSP}€"
    return f"{sign}€{_group(units, ',')}.{fraction}"


def format_number(value: Decimal, lang: str = "fr") -> str:
    """A plain decimal for machine-readable files: ``1234,56`` (fr) or ``1234.56`` (en), no grouping."""
    text = f"{cents(value):f}"
    return text.replace(".", ",") if lang_of(lang) == "fr" else text


def format_decimal(value: Decimal | int, lang: str = "fr") -> str:
    """A quantity as written in a sentence, its decimals kept as given: ``5 000``, ``0,20``, ``3 456,78``
    (fr, U+202F between thousands) or ``5,000``, ``0.20`` (en). Never rounded, never in exponent form."""
    number = Decimal(value)
    sign = "-" if number < 0 else ""
    units, _, fraction = f"{abs(number):f}".partition(".")
    if lang_of(lang) == "fr":
        return f"{sign}{_group(units, NNBSP)}{',' + fraction if fraction else ''}"
    return f"{sign}{_group(units, ',')}{'.' + fraction if fraction else ''}"


def format_date(value: date, lang: str = "fr") -> str:
    """``21/11/2026`` (fr) or ``2026-11-21`` (en)."""
    return value.strftime("%d/%m/%Y") if lang_of(lang) == "fr" else value.isoformat()


def format_datetime(value: datetime, lang: str = "fr") -> str:
    """``21/11/2026 14:05`` (fr) or ``2026-11-21 14:05`` (en), printed in the value's own time zone."""
    return f"{format_date(value.date(), lang)} {value:%H:%M}"


def yes_no(value: bool, lang: str = "fr") -> str:
    return label("yes" if value else "no", lang)


def label(key: str, lang: str = "fr", **values: str) -> str:
    """The fixed text ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    fr, en = LABELS[key]
    text = fr if lang_of(lang) == "fr" else en
    return text.format(**values) if values else text


def _coded(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    known = table.get(code)
    if known is None:  # a code added after this catalogue: readable rather than an error
        return code.replace("_", " ").capitalize()
    return known[0] if lang_of(lang) == "fr" else known[1]


def document_state_label(state: str, lang: str = "fr") -> str:
    return _coded(DOCUMENT_STATES, state, lang)


LABELS: dict[str, tuple[str, str]] = {
    "yes": ("Oui", "Yes"),
    "no": ("Non", "No"),
    "page": ("Page", "Page"),
    "generated_on": ("Document établi le {date}", "Document issued on {date}"),
    "issued_on": ("Établi le", "Issued on"),
    "company": ("Entreprise", "Company"),
    "siren": ("SIREN", "SIREN"),
    "reference": ("Référence", "Reference"),
    "rule_set": ("Version des règles", "Rule set version"),
    "simulation_date": ("Date de la simulation", "Simulation date"),
    "simulation_report": ("Rapport de simulation", "Simulation report"),
    "summary": ("Synthèse", "Summary"),
    "answers": ("Réponses", "Answers"),
    "question": ("Question", "Question"),
    "answer": ("Réponse", "Answer"),
    "products": ("Produits", "Products"),
    "product": ("Produit", "Product"),
    "eligible": ("Éligible", "Eligible"),
    "reason": ("Motif", "Reason"),
    "estimated_amount": ("Montant estimé", "Estimated amount"),
    "formula": ("Calcul", "Calculation"),
    "benefits": ("Avantages", "Benefits"),
    "details": ("Détail", "Details"),
    "total_estimated": ("Total des gains estimés", "Total estimated gains"),
    "disclaimer": (
        "Les montants indiqués sont des estimations établies à partir de vos réponses et des règles "
        "en vigueur (version {version}). Ils ne constituent pas un engagement : le montant définitif "
        "sera déterminé après l'audit de vos justificatifs par un expert.",
        "The amounts shown are estimates based on your answers and the rules in force (version "
        "{version}). They are not a commitment: the final amount will be set once an expert has "
        "audited your supporting documents.",
    ),
    "comparison": ("Comparaison de simulations", "Simulation comparison"),
    "comparison_date": ("Date de la comparaison", "Comparison date"),
    "before": ("Avant", "Before"),
    "after": ("Après", "After"),
    "delta": ("Écart", "Difference"),
    "changed": ("Modifiée", "Changed"),
    "eligible_before": ("Éligible (avant)", "Eligible (before)"),
    "eligible_after": ("Éligible (après)", "Eligible (after)"),
    "amount_before": ("Montant (avant)", "Amount (before)"),
    "amount_after": ("Montant (après)", "Amount (after)"),
    "total": ("Total", "Total"),
    "dossier_list": ("Liste des dossiers", "Case list"),
    "kpi_report": ("Indicateurs de suivi", "Follow-up KPIs"),
    "kpi_period": ("Période", "Period"),
    "kpi_period_value": ("du {start} au {end}", "{start} to {end}"),
    "kpi_kpis": ("Indicateurs", "KPIs"),
    "kpi_dimension": ("Axe", "Dimension"),
    "kpi_name": ("Nom", "Name"),
    "kpi_closed": ("Actions closes", "Closed actions"),
    "kpi_on_time": ("Closes dans les délais", "Closed on time"),
    "kpi_on_time_rate": ("Taux dans les délais (%)", "On-time rate (%)"),
    "kpi_breached_closed": ("Dépassements (closes)", "Breaches (closed)"),
    "kpi_open": ("Actions ouvertes", "Open actions"),
    "kpi_breached_open": ("Dépassements (ouvertes)", "Breaches (open)"),
    "kpi_breaches": ("Dépassements", "Breaches"),
    "kpi_median": ("Délai médian (min ouvrées)", "Median time to close (business min)"),
    "kpi_mean": ("Délai moyen (min ouvrées)", "Mean time to close (business min)"),
    "kpi_organization": ("Organisation", "Organization"),
    "kpi_expert": ("Expert", "Expert"),
    "kpi_product": ("Produit", "Product"),
    "kpi_rate_chart": ("Taux dans les délais par {dimension}", "On-time rate per {dimension}"),
    "kpi_breach_chart": ("Dépassements par {dimension}", "Breaches per {dimension}"),
    "kpi_nothing": ("Aucune action attendue sur la période.", "No awaited action in the period."),
    "kpi_note": (
        "Une action est dans les délais si elle est close avant son échéance (le temps en pause ne compte pas) ;"
        " un dépassement est une action qui a atteint son seuil critique. Délais en minutes ouvrées du"
        " calendrier de l'organisation.",
        "An action is on time when closed before its target (paused time does not count); a breach is an"
        " action that reached its breach threshold. Times in business minutes of the organization's calendar.",
    ),
    "dossiers": ("Dossiers", "Cases"),
    "status": ("Statut", "Status"),
    "expert": ("Expert", "Expert"),
    "priority": ("Priorité", "Priority"),
    "estimated": ("Montant estimé", "Estimated amount"),
    "audited": ("Montant audité", "Audited amount"),
    "obtained": ("Montant obtenu", "Amount obtained"),
    "refunded": ("Montant remboursé", "Amount refunded"),
    "created_on": ("Créé le", "Created"),
    "updated_on": ("Mis à jour le", "Updated"),
    "filters": ("Filtres", "Filters"),
    "no_filter": ("aucun", "none"),
    "created_from": ("créés à partir du", "created from"),
    "created_to": ("créés jusqu'au", "created until"),
    "count": ("Nombre de dossiers", "Number of cases"),
    "dossier_count": ("{count} dossiers", "{count} cases"),
    "dossier_summary": ("Fiche dossier", "Case summary"),
    "step": ("Étape", "Step"),
    "amounts": ("Montants", "Amounts"),
    "amount": ("Montant", "Amount"),
    "documents": ("Pièces justificatives", "Supporting documents"),
    "document": ("Document", "Document"),
    "state": ("État", "State"),
    "timeline": ("Historique", "Timeline"),
    "when": ("Date", "Date"),
    "actor": ("Acteur", "Actor"),
    "event": ("Événement", "Event"),
    "not_assigned": ("Non attribué", "Not assigned"),
    "nothing": ("Aucun élément", "Nothing yet"),
}

DOCUMENT_STATES: dict[str, tuple[str, str]] = {
    "missing": ("Manquant", "Missing"),
    "requested": ("Demandé", "Requested"),
    "uploaded": ("Reçu, à valider", "Received, to review"),
    "pending": ("En attente de validation", "Awaiting review"),
    "validated": ("Validé", "Validated"),
    "rejected": ("Refusé", "Rejected"),
    "optional": ("Facultatif", "Optional"),
}
