"""Receipts, unread counts and Realtime private channels (MESSAGING.md)."""

from __future__ import annotations

from tests.integration.messaging.conftest import Chat, Refusal


def test_three_unread_client_messages_then_read_up_to_the_second(chat: Chat) -> None:
    chat.ok("expert_a", "select public.mark_conversation_read(%s)", (chat.conversations["dossier"],))
    assert chat.count_of("expert_a", "dossier") == 0
    ids = [chat.sent("client_a", "dossier", f"Question {n}") for n in (1, 2, 3)]
    assert chat.count_of("expert_a", "dossier") == 3
    assert chat.unread("expert_a")["total"] == 3
    assert chat.count_of("client_a", "dossier") == 1  # the expert's reply, not its own messages
    result = chat.ok(
        "expert_a", "select public.mark_conversation_read(%s, %s) as r", (chat.conversations["dossier"], ids[1])
    )[0]["r"]
    assert result["unread_count"] == 1 and result["last_read_message_id"] == ids[1]
    assert chat.unread("expert_a")["total"] == 1
    # never back
    chat.ok("expert_a", "select public.mark_conversation_read(%s, %s)", (chat.conversations["dossier"], ids[0]))
    counts = chat.unread("expert_a")["conversations"]
    mine = next(c for c in counts if c["conversation_id"] == str(chat.conversations["dossier"]))
    assert mine["last_read_message_id"] == ids[1] and mine["unread_count"] == 1


def test_unread_changes_are_pushed_on_the_user_topic(chat: Chat) -> None:
    chat.sent("client_a", "dossier", "Encore une question")
    pushed = chat.broadcasts(f"user:{chat.users['expert_a']}", "unread_changed")
    last = pushed[-1]["payload"]
    assert last["conversation_id"] == str(chat.conversations["dossier"])
    assert last["count"] == chat.count_of("expert_a", "dossier")
    assert last["total"] == chat.unread("expert_a")["total"]


def test_the_pushed_total_reads_only_the_conversations_with_unread_messages(chat: Chat) -> None:
    """An expert in 300 more conversations, all read: a message to them adds up their unread conversations,
    not 300 participations (the total went through every one of them before 0205)."""
    expert, org = chat.users["expert_a"], chat.world.org_a
    chat.conn.execute("set local session_replication_role = replica")
    chat.conn.execute(
        "with c as (insert into public.conversations (organization_id, kind, title, created_by)"
        " select %s, 'direct', 'Ancienne ' || g, %s from generate_series(1, 300) g returning id)"
        " insert into public.conversation_participants (conversation_id, user_id, organization_id, role, display_name)"
        " select c.id, %s, %s, 'expert', 'Expert' from c",
        (org, expert, expert, org),
    )
    chat.conn.execute("set local session_replication_role = origin")
    fetched = (
        "select idx_tup_fetch as n from pg_stat_xact_all_tables"
        " where relid = 'public.conversation_participants'::regclass"
    )
    before = chat.conn.execute(fetched).fetchone()
    chat.sent("client_a", "dossier", "Encore une question")
    after = chat.conn.execute(fetched).fetchone()
    total = chat.conn.execute(
        "select sum(unread_count) as n from public.conversation_participants where user_id = %s", (expert,)
    ).fetchone()
    assert before is not None and after is not None and total is not None
    assert chat.broadcasts(f"user:{expert}", "unread_changed")[-1]["payload"]["total"] == total["n"] > 0
    assert after["n"] - before["n"] < 50  # the send's own rows and the unread ones, not 300


def test_receipts_say_sent_read_by_n_or_read_and_respect_hidden_receipts(chat: Chat) -> None:
    conv = chat.conversations["support"]
    message = chat.messages["support"]
    sql = "select state from public.message_receipts(%s, array[%s]::bigint[])"
    assert chat.ok("client_a2", sql, (conv, message)) == [{"state": "envoyé"}]
    chat.ok("admin_a", "select public.mark_conversation_read(%s)", (conv,))
    assert chat.ok("client_a2", sql, (conv, message)) == [{"state": "lu par 1"}]
    chat.ok(
        "owner_a",
        "insert into public.messaging_preferences (user_id, hide_receipts) values (%s, true)",
        (chat.users["owner_a"],),
    )
    chat.ok("owner_a", "select public.mark_conversation_read(%s)", (conv,))
    assert chat.ok("client_a2", sql, (conv, message)) == [{"state": "lu par 1"}]
    reads = chat.broadcasts(f"conversation:{conv}", "read")
    assert [r["payload"]["user_id"] for r in reads] == [str(chat.users["admin_a"])]
    chat.ok(
        "owner_a",
        "update public.messaging_preferences set hide_receipts = false where user_id = %s",
        (chat.users["owner_a"],),
    )
    assert chat.ok("client_a2", sql, (conv, message)) == [{"state": "lu"}]
    assert chat.ok("client_b", sql, (conv, message)) == []


def test_muted_conversations_still_count(chat: Chat) -> None:
    conv = chat.conversations["direct"]
    chat.ok("partner_a", "select public.set_conversation_muted(%s, true)", (conv,))
    chat.sent("expert_a", "direct", "Vous êtes là ?")
    item = next(c for c in chat.unread("partner_a")["conversations"] if c["conversation_id"] == str(conv))
    assert item == {**item, "muted": True, "unread_count": 2}
    assert chat.act("client_a", "select public.set_conversation_muted(%s, true)", (conv,)) == Refusal(
        "PT404", "conversation_not_found"
    )


def test_message_created_is_broadcast_on_the_conversation_topic(chat: Chat) -> None:
    created = chat.broadcasts(f"conversation:{chat.conversations['dossier']}", "message_created")
    assert [c["payload"]["id"] for c in created] == [chat.messages["hello"], chat.messages["reply"]]
    assert created[1]["payload"]["body"] == "Merci, je regarde l'éligibilité."
    assert created[1]["payload"]["sender_name"] == "Élodie Martin"


def test_participants_are_told_when_they_join_and_leave(chat: Chat) -> None:
    old = chat.broadcasts(f"user:{chat.users['expert_old']}")
    # one transaction: same inserted_at, so compare without order
    events = sorted((e["event"], e["payload"]["conversation_id"]) for e in old if e["event"].startswith("conv"))
    dossier = str(chat.conversations["dossier"])
    assert events == [("conversation_added", dossier), ("conversation_removed", dossier)]


def test_joining_topics(chat: Chat) -> None:
    dossier = f"conversation:{chat.conversations['dossier']}"
    assert chat.may_join("client_a", dossier)
    assert chat.may_join("expert_a", dossier)
    for who in ("expert_old", "partner_gone", "viewer_a", "admin_a", "client_a2", "owner_b", "client_b"):
        assert not chat.may_join(who, dossier), who
    assert chat.may_join("client_a", f"user:{chat.users['client_a']}")
    assert not chat.may_join("client_a", f"user:{chat.users['expert_a']}")
    for malformed in ("conversation:abc", "conversation:", "user:", "conversation:1:2", "::", "user:not-a-uuid"):
        assert not chat.may_join("client_a", malformed), malformed
    # the dossier-event family of 0055 is kept
    assert chat.may_join("client_a", f"dossier:{chat.dossier}:client")
    assert not chat.may_join("client_a", f"dossier:{chat.dossier}:staff")


def test_clients_write_only_presence_on_their_conversations(chat: Chat) -> None:
    insert = "insert into realtime.messages (topic, extension, event, payload) values (%s, %s, 'presence', '{}')"
    dossier = f"conversation:{chat.conversations['dossier']}"
    assert chat.act("client_a", insert, (dossier, "presence")) == []
    for who, topic, extension in (
        ("client_a", dossier, "broadcast"),
        ("client_b", dossier, "presence"),
        ("expert_old", dossier, "presence"),
        ("client_a", f"user:{chat.users['client_a']}", "presence"),
        ("client_a", "conversation:abc", "presence"),
    ):
        refused = chat.act(who, insert, (topic, extension))
        assert isinstance(refused, Refusal) and refused.sqlstate == "42501", (who, topic, extension)
