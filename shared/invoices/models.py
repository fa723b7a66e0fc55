"""Invoicing models: the documents the renderer draws and the `invoices` function's requests and answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.dossiers.models import IsoDate

InvoiceStatus = Literal["issued", "partially_paid", "paid", "cancelled"]
PaymentMethod = Literal["virement", "prelevement", "cheque", "autre"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=14, decimal_places=2),
    AfterValidator(lambda value: value.quantize(Decimal("0.01"))),  # 1E+2 is sent as 100.00
]


# --- what a Factur-X document says --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Party:
    """A seller or a buyer as the invoice names it (snapshotted at issue)."""

    name: str
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    address: str = ""
    postal_code: str = ""
    city: str = ""
    country_code: str = "FR"
    iban: str | None = None
    bic: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any], *, seller: bool) -> Party:
        name = data.get("legal_name") if seller else data.get("name")
        return cls(
            name=str(name or data.get("name") or ""),
            siren=data.get("siren"),
            siret=data.get("siret"),
            vat_number=data.get("vat_number"),
            address=str(data.get("address") or ""),
            postal_code=str(data.get("postal_code") or ""),
            city=str(data.get("city") or ""),
            country_code=str(data.get("country_code") or "FR"),
            iban=data.get("iban"),
            bic=data.get("bic"),
        )


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """An invoice (or a credit note correcting one) with every figure it prints and embeds."""

    number: str
    issue_date: dt.date
    seller: Party
    buyer: Party
    product_code: str
    invoice_ht: Decimal
    vat_rate: Decimal
    vat: Decimal
    invoice_ttc: Decimal
    due_date: dt.date | None = None
    refund_amount: Decimal | None = None
    refunded_on: dt.date | None = None
    refund_reference: str = ""
    client_fee_rate: Decimal | None = None
    expert_fee: Decimal | None = None
    platform_fee_rate: Decimal | None = None
    expert_net: Decimal | None = None
    paid_amount: Decimal = Decimal(0)
    legal_footer: str = ""
    # credit notes only
    is_credit_note: bool = False
    corrected_number: str | None = None
    corrected_issue_date: dt.date | None = None
    reason: str = ""

    @property
    def amount_due(self) -> Decimal:
        return self.invoice_ttc - self.paid_amount


# --- the `invoices` function --------------------------------------------------------------------
class ListQuery(BaseModel):
    """Query string of `GET /invoices`: filters and a keyset page (newest first)."""

    model_config = ConfigDict(extra="forbid")

    status: InvoiceStatus | None = None
    dossier_id: UUID | None = None
    client_company_id: UUID | None = None
    issued_from: IsoDate | None = None
    issued_to: IsoDate | None = None
    limit: int = Field(default=50, ge=1, le=200)
    after: UUID | None = Field(default=None, description="the last invoice id of the previous page")


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: InvoiceStatus | None = None
    issued_from: IsoDate | None = None
    issued_to: IsoDate | None = None
    lang: Literal["fr", "en"] = "fr"


class ConfirmRefundIn(BaseModel):
    """`confirm_refund`: the refund the administration paid (R), when, and its reference."""

    model_config = ConfigDict(extra="forbid")

    refund_amount: Amount
    refund_date: IsoDate
    payment_reference: Reference


class RecordPaymentIn(BaseModel):
    """`record_payment`: a payment of the invoice received by the platform."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount
    paid_on: IsoDate
    method: PaymentMethod
    reference: Reference


class CreditNoteIn(BaseModel):
    """A credit note: without `amount_ht`, the whole (unpaid) invoice."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    amount_ht: Amount | None = None


class DeclarePaymentIn(BaseModel):
    """A client's "paiement effectué": a timeline event for the admins, no state change."""

    model_config = ConfigDict(extra="forbid")

    paid_on: IsoDate
    amount: Amount | None = None
    reference: Reference | None = None


class InvoiceOut(BaseModel):
    id: UUID
    number: str
    dossier_id: UUID
    client_company_id: UUID
    client_name: str
    product_code: str
    issue_date: dt.date
    due_date: dt.date
    refund_amount: Decimal
    client_fee_rate: Decimal
    expert_fee: Decimal
    platform_fee_rate: Decimal
    invoice_ht: Decimal
    vat_rate: Decimal
    vat: Decimal
    invoice_ttc: Decimal
    expert_net: Decimal
    status: InvoiceStatus
    paid_amount: Decimal
    credited_amount: Decimal
    balance: Decimal
    has_document: bool


class CreditNoteOut(BaseModel):
    id: UUID
    number: str
    invoice_id: UUID
    issue_date: dt.date
    is_full: bool
    reason: str
    amount_ht: Decimal
    vat: Decimal
    amount_ttc: Decimal


class PaymentOut(BaseModel):
    id: UUID
    invoice_id: UUID
    amount: Decimal
    paid_on: dt.date
    method: PaymentMethod
    reference: str


class InvoiceDetail(InvoiceOut):
    seller: dict[str, Any]
    buyer: dict[str, Any]
    refunded_on: dt.date
    refund_reference: str
    credit_notes: list[CreditNoteOut]
    payments: list[PaymentOut]


class InvoicePage(BaseModel):
    items: list[InvoiceOut]
    next_after: UUID | None = None


class DownloadOut(BaseModel):
    url: str
    expires_in: int
    file_name: str
    sha256: str
