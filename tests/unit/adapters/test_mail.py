"""The mail port: Resend through its real SDK against a local stand-in, files, memory."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest

from shared.adapters.mail import Email, FileMailer, MailRejected, MailRetryable, MemoryMailer, ResendMailer
from tests.support.resend_server import API_KEY, ResendStandIn, resend_stand_in


@pytest.fixture
def stand_in() -> Iterator[ResendStandIn]:
    with resend_stand_in() as server:
        yield server


def message(n: int = 1) -> Email:
    return Email(
        message_id=f"m{n}",
        sender="FinancialTracker <no-reply@example.test>",
        to=f"client{n}@example.test",
        subject=f"[TICPE] Documents demandés – Transport Dupont {n}",
        html="<p>Bonjour <b>Dupont</b></p>",
        text="Bonjour Dupont",
        headers={"List-Unsubscribe": "<https://example.test/u>"},
    )


def test_a_batch_goes_through_the_sdk_and_returns_ids_in_order(stand_in: ResendStandIn) -> None:
    mailer = ResendMailer(API_KEY, stand_in.url)
    ids = mailer.send_batch([message(1), message(2)], idempotency_key="batch:1")
    assert len(ids) == 2 and len(set(ids)) == 2
    assert [e["to"] for e in stand_in.sent] == [["client1@example.test"], ["client2@example.test"]]
    assert stand_in.sent[0]["headers"] == {"List-Unsubscribe": "<https://example.test/u>"}
    assert stand_in.sent[0]["subject"].startswith("[TICPE] Documents demandés")


def test_resending_the_same_key_sends_nothing_twice(stand_in: ResendStandIn) -> None:
    mailer = ResendMailer(API_KEY, stand_in.url)
    first = mailer.send_batch([message(1)], idempotency_key="batch:same")
    again = mailer.send_batch([message(1)], idempotency_key="batch:same")
    assert first == again
    assert len(stand_in.deliveries) == 1


def test_429_is_retryable_with_its_retry_after(stand_in: ResendStandIn) -> None:
    stand_in.fail_next(429, retry_after=42)
    with pytest.raises(MailRetryable) as error:
        ResendMailer(API_KEY, stand_in.url).send_batch([message()], idempotency_key="batch:429")
    assert error.value.retry_after == 42
    assert stand_in.deliveries == []


def test_5xx_and_transport_errors_are_retryable(stand_in: ResendStandIn) -> None:
    stand_in.fail_next(500)
    with pytest.raises(MailRetryable) as error:
        ResendMailer(API_KEY, stand_in.url).send_batch([message()], idempotency_key="batch:500")
    assert error.value.retry_after is None
    with pytest.raises(MailRetryable):
        ResendMailer(API_KEY, "http://127.0.0.1:9").send_batch([message()], idempotency_key="batch:down")


def test_other_4xx_are_rejected_for_good(stand_in: ResendStandIn) -> None:
    with pytest.raises(MailRejected) as error:
        ResendMailer("re_wrong", stand_in.url).send_batch([message()], idempotency_key="batch:401")
    assert "401" in error.value.message
    assert "re_wrong" not in error.value.message


def test_the_file_mailer_writes_a_text_and_an_html_part(tmp_path: Path) -> None:
    ids = FileMailer(tmp_path).send_batch([message(7)], idempotency_key="k")
    assert ids == ["file:m7"]
    parsed = email.message_from_bytes((tmp_path / "m7.eml").read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "[TICPE] Documents demandés – Transport Dupont 7"
    assert parsed["List-Unsubscribe"] == "<https://example.test/u>"
    kinds = [part.get_content_type() for part in parsed.walk()]
    assert "text/plain" in kinds and "text/html" in kinds


def test_the_memory_mailer_answers_a_repeated_key_like_resend() -> None:
    mailer = MemoryMailer()
    assert mailer.send_batch([message(1)], idempotency_key="k") == mailer.send_batch([message(1)], idempotency_key="k")
    assert len(mailer.sent) == 1


def attached(n: int = 1) -> Email:
    from dataclasses import replace

    from shared.adapters.mail import Attachment

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    file = Attachment("rapport-kpi.xlsx", xlsx, b"PK\x03")
    return replace(message(n), attachments=(file,))


def test_a_message_with_attachments_goes_through_the_single_send_once_per_key(stand_in: ResendStandIn) -> None:
    mailer = ResendMailer(API_KEY, stand_in.url)
    first = mailer.send(attached(), idempotency_key="batch:single")
    assert mailer.send(attached(), idempotency_key="batch:single") == first  # a replay sends nothing
    assert stand_in.singles == ["batch:single"] and len(stand_in.deliveries) == 1
    [sent] = stand_in.sent
    assert sent["attachments"][0]["filename"] == "rapport-kpi.xlsx"
    import base64

    assert base64.b64decode(sent["attachments"][0]["content"]) == b"PK\x03"


def test_the_single_send_retries_and_rejects_like_batches(stand_in: ResendStandIn) -> None:
    stand_in.fail_next(429, retry_after=90)
    with pytest.raises(MailRetryable) as retry:
        ResendMailer(API_KEY, stand_in.url).send(attached(), idempotency_key="batch:s429")
    assert retry.value.retry_after == 90
    with pytest.raises(MailRejected):
        ResendMailer("re_wrong", stand_in.url).send(attached(), idempotency_key="batch:s401")


def test_files_and_memory_keep_the_attachment(tmp_path: Path) -> None:
    FileMailer(tmp_path).send(attached(9), idempotency_key="k")
    parsed = email.message_from_bytes((tmp_path / "m9.eml").read_bytes(), policy=policy.default)
    [part] = [p for p in parsed.walk() if p.get_filename()]
    assert part.get_filename() == "rapport-kpi.xlsx" and part.get_payload(decode=True) == b"PK\x03"
    memory = MemoryMailer()
    assert memory.send(attached(), idempotency_key="k") == memory.send(attached(2), idempotency_key="k")
    assert [e.to for e in memory.sent] == ["client1@example.test"]
