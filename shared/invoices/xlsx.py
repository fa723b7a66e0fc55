"""The invoice list as XLSX, with the exports' workbook builder: branded, amounts as numbers with a
euro format, dates as dates, header frozen and filtered, totals below. Staff also get the partner's
share and the platform's net; other readers only the columns their invoices show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from shared.exports._xlsx_book import Book, Row, S, Sheet
from shared.exports.models import Branding

_HEADERS = {
    "number": ("Numéro", "Number"),
    "issue_date": ("Émise le", "Issued on"),
    "due_date": ("Échéance", "Due"),
    "client": ("Client", "Client"),
    "product": ("Produit", "Product"),
    "refund": ("Remboursement", "Refund"),
    "expert_fee": ("Honoraires", "Fees"),
    "ht": ("HT", "Excl. VAT"),
    "vat": ("TVA", "VAT"),
    "ttc": ("TTC", "Incl. VAT"),
    "paid": ("Réglé", "Paid"),
    "credited": ("Avoirs", "Credited"),
    "balance": ("Solde", "Balance"),
    "status": ("Statut", "Status"),
    "partner": ("Part apporteur", "Partner share"),
    "platform_net": ("Net plateforme", "Platform net"),
}
_STATUS = {
    "issued": ("Émise", "Issued"),
    "partially_paid": ("Partiellement payée", "Partly paid"),
    "paid": ("Payée", "Paid"),
    "cancelled": ("Annulée", "Cancelled"),
}
_TEXT = {
    "title": ("Factures", "Invoices"),
    "generated": ("Édité le", "Generated on"),
    "total": ("Total", "Total"),
    "count": ("Nombre de factures", "Number of invoices"),
}
_AMOUNTS = (
    "refund_amount",
    "expert_fee",
    "invoice_ht",
    "vat",
    "invoice_ttc",
    "paid_amount",
    "credited_amount",
    "balance",
)


def _pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    fr, en = table[key]
    return fr if lang == "fr" else en


def invoice_list_xlsx(
    rows: Sequence[dict[str, Any]], branding: Branding, day: dt.date, lang: str = "fr", *, with_split: bool = False
) -> bytes:
    lang = "en" if lang == "en" else "fr"
    keys = ["number", "issue_date", "due_date", "client", "product", "refund", "expert_fee", "ht", "vat", "ttc",
            "paid", "credited", "balance", "status"]  # fmt: skip
    widths: list[float] = [16, 12, 12, 30, 12, 15, 14, 13, 12, 13, 13, 13, 13, 18]
    styles: list[int] = [S.TEXT, S.DATE, S.DATE, S.TEXT, S.TEXT, *[S.MONEY] * 8, S.TEXT]
    if with_split:
        keys += ["partner", "platform_net"]
        widths += [14, 14]
        styles += [S.MONEY, S.MONEY]
    title = _pick(_TEXT, "title", lang)
    totals = {key: Decimal(0) for key in (*_AMOUNTS, "partner_commission", "platform_net")}

    def body() -> Any:
        for r in rows:
            for key in totals:
                totals[key] += Decimal(r.get(key) or 0)
            values: list[object] = [
                r["number"],
                r["issue_date"],
                r["due_date"],
                r["client_name"],
                str(r["product_code"]).upper(),
                *[r[key] for key in _AMOUNTS],
                _pick(_STATUS, r["status"], lang),
            ]
            if with_split:
                values += [r.get("partner_commission") or Decimal(0), r["platform_net"]]
            yield Row(values, styles)

    def tail() -> list[Row]:
        values: list[object] = [_pick(_TEXT, "total", lang), "", "", "", "", *[totals[k] for k in _AMOUNTS], ""]
        row_styles = [S.TOTAL] * 5 + [S.TOTAL_MONEY] * len(_AMOUNTS) + [S.TOTAL]
        if with_split:
            values += [totals["partner_commission"], totals["platform_net"]]
            row_styles += [S.TOTAL_MONEY, S.TOTAL_MONEY]
        rows_out = [Row(values, row_styles), Row((_pick(_TEXT, "count", lang), len(rows)), (S.BOLD, S.INTEGER))]
        if branding.legal_footer:
            rows_out += [Row(), Row((branding.legal_footer,), S.NOTE, merge=True)]
        return rows_out

    head = [
        Row((branding.organization_name,), S.TITLE, height=22),
        Row((title,), S.BOLD),
        Row((_pick(_TEXT, "generated", lang), day), (S.BOLD, S.DATE)),
        Row(),
        Row([_pick(_HEADERS, k, lang) for k in keys], S.HEADER, height=32),
    ]
    sheet = Sheet(name=title, widths=widths, head=head, body=body(), tail=tail, landscape=True)
    return Book(branding, title, day, lang, [sheet]).render()
