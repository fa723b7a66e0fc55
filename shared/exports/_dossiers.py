"""What every dossier-list format shares: column order, filter line, totals accumulated while streaming."""

from __future__ import annotations

from decimal import Decimal

from shared.exports.formatting import format_date, label
from shared.exports.models import DossierFilters, DossierRow

COLUMNS = (
    "reference",
    "company",
    "product",
    "status",
    "expert",
    "priority",
    "estimated",
    "audited",
    "obtained",
    "created_on",
    "updated_on",
)


def headers(lang: str) -> list[str]:
    return [label(key, lang) for key in COLUMNS]


def describe_filters(filters: DossierFilters, lang: str) -> str:
    """One line such as ``Statut : Audit en cours · créés à partir du 01/01/2026`` (or ``aucun``)."""
    parts = []
    colon = " :" if lang == "fr" else ":"
    for key, value in (("status", filters.status), ("product", filters.product), ("expert", filters.expert)):
        if value:
            parts.append(f"{label(key, lang)}{colon} {value}")
    if filters.created_from:
        parts.append(f"{label('created_from', lang)} {format_date(filters.created_from, lang)}")
    if filters.created_to:
        parts.append(f"{label('created_to', lang)} {format_date(filters.created_to, lang)}")
    return " · ".join(parts) or label("no_filter", lang)


class Totals:
    """Row count and sums of the estimated, audited and obtained amounts, accumulated row by row."""

    def __init__(self) -> None:
        self.estimated = self.audited = self.obtained = Decimal(0)
        self.count = 0

    def add(self, row: DossierRow) -> DossierRow:
        self.count += 1
        if row.estimated is not None:
            self.estimated += row.estimated
        if row.audited is not None:
            self.audited += row.audited
        if row.obtained is not None:
            self.obtained += row.obtained
        return row
