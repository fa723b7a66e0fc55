"""Email texts: one Jinja template per event (``templates/<event>.j2``, else ``_generic.j2``), in French
or English, each with a ``subject``, a ``text`` and an ``html`` block.

Subject and text are rendered without escaping (they are not HTML) and the subject is folded onto
one line, so no variable can add a header; the HTML is rendered with autoescaping, so no variable can
add markup. Amounts and dates are written the French way in French (``1 234,56 €``, ``21/11/2026``).
Dossier subjects start with the product tag: ``[TICPE] Documents demandés – Transport Dupont``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.exports.formatting import format_amount, format_date, format_datetime

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")

PRODUCT_TAGS = {
    "ticpe": "TICPE",
    "urssaf": "URSSAF",
    "dfs": "DFS",
    "msa": "MSA",
    "foncier": "Foncier",
    "energie_elec": "Électricité",
    "energie_gaz": "Gaz",
    "recouvrement": "Recouvrement",
    "chronotachygraphes": "Chronotachygraphes",
    "logiciel_solid": "Solid",
}

_TEXTS = {
    "greeting": ("Bonjour {name},", "Hello {name},"),
    "greeting_anonymous": ("Bonjour,", "Hello,"),
    "action": ("Ouvrir le dossier", "Open the dossier"),
    "unsubscribe": ("Ne plus recevoir ces e-mails", "Stop receiving these emails"),
}


@dataclass(frozen=True)
class Branding:
    name: str
    color: str = "#1F4E79"
    footer: str = ""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def product_tag(product_code: str | None) -> str:
    """``[TICPE] `` for a dossier's product, empty without one."""
    tag = PRODUCT_TAGS.get(product_code or "")
    return f"[{tag}] " if tag else ""


def _money(value: Decimal | int | str | None, lang: str = "fr") -> str:
    return format_amount(None if value is None else Decimal(value), lang)


def _day(value: date | str, lang: str = "fr") -> str:
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, lang)


def _moment(value: datetime | str, lang: str = "fr") -> str:
    return format_datetime(datetime.fromisoformat(value) if isinstance(value, str) else value, lang)


@lru_cache(maxsize=2)
def _environment(html: bool) -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,  # noqa: S701 (the plain environment renders only the subject and text parts)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    environment.filters.update(money=_money, day=_day, moment=_moment)
    return environment


def template_name(event: str) -> str:
    return f"{event}.j2" if (TEMPLATES / f"{event}.j2").is_file() else "_generic.j2"


def render(
    event: str,
    lang: str,
    values: Mapping[str, Any],
    *,
    organization: Branding,
    recipient_name: str = "",
    link: str | None = None,
    unsubscribe_url: str | None = None,
) -> RenderedEmail:
    """The subject, text and HTML of ``event`` for one recipient, in ``lang`` (``fr`` or ``en``)."""
    index = 0 if lang == "fr" else 1
    greeting = (
        _TEXTS["greeting"][index].format(name=recipient_name) if recipient_name else _TEXTS["greeting_anonymous"][index]
    )
    context = {
        "tag": product_tag(values.get("product_code")),
        **values,
        "lang": "fr" if index == 0 else "en",
        "organization": organization,
        "greeting": greeting,
        "link": link,
        "action": _TEXTS["action"][index],
        "unsubscribe_url": unsubscribe_url,
        "unsubscribe_label": _TEXTS["unsubscribe"][index],
    }
    name = template_name(event)
    plain = _environment(False).get_template(name)
    blocks = plain.new_context(context)
    subject = " ".join("".join(plain.blocks["subject"](blocks)).split())
    body = "".join(plain.blocks["text"](plain.new_context(context))).strip()
    footer = [
        line
        for line in (organization.footer, unsubscribe_url and f"{context['unsubscribe_label']} : {unsubscribe_url}")
        if line
    ]
    text = "\n\n".join(part for part in (greeting, body, link or "", "\n".join(footer)) if part)
    html = _environment(True).get_template(name).render(context)
    return RenderedEmail(subject=subject, text=text + "\n", html=html)


def render_outbox(
    template: str,
    lang: str,
    values: Mapping[str, Any],
    *,
    organization: Branding,
    recipient_name: str = "",
    link: str | None = None,
    unsubscribe_url: str | None = None,
) -> RenderedEmail:
    """An outbox row's message: its event's own template when the event's values fill it, else the
    generic one (title, summary, company), which every fanned-out event carries."""
    import jinja2

    options: dict[str, Any] = {
        "organization": organization,
        "recipient_name": recipient_name,
        "link": link,
        "unsubscribe_url": unsubscribe_url,
    }
    try:
        return render(template, lang, values, **options)
    except (jinja2.UndefinedError, TypeError, ValueError, ArithmeticError) as exc:
        logger.info("template %s lacks values (%s): generic template used", template, exc)
        return render("_generic", lang, values, **options)
