"""From database rows and JSON to the `dossier` function's answers: labels in the asked language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.dossiers.models import (
    AllowedCommand,
    AllowedCommands,
    CommandOut,
    DossierCard,
    DossierDetail,
    OfferBrief,
    OfferBriefList,
    StatusList,
    StatusOut,
    Timeline,
    TimelineEvent,
)

Row = dict[str, Any]
_COMMAND_KEYS = ("dossier_id", "command", "status", "step", "progress")
# Amounts in euros a command reports (the invoice of confirm_refund and record_payment, a credit note…):
# the database's JSON carries them as numbers; the API answers money as decimal strings, 2 decimals.
_MONEY_KEYS = frozenset({
    "amount", "amount_ht", "balance", "claimed_amount", "credited_amount", "expert_fee", "expert_net",
    "granted_amount", "invoice_ht", "invoice_ttc", "paid_amount", "partner_commission", "platform_net",
    "refund_amount", "refunded_amount", "vat",
})  # fmt: skip


def _money_as_strings(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _money_as_strings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_money_as_strings(v, key) for v in value]
    if key in _MONEY_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{Decimal(str(value)):.2f}"
    return value


def _pick(row: Row, name: str, lang: str) -> Any:
    return row.get(f"{name}_{lang}") if lang == "en" else row.get(f"{name}_fr")


def command(answer: Row) -> CommandOut:
    """The dispatcher's JSON: where the dossier stands, and the command's own report beside it."""
    return CommandOut(
        **{key: answer.get(key) for key in _COMMAND_KEYS},
        result=_money_as_strings({key: value for key, value in answer.items() if key not in _COMMAND_KEYS}),
    )


def event(row: Row, lang: str) -> TimelineEvent:
    return TimelineEvent(**row, title=_pick(row, "title", lang))


def timeline(rows: list[Row], lang: str) -> Timeline:
    return Timeline(items=[event(row, lang) for row in rows])


def allowed(dossier_id: UUID, status: str, rows: list[Row]) -> AllowedCommands:
    return AllowedCommands(dossier_id=dossier_id, status=status, items=[AllowedCommand(**row) for row in rows])


def status(row: Row, lang: str) -> StatusOut:
    return StatusOut(
        code=row["code"],
        step=row["step"],
        progress=row["progress"],
        label=_pick(row, "label", lang),
        step_label=_pick(row, "step_label", lang),
        is_open=row["is_open"],
        is_matchable=row["is_matchable"],
        is_finished=row["is_finished"],
        waiting_on=row["waiting_on"],
    )


def statuses(rows: list[Row], lang: str) -> StatusList:
    return StatusList(items=[status(row, lang) for row in rows])


def card(row: Row) -> DossierCard:
    return DossierCard(**row)


def detail(data: Row, lang: str) -> DossierDetail:
    events = [event(item, lang) for item in data.pop("timeline", [])]
    return DossierDetail(
        **data,
        status_label=_pick(data, "status_label", lang),
        step_label=_pick(data, "step_label", lang),
        timeline=events,
    )


def offers(rows: list[Row]) -> OfferBriefList:
    return OfferBriefList(items=[OfferBrief(**row) for row in rows])
