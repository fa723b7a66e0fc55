"""French (CLDR fr-FR) and English formatting, the label catalogue, and the input models' checks."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.exports import formatting
from shared.exports.formatting import (
    NBSP,
    NNBSP,
    format_amount,
    format_date,
    format_datetime,
    format_number,
    label,
    lang_of,
)
from shared.exports.models import Answer, Branding, Comparison, ProductComparison


def test_french_amounts_use_narrow_and_plain_no_break_spaces() -> None:
    assert format_amount(Decimal("1234.56")) == "1\u202f234,56\u00a0€"
    assert format_amount(Decimal("1234567.5")) == f"1{NNBSP}234{NNBSP}567,50{NBSP}€"
    assert format_amount(Decimal("999.99")) == f"999,99{NBSP}€"
    assert format_amount(0) == f"0,00{NBSP}€"
    assert format_amount(Decimal("-1234.56")) == f"-1{NNBSP}234,56{NBSP}€"
    assert format_amount(Decimal("35000"), signed=True) == f"+35{NNBSP}000,00{NBSP}€"
    assert format_amount(Decimal("0"), signed=True) == f"0,00{NBSP}€"
    assert format_amount(None) == "—"


def test_english_amounts() -> None:
    assert format_amount(Decimal("1234.56"), "en") == "€1,234.56"
    assert format_amount(Decimal("-1234567.891"), "en") == "-€1,234,567.89"
    assert format_amount(Decimal("12"), "en-GB", signed=True) == "+€12.00"


def test_amounts_round_half_up_to_the_cent() -> None:
    assert format_amount(Decimal("0.005")) == f"0,01{NBSP}€"
    assert format_amount(Decimal("2.675"), "en") == "€2.68"
    assert format_amount(Decimal("-0.004")) == f"0,00{NBSP}€"  # never "-0,00 €"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_french_amounts_parse_back(value: Decimal) -> None:
    text = format_amount(value)
    assert re.fullmatch(r"-?\d{1,3}(\u202f\d{3})*,\d{2}\u00a0€", text)
    assert Decimal(text.removesuffix(f"{NBSP}€").replace(NNBSP, "").replace(",", ".")) == value


def test_machine_numbers() -> None:
    assert format_number(Decimal("1234.5")) == "1234,50"
    assert format_number(Decimal("1234.5"), "en") == "1234.50"


def test_dates() -> None:
    assert format_date(date(2026, 11, 21)) == "21/11/2026"
    assert format_date(date(2026, 1, 5), "en") == "2026-01-05"
    assert format_datetime(datetime(2026, 11, 21, 9, 5)) == "21/11/2026 09:05"
    assert format_datetime(datetime(2026, 11, 21, 14, 30), "en") == "2026-11-21 14:30"


@pytest.mark.parametrize(("given_lang", "expected"), [("fr", "fr"), ("FR", "fr"), ("fr-FR", "fr"), ("en_GB", "en")])
def test_lang_of(given_lang: str, expected: str) -> None:
    assert lang_of(given_lang) == expected


def test_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        format_amount(1, "de")


def test_every_label_exists_in_both_languages() -> None:
    for table in (formatting.LABELS, formatting.DOCUMENT_STATES):
        for key, (fr, en) in table.items():
            assert fr.strip() and en.strip(), key
    assert label("disclaimer", "fr", version="FR-2025.1").count("FR-2025.1") == 1
    assert "estimates" in label("disclaimer", "en", version="X")


def test_branding_checks_colour_and_logo(logo: bytes) -> None:
    assert Branding("Org", "#1f4e79", logo=logo).hex == "1F4E79"
    assert Branding("Org", "#1F4E79").rgb == (31, 78, 121)
    assert Branding("Org", "#1F4E79").on_primary == (255, 255, 255)
    assert Branding("Org", "#FFE699").on_primary == (0, 0, 0)
    for colour in ("1F4E79", "#1F4E7", "#GGGGGG", "red"):
        with pytest.raises(ValueError):
            Branding("Org", colour)
    with pytest.raises(ValueError, match="PNG or JPEG"):
        Branding("Org", logo=b"GIF89a....")
    for broken in (b"\x89PNG\r\n\x1a\n", logo[:20], b"\xff\xd8\xff\xe0" + bytes(40)):
        with pytest.raises(ValueError, match="image size"):
            Branding("Org", logo=broken)


def test_comparison_pairs_answers_and_computes_deltas() -> None:
    comparison = Comparison(
        "Co",
        None,
        date(2026, 1, 1),
        "FR-2025.1",
        old_answers=(Answer("A", "1"), Answer("B", "2")),
        new_answers=(Answer("B", "3"), Answer("C", "4")),
        products=(ProductComparison("x", "X", True, False, Decimal("10.00"), None),),
        old_total=Decimal("10.00"),
        new_total=Decimal("0"),
    )
    changes = comparison.answer_changes()
    assert [(c.question, c.old, c.new, c.changed) for c in changes] == [
        ("A", "1", None, True),
        ("B", "2", "3", True),
        ("C", None, "4", True),
    ]
    assert comparison.products[0].delta == Decimal("-10.00")
    assert comparison.delta_total == Decimal("-10.00")
