"""``fintrack render``: one simulation's answers as JSON in, its report as XLSX, DOCX or PDF out.

The answers are read as ``fintrack simulate`` reads them (one JSON object, question code → answer),
computed with the bundled rule set, and rendered with the demo organization's branding. Any problem
— unknown document, format or language, malformed JSON, an invalid answer — gives exit code 2 and a
single line ``error: …``, and no file.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.exports.formats import DOCUMENTS, renderer
from shared.exports.formatting import lang_of
from shared.exports.models import Branding
from shared.exports.simulation_inputs import simulation_report
from shared.simulation.engine import AnswerError
from shared.simulation.models import load_rule_set

USAGE_ERROR = 2
RULE_SET = "FR-2025.1"
CLI_DOCUMENTS = ("simulation-report",)

DEMO_BRANDING = Branding(
    organization_name="Profitum Conseil",
    primary_color="#1F4E79",
    legal_footer="Profitum Conseil SAS — 12 rue de la Paix, 75002 Paris — RCS Paris 732 829 320",
)
"""The demo organization's branding: the values sql/seed/demo.sql gives "profitum" (a test keeps them equal)."""

_NO_COMPANY = {"fr": "Entreprise non précisée", "en": "Company not specified"}


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check(document: str, fmt: str, lang: str) -> str:
    """The language code; ``ValueError`` naming what is wrong and what is accepted."""
    if document not in CLI_DOCUMENTS:
        raise ValueError(f"unknown document {document!r}; accepted: {', '.join(CLI_DOCUMENTS)}")
    if fmt not in DOCUMENTS[document]:
        raise ValueError(f"unsupported format {fmt!r} for {document}; accepted: {', '.join(DOCUMENTS[document])}")
    try:
        return lang_of(lang)
    except ValueError as exc:
        raise ValueError(f"unsupported language {lang!r}; accepted: fr, en") from exc


def run(
    document: str, fmt: str, lang: str, text: str, *, company: str | None = None, day: date | None = None
) -> tuple[int, bytes | str]:
    """``(0, file bytes)`` or ``(2, "error: …")`` on one line. ``day`` defaults to today in Paris."""
    try:
        code = _check(document, fmt.strip().lower(), lang)
        try:
            answers = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
        except ValueError as exc:  # json.JSONDecodeError included
            raise ValueError(f"invalid JSON: {exc}") from exc
        if not isinstance(answers, dict):
            raise ValueError("answers: expected a JSON object of question code → answer")
        report = simulation_report(
            load_rule_set(RULE_SET), answers, company=company or _NO_COMPANY[code], siren=None,
            day=day or datetime.now(ZoneInfo("Europe/Paris")).date(), lang=code,
        )  # fmt: skip
    except AnswerError as exc:
        return USAGE_ERROR, _one_line(f"error: answers.{exc.field}: {exc.rule}: {exc.message}")
    except ValueError as exc:
        return USAGE_ERROR, _one_line(f"error: {exc}")
    return 0, renderer(document, fmt.strip().lower())(report, DEMO_BRANDING, code)
