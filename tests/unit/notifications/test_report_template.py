"""The scheduled report's email in French and English: subject per kind and period, headline figures,
the daily queues, the organization's footer and unsubscribe link; hostile values escaped in HTML."""

from __future__ import annotations

from typing import Any

import pytest

from shared.notifications.render import Branding, render_outbox

HOSTILE = '<script>alert("x")</script>'
ORG = Branding(f"Cabinet {HOSTILE}", "#123456", f"SAS {HOSTILE} – RCS Paris")


def values(**over: Any) -> dict[str, Any]:
    return {"kind": "daily", "start": "2026-03-09", "end": "2026-03-09", "file_name": f"kpi-{HOSTILE}.xlsx",
            "closed": 3, "on_time": 2, "breaches": 1, "open": 4,
            "queues": {"eligibility": 5, "experts": 2, "at_risk": 7}, **over}  # fmt: skip


def test_the_french_daily_report_lists_the_queues_escaped() -> None:
    mail = render_outbox("scheduled_report", "fr", values(), organization=ORG, recipient_name=HOSTILE,
                         unsubscribe_url="https://api.example.test/u?t=1")  # fmt: skip
    assert mail.subject == f"Rapport quotidien de suivi – Cabinet {HOSTILE} – 09/03/2026"
    assert "\n" not in mail.subject
    assert "dossiers en attente de validation d'éligibilité : 5" in mail.text
    assert "actions en alerte ou en retard : 7" in mail.text and "Dossiers clos : 3" in mail.text
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "experts à approuver : 2" in mail.html.replace("&#39;", "'")
    assert "SAS &lt;script&gt;" in mail.html and "https://api.example.test/u?t=1" in mail.html
    assert "Ne plus recevoir ces e-mails" in mail.text


@pytest.mark.parametrize(
    ("kind", "start", "end", "subject"),
    [
        ("weekly", "2026-03-02", "2026-03-08", "Weekly follow-up report – Cabinet {org} – 2026-03-02 to 2026-03-08"),
        ("monthly", "2026-02-01", "2026-02-28", "Monthly follow-up report – Cabinet {org} – 2026-02-01 to 2026-02-28"),
    ],
)
def test_the_english_weekly_and_monthly_reports_have_no_queues(kind: str, start: str, end: str, subject: str) -> None:
    mail = render_outbox("scheduled_report", "en", values(kind=kind, start=start, end=end, queues=None),
                         organization=ORG)  # fmt: skip
    assert mail.subject == subject.format(org=HOSTILE)
    assert "To handle today" not in mail.text and "Dossiers closed: 3; on time: 2; breaches: 1." in mail.text
    assert "<script>" not in mail.html and f"kpi-{HOSTILE}.xlsx" in mail.text
