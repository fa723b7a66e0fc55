"""What the export renderers take: plain, immutable domain objects, already localised by the caller.

Services build these from the database; renderers turn them into bytes without any I/O. Amounts are
``Decimal`` euros (``None`` when not known yet). Dates are calendar dates and datetimes are already in
the organization's time zone: the renderers print them as given and never read the clock, which is
what makes every output byte-identical for the same data.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def image_kind(data: bytes) -> str:
    """``"png"`` or ``"jpeg"`` from the magic bytes; ``ValueError`` for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    raise ValueError("logo must be a PNG or JPEG image")


def image_size(data: bytes) -> tuple[int, int]:
    """Pixel width and height of a PNG or JPEG, read from its header; ``ValueError`` if unreadable."""
    if image_kind(data) == "png":
        width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
        if width and height:
            return int(width), int(height)
        raise ValueError("cannot read the image size")
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            if width and height:
                return int(width), int(height)
            break
        index += 2 + length
    raise ValueError("cannot read the image size")


@dataclass(frozen=True, slots=True)
class Branding:
    """How an organization's documents look: name, optional logo, primary colour, legal footer."""

    organization_name: str
    primary_color: str = "#1F4E79"
    legal_footer: str = ""
    logo: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not _HEX_COLOUR.fullmatch(self.primary_color):
            raise ValueError("primary_color must look like #1F4E79")
        if self.logo is not None:
            image_size(self.logo)  # a PNG or JPEG whose size can be read

    @property
    def rgb(self) -> tuple[int, int, int]:
        value = int(self.primary_color[1:], 16)
        return value >> 16, (value >> 8) & 0xFF, value & 0xFF

    @property
    def hex(self) -> str:
        """``1F4E79``: the colour as OOXML wants it (upper case, no ``#``)."""
        return self.primary_color[1:].upper()

    @property
    def on_primary(self) -> tuple[int, int, int]:
        """Black or white, whichever reads better on the primary colour (WCAG relative luminance)."""

        def linear(channel: int) -> float:
            c = channel / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (linear(c) for c in self.rgb)
        luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
        return (0, 0, 0) if luminance > 0.179 else (255, 255, 255)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answered question, as shown to the user."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class ProductResult:
    """One product of a simulation: eligible or not (and why), amount or benefits, formula in words."""

    code: str
    name: str
    eligible: bool
    reason: str = ""
    amount: Decimal | None = None
    formula: str = ""
    benefits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SimulationReport:
    company_name: str
    siren: str | None
    simulated_on: date
    rule_set_version: str
    answers: tuple[Answer, ...]
    products: tuple[ProductResult, ...]
    total: Decimal
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ProductComparison:
    code: str
    name: str
    old_eligible: bool
    new_eligible: bool
    old_amount: Decimal | None = None
    new_amount: Decimal | None = None

    @property
    def delta(self) -> Decimal:
        return (self.new_amount or Decimal(0)) - (self.old_amount or Decimal(0))


@dataclass(frozen=True, slots=True)
class AnswerChange:
    question: str
    old: str | None
    new: str | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True, slots=True)
class Comparison:
    """A what-if: the stored simulation's answers and results beside the changed ones."""

    company_name: str
    siren: str | None
    compared_on: date
    rule_set_version: str
    old_answers: tuple[Answer, ...]
    new_answers: tuple[Answer, ...]
    products: tuple[ProductComparison, ...]
    old_total: Decimal
    new_total: Decimal

    @property
    def delta_total(self) -> Decimal:
        return self.new_total - self.old_total

    def answer_changes(self) -> tuple[AnswerChange, ...]:
        """Both answer sets side by side, by question, in the old order then the new-only questions."""
        old = {a.question: a.answer for a in self.old_answers}
        new = {a.question: a.answer for a in self.new_answers}
        questions = list(old) + [q for q in new if q not in old]
        return tuple(AnswerChange(q, old.get(q), new.get(q)) for q in questions)


@dataclass(frozen=True, slots=True)
class DossierRow:
    reference: str
    company: str
    product: str
    status: str
    status_label: str  # from public.dossier_statuses, in the document's language
    expert: str | None
    estimated: Decimal | None
    audited: Decimal | None
    obtained: Decimal | None
    created_on: date
    updated_on: date
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class DossierFilters:
    """The filters the list was exported with, printed on the document (``None`` = not filtered)."""

    status: str | None = None  # the status's label, as printed
    product: str | None = None
    expert: str | None = None
    created_from: date | None = None
    created_to: date | None = None


@dataclass(frozen=True, slots=True)
class DossierList:
    """Rows may be a generator: renderers read them once, in order, and never hold them all."""

    rows: Iterable[DossierRow]
    generated_on: date
    filters: DossierFilters = DossierFilters()


@dataclass(frozen=True, slots=True)
class DocumentItem:
    name: str
    state: str


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: datetime
    actor: str
    event: str


@dataclass(frozen=True, slots=True)
class DossierSummary:
    reference: str
    company_name: str
    siren: str | None
    product: str
    status: str
    status_label: str  # from public.dossier_statuses, in the document's language
    step: str  # "Audit (4/8)"; a cancelled dossier, outside the steps, shows its status
    expert: str | None
    estimated: Decimal | None
    audited: Decimal | None
    obtained: Decimal | None
    documents: tuple[DocumentItem, ...]
    timeline: tuple[TimelineEvent, ...]
    as_of: date
    refunded: Decimal | None = None  # the refund the client received (confirm_refund), the invoice's base


@dataclass(frozen=True, slots=True)
class KpiLine:
    """One organization, expert or product of the follow-up KPIs (``on_time_rate`` a ratio, 0–1)."""

    dimension: str  # organization, expert or product
    name: str
    closed: int
    on_time: int
    on_time_rate: Decimal | None
    breached_closed: int
    open: int
    breached_open: int
    breaches: int
    median_minutes: Decimal | None
    mean_minutes: Decimal | None


@dataclass(frozen=True, slots=True)
class KpiReport:
    """The follow-up KPIs of a period of local dates (both ends included), as of ``generated_on``."""

    start: date
    end: date
    generated_on: date
    lines: tuple[KpiLine, ...]
