"""Messages through the Data API (MESSAGING.md "Messages", "Abuse and moderation")."""

from __future__ import annotations

import uuid

from tests.integration.messaging.conftest import Chat, Refusal


def _count(chat: Chat, conversation: str) -> int:
    row = chat.conn.execute(
        "select count(*) as n from public.messages where conversation_id = %s", (chat.conversations[conversation],)
    ).fetchone()
    assert row is not None
    return int(row["n"])


def _age(chat: Chat, message: int, minutes: int) -> None:
    """Arranges a message's age without firing the guards (as the migration owner)."""
    chat.conn.execute("set local session_replication_role = replica")
    chat.conn.execute(
        "update public.messages set created_at = now() - make_interval(mins => %s) where id = %s", (minutes, message)
    )
    chat.conn.execute("set local session_replication_role = origin")


def test_the_trigger_sets_organization_sender_and_server_time(chat: Chat) -> None:
    row = chat.conn.execute(
        "select organization_id, sender_id, kind, created_at = now() as server_time from public.messages where id = %s",
        (chat.messages["reply"],),
    ).fetchone()
    assert row == {
        "organization_id": chat.world.org_a,
        "sender_id": chat.users["expert_a"],
        "kind": "text",
        "server_time": True,
    }


def test_someone_elses_sender_or_a_foreign_conversation_writes_nothing(chat: Chat) -> None:
    before = _count(chat, "dossier")
    forged = chat.send("client_a", "dossier", "Je suis l'expert", sender_id=chat.users["expert_a"])
    assert isinstance(forged, Refusal) and forged.status == 403
    assert isinstance(chat.send("client_a2", "dossier", "Intrusion"), Refusal)
    assert isinstance(chat.send("client_b", "dossier", "Intrusion"), Refusal)
    assert isinstance(chat.send("viewer_a", "dossier", "Intrusion"), Refusal)
    assert isinstance(chat.send("client_a", "dossier", "Notice", kind="system"), Refusal)
    assert _count(chat, "dossier") == before


def test_the_body_is_trimmed_and_bounded(chat: Chat) -> None:
    assert chat.send("client_a", "dossier", "   ") == Refusal("PT422", "validation_failed")
    assert chat.send("client_a", "dossier", "x" * 10001) == Refusal("PT422", "validation_failed")
    sent = chat.sent("client_a", "dossier", "  Bonjour  ")
    row = chat.conn.execute("select body from public.messages where id = %s", (sent,)).fetchone()
    assert row == {"body": "Bonjour"}


def test_replies_stay_in_their_conversation(chat: Chat) -> None:
    reply = chat.send("client_a", "dossier", "Oui", reply_to=chat.messages["reply"])
    assert isinstance(reply, int) and reply > 0
    assert chat.send("client_a", "dossier", "Non", reply_to=chat.messages["support"]) == Refusal(
        "PT422", "validation_failed"
    )


def test_more_than_twenty_messages_a_minute_is_429(chat: Chat) -> None:
    sent = 1  # the fixture's hello
    while sent < 20:
        chat.sent("client_a", "dossier", f"Message {sent}")
        sent += 1
    assert chat.send("client_a", "dossier", "Un de trop") == Refusal("PT429", "rate_limited")
    assert isinstance(chat.send("expert_a", "dossier", "Moi je peux"), int)


def test_the_rate_limit_reads_only_the_last_minute_of_a_long_history(chat: Chat) -> None:
    """The count behind the limit goes through the sender index to the last minute: 3 000 older messages are
    not read (a volatile bound made it scan a sender's whole history, 1.2 ms at 20 000 messages)."""
    user = chat.users["client_a"]
    with chat.conn.transaction(force_rollback=True):
        chat.conn.execute("set local session_replication_role = replica")
        chat.conn.execute(
            "insert into public.messages (conversation_id, organization_id, sender_id, body, created_at)"
            " select %s, %s, %s, 'Ancien ' || g, now() - interval '2 days' + g * interval '1 second'"
            " from generate_series(1, 3000) g",
            (chat.conversations["dossier"], chat.world.org_a, user),
        )
        read = "select idx_tup_fetch as n from pg_stat_xact_all_tables where relid = 'public.messages'::regclass"
        before = chat.conn.execute(read).fetchone()
        counted = chat.conn.execute("select private.messages_sent_last_minute(%s) as n", (user,)).fetchone()
        after = chat.conn.execute(read).fetchone()
        recent = chat.conn.execute(
            "select count(*) as n from public.messages"
            " where sender_id = %s and created_at > now() - interval '1 minute'",
            (user,),
        ).fetchone()
    assert before is not None and after is not None and recent is not None and counted is not None
    assert counted["n"] == recent["n"] >= 1  # the fixture's hello
    assert after["n"] - before["n"] <= recent["n"] + 1  # the rows of the last minute, not 3 000


def test_a_locked_conversation_or_a_suspended_sender_cannot_write(chat: Chat) -> None:
    chat.ok(
        "admin_a",
        "select public.moderate('suspend', p_conversation_id => %s, p_user_id => %s)",
        (chat.conversations["support"], chat.users["client_a2"]),
    )
    assert isinstance(chat.send("client_a2", "support", "Encore"), Refusal)
    chat.ok(
        "admin_a",
        "select public.moderate('unsuspend', p_conversation_id => %s, p_user_id => %s)",
        (chat.conversations["support"], chat.users["client_a2"]),
    )
    assert isinstance(chat.send("client_a2", "support", "Encore"), int)
    chat.ok("owner_a", "select public.moderate('lock', p_conversation_id => %s)", (chat.conversations["support"],))
    assert isinstance(chat.send("client_a2", "support", "Verrouillé"), Refusal)
    assert isinstance(chat.send("owner_a", "support", "Verrouillé"), Refusal)
    refused = chat.act(
        "owner_b", "select public.moderate('lock', p_conversation_id => %s)", (chat.conversations["dossier"],)
    )
    assert refused == Refusal("PT404", "not_found")


def test_an_edit_keeps_the_previous_text_as_a_version(chat: Chat) -> None:
    message = chat.messages["reply"]
    chat.ok(
        "expert_a", "update public.messages set body = 'Merci, je vérifie l''éligibilité.' where id = %s", (message,)
    )
    row = chat.conn.execute(
        "select body, edited_at is not null as edited from public.messages where id = %s", (message,)
    ).fetchone()
    assert row == {"body": "Merci, je vérifie l'éligibilité.", "edited": True}
    versions = chat.conn.execute(
        "select body, reason from public.message_versions where message_id = %s", (message,)
    ).fetchall()
    assert versions == [{"body": "Merci, je regarde l'éligibilité.", "reason": "edited"}]
    # only the author, only the text
    assert chat.act("client_a", "update public.messages set body = 'x' where id = %s returning id", (message,)) == []
    refused = chat.act(
        "expert_a", "update public.messages set reply_to = %s where id = %s", (chat.messages["hello"], message)
    )
    assert isinstance(refused, Refusal) and refused.sqlstate == "42501"


def test_an_edit_sixteen_minutes_after_sending_is_409(chat: Chat) -> None:
    _age(chat, chat.messages["reply"], 16)
    refused = chat.act(
        "expert_a", "update public.messages set body = 'Trop tard' where id = %s", (chat.messages["reply"],)
    )
    assert refused == Refusal("PT409", "edit_window_closed")
    refused = chat.act(
        "expert_a", "update public.messages set deleted_at = now() where id = %s", (chat.messages["reply"],)
    )
    assert refused == Refusal("PT409", "edit_window_closed")


def test_a_delete_is_a_tombstone_and_its_broadcast_carries_no_body(chat: Chat) -> None:
    message = chat.messages["reply"]
    chat.ok("expert_a", "update public.messages set deleted_at = now() where id = %s", (message,))
    row = chat.conn.execute("select body, deleted_by from public.messages where id = %s", (message,)).fetchone()
    assert row == {"body": None, "deleted_by": chat.users["expert_a"]}
    updated = chat.broadcasts(f"conversation:{chat.conversations['dossier']}", "message_updated")
    assert len(updated) == 1
    payload = updated[0]["payload"]
    assert payload["deleted"] is True and payload["body"] is None
    assert "regarde" not in str(payload)
    # kept for audit, readable by moderators only
    assert chat.ok("expert_a", "select body from public.message_versions") == []
    assert isinstance(
        chat.act("expert_a", "update public.messages set body = 'Retour' where id = %s", (message,)), Refusal
    )


def test_system_notices_are_written_by_the_server_and_never_edited(chat: Chat) -> None:
    notice = chat.conn.execute(
        "select private.post_system_message(%s, 'Audit terminé', '{\"event\": \"audit_completed\"}') as id",
        (chat.dossier,),
    ).fetchone()
    assert notice is not None
    row = chat.ok("client_a", "select kind, sender_id, body from public.messages where id = %s", (notice["id"],))
    assert row == [{"kind": "system", "sender_id": None, "body": "Audit terminé"}]
    refused = chat.act("admin_a", "select public.moderate('delete', p_message_id => %s)", (notice["id"],))
    assert not isinstance(refused, Refusal)
    kept = chat.conn.execute("select deleted_at from public.messages where id = %s", (notice["id"],)).fetchone()
    assert kept == {"deleted_at": None}
    refused = chat.act("client_a", "select private.post_system_message(%s, 'Faux', null)", (chat.dossier,))
    assert isinstance(refused, Refusal) and refused.sqlstate == "42501"


def test_a_dossier_milestone_posts_a_notice(chat: Chat) -> None:
    chat.conn.execute(
        "select private.add_dossier_event(%s, 'status_changed', 'Réclamation déposée', 'Claim filed', '{}', 'client',"
        " 'file_claim', 'audit_accepted', 'claim_filed', 'expert')",
        (chat.dossier,),
    )
    rows = chat.ok("client_a", "select body, details ->> 'event' as event from public.messages where kind = 'system'")
    assert rows == [{"body": "Réclamation déposée auprès de l'administration.", "event": "claim_filed"}]


def test_reports_and_moderation(chat: Chat) -> None:
    message = chat.messages["reply"]
    report = chat.ok(
        "client_a",
        "insert into public.message_reports (message_id, reason, comment) values (%s, 'contenu_inapproprie', 'Ton')"
        " returning id, conversation_id, reporter_id, status",
        (message,),
    )[0]
    assert report["conversation_id"] == chat.conversations["dossier"]
    assert report["reporter_id"] == chat.users["client_a"] and report["status"] == "open"
    dup = chat.act(
        "client_a", "insert into public.message_reports (message_id, reason) values (%s, 'spam')", (message,)
    )
    assert isinstance(dup, Refusal)
    assert isinstance(
        chat.act("client_b", "insert into public.message_reports (message_id, reason) values (%s, 'spam')", (message,)),
        Refusal,
    )
    # the admin, not a participant, reads the reported message while handling the report
    seen = chat.ok(
        "admin_a", "select id, body from public.messages where conversation_id = %s", (chat.conversations["dossier"],)
    )
    assert [r["id"] for r in seen] == [message]
    chat.ok("admin_a", "select public.moderate('hide', p_report_id => %s)", (report["id"],))
    row = chat.ok(
        "client_a", "select body, hidden_at is not null as hidden from public.messages where id = %s", (message,)
    )
    assert row == [{"body": None, "hidden": True}]
    handled = chat.ok("client_a", "select status, action from public.message_reports where id = %s", (report["id"],))
    assert handled == [{"status": "handled", "action": "hide"}]
    audited = chat.conn.execute(
        "select count(*) as n from public.audit_log where table_name = 'message_moderation' and row_id = %s",
        (report["id"],),
    ).fetchone()
    assert audited == {"n": 1}
    # handled: the admin no longer reads the conversation
    assert (
        chat.ok(
            "admin_a", "select id from public.messages where conversation_id = %s", (chat.conversations["dossier"],)
        )
        == []
    )
    assert chat.act("expert_a", "select public.moderate('dismiss', p_report_id => %s)", (report["id"],)) == Refusal(
        "PT404", "report_not_found"
    )


def test_a_report_can_be_dismissed(chat: Chat) -> None:
    report = chat.ok(
        "partner_a",
        "insert into public.message_reports (conversation_id, reason) values (%s, 'autre') returning id",
        (chat.conversations["direct"],),
    )[0]["id"]
    result = chat.ok("owner_a", "select public.moderate('dismiss', p_report_id => %s) as r", (report,))
    assert result[0]["r"]["action"] == "dismiss"
    status = chat.conn.execute("select status from public.message_reports where id = %s", (report,)).fetchone()
    assert status == {"status": "dismissed"}
    assert isinstance(uuid.UUID(str(report)), uuid.UUID)
