"""Who may talk to whom (MESSAGING.md): business links, dossier participants following the links."""

from __future__ import annotations

import uuid

from tests.integration.messaging.conftest import Chat, Refusal


def _participants(chat: Chat, conversation: str) -> dict[str, tuple[str, str]]:
    names = {v: k for k, v in chat.users.items()}
    rows = chat.conn.execute(
        "select user_id, role, access from public.conversation_participants where conversation_id = %s",
        (chat.conversations[conversation],),
    ).fetchall()
    return {names[r["user_id"]]: (r["role"], r["access"]) for r in rows}


def test_the_dossier_conversation_follows_the_expert_and_the_company(chat: Chat) -> None:
    assert _participants(chat, "dossier") == {"client_a": ("client", "write"), "expert_a": ("expert", "write")}


def test_a_client_opens_a_conversation_with_its_dossier_expert_only(chat: Chat) -> None:
    opened = chat.open("client_a", "direct", ["expert_a"])
    assert isinstance(opened, uuid.UUID)
    refused = chat.open("client_a", "direct", ["expert_old"])  # released: no more link
    assert refused == Refusal("PT403", "no_business_link")
    assert chat.open("client_a2", "direct", ["expert_a"]) == Refusal("PT403", "no_business_link")


def test_a_partner_never_opens_one_with_the_expert_but_the_expert_may(chat: Chat) -> None:
    assert chat.open("partner_a", "direct", ["expert_a"]) == Refusal("PT403", "no_business_link")
    assert isinstance(chat.open("expert_a", "direct", ["partner_a"]), uuid.UUID)
    assert isinstance(chat.open("partner_a", "direct", ["client_a"]), uuid.UUID)


def test_viewers_and_other_organizations_open_nothing(chat: Chat) -> None:
    assert chat.open("viewer_a", "direct", ["client_a"]) == Refusal("PT403", "forbidden")
    assert chat.open("viewer_a", "support", []) == Refusal("PT403", "forbidden")
    assert chat.open("owner_a", "direct", ["client_b"]) == Refusal("PT403", "no_business_link")
    assert chat.open("owner_a", "direct", ["viewer_a"]) == Refusal("PT403", "no_business_link")


def test_owners_and_admins_may_open_with_everyone(chat: Chat) -> None:
    opened = chat.open("admin_a", "direct", ["client_a", "expert_a", "partner_a"], "Point d'étape")
    assert isinstance(opened, uuid.UUID)
    chat.conversations["staff"] = opened
    assert set(_participants(chat, "staff")) == {"admin_a", "client_a", "expert_a", "partner_a"}


def test_the_support_inbox_is_shared_by_owners_and_admins(chat: Chat) -> None:
    assert _participants(chat, "support") == {
        "client_a2": ("client", "write"),
        "owner_a": ("support", "write"),
        "admin_a": ("support", "write"),
    }
    # opening again returns the same conversation; a new admin joins every support conversation
    assert chat.open("client_a2", "support", []) == chat.conversations["support"]
    chat.conn.execute("update public.memberships set role = 'admin' where user_id = %s", (chat.users["expert_old"],))
    assert _participants(chat, "support")["expert_old"] == ("support", "write")
    chat.conn.execute("update public.memberships set role = 'client' where user_id = %s", (chat.users["expert_old"],))
    assert "expert_old" not in _participants(chat, "support")


def test_display_names_never_show_an_email(chat: Chat) -> None:
    chat.conn.execute(
        'update auth.users set raw_user_meta_data = \'{"full_name": "x@example.test"}\' where id = %s',
        (chat.users["client_a2"],),
    )
    opened = chat.open("admin_a", "direct", ["client_a2", "client_a", "expert_a"])
    assert isinstance(opened, uuid.UUID)
    rows = chat.ok(
        "client_a",
        "select user_id, display_name from public.conversation_participants where conversation_id = %s",
        (opened,),
    )
    names = {r["user_id"]: r["display_name"] for r in rows}
    assert names[chat.users["client_a"]] == "Camille Durand (A1)"
    assert names[chat.users["client_a2"]] == "Utilisateur (A2)"
    assert names[chat.users["expert_a"]] == "Élodie Martin"
    assert not any("@" in n for n in names.values())
    support = chat.ok(
        "client_a2",
        "select display_name from public.conversation_participants where conversation_id = %s and user_id = %s",
        (chat.conversations["support"], chat.users["admin_a"]),
    )
    assert support == [{"display_name": "Adèle Admin (Support)"}]


def test_receipts_are_not_readable_from_the_participants_table(chat: Chat) -> None:
    refused = chat.act("client_a", "select unread_count, last_read_message_id from public.conversation_participants")
    assert isinstance(refused, Refusal) and refused.sqlstate == "42501"


def test_a_released_expert_reads_nothing_and_the_new_one_reads_the_whole_history(chat: Chat) -> None:
    sql = "select id from public.messages where conversation_id = %s order by id"
    assert chat.ok("expert_old", sql, (chat.conversations["dossier"],)) == []
    seen = [r["id"] for r in chat.ok("expert_a", sql, (chat.conversations["dossier"],))]
    assert seen == [chat.messages["hello"], chat.messages["reply"]]
    for who in ("viewer_a", "owner_b", "client_b", "partner_gone"):
        assert chat.ok(who, sql, (chat.conversations["dossier"],)) == [], who


def test_a_released_expert_becomes_read_only_in_direct_conversations(chat: Chat) -> None:
    opened = chat.open("client_a", "direct", ["expert_a"])
    assert isinstance(opened, uuid.UUID)
    chat.conversations["with_expert"] = opened
    assert isinstance(chat.send("expert_a", "with_expert", "Je vous réponds ici."), int)
    chat.conn.execute("update public.dossiers set expert_id = null where id = %s", (chat.dossier,))
    assert _participants(chat, "with_expert")["expert_a"] == ("expert", "read")
    assert _participants(chat, "with_expert")["client_a"] == ("client", "write")
    assert "expert_a" not in _participants(chat, "dossier")
    blocked = chat.send("expert_a", "with_expert", "Encore un mot.")
    assert isinstance(blocked, Refusal) and blocked.sqlstate == "42501"
    assert len(chat.ok("expert_a", "select id from public.messages where conversation_id = %s", (opened,))) == 1


def test_losing_the_membership_removes_all_access(chat: Chat) -> None:
    chat.conn.execute("delete from public.memberships where user_id = %s", (chat.users["client_a"],))
    assert chat.ok("client_a", "select id from public.conversations") == []
    assert chat.ok("client_a", "select id from public.messages") == []


def test_only_a_client_invites_the_partner_into_the_dossier_conversation(chat: Chat) -> None:
    conv = chat.conversations["dossier"]
    refused = chat.act(
        "expert_a", "select public.add_conversation_participant(%s, %s)", (conv, chat.users["partner_a"])
    )
    assert refused == Refusal("PT403", "no_business_link")
    chat.ok("client_a", "select public.add_conversation_participant(%s, %s)", (conv, chat.users["partner_a"]))
    assert _participants(chat, "dossier")["partner_a"] == ("partner", "write")
    gone = chat.act(
        "client_a", "select public.add_conversation_participant(%s, %s)", (conv, chat.users["partner_gone"])
    )
    assert gone == Refusal("PT403", "no_business_link")


def test_an_admin_may_join_a_dossier_conversation_shown_and_audited(chat: Chat) -> None:
    conv = chat.conversations["dossier"]
    assert chat.ok("admin_a", "select id from public.messages where conversation_id = %s", (conv,)) == []
    chat.ok("admin_a", "select public.add_conversation_participant(%s, %s)", (conv, chat.users["admin_a"]))
    assert _participants(chat, "dossier")["admin_a"] == ("admin", "write")
    assert len(chat.ok("admin_a", "select id from public.messages where conversation_id = %s", (conv,))) == 2
    audited = chat.conn.execute(
        "select count(*) as n from public.audit_log where table_name = 'conversations' and row_id = %s", (conv,)
    ).fetchone()
    assert audited == {"n": 1}
    refused = chat.act("owner_b", "select public.add_conversation_participant(%s, %s)", (conv, chat.users["owner_b"]))
    assert refused == Refusal("PT404", "conversation_not_found")
