"""Message search: French full text, accents ignored, the caller's conversations only (MESSAGING.md)."""

from __future__ import annotations

from typing import Any

from tests.integration.messaging.conftest import Chat, Refusal

SEARCH = "select id from public.search_messages(%s, p_limit => %s, p_before_id => %s, p_sender_id => %s)"


def _ids(
    chat: Chat, who: str, query: str, *, limit: int = 20, before: int | None = None, sender: Any = None
) -> list[int]:
    return [r["id"] for r in chat.ok(who, SEARCH, (query, limit, before, sender))]


def test_accents_and_inflections_are_ignored(chat: Chat) -> None:
    assert _ids(chat, "client_a", "eligibilite") == [chat.messages["reply"]]
    assert _ids(chat, "client_a", "ÉLIGIBILITÉ") == [chat.messages["reply"]]
    assert _ids(chat, "client_a", "facture") == [chat.messages["hello"]]  # "factures" in the text


def test_only_the_callers_conversations_are_searched(chat: Chat) -> None:
    assert _ids(chat, "expert_old", "factures") == []
    assert _ids(chat, "client_b", "factures") == []
    assert _ids(chat, "viewer_a", "factures") == []
    assert _ids(chat, "client_a2", "document") == [chat.messages["support"]]
    assert _ids(chat, "owner_a", "document") == [chat.messages["support"]]
    # a moderator handling a report reads the message but does not search it
    chat.ok(
        "client_a",
        "insert into public.message_reports (message_id, reason) values (%s, 'spam')",
        (chat.messages["reply"],),
    )
    assert _ids(chat, "admin_a", "eligibilite") == []


def test_deleted_messages_are_excluded(chat: Chat) -> None:
    chat.ok("expert_a", "update public.messages set deleted_at = now() where id = %s", (chat.messages["reply"],))
    assert _ids(chat, "client_a", "eligibilite") == []


def test_filters_and_keyset_pages_newest_first(chat: Chat) -> None:
    ids = [chat.sent("client_a", "dossier", f"Remboursement TICPE numéro {n}") for n in range(5)]
    first = _ids(chat, "expert_a", "remboursement", limit=2)
    assert first == [ids[4], ids[3]]
    assert _ids(chat, "expert_a", "remboursement", limit=2, before=first[-1]) == [ids[2], ids[1]]
    assert _ids(chat, "expert_a", "remboursement", limit=2, before=ids[1]) == [ids[0]]
    assert _ids(chat, "expert_a", "remboursement", sender=chat.users["expert_a"]) == []
    rows = chat.ok(
        "expert_a",
        "select id, dossier_id, sender_name from public.search_messages('remboursement', p_dossier_id => %s,"
        " p_conversation_id => %s, p_from => now() - interval '1 hour', p_to => now() + interval '1 hour')",
        (chat.dossier, chat.conversations["dossier"]),
    )
    assert len(rows) == 5 and rows[0]["dossier_id"] == chat.dossier
    assert rows[0]["sender_name"] == "Camille Durand (A1)"
    assert (
        chat.ok("expert_a", "select id from public.search_messages('remboursement', p_to => now() - interval '1 day')")
        == []
    )


def test_bad_input_names_the_field(chat: Chat) -> None:
    assert chat.act("client_a", "select * from public.search_messages(' ')") == Refusal("PT422", "validation_failed")
    assert chat.act("client_a", "select * from public.search_messages('abc', p_limit => 500)") == Refusal(
        "PT422", "validation_failed"
    )


def test_a_participant_in_many_conversations_searches_them_all(chat: Chat) -> None:
    """Past 100 conversations the list reaches the index differently (0146): same rows, same order."""
    conn, org = chat.conn, chat.world.org_a
    client, expert = chat.users["client_a"], chat.users["expert_a"]
    rows = conn.execute(
        "insert into public.conversations (organization_id, kind, title, created_by)"
        " select %s, 'direct', 'Conversation ' || g, %s from generate_series(1, 120) g returning id",
        (org, expert),
    ).fetchall()
    ids = [r["id"] for r in rows]
    conn.execute(
        "insert into public.conversation_participants (conversation_id, user_id, organization_id, role, display_name)"
        " select c, u, %s, r, 'Nom' from unnest(%s::uuid[]) c,"
        " (values (%s::uuid, 'client'), (%s::uuid, 'expert')) p(u, r)",
        (org, ids, client, expert),
    )
    expected = []
    for n, conversation in enumerate(ids):
        expected.append(
            conn.execute(
                "insert into public.messages (conversation_id, sender_id, body) values (%s, %s, %s) returning id",
                (conversation, expert, f"Le remboursement n° {n} est parti."),
            ).fetchone()["id"]  # type: ignore[index]
        )
    # not the caller's: another pair of people of the same organization
    other = conn.execute(
        "insert into public.conversations (organization_id, kind, title, created_by)"
        " values (%s, 'direct', 'Autre', %s) returning id",
        (org, expert),
    ).fetchone()["id"]  # type: ignore[index]
    conn.execute(
        "insert into public.conversation_participants (conversation_id, user_id, organization_id, role, display_name)"
        " values (%s, %s, %s, 'expert', 'Nom')",
        (other, expert, org),
    )
    conn.execute(
        "insert into public.messages (conversation_id, sender_id, body) values (%s, %s, 'Un autre remboursement.')",
        (other, expert),
    )
    conn.execute("update public.messages set deleted_at = now() where id = %s", (expected[-1],))
    newest_first = sorted(expected[:-1], reverse=True)
    first = _ids(chat, "client_a", "remboursement", limit=100)
    assert first == newest_first[:100]
    assert _ids(chat, "client_a", "remboursement", limit=100, before=first[-1]) == newest_first[100:]


def test_a_message_is_found_by_the_names_of_its_attachments(chat: Chat) -> None:
    from tests.integration.messaging.test_attachments_followup_retention import _attach, _send_with

    releve = _attach(chat, "client_a", "dossier", "releve_carburant-2026.pdf")
    files_only = _send_with(chat, "client_a", "dossier", [releve["attachment_id"]])
    kbis = _attach(chat, "client_a", "dossier", "Kbis société.pdf")
    both = _send_with(chat, "client_a", "dossier", [kbis["attachment_id"]], "Le kbis à jour")
    assert isinstance(files_only, int) and isinstance(both, int)
    # accents ignored, separators read as spaces; a message matched by text and file name is listed once
    assert _ids(chat, "expert_a", "relevé carburant") == [files_only]
    assert _ids(chat, "client_a", "kbis") == [both]
    assert _ids(chat, "client_a", "societe") == [both]
    assert _ids(chat, "client_a", "kbis OR carburant") == [both, files_only]
    assert _ids(chat, "client_a", "carburant", before=files_only) == []
    assert _ids(chat, "client_a", "carburant", sender=chat.users["expert_a"]) == []
    # only the caller's conversations; a deleted message's files are not found either
    assert _ids(chat, "client_b", "carburant") == [] and _ids(chat, "expert_old", "carburant") == []
    chat.ok("client_a", "update public.messages set deleted_at = now() where id = %s", (files_only,))
    assert _ids(chat, "expert_a", "carburant") == []
