"""The daily digest: 08:30 local on working days, the items still unread, once per user and day, none when
nothing is unread; rendered in the user's language with hostile titles escaped."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from shared.notifications.render import Branding, render_outbox
from tests.integration.conftest import World
from tests.support import db as tdb

PARIS = ZoneInfo("Europe/Paris")


def _next_weekday(at: str, *, saturday: bool = False) -> dt.datetime:
    day = dt.datetime.now(PARIS).date() + dt.timedelta(days=1)
    while (day.isoweekday() == 6) != saturday or (not saturday and day.isoweekday() == 7):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.fromisoformat(at), PARIS)


def _uploads(conn: tdb.Conn, world: World, n: int) -> uuid.UUID:
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, expert_id)"
        " values (%s, %s, 'ticpe', %s) returning id",
        (world.org_a, world.companies["ca1"], world.experts["expert_a"]),
    ).fetchone()
    assert row is not None
    conn.execute(
        "insert into public.dossier_events (organization_id, dossier_id, type, actor_kind, actor_id, actor_role,"
        " title_fr, title_en, visibility)"
        " select %s, %s, 'document_uploaded', 'user', %s, 'client', 'Document <script>x</script> ' || g, 'Doc',"
        " 'client'"
        " from generate_series(1, %s) g",
        (world.org_a, row["id"], world.users["client_a"], n),
    )
    return uuid.UUID(str(row["id"]))


def _compose(conn: tdb.Conn, at: dt.datetime) -> int:
    row = conn.execute("select private.compose_digests(%s) as n", (at,)).fetchone()
    assert row is not None
    return int(row["n"])


def _digests(conn: tdb.Conn, user: uuid.UUID) -> list[dict[str, object]]:
    return conn.execute(
        "select template, template_values, locale, status, essential from public.email_outbox"
        " where recipient_id = %s and event = 'digest'",
        (user,),
    ).fetchall()


def test_the_digest_lists_what_is_still_unread_once_a_day_at_0830(conn: tdb.Conn, world: World) -> None:
    expert = world.users["expert_a"]
    conn.execute("insert into public.notification_settings (user_id, locale) values (%s, 'en')", (expert,))
    _uploads(conn, world, 3)
    conn.execute(
        "update public.notifications set status = 'read' where id = (select id from public.notifications"
        " where recipient_id = %s order by created_at, id limit 1)",
        (expert,),
    )
    # other tests' committed rows may be waiting too: count this user's digests, not the run's
    _compose(conn, _next_weekday("08:20"))  # too early
    _compose(conn, _next_weekday("10:00", saturday=True))  # not a working day
    assert _digests(conn, expert) == []
    assert _compose(conn, _next_weekday("08:35")) >= 1
    _compose(conn, _next_weekday("08:50"))  # once a day
    [digest] = _digests(conn, expert)
    assert digest["template"] == "digest" and digest["locale"] == "en" and digest["status"] == "queued"
    values = digest["template_values"]
    assert isinstance(values, dict) and values["count"] == 2 and len(values["items"]) == 2
    mail = render_outbox(
        "digest", "en", values, organization=Branding("Org A"), recipient_name="Eve", unsubscribe_url=None
    )
    assert mail.subject.startswith("Your digest for") and mail.subject.endswith("2 unread notifications")
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "Document <script>x</script>" in mail.text
    # nothing waits any more
    waiting = conn.execute(
        "select count(*) as n from public.notifications where recipient_id = %s and email_digest", (expert,)
    ).fetchone()
    assert waiting == {"n": 0}


def test_no_digest_when_everything_was_read(conn: tdb.Conn, world: World) -> None:
    expert = world.users["expert_a"]
    _uploads(conn, world, 2)
    conn.execute("update public.notifications set status = 'read' where recipient_id = %s", (expert,))
    _compose(conn, _next_weekday("09:00"))
    assert _digests(conn, expert) == []
    ledger = conn.execute("select items from public.notification_digests where user_id = %s", (expert,)).fetchall()
    assert ledger == [{"items": 0}]


def test_digest_rows_under_rls(conn: tdb.Conn, world: World) -> None:
    _uploads(conn, world, 1)
    assert _compose(conn, _next_weekday("09:00")) >= 1
    for persona, count in {"expert_a": 1, "owner_a": 0, "client_a": 0, "outsider": 0}.items():
        with conn.transaction(force_rollback=True):
            tdb.as_user(conn, world.users[persona])
            row = conn.execute("select count(*) as n from public.notification_digests").fetchone()
            assert row == {"n": count}, persona
