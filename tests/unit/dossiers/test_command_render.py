"""A command's report answers money as decimal strings with two decimals, whatever JSON number the
database's report carried (the invoice of confirm_refund: HT 111.11, TVA 22.22, TTC 133.33)."""

from __future__ import annotations

from shared.dossiers import render


def test_amounts_in_a_command_report_are_decimal_strings() -> None:
    answer = {
        "dossier_id": "3f0c6a6e-43c1-4f8e-9d6c-1d6f2c1a0b11", "command": "confirm_refund", "status": "refund_confirmed",
        "step": 8, "progress": 95,
        "invoice": {"id": "x", "number": "PROF-2026-0001", "invoice_ht": 111.11, "vat": 22.22, "invoice_ttc": 133.33,
                    "balance": 1080, "status": "issued"},
        "revision": 1, "documents_validated": 3, "payments": [{"amount": 0.1}],
    }  # fmt: skip
    out = render.command(answer)
    assert out.result["invoice"] == {"id": "x", "number": "PROF-2026-0001", "invoice_ht": "111.11", "vat": "22.22",
                                     "invoice_ttc": "133.33", "balance": "1080.00", "status": "issued"}  # fmt: skip
    assert out.result["revision"] == 1 and out.result["documents_validated"] == 3  # counts stay numbers
    assert out.result["payments"] == [{"amount": "0.10"}]
    assert out.status == "refund_confirmed" and out.progress == 95
