"""The reminder email of the due COREP reports (template `corep_report_due`) in French and English:
subject on one line naming the report and its remittance date, the late wording once the remittance
date has passed, the link to the reporting calendar, hostile names escaped in the HTML only."""

from __future__ import annotations

from datetime import date

from shared.followup.report_mail import render_reports
from shared.notifications.render import Branding

BRAND = Branding("Banque <b>&</b> Cie", "#123456", "Banque SA – 12 rue <i>X</i>")
LINK = "https://app.example.test/reporting/calendar?organization_id=1"


def report(module: str = "corep_of", remittance: date = date(2027, 5, 12)) -> dict[str, object]:
    return {"module": module, "basis": "CON", "reference_date": date(2027, 3, 31), "remittance_date": remittance}


def test_one_report_in_french_before_its_remittance_date() -> None:
    mail = render_reports(
        "reminder", "fr", [report()], organization=BRAND, name="<script>x</script>", link=LINK, today=date(2027, 5, 5)
    )
    assert mail.subject == "Rappel : Fonds propres et exigences (COREP OF) au 31/03/2027 à remettre avant le 12/05/2027"
    assert "date d'arrêté 31/03/2027 : remise au plus tard le 12/05/2027" in mail.text
    assert "Bonjour <script>x</script>," in mail.text and LINK in mail.text
    assert "<script>" not in mail.html and "&lt;script&gt;x&lt;/script&gt;" in mail.html
    assert "Banque &lt;b&gt;&amp;&lt;/b&gt; Cie" in mail.html
    assert "Ouvrir le calendrier des remises" in mail.html and "en retard" not in mail.text


def test_several_reports_in_english_one_of_them_late() -> None:
    mail = render_reports(
        "critical",
        "en",
        [report(remittance=date(2027, 5, 12)), report("corep_lcr_da", date(2027, 5, 17))],
        organization=BRAND,
        name="",
        link=LINK,
        today=date(2027, 5, 13),
    )
    assert mail.subject == "Report overdue: 2 COREP reports due"
    assert "\n" not in mail.subject
    assert (
        "Own funds and requirements (COREP OF) (CON), reference date 2027-03-31: remittance by 2027-05-12" in mail.text
    )
    assert mail.text.count("— late") == 1 and "Liquidity coverage ratio (COREP LCR)" in mail.text
    assert mail.text.startswith("Hello,") and "Open the reporting calendar" in mail.html


def test_a_single_late_report_says_since_when() -> None:
    mail = render_reports(
        "critical", "fr", [report()], organization=BRAND, name="Léa", link=LINK, today=date(2027, 5, 13)
    )
    assert mail.subject == (
        "Déclaration en retard : Fonds propres et exigences (COREP OF) au 31/03/2027 à remettre depuis le 12/05/2027"
    )
