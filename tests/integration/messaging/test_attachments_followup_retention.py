"""Attachments in SQL (rights, empty bodies, storage.objects), the unread-message email and the
follow-up engine's `unread_message` / `support_reply`, and the retention purge (MESSAGING.md)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.integration.messaging.conftest import Chat, Refusal
from tests.support import db as tdb

SHA = "a" * 64


def _attach(chat: Chat, who: str, conversation: str, name: str = "releve.pdf") -> dict[str, Any]:
    """An attachment uploaded and completed by ``who`` (the function's checks are its own tests)."""
    started = chat.ok(
        who, "select private.attachment_begin_upload(%s, %s, 1234) as r", (chat.conversations[conversation], name)
    )[0]["r"]
    chat.ok(
        who,
        "select private.attachment_complete_upload(%s, 1234, %s, %s)",
        (started["attachment_id"], SHA, started["declared_format"]),
    )
    return dict(started)


def _send_with(chat: Chat, who: str, conversation: str, ids: list[str], body: str | None = None) -> int | Refusal:
    """public.send_message as ``who``, then the commit-time checks at once (as a COMMIT would run them)."""
    try:
        with chat.conn.transaction():
            tdb.as_user(chat.conn, chat.users[who])
            row = chat.conn.execute(
                "select public.send_message(%s, %s, %s::uuid[]) as id", (chat.conversations[conversation], body, ids)
            ).fetchone()
            chat.conn.execute("set constraints all immediate")
            chat.conn.execute("set constraints all deferred")
            tdb.as_owner(chat.conn)
    except psycopg.Error as exc:
        tdb.as_owner(chat.conn)
        return Refusal(exc.sqlstate or "", exc.diag.message_hint or str(exc)[:300])
    assert row is not None
    return int(row["id"])


# --- attachments --------------------------------------------------------------------------------------
def test_an_attachment_is_keyed_by_organization_conversation_and_id(chat: Chat) -> None:
    started = _attach(chat, "client_a", "dossier")
    conv = chat.conversations["dossier"]
    assert started["storage_key"] == f"{chat.world.org_a}/conversations/{conv}/{started['attachment_id']}"
    assert started["declared_format"] == "pdf" and started["max_size_bytes"] == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("who", "name", "size", "expected"),
    [
        ("expert_old", "a.pdf", 10, Refusal("PT404", "conversation_not_found")),  # released expert
        ("partner_gone", "a.pdf", 10, Refusal("PT404", "conversation_not_found")),  # unlinked partner
        ("client_b", "a.pdf", 10, Refusal("PT404", "conversation_not_found")),
        ("client_a", "setup.exe", 10, Refusal("PT422", "validation_failed")),
        ("client_a", "archive.zip", 10, Refusal("PT422", "validation_failed")),
        ("client_a", "a.pdf", 10 * 1024 * 1024 + 1, Refusal("PT422", "validation_failed")),
    ],
)
def test_who_may_upload_what(chat: Chat, who: str, name: str, size: int, expected: Refusal) -> None:
    result = chat.act(
        who, "select private.attachment_begin_upload(%s, %s, %s)", (chat.conversations["dossier"], name, size)
    )
    assert result == expected


def test_a_message_may_carry_only_attachments_and_never_be_empty(chat: Chat) -> None:
    started = _attach(chat, "client_a", "dossier")
    message = _send_with(chat, "client_a", "dossier", [started["attachment_id"]])
    assert isinstance(message, int)
    row = chat.conn.execute(
        "select a.state, a.message_id, m.body from public.message_attachments a join public.messages m"
        " on m.id = a.message_id where a.id = %s",
        (started["attachment_id"],),
    ).fetchone()
    assert row == {"state": "attached", "message_id": message, "body": None}
    assert chat.send("client_a", "dossier", "   ") == Refusal("PT422", "validation_failed")
    assert _send_with(chat, "client_a", "dossier", []) == Refusal("PT422", "validation_failed")
    # someone else's attachment, or one already sent, is not attachable
    other = _attach(chat, "expert_a", "dossier")
    assert _send_with(chat, "client_a", "dossier", [other["attachment_id"]], "Voici") == Refusal(
        "PT422", "validation_failed"
    )
    assert _send_with(chat, "client_a", "dossier", [started["attachment_id"]], "Encore") == Refusal(
        "PT422", "validation_failed"
    )
    six = [_attach(chat, "client_a", "dossier", f"f{n}.png")["attachment_id"] for n in range(6)]
    assert _send_with(chat, "client_a", "dossier", six, "Six") == Refusal("PT422", "validation_failed")


def test_a_message_with_attachments_is_broadcast_once_with_them(chat: Chat) -> None:
    first, second = _attach(chat, "client_a", "dossier", "kbis.pdf"), _attach(chat, "client_a", "dossier", "rib.png")
    message = _send_with(chat, "client_a", "dossier", [first["attachment_id"], second["attachment_id"]], "Voici")
    assert isinstance(message, int)
    topic = f"conversation:{chat.conversations['dossier']}"
    created = [b["payload"] for b in chat.broadcasts(topic, "message_created") if b["payload"]["id"] == message]
    assert len(created) == 1  # once, after the files are linked
    files = created[0]["attachments"]
    assert [(f["id"], f["file_name"], f["format"], f["size"]) for f in files] == [
        (first["attachment_id"], "kbis.pdf", "pdf", 1234),
        (second["attachment_id"], "rib.png", "png", 1234),
    ]
    assert "storage_key" not in files[0] and created[0]["body"] == "Voici"
    # a plain insert carries an empty list; a deleted message shows no files
    plain = chat.send("client_a", "dossier", "Sans pièce jointe")
    assert isinstance(plain, int)
    payload = [b["payload"] for b in chat.broadcasts(topic, "message_created") if b["payload"]["id"] == plain]
    assert len(payload) == 1 and payload[0]["attachments"] == []
    removed = chat.conn.execute(
        'select private.message_payload(jsonb_populate_record(m, \'{"deleted_at": "2026-12-06T00:00:00Z",'
        ' "body": null}\')) as p from public.messages m where m.id = %s',
        (message,),
    ).fetchone()
    assert removed is not None and removed["p"]["attachments"] == [] and removed["p"]["deleted"] is True


def test_a_message_with_files_only_can_be_deleted_and_hidden_keeping_a_version(chat: Chat) -> None:
    deleted = _send_with(chat, "client_a", "dossier", [_attach(chat, "client_a", "dossier")["attachment_id"]])
    hidden = _send_with(chat, "client_a", "dossier", [_attach(chat, "client_a", "dossier", "b.pdf")["attachment_id"]])
    assert isinstance(deleted, int) and isinstance(hidden, int)
    chat.ok("client_a", "update public.messages set deleted_at = now() where id = %s", (deleted,))
    chat.ok("admin_a", "select public.moderate('hide', p_message_id => %s)", (hidden,))
    versions = chat.conn.execute(
        "select message_id, body, reason from public.message_versions where message_id = any(%s) order by message_id",
        ([deleted, hidden],),
    ).fetchall()
    assert versions == [
        {"message_id": deleted, "body": None, "reason": "deleted"},
        {"message_id": hidden, "body": None, "reason": "hidden"},
    ]


ATTACHMENT_PERSONAS = {
    "client_a": 1, "expert_a": 1, "expert_old": 0, "partner_gone": 0, "partner_a": 0, "admin_a": 0, "owner_a": 0,
    "viewer_a": 0, "client_a2": 0, "owner_b": 0, "client_b": 0, "outsider": 0, "pending_a": 0, "expert_b": 0,
    "operator": 0,
}  # fmt: skip


@pytest.mark.parametrize("persona", sorted(ATTACHMENT_PERSONAS))
def test_attachments_rls_and_storage_objects_as_every_role(chat: Chat, persona: str) -> None:
    started = _attach(chat, "client_a", "dossier")
    assert isinstance(_send_with(chat, "client_a", "dossier", [started["attachment_id"]], "Facture"), int)
    pending = _attach(chat, "client_a", "dossier", "brouillon.txt")  # ready, not sent: its uploader's only
    with chat.conn.transaction(force_rollback=True):
        tdb.as_user(chat.conn, chat.users[persona])
        seen = chat.conn.execute("select count(*) as n from public.message_attachments").fetchone()
        readable = chat.conn.execute(
            "select private.storage_object_readable('message-attachments', %s) as r", (started["storage_key"],)
        ).fetchone()
        deletable = chat.conn.execute(
            "select private.storage_object_deletable('message-attachments', %s) as r", (started["storage_key"],)
        ).fetchone()
    expected = ATTACHMENT_PERSONAS[persona] + (1 if persona == "client_a" else 0)
    assert seen is not None and seen["n"] == expected
    assert readable == {"r": ATTACHMENT_PERSONAS[persona] == 1}
    assert deletable == {"r": False}  # a sent file is kept with its message
    with chat.conn.transaction(force_rollback=True):
        tdb.as_service(chat.conn)
        total = chat.conn.execute(
            "select count(*) as n from public.message_attachments where id = any(%s)",
            ([started["attachment_id"], pending["attachment_id"]],),
        ).fetchone()
    assert total == {"n": 2}


def test_anon_reads_no_attachment(chat: Chat) -> None:
    tdb.as_anon(chat.conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), chat.conn.transaction():
        chat.conn.execute("select count(*) from public.message_attachments")
    tdb.as_owner(chat.conn)


def test_only_the_uploader_writes_the_key_and_the_documents_branch_stays(chat: Chat) -> None:
    key = chat.ok(
        "client_a", "select private.attachment_begin_upload(%s, 'a.pdf', 10) as r", (chat.conversations["dossier"],)
    )[0]["r"]["storage_key"]
    sql = "select private.storage_object_insertable('message-attachments', %s) as r"
    assert chat.ok("client_a", sql, (key,)) == [{"r": True}]
    assert chat.ok("expert_a", sql, (key,)) == [{"r": False}]
    assert chat.ok("client_a", "select private.storage_object_readable('other-bucket', %s) as r", (key,)) == [
        {"r": False}
    ]
    assert chat.ok("client_a", "select private.storage_object_readable('documents', %s) as r", (key,)) == [{"r": False}]


def test_a_removed_message_s_attachment_is_no_longer_downloadable(chat: Chat) -> None:
    started = _attach(chat, "client_a", "dossier")
    message = _send_with(chat, "client_a", "dossier", [started["attachment_id"]], "Pièce")
    assert chat.ok("expert_a", "select private.attachment_download(%s) as r", (started["attachment_id"],))
    chat.ok("client_a", "update public.messages set deleted_at = now() where id = %s", (message,))
    assert chat.act("expert_a", "select private.attachment_download(%s)", (started["attachment_id"],)) == Refusal(
        "PT404", "attachment_not_found"
    )


# --- the unread-message email ------------------------------------------------------------------------
def _candidates(chat: Chat, minutes: int) -> list[dict[str, Any]]:
    rows = chat.ok(
        "service",
        "select conversation_id, user_id, after_message_id, preview, email_enabled, sender_name"
        " from private.message_unread_candidates(now() + make_interval(mins => %s))",
        (minutes,),
    )
    return [r for r in rows if r["user_id"] == chat.users["expert_a"]]


def _record(chat: Chat, row: dict[str, Any]) -> None:
    chat.ok(
        "service",
        "select private.record_message_unread_email(%s, %s, %s, null)",
        (row["conversation_id"], row["user_id"], row["after_message_id"]),
    )


def test_one_email_thirty_minutes_after_the_first_unread_and_no_other_until_read(chat: Chat) -> None:
    conv = chat.conversations["dossier"]
    chat.ok("expert_a", "select public.mark_conversation_read(%s)", (conv,))
    ids = [chat.sent("client_a", "dossier", f"Question {n} sur le gazole") for n in (1, 2, 3)]
    assert _candidates(chat, 29) == []
    due = _candidates(chat, 31)
    assert len(due) == 1 and due[0]["preview"] == "Question 1 sur le gazole" and due[0]["email_enabled"]
    assert due[0]["sender_name"] == "Camille Durand (Transports A1)" or "Camille Durand" in due[0]["sender_name"]
    _record(chat, due[0])
    assert _candidates(chat, 120) == []  # no other until read
    chat.ok("expert_a", "select public.mark_conversation_read(%s, %s)", (conv, ids[1]))
    again = _candidates(chat, 120)
    assert len(again) == 1 and again[0]["preview"] == "Question 3 sur le gazole"


def test_reading_cancels_an_email_waiting_for_the_end_of_quiet_hours(chat: Chat) -> None:
    conv = chat.conversations["dossier"]
    chat.ok("expert_a", "select public.mark_conversation_read(%s)", (conv,))
    chat.sent("client_a", "dossier", "Une question pour ce soir")
    due = _candidates(chat, 31)[0]
    outbox = chat.ok(
        "service",
        "select private.enqueue_email(%s, 'message_unread:test', %s, 'expert@example.test', 'Sujet', '<p>x</p>',"
        " 'x', 'message_unread', false, '{}'::jsonb, now() + interval '10 hours') as id",
        (chat.world.org_a, chat.users["expert_a"]),
    )[0]["id"]
    chat.ok(
        "service",
        "select private.record_message_unread_email(%s, %s, %s, %s)",
        (due["conversation_id"], due["user_id"], due["after_message_id"], outbox),
    )
    chat.ok("expert_a", "select public.mark_conversation_read(%s)", (conv,))
    status = chat.conn.execute("select status from public.email_outbox where id = %s", (outbox,)).fetchone()
    assert status == {"status": "cancelled"}


def test_muted_conversations_never_email_and_preferences_apply(chat: Chat) -> None:
    conv = chat.conversations["dossier"]
    chat.ok("expert_a", "select public.mark_conversation_read(%s)", (conv,))
    chat.sent("client_a", "dossier", "Bonjour")
    chat.ok("expert_a", "select public.set_conversation_muted(%s, true)", (conv,))
    assert _candidates(chat, 31) == []
    chat.ok("expert_a", "select public.set_conversation_muted(%s, false)", (conv,))
    chat.ok(
        "expert_a",
        "insert into public.notification_preferences (user_id, event, channel, enabled) values (%s, 'message_unread',"
        " 'email', false)",
        (chat.users["expert_a"],),
    )
    assert [r["email_enabled"] for r in _candidates(chat, 31)] == [False]


def test_quiet_hours_delay_the_email(chat: Chat) -> None:
    rows = chat.ok(
        "service",
        "select private.after_quiet_hours(%s, %s, '2026-05-22 21:00+02') as friday_night,"
        " private.after_quiet_hours(%s, %s, '2026-05-26 10:00+02') as tuesday_morning",
        (chat.users["expert_a"], chat.world.org_a, chat.users["expert_a"], chat.world.org_a),
    )[0]
    assert rows["friday_night"].isoformat() == "2026-05-25T06:00:00+00:00"  # Monday 08:00 in Paris
    assert rows["tuesday_morning"].isoformat() == "2026-05-26T08:00:00+00:00"


# --- the follow-up engine ------------------------------------------------------------------------------
def _action(chat: Chat, code: str, conversation: str) -> dict[str, Any] | None:
    row = chat.conn.execute(
        "select id, dossier_id, conversation_id, closed_at, close_reason, target_at, warning_at"
        " from public.awaited_actions where code = %s and (conversation_id = %s or subject = %s::text)"
        " order by id desc limit 1",
        (code, chat.conversations[conversation], chat.conversations[conversation]),
    ).fetchone()
    return None if row is None else dict(row)


def test_a_client_message_opens_unread_message_and_the_expert_reading_closes_it(chat: Chat) -> None:
    chat.sent("client_a", "dossier", "Avez-vous reçu nos relevés ?")
    opened = _action(chat, "unread_message", "dossier")
    assert opened is not None and opened["closed_at"] is None and opened["dossier_id"] == chat.dossier
    chat.ok("expert_a", "select public.mark_conversation_read(%s)", (chat.conversations["dossier"],))
    closed = _action(chat, "unread_message", "dossier")
    assert closed is not None and closed["closed_at"] is not None and closed["close_reason"] == "read"


def test_whit_monday_reminder_and_escalation_of_an_unread_client_message(chat: Chat) -> None:
    conv = chat.conversations["dossier"]
    chat.ok("service", "select private.close_conversation_awaited_action(%s, 'unread_message', 'read')", (conv,))
    chat.ok(
        "service",
        "select private.open_conversation_awaited_action(%s, 'unread_message', '2026-05-22 17:00+02')",
        (conv,),
    )
    action = _action(chat, "unread_message", "dossier")
    assert action is not None
    assert action["target_at"].isoformat() == "2026-05-27T15:00:00+00:00"  # Wed 27 May 17:00 in Paris
    assert action["warning_at"].isoformat() == "2026-05-29T15:00:00+00:00"  # Fri 29 May 17:00


def test_a_support_message_opens_support_reply_without_a_dossier_and_a_reply_closes_it(chat: Chat) -> None:
    opened = _action(chat, "support_reply", "support")
    assert opened is not None and opened["dossier_id"] is None and opened["closed_at"] is None
    sql = "select count(*) as n from public.awaited_actions where conversation_id = %s"
    for persona, expected in {"admin_a": 1, "owner_a": 1, "client_a2": 0, "expert_a": 0, "owner_b": 0}.items():
        assert chat.ok(persona, sql, (chat.conversations["support"],)) == [{"n": expected}], persona
    chat.sent("admin_a", "support", "Bonjour, pouvez-vous réessayer ?")
    closed = _action(chat, "support_reply", "support")
    assert closed is not None and closed["close_reason"] == "answered"
    contacts = chat.ok("service", "select user_id from private.awaited_action_contacts(%s, '{A}')", (opened["id"],))
    assert {r["user_id"] for r in contacts} == {chat.users["owner_a"], chat.users["admin_a"]}


def test_the_sweep_reminds_the_support_inbox_of_an_unanswered_support_message(chat: Chat) -> None:
    opened = _action(chat, "support_reply", "support")
    assert opened is not None and opened["dossier_id"] is None
    rows = chat.ok(
        "service",
        "select recipient_id, step, link, company from private.sweep_awaited_actions(%s, '2027-01-12 10:00+01')"
        " where action_id = %s",
        (chat.world.org_a, opened["id"]),
    )
    link = f"/conversations/{chat.conversations['support']}"
    assert rows and {r["link"] for r in rows} == {link}
    assert {r["recipient_id"] for r in rows} >= {chat.users["admin_a"]}
    assert chat.users["client_a2"] not in {r["recipient_id"] for r in rows}
    told = chat.ok(
        "service",
        "select recipient_id, link from public.notifications where dedupe_key like 'reminder:%%' and link = %s",
        (link,),
    )
    assert {r["recipient_id"] for r in told} == {r["recipient_id"] for r in rows}
    again = chat.ok(
        "service",
        "select count(*) as n from private.sweep_awaited_actions(%s, '2027-01-12 10:00+01')",
        (chat.world.org_a,),
    )
    assert again == [{"n": 0}]  # a rerun at the same instant sends nothing
    # the support's reply closes the action: its in-app reminders are resolved, not left unread
    chat.sent("admin_a", "support", "Bonjour, c'est réglé.")
    settled = chat.ok(
        "service",
        "select distinct status from public.notifications where dedupe_key like 'reminder:%%' and link = %s",
        (link,),
    )
    assert settled == [{"status": "resolved"}]


# --- retention -----------------------------------------------------------------------------------------
def _purge(chat: Chat, interval: str) -> dict[str, int]:
    row = chat.ok("service", f"select private.purge_messaging(now() + interval '{interval}') as r")[0]["r"]
    return dict(row)


def test_retention_five_years_after_the_last_message_and_idempotent(chat: Chat) -> None:
    started = _attach(chat, "client_a2", "support")
    _send_with(chat, "client_a2", "support", [started["attachment_id"]], "Capture")
    mine = list(chat.conversations.values())
    alive = "select count(*) as n from public.conversations where id = any(%s)"
    _purge(chat, "4 years")
    assert chat.conn.execute(alive, (mine,)).fetchone() == {"n": 4}
    first = _purge(chat, "5 years 1 day")
    # support A, direct and support B go (other tests' rows may go too); the dossier conversation
    # stays while its dossier runs
    assert first["conversations"] >= 3 and first["messages"] >= 4
    left = chat.conn.execute(
        "select count(*) as n from public.conversations where id = any(%s)", (list(chat.conversations.values()),)
    ).fetchone()
    assert left == {"n": 1}
    purged = chat.conn.execute(
        "select count(*) as n from private.messaging_purged_objects where storage_key = %s", (started["storage_key"],)
    ).fetchone()
    assert purged == {"n": 1}
    assert _purge(chat, "5 years 1 day") == dict.fromkeys(first, 0)


def test_a_closed_dossier_s_conversation_goes_five_years_after_closure(chat: Chat) -> None:
    chat.conn.execute("update public.dossiers set closed_at = now() + interval '1 year' where id = %s", (chat.dossier,))
    conv = chat.conversations["dossier"]
    assert chat.ok("service", "select private.conversation_retained_until(%s) as t", (conv,))[0]["t"] is not None
    _purge(chat, "5 years 6 months")
    assert chat.conn.execute("select count(*) as n from public.conversations where id = %s", (conv,)).fetchone() == {
        "n": 1
    }
    _purge(chat, "6 years 1 day")
    assert chat.conn.execute("select count(*) as n from public.conversations where id = %s", (conv,)).fetchone() == {
        "n": 0
    }


def test_tombstones_and_versions_go_after_twelve_months_reports_stay(chat: Chat) -> None:
    reply = chat.messages["reply"]
    chat.ok("client_a", "insert into public.message_reports (message_id, reason) values (%s, 'spam')", (reply,))
    chat.ok("expert_a", "update public.messages set body = 'Merci, je vérifie.' where id = %s", (reply,))
    chat.ok("expert_a", "update public.messages set deleted_at = now() where id = %s", (reply,))
    versions = "select count(*) as n from public.message_versions where message_id = %s"
    _purge(chat, "11 months")
    assert chat.conn.execute(versions, (reply,)).fetchone() == {"n": 2}
    done = _purge(chat, "13 months")
    assert done["tombstones"] >= 1 and done["versions"] >= 2
    assert chat.conn.execute(versions, (reply,)).fetchone() == {"n": 0}
    assert chat.conn.execute("select count(*) as n from public.messages where id = %s", (reply,)).fetchone() == {"n": 0}
    report = chat.conn.execute(
        "select message_id, conversation_id from public.message_reports where reporter_id = %s",
        (chat.users["client_a"],),
    ).fetchone()
    assert report == {"message_id": None, "conversation_id": chat.conversations["dossier"]}


def test_unsent_uploads_go_after_a_day(chat: Chat) -> None:
    started = _attach(chat, "client_a", "dossier")
    assert _purge(chat, "2 days")["attachments"] >= 1
    gone = chat.conn.execute(
        "select count(*) as n from public.message_attachments where id = %s", (uuid.UUID(started["attachment_id"]),)
    ).fetchone()
    assert gone == {"n": 0}
