"""From dossier rows to the renderers' inputs: references, the workflow step, the timeline in words.

Pure. Rows come from :mod:`shared.exports.repository` with their dates already in the organization's
time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from shared.exports.formatting import format_amount, lang_of
from shared.exports.models import DocumentItem, DossierRow, DossierSummary, TimelineEvent

Row = Mapping[str, Any]

_EVENTS: dict[str, tuple[str, str]] = {
    "created": ("Dossier créé", "Case created"),
    "created_from_simulation": ("Dossier créé à la suite d'une simulation", "Case created from a simulation"),
    "estimate_applied": ("Montant estimé : {amount}", "Estimated amount: {amount}"),
    "estimate_changed": ("Montant estimé : {previous} → {amount}", "Estimated amount: {previous} → {amount}"),
    "estimate_recorded": (
        "Nouvelle estimation enregistrée sans modifier le dossier : {amount}",
        "New estimate recorded without changing the case: {amount}",
    ),
    "expert_assigned": ("Expert attribué : {expert}", "Expert assigned: {expert}"),
    "offer_made": ("Dossier proposé à un expert", "Case offered to an expert"),
    "offer_accepted": ("Proposition acceptée par l'expert", "Offer accepted by the expert"),
    "offer_declined": ("Proposition déclinée par l'expert", "Offer declined by the expert"),
    "offer_expired": ("Proposition expirée sans réponse", "Offer expired without an answer"),
    "offer_withdrawn": ("Proposition retirée", "Offer withdrawn"),
    "expert_proposed": ("Expert proposé", "Expert proposed"),
    "assignment_forced": ("Expert attribué par l'administrateur", "Expert assigned by an administrator"),
    "expert_released": ("Expert libéré du dossier", "Expert released from the case"),
    "handed_over": ("Dossier transmis au suppléant de l'expert", "Case handed over to the expert's substitute"),
    "returned_to_matching": ("Retour à la recherche d'un expert", "Back to finding an expert"),
    "assignment_failed": ("Aucun expert disponible", "No expert available"),
    "review_posted": ("Avis publié sur l'expert", "Review of the expert posted"),
}
_ACTORS: dict[str, tuple[str, str]] = {
    "system": ("Plateforme", "Platform"),
    "simulation": ("Simulation", "Simulation"),
    "audit": ("Expert", "Expert"),
    "admin": ("Administrateur", "Administrator"),
    "user": ("Utilisateur", "User"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang_of(lang) == "fr" else pair[1]


def reference(prefix: str, record_id: uuid.UUID | str) -> str:
    """A short, stable reference to print: ``D-1A2B3C4D`` for a dossier, ``SIM-…`` for a simulation."""
    return f"{prefix}-{uuid.UUID(str(record_id)).hex[:8].upper()}"


def step(row: Row) -> str:
    """The workflow step as public.dossier_statuses gives it (``Audit (4/8)``, read by the repository);
    a cancelled dossier, outside the steps, shows its status instead."""
    return str(row["step_text"] or row["status_label"])


def event_text(kind: str, lang: str = "fr", **values: str) -> str:
    known = _EVENTS.get(kind)
    text = _pick(known, lang) if known else kind.replace("_", " ").capitalize()
    return text.format(**values) if values else text


def actor(kind: str, lang: str = "fr") -> str:
    return _pick(_ACTORS.get(kind, _ACTORS["user"]), lang)


def dossier_rows(rows: Iterable[Row]) -> Iterator[DossierRow]:
    """List rows (streamed) as the renderers' rows."""
    for r in rows:
        yield DossierRow(
            reference=reference("D", r["id"]),
            company=r["company"] or "",
            product=r["product"] or r["product_code"],
            status=r["status"],
            status_label=r["status_label"],
            expert=r["expert"],
            estimated=r["estimated_amount"],
            audited=r["audited_amount"],
            obtained=r.get("granted_amount"),
            created_on=r["created_on"],
            updated_on=r["updated_on"],
            priority=r["priority"],
        )


def _amount_event(row: Row, lang: str) -> TimelineEvent:
    amount = format_amount(row["amount"], lang)
    if not row["applied"]:
        text = event_text("estimate_recorded", lang, amount=amount)
    elif row["previous_amount"] is not None and row["previous_amount"] != row["amount"]:
        text = event_text("estimate_changed", lang, previous=format_amount(row["previous_amount"], lang), amount=amount)
    else:
        text = event_text("estimate_applied", lang, amount=amount)
    return TimelineEvent(row["at"], actor(row["source"], lang), text)


def timeline(dossier: Row, history: Iterable[Row], events: Iterable[Row], lang: str) -> tuple[TimelineEvent, ...]:
    """Creation, every estimate, the assignment and the marketplace events the caller may see, in order."""
    created = "created_from_simulation" if dossier["source_simulation_id"] else "created"
    items = [TimelineEvent(dossier["created_at"], actor("system", lang), event_text(created, lang))]
    items += [_amount_event(row, lang) for row in history]
    if dossier["assigned_at"] is not None and dossier["expert"]:
        text = event_text("expert_assigned", lang, expert=dossier["expert"])
        items.append(TimelineEvent(dossier["assigned_at"], actor("system", lang), text))
    for e in events:
        who = e["expert"] if e["by_expert"] and e["expert"] else actor(e["actor_kind"], lang)
        items.append(TimelineEvent(e["at"], who, event_text(e["kind"], lang)))
    return tuple(sorted(items, key=lambda item: item.at))


def documents(dossier: Row, lang: str) -> tuple[DocumentItem, ...]:
    """The checklist. Until dossiers have their own document records, the uploaded count stands for it."""
    count = int(dossier["document_count"] or 0)
    if not count:
        return ()
    name = f"{count} pièce(s) déposée(s)" if lang_of(lang) == "fr" else f"{count} document(s) uploaded"
    return (DocumentItem(name, "uploaded"),)


def summary(
    dossier: Row, history: Iterable[Row], events: Iterable[Row], *, as_of: date, lang: str = "fr"
) -> DossierSummary:
    estimated: Decimal | None = dossier["estimated_amount"]
    return DossierSummary(
        reference=reference("D", dossier["id"]),
        company_name=dossier["company"] or "",
        siren=dossier["siren"],
        product=dossier["product"] or dossier["product_code"],
        status=dossier["status"],
        status_label=dossier["status_label"],
        step=step(dossier),
        expert=dossier["expert"],
        estimated=estimated,
        audited=dossier["audited_amount"],
        obtained=dossier.get("granted_amount"),
        refunded=dossier.get("refunded_amount"),
        documents=documents(dossier, lang),
        timeline=timeline(dossier, history, events, lang),
        as_of=as_of,
    )
