"""`fintrack commission`: the stable contract acceptance checks use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shared.invoices.cli import run

EXAMPLE = {
    "refund_amount": "10000.00",
    "client_fee_rate": "0.30",
    "platform_fee_rate": "0.30",
    "partner_share_rate": "0.10",
}
EXPECTED = {
    "expert_fee": "3000.00",
    "invoice_ht": "900.00",
    "partner_commission": "90.00",
    "vat": "180.00",
    "invoice_ttc": "1080.00",
    "expert_net": "2100.00",
    "platform_net": "810.00",
}


def test_one_object_in_one_object_out_in_waterfall_order() -> None:
    code, output = run(json.dumps(EXAMPLE))
    assert code == 0
    assert json.loads(output) == EXPECTED
    assert list(json.loads(output)) == list(EXPECTED)


def test_an_array_keeps_its_order_and_defaults() -> None:
    items = [
        {**EXAMPLE, "refund_amount": "1234.50"},
        {"refund_amount": 8000, "client_fee_rate": 0.30, "platform_fee_rate": "0.3", "partner_share_rate": None},
        {**EXAMPLE, "vat_rate": "0.085"},
        {"refund_amount": "20000", "client_fee_rate": "0.25", "platform_fee_rate": "0.30"},
    ]
    code, output = run(json.dumps(items))
    assert code == 0
    result = json.loads(output)
    assert result[0] == {
        "expert_fee": "370.35",
        "invoice_ht": "111.11",
        "partner_commission": "11.11",
        "vat": "22.22",
        "invoice_ttc": "133.33",
        "expert_net": "259.24",
        "platform_net": "100.00",
    }
    assert (result[1]["invoice_ht"], result[1]["partner_commission"], result[1]["invoice_ttc"]) == (
        "720.00",
        "0.00",
        "864.00",
    )
    assert (result[2]["vat"], result[2]["invoice_ttc"]) == ("76.50", "976.50")
    assert result[3]["platform_net"] == "1500.00"
    assert run("[]") == (0, "[]")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({**EXAMPLE, "client_fee_rate": "30"}, "client_fee_rate"),
        ({**EXAMPLE, "client_fee_rate": "0.30001"}, "client_fee_rate"),
        ({**EXAMPLE, "platform_fee_rate": "-0.1"}, "platform_fee_rate"),
        ({**EXAMPLE, "partner_share_rate": "abc"}, "partner_share_rate"),
        ({**EXAMPLE, "vat_rate": None}, "vat_rate"),
        ({**EXAMPLE, "vat_rate": "1.2"}, "vat_rate"),
        ({**EXAMPLE, "refund_amount": "-5"}, "refund_amount"),
        ({**EXAMPLE, "refund_amount": "10.001"}, "refund_amount"),
        ({**EXAMPLE, "refund_amount": True}, "refund_amount"),
        ({**EXAMPLE, "refund_amount": "NaN"}, "refund_amount"),
        ({**EXAMPLE, "refund_amount": "1e30"}, "refund_amount"),
        ({**EXAMPLE, "refund_amount": "1000000000000"}, "refund_amount"),
        ({**EXAMPLE, "client_fee_rate": "1e-30"}, "client_fee_rate"),
        ({k: v for k, v in EXAMPLE.items() if k != "platform_fee_rate"}, "platform_fee_rate"),
        ({**EXAMPLE, "vat": "0.2"}, "vat"),
    ],
)
def test_bad_input_names_the_field(document: dict[str, object], field: str) -> None:
    code, output = run(json.dumps([EXAMPLE, document]))
    assert code == 2
    assert output.startswith(f"error: [1].{field}: ")
    assert "\n" not in output
    code, output = run(json.dumps(document))
    assert code == 2 and output.startswith(f"error: {field}: ")


@pytest.mark.parametrize("text", ["", "{", "[1]", '"x"', '{"refund_amount": NaN}'])
def test_malformed_documents_are_refused(text: str) -> None:
    code, output = run(text)
    assert code == 2 and output.startswith("error: ")


def test_the_command_line_prints_json_or_one_error_line() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "infra.cli", "commission"], input=json.dumps([EXAMPLE]), capture_output=True, text=True
    )
    assert ok.returncode == 0 and json.loads(ok.stdout) == [EXPECTED] and ok.stderr == ""
    bad = subprocess.run(
        [sys.executable, "-m", "infra.cli", "commission"],
        input=json.dumps([{**EXAMPLE, "client_fee_rate": "1.5"}]),
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: [0].client_fee_rate: ") and bad.stderr.count("\n") == 1


def test_the_largest_amount_is_computed() -> None:
    code, output = run(json.dumps({**EXAMPLE, "refund_amount": "999999999999.99", "client_fee_rate": "1"}))
    assert code == 0 and json.loads(output)["expert_fee"] == "999999999999.99"
