"""CSV dossier list: BOM, separator and decimal mark per language, parsed back with the csv module."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shared.exports.csv import dossier_list_csv
from shared.exports.models import Branding, DossierList


def parse(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_french_csv(dossiers: Callable[..., DossierList], make_dossier: Any, branding: Branding) -> None:
    rows = [
        make_dossier(company='Dupont; Fils "et" Cie', estimated=Decimal("1234567.8")),
        make_dossier(
            reference="D-2", expert=None, audited=None, priority=None, status="closed", status_label="Clôturé"
        ),
    ]
    table = parse(dossier_list_csv(dossiers(rows=rows), branding), ";")
    assert table[0] == [
        "Référence",
        "Entreprise",
        "Produit",
        "Statut",
        "Expert",
        "Priorité",
        "Montant estimé",
        "Montant audité",
        "Montant obtenu",
        "Créé le",
        "Mis à jour le",
    ]
    assert table[1] == [
        "D-000001",
        'Dupont; Fils "et" Cie',
        "TICPE",
        "Audit en cours",
        "Jean Dupont",
        "1",
        "1234567,80",
        "1000,00",
        "",
        "15/01/2026",
        "21/11/2026",
    ]
    assert table[2][3:6] == ["Clôturé", "", ""] and table[2][7] == ""
    assert len(table) == 3


def test_english_csv(dossiers: Callable[..., DossierList], make_dossier: Any) -> None:
    rows = [
        make_dossier(reference=f"D-{i:06d}", estimated=Decimal(i) + Decimal("0.5"), status_label="Audit in progress")
        for i in range(2)
    ]
    table = parse(dossier_list_csv(dossiers(rows=rows), lang="en"), ",")
    assert table[0][:4] == ["Reference", "Company", "Product", "Status"]
    assert table[1][3] == "Audit in progress"
    assert table[2][6:11] == ["1.50", "1000.00", "", "2026-01-15", "2026-11-21"]


def test_formula_like_text_is_neutralised(dossiers: Callable[..., DossierList], make_dossier: Any) -> None:
    rows = [make_dossier(company='=HYPERLINK("http://x")', expert="@SUM(A1)", reference="-1+1", product="+33")]
    line = parse(dossier_list_csv(dossiers(rows=rows)), ";")[1]
    assert line[:3] == ["'-1+1", '\'=HYPERLINK("http://x")', "'+33"] and line[4] == "'@SUM(A1)"


def test_many_rows_stream_through(dossiers: Callable[..., DossierList]) -> None:
    table = parse(dossier_list_csv(dossiers(count=5000)), ";")
    assert len(table) == 5001 and table[-1][0] == "D-004999" and table[-1][6] == "4999,50"
