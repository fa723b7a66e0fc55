"""Two participants sending and reading at once, on real threads with their own connections: exact counts."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from tests.support import db as tdb

SENDS = 15  # under the 20-a-minute limit per user


def _conversation(url: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with tdb.connect(url) as conn:
        org = tdb.make_org(conn, "Race messaging")
        client, expert = tdb.make_user(conn), tdb.make_user(conn)
        tdb.add_member(conn, org, client, "client")
        tdb.add_member(conn, org, expert, "expert")
        company = tdb.make_company(conn, org, name="Race", users=(client,))
        profile = tdb.make_expert(conn, org, expert)
        conn.execute(
            "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
            " values (%s, %s, 'ticpe', 'expert_assigned', %s)",
            (org, company, profile),
        )
        row = conn.execute(
            "select c.id from public.conversations c join public.dossiers d on d.id = c.dossier_id"
            " where d.client_company_id = %s",
            (company,),
        ).fetchone()
        assert row is not None
        conn.commit()
    return uuid.UUID(str(row["id"])), client, expert


@pytest.mark.race
def test_two_participants_sending_and_reading_at_once_keep_exact_counts(database_url: str) -> None:
    conversation, client, expert = _conversation(database_url)
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(user: uuid.UUID, step: Callable[[tdb.Conn], None]) -> None:
        try:
            with tdb.connect(database_url) as conn:
                start.wait(timeout=60)
                for _ in range(SENDS):
                    tdb.as_user(conn, user)
                    step(conn)
                    conn.commit()
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)

    def send(conn: tdb.Conn) -> None:
        conn.execute("insert into public.messages (conversation_id, body) values (%s, 'ping')", (conversation,))

    def read(conn: tdb.Conn) -> None:
        conn.execute("select public.mark_conversation_read(%s)", (conversation,))

    threads = [threading.Thread(target=run, args=(user, step)) for user in (client, expert) for step in (send, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    with tdb.connect(database_url) as conn:
        rows = conn.execute(
            "select p.user_id, p.unread_count,"
            " (select count(*) from public.messages m where m.conversation_id = p.conversation_id"
            "  and m.id > coalesce(p.last_read_message_id, 0) and m.sender_id is distinct from p.user_id) as truth"
            " from public.conversation_participants p where p.conversation_id = %s",
            (conversation,),
        ).fetchall()
        assert len(rows) == 2
        for row in rows:
            assert row["unread_count"] == row["truth"], row
        total = conn.execute(
            "select count(*) as n from public.messages where conversation_id = %s", (conversation,)
        ).fetchone()
        assert total == {"n": 2 * SENDS}
        for user in (client, expert):
            tdb.as_user(conn, user)
            result = conn.execute("select public.mark_conversation_read(%s) as r", (conversation,)).fetchone()
            assert result is not None and result["r"]["unread_count"] == 0
            conn.commit()
