"""Dossier rows to the renderers' inputs: references, workflow steps, the timeline in words."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.exports.dossier_inputs import dossier_rows, event_text, reference, step, summary

ID = uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000")


def dossier(**over: Any) -> dict[str, Any]:
    return {
        "id": ID, "organization_id": uuid.uuid4(), "status": "expert_assigned", "status_label": "Expert attribué",
        "step_text": "Documents (3/8)", "product_code": "ticpe",
        "product": "TICPE", "estimated_amount": Decimal("12000.00"), "audited_amount": None, "document_count": 0,
        "source_simulation_id": uuid.uuid4(), "created_at": datetime(2026, 3, 1, 9), "assigned_at":
        datetime(2026, 3, 5, 10), "company": "Transports Martin", "siren": "732829320", "expert": "Jean Dupont",
        "time_zone": "Europe/Paris", **over,
    }  # fmt: skip


def test_references_are_short_and_stable() -> None:
    assert reference("D", ID) == "D-1A2B3C4D" and reference("SIM", str(ID)) == "SIM-1A2B3C4D"


def test_the_step_is_the_reference_tables_or_the_status_outside_the_steps() -> None:
    assert step({"step_text": "Audit (4/8)", "status_label": "Audit en cours"}) == "Audit (4/8)"
    assert step({"step_text": None, "status_label": "Annulé"}) == "Annulé"


def test_the_timeline_is_in_order_with_every_source() -> None:
    history = [
        {"at": datetime(2026, 3, 1, 9), "amount": Decimal("10000"), "previous_amount": None, "source": "simulation",
         "applied": True},
        {"at": datetime(2026, 3, 2, 9), "amount": Decimal("12000"), "previous_amount": Decimal("10000"),
         "source": "simulation", "applied": True},
        {"at": datetime(2026, 3, 9, 9), "amount": Decimal("15000"), "previous_amount": None, "source": "simulation",
         "applied": False},
    ]  # fmt: skip
    events = [{"at": datetime(2026, 3, 4, 8), "kind": "offer_accepted", "actor_kind": "user", "expert": "Jean Dupont",
               "by_expert": True},
              {"at": datetime(2026, 3, 3, 8), "kind": "offer_made", "actor_kind": "system", "expert": "Jean Dupont",
               "by_expert": False}]  # fmt: skip
    built = summary(dossier(document_count=3), history, events, as_of=date(2026, 3, 10))
    lines = [(e.actor, e.event) for e in built.timeline]
    assert lines == [
        ("Plateforme", "Dossier créé à la suite d'une simulation"),
        ("Simulation", "Montant estimé : 10\u202f000,00\u00a0€"),
        ("Simulation", "Montant estimé : 10\u202f000,00\u00a0€ → 12\u202f000,00\u00a0€"),
        ("Plateforme", "Dossier proposé à un expert"),
        ("Jean Dupont", "Proposition acceptée par l'expert"),
        ("Plateforme", "Expert attribué : Jean Dupont"),
        ("Simulation", "Nouvelle estimation enregistrée sans modifier le dossier : 15\u202f000,00\u00a0€"),
    ]
    assert built.reference == "D-1A2B3C4D" and (built.step, built.status_label) == (
        "Documents (3/8)",
        "Expert attribué",
    )
    assert [(d.name, d.state) for d in built.documents] == [("3 pièce(s) déposée(s)", "uploaded")]


def test_a_bare_dossier_summary() -> None:
    built = summary(dossier(source_simulation_id=None, assigned_at=None, expert=None), [], [], as_of=date(2026, 3, 10),
                    lang="en")  # fmt: skip
    assert [e.event for e in built.timeline] == ["Case created"] and built.documents == ()
    assert built.expert is None and built.obtained is None


def test_unknown_event_kinds_stay_readable() -> None:
    assert event_text("offer_withdrawn", "en") == "Offer withdrawn"
    assert event_text("something_new") == "Something new"


def test_list_rows() -> None:
    row = {"id": ID, "company": "A1", "product": None, "product_code": "ticpe", "status": "closed",
           "status_label": "Clôturé", "expert": None,
           "estimated_amount": Decimal("1.50"), "audited_amount": None, "created_on": date(2026, 1, 1),
           "updated_on": date(2026, 1, 2), "priority": 2}  # fmt: skip
    (out,) = dossier_rows([row])
    assert (out.reference, out.product, out.estimated) == ("D-1A2B3C4D", "ticpe", Decimal("1.50"))
    assert (out.obtained, out.priority, out.status) == (None, 2, "closed")
