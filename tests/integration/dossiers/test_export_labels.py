"""Exports take status labels and steps from public.dossier_statuses: a dossier with an open offer
reads the same in a French summary as on the dossier's screen (it once printed an English label and
"Hors parcours")."""

from __future__ import annotations

from shared.exports import repository
from shared.exports.dossier_inputs import summary
from tests.integration.dossiers.conftest import Flow
from tests.support import db as tdb


def test_a_dossier_awaiting_the_experts_acceptance_reads_the_same_everywhere(flow: Flow) -> None:
    flow.put("expert_pending_acceptance")
    tdb.as_user(flow.conn, flow.users["admin_a"])
    row = repository.dossier(flow.conn, dossier_id=flow.dossier, lang="fr")
    assert row is not None
    built = summary(row, [], [], as_of=row["created_at"].date(), lang="fr")
    assert (built.status_label, built.step) == ("En attente d'acceptation par l'expert", "Expert (2/8)")
    english = repository.dossier(flow.conn, dossier_id=flow.dossier, lang="en")
    assert english is not None and (english["status_label"], english["step_text"]) == (
        "Awaiting the expert's acceptance",
        "Expert (2/8)",
    )


def test_a_held_dossier_shows_the_step_it_keeps_and_a_cancelled_one_its_status(flow: Flow) -> None:
    flow.put("on_hold", held_status="audit_in_progress")
    tdb.as_user(flow.conn, flow.users["admin_a"])
    row = repository.dossier(flow.conn, dossier_id=flow.dossier, lang="fr")
    assert row is not None and (row["status_label"], row["step_text"]) == ("En pause", "Audit (4/8)")
    tdb.as_owner(flow.conn)
    flow.put("cancelled", held_status=None)
    tdb.as_user(flow.conn, flow.users["admin_a"])
    row = repository.dossier(flow.conn, dossier_id=flow.dossier, lang="fr")
    assert row is not None
    assert summary(row, [], [], as_of=row["created_at"].date(), lang="fr").step == "Annulé"


def test_list_rows_carry_the_label_and_unknown_status_filters_list_the_real_codes(flow: Flow) -> None:
    tdb.as_user(flow.conn, flow.users["admin_a"])
    codes = repository.status_codes(flow.conn)
    assert codes[:2] == ["pending_upload", "pending_admin_validation"] and "expert_selection" not in codes
    rows = list(
        repository.dossiers(
            flow.conn, organization_id=flow.market.world.org_a, time_zone="Europe/Paris", status=None, product=None,
            expert_id=None, created_from=None, created_to=None, lang="en",
        )
    )  # fmt: skip
    assert [r["status_label"] for r in rows] == ["Eligibility documents to upload"]
