"""The EBA reporting framework 4.2 as this capability uses it: modules, tables, cells and datapoints.

``data/dpm_4_2.json`` (built by :mod:`shared.reporting.dpm_extract` from the EBA DPM 2.0 database and
checked against the module mappings of the pinned ``eba-xbridge``) gives, per table, the row and
column codes with their EBA labels, the key column of open tables (C 07.00's exposure class) with
its members, and for every cell its datapoint id (``dp…``) and type. Nothing here is hand-written:
a cell that is not in the file cannot be reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "FRAMEWORK",
    "FRAMEWORK_VERSION",
    "MODULES",
    "Module",
    "Table",
    "module",
    "modules",
]

FRAMEWORK = "corep"
FRAMEWORK_VERSION = "4.2"
#: module code → EBA file-name module component (banking.md §6.2: upper case, no underscores).
MODULES = {"corep_of": "COREPOF", "corep_lr": "COREPLR", "corep_lcr_da": "COREPLCRDA", "corep_nsfr": "COREPNSFR"}
_DATA = Path(__file__).with_name("data") / "dpm_4_2.json"


@dataclass(frozen=True)
class Table:
    """One EBA table (``C_07.00.a``): its layout and the datapoint of each cell (``"r0010,c0010"``)."""

    code: str
    name: str
    rows: tuple[dict[str, Any], ...]
    columns: tuple[dict[str, Any], ...]
    key: dict[str, Any] | None
    cells: dict[str, str]
    types: dict[str, str]
    signs: dict[str, str]
    enumerations: dict[str, list[dict[str, str]]]

    @property
    def filing_indicator(self) -> str:
        """``C_07.00`` for ``C_07.00.a``: the template the table belongs to."""
        parts = self.code.split(".")
        return ".".join(parts[:2])

    @property
    def csv_name(self) -> str:
        """``c_07.00.a.csv``: the table's file in a report package."""
        return self.code.lower() + ".csv"

    @property
    def sheet_members(self) -> dict[str, str]:
        return {m["code"]: m["label"] for m in self.key["members"]} if self.key else {}

    def row_label(self, row: str) -> str:
        return next((r["label"] for r in self.rows if r["code"] == row), "")

    def column_label(self, column: str) -> str:
        return next((c["label"] for c in self.columns if c["code"] == column), "")


@dataclass(frozen=True)
class Module:
    code: str
    tables: tuple[Table, ...]

    @property
    def file_code(self) -> str:
        return MODULES[self.code]

    @property
    def entry_point(self) -> str:
        return f"http://www.eba.europa.eu/eu/fr/xbrl/crr/fws/{FRAMEWORK}/{FRAMEWORK_VERSION}/mod/{self.code}.json"

    @property
    def templates(self) -> tuple[str, ...]:
        """Filing indicators of the templates this capability can fill, in table order, no duplicates."""
        return tuple(dict.fromkeys(t.filing_indicator for t in self.tables))

    def table(self, code: str) -> Table:
        return next(t for t in self.tables if t.code == code)


@cache
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))
    return data


@cache
def module(code: str) -> Module:
    """The module ``code`` (``corep_of``…); ``KeyError`` for another."""
    if code not in MODULES:
        raise KeyError(code)
    tables = tuple(
        Table(
            code=t["code"],
            name=t["name"],
            rows=tuple(t["rows"]),
            columns=tuple(t["columns"]),
            key=t["key"],
            cells=t["cells"],
            types=t["types"],
            signs=t["signs"],
            enumerations=t["enumerations"],
        )
        for t in _raw()["modules"][code]
    )
    return Module(code, tables)


def modules() -> tuple[Module, ...]:
    return tuple(module(code) for code in MODULES)
