"""Remittance dates (ITS 2021/451 Art. 3) and the states of a due report."""

from __future__ import annotations

from datetime import date

import pytest

from shared.reporting.calendar import next_reference_dates, reference_dates, remittance_date, state_of


@pytest.mark.parametrize(
    ("module", "reference", "country", "due"),
    [
        ("corep_of", date(2026, 3, 31), "FR", date(2026, 5, 12)),
        ("corep_lr", date(2025, 12, 31), "FR", date(2026, 2, 11)),
        ("corep_nsfr", date(2024, 6, 30), "DE", date(2024, 8, 12)),  # 11 August 2024 is a Sunday
        ("corep_of", date(2026, 9, 30), "FR", date(2026, 11, 12)),  # 11 November: Armistice, a French holiday
        ("corep_of", date(2026, 9, 30), "DE", date(2026, 11, 11)),  # a working day in Germany
        ("corep_lcr_da", date(2026, 1, 31), "FR", date(2026, 2, 16)),  # 15 days later is a Sunday
        ("corep_lcr_da", date(2026, 4, 30), "FR", date(2026, 5, 15)),
    ],
)
def test_remittance_dates(module: str, reference: date, country: str, due: date) -> None:
    assert remittance_date(module, reference, country) == due


def test_quarterly_modules_refuse_a_date_that_is_not_a_quarter_end() -> None:
    with pytest.raises(ValueError, match="not a quarter end"):
        remittance_date("corep_of", date(2026, 4, 30), "FR")


def test_reference_dates_and_the_next_due_ones() -> None:
    assert reference_dates("corep_of", date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
    ]
    assert len(reference_dates("corep_lcr_da", date(2026, 1, 1), date(2026, 12, 31))) == 12
    assert next_reference_dates("corep_of", date(2026, 5, 12), "FR") == [
        (date(2026, 3, 31), date(2026, 5, 12)),
        (date(2026, 6, 30), date(2026, 8, 11)),
    ]
    assert next_reference_dates("corep_of", date(2026, 5, 13), "FR", 1) == [(date(2026, 6, 30), date(2026, 8, 11))]
    assert next_reference_dates("corep_lcr_da", date(2026, 2, 16), "FR", 1) == [(date(2026, 1, 31), date(2026, 2, 16))]


@pytest.mark.parametrize(
    ("status", "calc", "approved", "exported", "state"),
    [
        (None, None, False, False, "no_calculation"),
        ("draft", None, False, False, "no_calculation"),
        ("draft", "c", False, False, "draft"),
        ("rejected", "c", False, False, "draft"),
        ("in_review", "c", False, False, "in_review"),
        ("approved", "c", True, False, "approved"),
        ("approved", "c", True, True, "exported"),
    ],
)
def test_states(status: str | None, calc: str | None, approved: bool, exported: bool, state: str) -> None:
    assert state_of(status, calc, approved, exported) == state
