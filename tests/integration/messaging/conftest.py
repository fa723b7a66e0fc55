"""Messaging scenario on top of the integration `world`: every action runs as the user, like PostgREST.

The scenario (organization A unless said):
- the TICPE dossier of company A1 was first assigned to ``expert_old``, then to ``expert_a``: its
  conversation has client_a and expert_a; expert_old was released;
- ``partner_gone`` was A1's partner, invited by client_a into the dossier conversation, then
  replaced by partner_a as A1's partner (unlinked);
- client_a2 opened a support conversation (answered by the shared inbox: owner_a, admin_a);
- expert_a opened a direct conversation with partner_a (A1's partner);
- in B, client_b opened a support conversation (owner_b).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import World
from tests.support import db as tdb


@dataclass
class Refusal:
    """A database refusal as the API sees it: SQLSTATE (PTxxx = HTTP status) and stable code (hint)."""

    sqlstate: str
    code: str

    @property
    def status(self) -> int:
        return int(self.sqlstate[2:]) if self.sqlstate.startswith("PT") else 500


@dataclass
class Chat:
    world: World
    conn: tdb.Conn
    dossier: uuid.UUID
    conversations: dict[str, uuid.UUID] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)

    @property
    def users(self) -> dict[str, uuid.UUID]:
        return self.world.users

    def act(self, who: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]] | Refusal:
        """Runs one statement as ``who`` ('service' for the service role) in a savepoint."""
        try:
            with self.conn.transaction():
                if who == "service":
                    tdb.as_service(self.conn)
                else:
                    tdb.as_user(self.conn, self.users[who])
                cur = self.conn.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
                tdb.as_owner(self.conn)
                return rows
        except psycopg.Error as exc:
            tdb.as_owner(self.conn)
            return Refusal(exc.sqlstate or "", exc.diag.message_hint or str(exc)[:300])

    def ok(self, who: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        result = self.act(who, sql, params)
        assert not isinstance(result, Refusal), result
        return result

    def send(self, who: str, conversation: str | uuid.UUID, body: str, **extra: Any) -> int | Refusal:
        conv = self.conversations[conversation] if isinstance(conversation, str) else conversation
        columns = ["conversation_id", "body", *extra]
        values = [conv, body, *extra.values()]
        placeholders = ", ".join(["%s"] * len(values))
        result = self.act(
            who,
            f"insert into public.messages ({', '.join(columns)}) values ({placeholders}) returning id",  # noqa: S608
            tuple(values),
        )
        if isinstance(result, Refusal):
            return result
        return int(result[0]["id"]) if result else 0

    def sent(self, who: str, conversation: str, body: str) -> int:
        result = self.send(who, conversation, body)
        assert isinstance(result, int) and result > 0, result
        return result

    def open(self, who: str, kind: str, others: list[str], title: str | None = None) -> uuid.UUID | Refusal:
        org = self.world.org_b if who.endswith("_b") else self.world.org_a
        result = self.act(
            who,
            "select public.open_conversation(%s, %s, %s::uuid[], %s) as id",
            (org, kind, [self.users[o] for o in others], title),
        )
        if isinstance(result, Refusal):
            return result
        return uuid.UUID(str(result[0]["id"]))

    def unread(self, who: str) -> dict[str, Any]:
        row = self.ok(who, "select public.unread_counts() as r")[0]["r"]
        assert isinstance(row, dict)
        return row

    def count_of(self, who: str, conversation: str) -> int:
        counts = self.unread(who)
        for item in counts["conversations"]:
            if item["conversation_id"] == str(self.conversations[conversation]):
                return int(item["unread_count"])
        return 0  # the counts list the conversations with unread messages

    def broadcasts(self, topic: str, event: str | None = None) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "select event, payload from realtime.messages where topic = %s and (%s::text is null or event = %s)"
            " order by inserted_at, payload ->> 'id'",
            (topic, event, event),
        ).fetchall()
        return list(rows)

    def may_join(self, who: str, topic: str) -> bool:
        """Realtime's join check: the topic set, then a read of realtime.messages as the user."""
        self.conn.execute("select realtime.send(%s::jsonb, 'probe', %s, true)", (json.dumps({"probe": True}), topic))
        with self.conn.transaction(force_rollback=True):
            tdb.as_user(self.conn, self.users[who])
            self.conn.execute("select set_config('realtime.topic', %s, true)", (topic,))
            row = self.conn.execute(
                "select count(*) as n from realtime.messages where topic = realtime.topic()"
            ).fetchone()
            tdb.as_owner(self.conn)
        return bool(row and row["n"] > 0)


def add_user(conn: tdb.Conn, org: uuid.UUID, role: str, first: str, last: str) -> uuid.UUID:
    user = tdb.make_user(conn)
    conn.execute(
        "update auth.users set raw_user_meta_data = %s where id = %s",
        (json.dumps({"first_name": first, "last_name": last}), user),
    )
    tdb.add_member(conn, org, user, role)
    return user


@pytest.fixture
def chat(conn: tdb.Conn, world: World) -> Chat:
    u = world.users
    for name, (first, last) in {
        "client_a": ("Camille", "Durand"),
        "expert_a": ("Élodie", "Martin"),
        "admin_a": ("Adèle", "Admin"),
    }.items():
        conn.execute(
            "update auth.users set raw_user_meta_data = %s where id = %s",
            (json.dumps({"first_name": first, "last_name": last}), u[name]),
        )
    u["expert_old"] = add_user(conn, world.org_a, "expert", "Olivier", "Ancien")
    world.experts["expert_old"] = tdb.make_expert(conn, world.org_a, u["expert_old"])
    u["partner_gone"] = add_user(conn, world.org_a, "partner", "Paul", "Parti")
    conn.execute(
        "update public.client_companies set partner_user_id = %s where id = %s",
        (u["partner_gone"], world.companies["ca1"]),
    )
    row = conn.execute(
        "insert into public.dossiers (organization_id, client_company_id, product_code, status, expert_id)"
        " values (%s, %s, 'ticpe', 'expert_assigned', %s) returning id",
        (world.org_a, world.companies["ca1"], world.experts["expert_old"]),
    ).fetchone()
    assert row is not None
    chat = Chat(world=world, conn=conn, dossier=uuid.UUID(str(row["id"])))
    found = conn.execute("select id from public.conversations where dossier_id = %s", (chat.dossier,)).fetchone()
    assert found is not None
    chat.conversations["dossier"] = uuid.UUID(str(found["id"]))
    chat.messages["hello"] = chat.sent("client_a", "dossier", "Bonjour, voici nos factures de gazole.")
    chat.ok("client_a", "select public.add_conversation_participant(%s, %s)", (found["id"], u["partner_gone"]))
    # the expert changes; the partner is replaced
    conn.execute("update public.dossiers set expert_id = %s where id = %s", (world.experts["expert_a"], chat.dossier))
    conn.execute(
        "update public.client_companies set partner_user_id = %s where id = %s",
        (u["partner_a"], world.companies["ca1"]),
    )
    chat.messages["reply"] = chat.sent("expert_a", "dossier", "Merci, je regarde l'éligibilité.")
    support = chat.open("client_a2", "support", [])
    assert isinstance(support, uuid.UUID), support
    chat.conversations["support"] = support
    chat.messages["support"] = chat.sent("client_a2", "support", "Je n'arrive pas à déposer un document.")
    direct = chat.open("expert_a", "direct", ["partner_a"], "Dossier A1")
    assert isinstance(direct, uuid.UUID), direct
    chat.conversations["direct"] = direct
    chat.messages["direct"] = chat.sent("expert_a", "direct", "Bonjour, je suis l'expert du dossier A1.")
    support_b = chat.open("client_b", "support", [])
    assert isinstance(support_b, uuid.UUID), support_b
    chat.conversations["support_b"] = support_b
    chat.messages["support_b"] = chat.sent("client_b", "support_b", "Bonjour le support.")
    return chat
