"""Reminder emails: one per recipient per run, rendered by the notification templates.

A sweep may write tens of thousands of one-dossier reminders, and a full Jinja render of the layout
costs ~0.3 ms each. :class:`ReminderMail` renders the template once per *shape* (language, step,
whether the recipient has a name, whether the mail carries an unsubscribe link) with marker values,
then puts each recipient's values in place of the markers: raw in the subject and text (as the plain
environment renders them, the subject folded onto one line afterwards) and escaped in the HTML with
``markupsafe.escape`` (as autoescaping does). Mail grouping several dossiers is rendered in full.
A test holds both paths equal on hostile values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import escape

from shared.exports.formatting import format_datetime
from shared.notifications.render import Branding, RenderedEmail, product_tag, render

STEP_TEXTS = {
    "reminder": ("Relance", "Reminder"),
    "escalated": ("Relance urgente", "Urgent reminder"),
    "critical": ("Relance critique", "Critical reminder"),
}
_MARK = "Qx7Mark{}xQ"  # ends with a letter: `Qx7Markcompany1xQ` is no prefix of `…company10xQ`
_DUE_MARK = datetime(2099, 7, 13, 13, 37, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """One dossier of a reminder: its product tag, company, awaited action and due instant (local)."""

    product_code: str | None
    company: str
    action: str
    due_at: datetime


def _fold(subject: str) -> str:
    return " ".join(subject.split())


def _values(step: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "dossiers": items,
        "step_fr": STEP_TEXTS[step][0],
        "step_en": STEP_TEXTS[step][1],
        "product_code": None,
    }


def render_full(
    step: str,
    lang: str,
    items: list[Item],
    *,
    organization: Branding,
    name: str,
    link: str,
    unsubscribe_url: str | None,
) -> RenderedEmail:
    """The reminder through the template engine, for any number of dossiers."""
    dossiers = [
        {"tag": product_tag(i.product_code), "company": i.company, "action": i.action, "due_at": i.due_at}
        for i in items
    ]
    return render(
        "reminder",
        lang,
        _values(step, dossiers),
        organization=organization,
        recipient_name=name,
        link=link,
        unsubscribe_url=unsubscribe_url,
    )


MAX_SHAPED = 20  # mail grouping more dossiers is rendered in full


@dataclass(frozen=True)
class _Shape:
    """A rendered shape cut at its markers, per part: a ``str.format_map`` template whose fields are the
    value keys (the literal text's braces doubled), filled in one C-level pass per part."""

    subject: str
    text: str
    html: str


def _cut(rendered: str, pattern: re.Pattern[str], keys: dict[str, str]) -> str:
    """The rendered text with every marker replaced by the ``{key}`` field of its value."""
    pieces = pattern.split(rendered)
    return "".join(
        piece.replace("{", "{{").replace("}", "}}") if index % 2 == 0 else "{" + keys[piece] + "}"
        for index, piece in enumerate(pieces)
    )


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


@dataclass
class ReminderMail:
    """Renders one organization's reminders, mail of up to MAX_SHAPED dossiers through cached shapes."""

    organization: Branding
    _shapes: dict[tuple[str, str, int, bool, bool], _Shape] = field(default_factory=dict)
    # a run's due instants repeat: the text of an instant depends on it, its offset and the language
    _dates: dict[tuple[datetime, timedelta | None, str], str] = field(default_factory=dict)

    def _date(self, value: datetime, lang: str) -> str:
        key = (value, value.utcoffset(), lang)
        text = self._dates.get(key)
        if text is None:
            text = self._dates[key] = format_datetime(value, lang)
        return text

    def _shape(self, step: str, lang: str, count: int, named: bool, unsubscribable: bool) -> _Shape:
        key = (step, lang, count, named, unsubscribable)
        shape = self._shapes.get(key)
        if shape is None:
            dossiers = [
                {
                    "tag": _MARK.format(f"tag{i}"),
                    "company": _MARK.format(f"company{i}"),
                    "action": _MARK.format(f"action{i}"),
                    "due_at": _DUE_MARK + timedelta(minutes=i),
                }
                for i in range(count)
            ]
            rendered = render(
                "reminder",
                lang,
                _values(step, dossiers),
                organization=self.organization,
                recipient_name=_MARK.format("name") if named else "",
                link=_MARK.format("link"),
                unsubscribe_url=_MARK.format("unsubscribe") if unsubscribable else None,
            )
            keys = {_MARK.format(k): k for k in ("name", "link", "unsubscribe")}
            for i in range(count):
                keys.update({_MARK.format(f"{k}{i}"): f"{k}{i}" for k in ("tag", "company", "action")})
                keys[format_datetime(_DUE_MARK + timedelta(minutes=i), lang)] = f"due{i}"
            pattern = re.compile("(" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + ")")
            shape = _Shape(
                subject=_cut(rendered.subject, pattern, keys),
                text=_cut(rendered.text, pattern, keys),
                html=_cut(rendered.html, pattern, keys),
            )
            self._shapes[key] = shape
        return shape

    def render(
        self,
        step: str,
        lang: str,
        items: list[Item],
        *,
        name: str,
        link: str,
        unsubscribe_url: str | None,
    ) -> RenderedEmail:
        if not 1 <= len(items) <= MAX_SHAPED:
            return render_full(
                step, lang, items, organization=self.organization, name=name, link=link, unsubscribe_url=unsubscribe_url
            )
        shape = self._shape(step, lang, len(items), bool(name), unsubscribe_url is not None)
        raw = {"name": name, "link": link, "unsubscribe": unsubscribe_url or ""}
        for i, item in enumerate(items):
            raw[f"tag{i}"] = product_tag(item.product_code)
            raw[f"company{i}"] = item.company
            raw[f"action{i}"] = item.action
            raw[f"due{i}"] = self._date(item.due_at, lang)
        escaped = {k: str(escape(v)) for k, v in raw.items()}
        return RenderedEmail(
            subject=_fold(_fill(shape.subject, raw)), text=_fill(shape.text, raw), html=_fill(shape.html, escaped)
        )
