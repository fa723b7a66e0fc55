"""Document fixtures on top of the integration `world`."""

from __future__ import annotations

import pytest

from tests.integration.conftest import World
from tests.support import db as tdb
from tests.support.documents import Docs, make_dossier


@pytest.fixture
def docs(conn: tdb.Conn, world: World) -> Docs:
    """Company A1 (client_a): a TICPE dossier in pending_upload and an URSSAF dossier with expert_a in
    expert_assigned; company A2 (client_a2): an URSSAF dossier with expert_a; company B1: a TICPE
    dossier with expert_b."""
    w = world
    dossiers = {
        "ticpe": make_dossier(conn, w.org_a, w.companies["ca1"], "ticpe", "pending_upload", None),
        "urssaf": make_dossier(conn, w.org_a, w.companies["ca1"], "urssaf", "expert_assigned", w.experts["expert_a"]),
        "other": make_dossier(conn, w.org_a, w.companies["ca2"], "urssaf", "expert_assigned", w.experts["expert_a"]),
        "b": make_dossier(conn, w.org_b, w.companies["cb1"], "ticpe", "expert_assigned", w.experts["expert_b"]),
    }
    return Docs(conn, world, dossiers)
