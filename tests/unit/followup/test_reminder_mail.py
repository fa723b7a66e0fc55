"""Reminder mail through cached shapes is exactly what the template engine renders, hostile values included."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.followup.mail import MAX_SHAPED, Item, ReminderMail, render_full
from shared.notifications.render import Branding

PARIS = ZoneInfo("Europe/Paris")
BRAND = Branding("Cabinet <Relances> & Cie", "#1F4E79", "SAS au capital de 1 000 €")
HOSTILE = ["<script>alert(1)</script>", "Dupont & Fils", "\"quoted\" 'single'", "line\nBcc: x@y", "{{ 7*7 }}", "  é  "]


def items(n: int, text: str = "Transport Dupont") -> list[Item]:
    return [
        Item(
            "ticpe" if i % 2 else "urssaf",
            f"{text} {i}",
            f"Documents {text}",
            datetime(2026, 6, 2, 9, i, tzinfo=PARIS),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 11, MAX_SHAPED, MAX_SHAPED + 1])
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("step", ["reminder", "escalated", "critical"])
def test_shapes_equal_the_full_render(count: int, lang: str, step: str) -> None:
    mail = ReminderMail(BRAND)
    for name, unsubscribe in (("Jean <b>", "https://app.test/u?token=a&b"), ("", None)):
        expected = render_full(
            step, lang, items(count), organization=BRAND, name=name, link="/d?x=<1>", unsubscribe_url=unsubscribe
        )
        got = mail.render(step, lang, items(count), name=name, link="/d?x=<1>", unsubscribe_url=unsubscribe)
        assert got == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_escaped_as_the_engine_does(value: str) -> None:
    mail = ReminderMail(BRAND)
    got = mail.render("reminder", "fr", items(2, value), name=value, link="/x", unsubscribe_url=None)
    assert got == render_full(
        "reminder", "fr", items(2, value), organization=BRAND, name=value, link="/x", unsubscribe_url=None
    )
    assert "<script>" not in got.html and "\n" not in got.subject


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), st.integers(min_value=1, max_value=4))
def test_any_text_renders_the_same(company: str, name: str, count: int) -> None:
    mail = ReminderMail(BRAND)
    got = mail.render("escalated", "en", items(count, company), name=name, link="/l", unsubscribe_url="/u")
    assert got == render_full(
        "escalated", "en", items(count, company), organization=BRAND, name=name, link="/l", unsubscribe_url="/u"
    )
