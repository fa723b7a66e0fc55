"""The notifications' and outbox's references, kept as foreign keys through the cheaper fan-out (0170): a
missing organization, dossier or event is refused with 23503 naming the key, deleting an organization or a
dossier removes its notifications (and outbox rows), a notification event in use cannot be deleted or
renamed; and the timeline broadcasts (payload built once per event, one row per audience)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb

_INSERT = (
    "insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, dedupe_key)"
    " values (%s, %s, %s, %s, 'Titre', %s)"
)


def _dossier(conn: tdb.Conn, world: World, org: uuid.UUID | None = None, company: str = "ca1") -> uuid.UUID:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code)"
        " values (%s, %s, 'ticpe') returning id",
        (org or world.org_a, world.companies[company]),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def _count(conn: tdb.Conn, sql: str, *params: object) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize(
    ("column", "parent"),
    [("organization_id", "organizations"), ("dossier_id", "dossiers"), ("event", "notification_events")],
)
def test_a_notification_with_a_missing_parent_is_refused_naming_the_key(
    conn: tdb.Conn, world: World, column: str, parent: str
) -> None:
    dossier = _dossier(conn, world)
    values = {"organization_id": world.org_a, "dossier_id": dossier, "event": "audit_completed"}
    values[column] = "no_such_event" if column == "event" else uuid.uuid4()
    good = (world.org_a, world.users["client_a"], "audit_completed", dossier, f"ref-test:good:{column}")
    bad = (values["organization_id"], world.users["client_a"], values["event"], values["dossier_id"], "ref-test:bad")
    conn.execute("savepoint s")
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as caught:
        # one statement, two rows: the good one does not hide the bad one
        conn.execute(
            "insert into public.notifications (organization_id, recipient_id, event, dossier_id, title, dedupe_key)"
            " values (%s, %s, %s, %s, 'Titre', %s), (%s, %s, %s, %s, 'Titre', %s)",
            (*good, *bad),
        )
    conn.execute("rollback to savepoint s")
    assert caught.value.diag.message_detail is not None
    assert f"Key ({column})=({values[column]})" in caught.value.diag.message_detail
    assert parent in caught.value.diag.message_detail
    conn.execute(_INSERT, good)  # the good row alone passes
    # a key changed later to a missing one is refused too
    conn.execute("savepoint s")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            f"update public.notifications set {column} = %s where dedupe_key = %s",  # noqa: S608 (fixed columns)
            (values[column], good[4]),
        )
    conn.execute("rollback to savepoint s")


def test_outbox_rows_need_their_organization(conn: tdb.Conn, world: World) -> None:
    conn.execute("savepoint s")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            "insert into public.email_outbox (organization_id, idempotency_key, to_address, subject, html, text_body,"
            " event) values (%s, 'ref-test:mail', 'a@example.test', 'Sujet', '<p>x</p>', 'x', 'audit_completed')",
            (uuid.uuid4(),),
        )
    conn.execute("rollback to savepoint s")


def test_deleting_a_dossier_or_an_organization_removes_what_referred_to_it(conn: tdb.Conn, world: World) -> None:
    org = tdb.make_org(conn, "Org gone")
    world.companies["gone"] = tdb.make_company(conn, org, name="Gone SA")
    world.companies["gone2"] = tdb.make_company(conn, org, name="Gone 2 SA")
    kept, gone = _dossier(conn, world, org, "gone"), _dossier(conn, world, org, "gone2")
    user = world.users["client_a"]
    conn.execute(_INSERT, (org, user, "audit_completed", kept, "ref-test:kept"))
    conn.execute(_INSERT, (org, user, "audit_completed", gone, "ref-test:gone"))
    conn.execute(_INSERT, (org, user, "reminder", None, "ref-test:no-dossier"))
    conn.execute(
        "insert into public.email_outbox (organization_id, idempotency_key, to_address, subject, html, text_body,"
        " event) values (%s, 'ref-test:mail', 'a@example.test', 'Sujet', '<p>x</p>', 'x', 'audit_completed')",
        (org,),
    )
    conn.execute("delete from public.dossiers where id = %s", (gone,))
    left = "select count(*) as n from public.notifications where dedupe_key like 'ref-test:%%'"
    assert _count(conn, left) == 2
    conn.execute("delete from public.organizations where id = %s", (org,))
    assert _count(conn, left) == 0
    assert _count(conn, "select count(*) as n from public.email_outbox where idempotency_key = 'ref-test:mail'") == 0


def test_an_event_in_use_cannot_be_deleted_or_renamed(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    conn.execute(_INSERT, (world.org_a, world.users["client_a"], "audit_started", dossier, "ref-test:in-use"))
    for statement in (
        "delete from public.notification_events where code = 'audit_started'",
        "update public.notification_events set code = 'audit_begun' where code = 'audit_started'",
    ):
        conn.execute("savepoint s")
        with pytest.raises(psycopg.errors.IntegrityError):
            conn.execute(statement)
        conn.execute("rollback to savepoint s")
    # other columns of a used event still change
    conn.execute("update public.notification_events set label_en = label_en where code = 'audit_started'")


def test_timeline_broadcast_payload_is_one_per_audience_with_the_event(conn: tdb.Conn, world: World) -> None:
    dossier = _dossier(conn, world)
    row = conn.execute(
        "insert into public.dossier_events (organization_id, dossier_id, type, command, actor_kind, title_fr,"
        " title_en, details, visibility) values (%s, %s, 'start_audit', 'start_audit', 'system', 'Audit démarré',"
        " 'Audit started', '{\"note\": \"<b>x</b>\"}', 'client') returning id, created_at",
        (world.org_a, dossier),
    ).fetchone()
    assert row is not None
    topics = conn.execute(
        "select topic, payload from realtime.messages where event = 'dossier_event' and payload ->> 'id' = %s"
        " order by topic",
        (str(row["id"]),),
    ).fetchall()
    assert [t["topic"] for t in topics] == [f"dossier:{dossier}:{a}" for a in ("client", "expert", "staff")]
    payload = topics[0]["payload"]
    assert all(t["payload"] == payload for t in topics)
    assert payload["dossier_id"] == str(dossier) and payload["type"] == "start_audit"
    assert payload["details"] == {"note": "<b>x</b>"} and payload["visibility"] == "client"
    assert set(payload) == {
        "id", "dossier_id", "type", "command", "from_status", "to_status", "actor_role", "actor_name", "title_fr",
        "title_en", "details", "visibility", "created_at",
    }  # fmt: skip
