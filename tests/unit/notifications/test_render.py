"""Email templates: both languages, French formats, the product tag, hostile values escaped."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shared.notifications import unsubscribe
from shared.notifications.render import Branding, render, template_name
from shared.platform.errors import Unprocessable

ORG = Branding(name="Profitum", color="#1F4E79", footer="Profitum SAS – 12 rue de la Paix, 75002 Paris")
REQUEST = {
    "product_code": "ticpe",
    "company": "Transport Dupont",
    "due_date": date(2026, 6, 1),
    "items": [{"label": "Factures de carburant (12 mois)", "note": "scans lisibles"}, {"label": "RIB", "note": ""}],
}


def test_documents_requested_in_french() -> None:
    mail = render(
        "documents_requested",
        "fr",
        REQUEST,
        organization=ORG,
        recipient_name="Marie",
        link="https://app.example.test/dossiers/1",
        unsubscribe_url="https://api.example.test/u?t=x",
    )
    assert mail.subject == "[TICPE] Documents demandés – Transport Dupont"
    assert mail.text.startswith("Bonjour Marie,\n\nVotre expert a besoin des documents suivants")
    assert "avant le 01/06/2026" in mail.text
    assert "- Factures de carburant (12 mois) (scans lisibles)\n- RIB" in mail.text
    assert "Profitum SAS – 12 rue de la Paix" in mail.text and "https://api.example.test/u?t=x" in mail.text
    assert "<li>Factures de carburant (12 mois) <em>(scans lisibles)</em></li>" in mail.html
    assert 'href="https://app.example.test/dossiers/1"' in mail.html and "Ouvrir le dossier" in mail.html


def test_the_same_mail_in_english() -> None:
    mail = render("documents_requested", "en", REQUEST, organization=ORG, recipient_name="Marie")
    assert mail.subject == "[TICPE] Documents requested – Transport Dupont"
    assert mail.text.startswith("Hello Marie,") and "by 2026-06-01" in mail.text


def test_amounts_and_instants_are_written_the_french_way() -> None:
    values = {"product_code": "urssaf", "company": "Boulangerie Martin", "number": "PROF-2026-0042",
              "total": Decimal("1620.00"), "net": Decimal("1350.00"), "due_date": date(2026, 3, 2)}  # fmt: skip
    mail = render("invoice_issued", "fr", values, organization=ORG)
    assert mail.subject == "[URSSAF] Facture PROF-2026-0042 – Boulangerie Martin"
    assert "1\u202f620,00\u00a0€ TTC (1\u202f350,00\u00a0€ HT)" in mail.text and "02/03/2026" in mail.text
    offer = render(
        "offer_made",
        "fr",
        {"product_code": "energie_elec", "company": "Garage Leroy", "product": "Électricité",
         "estimate": Decimal("8000"), "expires_at": datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))},
        organization=ORG,
    )  # fmt: skip
    assert offer.subject.startswith("[Électricité] Nouveau dossier proposé – 48 h pour répondre")
    assert "07/12/2026 09:30" in offer.text


def test_hostile_values_are_escaped_in_html_and_cannot_add_a_header() -> None:
    values = {**REQUEST, "company": 'Evil <script>alert(1)</script>\r\nBcc: victim@example.test',
              "items": [{"label": "<img src=x onerror=alert(1)>", "note": ""}]}  # fmt: skip
    mail = render("documents_requested", "fr", values, organization=ORG, recipient_name="<b>Eve</b>")
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<img" not in mail.html and "<b>Eve</b>" not in mail.html
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_events_without_a_template_use_the_generic_one() -> None:
    assert template_name("dossier_on_hold") == "_generic.j2"
    mail = render("dossier_on_hold", "fr", {"product_code": "msa", "company": "GAEC du Lac",
                  "title": "Dossier suspendu", "body": "Reprise prévue le 12/01/2027."}, organization=ORG)  # fmt: skip
    assert mail.subject == "[MSA] Dossier suspendu – GAEC du Lac"
    assert "Reprise prévue le 12/01/2027." in mail.text


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render("invoice_issued", "fr", {"company": "X"}, organization=ORG)


def test_unsubscribe_tokens_cannot_be_forged() -> None:
    user = uuid.uuid4()
    token = unsubscribe.make_token("secret-1", user, "document_uploaded")
    assert unsubscribe.read_token("secret-1", token) == unsubscribe.Unsubscribe(user, "document_uploaded")
    with pytest.raises(Unprocessable):
        unsubscribe.read_token("secret-2", token)
    with pytest.raises(Unprocessable):
        unsubscribe.read_token("secret-1", token[:-2] + "xx")
    assert unsubscribe.headers("https://x.test/u?t=1") == {
        "List-Unsubscribe": "<https://x.test/u?t=1>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_unsubscribe_tokens_are_the_ones_itsdangerous_signs() -> None:
    """The fast signer writes exactly what ``URLSafeSerializer.dumps`` writes, so links already sent and
    links signed now read alike; hostile event names and unicode included."""
    from itsdangerous import URLSafeSerializer

    events = ["reminder", "critical_reminder", "document_uploaded", 'a"b\\c', "é" * 40, ""]
    for secret in ("secret-1", "s" * 64, "clé"):
        reference = URLSafeSerializer(secret, salt="notifications.unsubscribe")
        for event in events:
            user = uuid.uuid4()
            token = unsubscribe.make_token(secret, user, event)
            if not reference.dumps([str(user), event]).startswith("."):  # itsdangerous compressed it
                assert token == reference.dumps([str(user), event])
            assert reference.loads(token) == [str(user), event]
            assert unsubscribe.read_token(secret, token) == unsubscribe.Unsubscribe(user, event)
    with pytest.raises(RuntimeError):
        unsubscribe.make_token("", uuid.uuid4(), "reminder")
