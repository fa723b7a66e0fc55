"""Factur-X: the CII XML is valid EN 16931 (the standard's XSD), the PDF/A-3 embeds it and prints the figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from facturx import get_level, xml_check_xsd  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from shared.exports.models import Branding
from shared.invoices.models import InvoiceDocument, Party
from shared.invoices.render import cii_xml, invoice_pdf, read_back

D = Decimal
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SELLER = Party(
    name="Profitum SAS",
    siren="732829320",
    siret="73282932000074",
    vat_number="FR44732829320",
    address="10 rue de la Paix",
    postal_code="75002",
    city="Paris",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
)
BUYER = Party(name="Transports Martin", siren="552100554", address="5 quai Rambaud", postal_code="69002", city="Lyon")
INVOICE = InvoiceDocument(
    number="PROF-2026-0007",
    issue_date=dt.date(2026, 1, 31),
    due_date=dt.date(2026, 3, 2),
    seller=SELLER,
    buyer=BUYER,
    product_code="ticpe",
    refund_amount=D("1234.50"),
    refunded_on=dt.date(2026, 1, 20),
    refund_reference="DGDDI-42",
    client_fee_rate=D("0.3000"),
    expert_fee=D("370.35"),
    platform_fee_rate=D("0.3000"),
    invoice_ht=D("111.11"),
    vat_rate=D("0.2000"),
    vat=D("22.22"),
    invoice_ttc=D("133.33"),
    expert_net=D("259.24"),
)
CREDIT = dataclasses.replace(
    INVOICE,
    number="AV-2026-0001",
    issue_date=dt.date(2026, 2, 10),
    due_date=None,
    invoice_ht=D("10.00"),
    vat=D("2.00"),
    invoice_ttc=D("12.00"),
    is_credit_note=True,
    corrected_number="PROF-2026-0007",
    corrected_issue_date=dt.date(2026, 1, 31),
    reason="Remise commerciale",
)
BRANDING = Branding(organization_name="Profitum", primary_color="#1F4E79", legal_footer="Profitum SAS — RCS Paris")


def _text(xml: bytes, path: str) -> str:
    found = etree.fromstring(xml).xpath(path, namespaces=NS)
    assert found, path
    return str(found[0].text)


def test_the_xml_is_valid_en16931_with_the_invoice_figures() -> None:
    xml = cii_xml(INVOICE)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert get_level(etree.fromstring(xml)) == "en16931"
    settlement = "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert _text(xml, "//rsm:ExchangedDocument/ram:ID") == "PROF-2026-0007"
    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _text(xml, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260131"
    assert _text(xml, f"{settlement}/ram:TaxBasisTotalAmount") == "111.11"
    assert _text(xml, f"{settlement}/ram:TaxTotalAmount") == "22.22"
    assert _text(xml, f"{settlement}/ram:GrandTotalAmount") == "133.33"
    assert _text(xml, f"{settlement}/ram:DuePayableAmount") == "133.33"
    assert _text(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == "20260302"
    assert _text(xml, "//ram:ApplicableTradeTax/ram:RateApplicablePercent") == "20.00"
    assert _text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR44732829320"
    assert _text(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "732829320"
    assert _text(xml, "//ram:BuyerTradeParty/ram:Name") == "Transports Martin"
    assert _text(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "FR7630006000011234567890189"


def test_a_credit_note_is_type_381_and_names_the_invoice_it_corrects() -> None:
    xml = cii_xml(CREDIT)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "PROF-2026-0007"
    assert _text(xml, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount") == "12.00"


def test_overseas_vat_rate_in_the_xml() -> None:
    overseas = dataclasses.replace(INVOICE, vat_rate=D("0.0850"), vat=D("9.44"), invoice_ttc=D("120.55"))
    xml = cii_xml(overseas)
    assert _text(xml, "//ram:ApplicableTradeTax/ram:RateApplicablePercent") == "8.50"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_pdf_is_pdfa3_with_the_xml_embedded_and_the_figures_printed(lang: str) -> None:
    pdf = invoice_pdf(INVOICE, BRANDING, lang)
    name, embedded = read_back(pdf)
    assert name == "factur-x.xml"
    assert embedded == cii_xml(INVOICE)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    assert "/OutputIntents" in root and "/AF" in root and "/Metadata" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp and b"EN 16931" in xmp
    text = " ".join(page.extract_text() for page in reader.pages)
    if lang == "fr":
        for expected in (
            "PROF-2026-0007",
            "31/01/2026",
            "02/03/2026",
            "111,11 €",
            "22,22 €",
            "133,33 €",
            "1 234,50 €",
            "370,35 €",
            "259,24 €",
            "TVA 20 %",
            "Transports Martin",
            "FR44732829320",
        ):
            assert expected.replace(" ", "") in text.replace(" ", "").replace("\u202f", "").replace("\xa0", ""), (
                expected
            )
    else:
        assert "Invoice PROF-2026-0007" in text and "Amount due" in text
    fonts: list[Any] = [
        font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    ]
    assert fonts and all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts)


def test_the_credit_note_pdf_names_the_corrected_invoice() -> None:
    pdf = invoice_pdf(CREDIT, BRANDING)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Avoir AV-2026-0001" in text and "PROF-2026-0007" in text and "Remise commerciale" in text
    assert read_back(pdf)[1] == cii_xml(CREDIT)


def test_importing_the_renderer_loads_no_format_library() -> None:
    import subprocess
    import sys
    from pathlib import Path

    child = (
        "import sys, shared.invoices.render, shared.invoices.cli\n"
        "print(' '.join(sorted(m for m in ('fpdf', 'facturx', 'lxml', 'PIL', 'pypdf') if m in sys.modules)))"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", child], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def _schematron_failures(xml: bytes) -> list[str]:
    """The EN 16931 business rules (the schematron factur-x ships, compiled to XSLT) that ``xml`` breaks."""
    import re
    from pathlib import Path

    import facturx
    from saxonche import PySaxonProcessor  # type: ignore[import-not-found,import-untyped,unused-ignore]

    stylesheet = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
    with PySaxonProcessor(license=False) as processor:
        executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))
        report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
    assert report is not None and "<svrl:fired-rule" in report
    return re.findall(r'<svrl:failed-assert[^>]*id="([^"]+)"', report) or re.findall(r"<svrl:failed-assert", report)


@pytest.mark.parametrize(
    "doc",
    [INVOICE, CREDIT, dataclasses.replace(INVOICE, vat_rate=D("0.0850"), vat=D("9.44"), invoice_ttc=D("120.55"))],
    ids=["invoice", "credit_note", "overseas"],
)
def test_the_xml_passes_the_en16931_business_rules(doc: InvoiceDocument) -> None:
    assert _schematron_failures(cii_xml(doc)) == []


def test_the_business_rules_catch_a_wrong_total() -> None:
    tampered = cii_xml(INVOICE).replace(b"<ram:GrandTotalAmount>133.33", b"<ram:GrandTotalAmount>133.34")
    assert len(_schematron_failures(tampered)) >= 1
