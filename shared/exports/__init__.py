"""Exports: pure renderers from domain objects (:mod:`.models`) to document bytes.

One module per format — :mod:`.xlsx`, :mod:`.docx`, :mod:`.pdf`, :mod:`.csv` — each with functions
``<document>_<format>(data, branding, lang="fr") -> bytes``:

============================  =========================================
simulation report             xlsx, docx, pdf
comparison (what-if)          xlsx, pdf
dossier list                  xlsx, csv, pdf
dossier summary               pdf, docx
============================  =========================================

No I/O, no clock: the same data gives byte-identical files. XLSX is written directly (streamed, see
``_xlsx_book``); python-docx and fpdf2 are imported on first use, so importing this package is cheap.
"""

from shared.exports.models import (
    Answer,
    AnswerChange,
    Branding,
    Comparison,
    DocumentItem,
    DossierFilters,
    DossierList,
    DossierRow,
    DossierSummary,
    ProductComparison,
    ProductResult,
    SimulationReport,
    TimelineEvent,
)

__all__ = [
    "Answer",
    "AnswerChange",
    "Branding",
    "Comparison",
    "DocumentItem",
    "DossierFilters",
    "DossierList",
    "DossierRow",
    "DossierSummary",
    "ProductComparison",
    "ProductResult",
    "SimulationReport",
    "TimelineEvent",
]
