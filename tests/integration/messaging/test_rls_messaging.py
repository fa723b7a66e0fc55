"""RLS of the messaging tables, as every role, asserting row counts (a denied read is silent)."""

from __future__ import annotations

import pytest
from psycopg import errors as pg_errors

from tests.integration.messaging.conftest import Chat
from tests.support import db as tdb

TABLES = [
    "conversations",
    "conversation_participants",
    "messages",
    "message_versions",
    "message_reports",
    "messaging_suspensions",
    "messaging_preferences",
]

# Conversations of the scenario (conftest): dossier (client_a, expert_a; 2 messages), support A
# (client_a2 + owner_a, admin_a; 1), direct (expert_a, partner_a; 1), support B (client_b, owner_b; 1).
# Added here: client_a reports the expert's reply (the admins then read it and its edit version),
# partner_gone is suspended, client_a hides its receipts.
EXPECTED = {
    #               conv part msg ver rep susp pref
    "owner_a": (1, 3, 2, 1, 1, 1, 0),
    "admin_a": (1, 3, 2, 1, 1, 1, 0),
    "expert_a": (2, 4, 3, 0, 0, 0, 0),
    "expert_old": (0, 0, 0, 0, 0, 0, 0),  # released expert
    "pending_a": (0, 0, 0, 0, 0, 0, 0),
    "client_a": (1, 2, 2, 0, 1, 0, 1),
    "client_a2": (1, 3, 1, 0, 0, 0, 0),
    "partner_a": (1, 2, 1, 0, 0, 0, 0),
    "partner_gone": (0, 0, 0, 0, 0, 1, 0),  # unlinked partner
    "viewer_a": (0, 0, 0, 0, 0, 0, 0),
    "owner_b": (1, 2, 1, 0, 0, 0, 0),
    "client_b": (1, 2, 1, 0, 0, 0, 0),
    "expert_b": (0, 0, 0, 0, 0, 0, 0),
    "operator": (0, 0, 0, 0, 0, 0, 0),
    "outsider": (0, 0, 0, 0, 0, 0, 0),
}


@pytest.fixture
def rls_chat(chat: Chat) -> Chat:
    chat.ok(
        "client_a",
        "insert into public.message_reports (message_id, reason) values (%s, 'harcelement')",
        (chat.messages["reply"],),
    )
    chat.ok(
        "expert_a", "update public.messages set body = 'Merci, je vérifie.' where id = %s", (chat.messages["reply"],)
    )
    chat.conn.execute(
        "insert into public.messaging_suspensions (organization_id, user_id, reason) values (%s, %s, 'Spam')",
        (chat.world.org_a, chat.users["partner_gone"]),
    )
    chat.ok(
        "client_a",
        "insert into public.messaging_preferences (user_id, hide_receipts) values (%s, true)",
        (chat.users["client_a"],),
    )
    return chat


def _seen(chat: Chat) -> tuple[int, ...]:
    counts = []
    for table in TABLES:
        if table == "messaging_preferences":
            sql = "select count(*) as n from public.messaging_preferences where user_id = any(%s)"
            params: tuple[object, ...] = (list(chat.users.values()),)
        else:
            sql = f"select count(*) as n from public.{table} where organization_id = any(%s)"  # noqa: S608
            params = (list(chat.world.orgs),)
        row = chat.conn.execute(sql, params).fetchone()
        assert row is not None
        counts.append(int(row["n"]))
    return tuple(counts)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_exactly_its_rows(rls_chat: Chat, persona: str) -> None:
    with rls_chat.conn.transaction(force_rollback=True):
        tdb.as_user(rls_chat.conn, rls_chat.users[persona])
        seen = _seen(rls_chat)
    assert seen == EXPECTED[persona], dict(zip(TABLES, seen, strict=True))


def test_service_role_sees_everything(rls_chat: Chat) -> None:
    with rls_chat.conn.transaction(force_rollback=True):
        tdb.as_service(rls_chat.conn)
        assert _seen(rls_chat) == (4, 9, 5, 1, 1, 1, 1)


@pytest.mark.parametrize("table", TABLES)
def test_anon_is_refused_every_table(rls_chat: Chat, table: str) -> None:
    tdb.as_anon(rls_chat.conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), rls_chat.conn.transaction():
        rls_chat.conn.execute(f"select count(*) from public.{table}")  # noqa: S608


def test_anon_receives_no_realtime_message(rls_chat: Chat) -> None:
    tdb.as_anon(rls_chat.conn)
    with pytest.raises(pg_errors.InsufficientPrivilege), rls_chat.conn.transaction():
        rls_chat.conn.execute("select count(*) from realtime.messages")


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_realtime_messages_of_a_conversation_and_a_user_topic(rls_chat: Chat, persona: str) -> None:
    conversation = f"conversation:{rls_chat.conversations['dossier']}"
    user_topic = f"user:{rls_chat.users['client_a']}"
    sql = (
        "select count(*) filter (where topic = %s) as conv, count(*) filter (where topic = %s) as usr"
        " from realtime.messages"
    )
    total = rls_chat.conn.execute(sql, (conversation, user_topic)).fetchone()
    assert total is not None and total["conv"] > 0 and total["usr"] > 0
    with rls_chat.conn.transaction(force_rollback=True):
        tdb.as_user(rls_chat.conn, rls_chat.users[persona])
        seen = rls_chat.conn.execute(sql, (conversation, user_topic)).fetchone()
    participant = persona in ("client_a", "expert_a")
    assert seen == {"conv": total["conv"] if participant else 0, "usr": total["usr"] if persona == "client_a" else 0}


def test_service_role_reads_every_realtime_message(rls_chat: Chat) -> None:
    total = rls_chat.conn.execute("select count(*) as n from realtime.messages").fetchone()
    with rls_chat.conn.transaction(force_rollback=True):
        tdb.as_service(rls_chat.conn)
        assert rls_chat.conn.execute("select count(*) as n from realtime.messages").fetchone() == total
