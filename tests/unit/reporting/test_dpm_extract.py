"""The maintainer tool that builds data/dpm_4_2.json reads the DPM 2.0 schema as published: a tiny
database in that shape gives the layout, the key members, the signs and the cell → datapoint binding."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shared.reporting.dpm_extract import _module_datapoints, _module_templates, _release_id, _table

SCHEMA = """
create table Release (ReleaseID integer, Code text);
create table TableVersion (TableVID integer, Code text, Name text, StartReleaseID integer, EndReleaseID integer);
create table Header (HeaderID integer, Direction text, IsKey integer);
create table HeaderVersion (HeaderVID integer, HeaderID integer, Code text, Label text, SubCategoryVID integer,
                            KeyVariableVID integer);
create table TableVersionHeader (TableVID integer, HeaderID integer, HeaderVID integer, IsAbstract integer,
                                 "Order" integer);
create table TableVersionCell (TableVID integer, CellCode text, VariableVID integer, IsVoid integer,
                               IsExcluded integer, Sign text);
create table VariableVersion (VariableVID integer, VariableID integer, PropertyID integer);
create table ItemCategory (ItemID integer, Code text, Signature text, EndReleaseID integer);
create table Item (ItemID integer, Name text);
create table SubCategoryItem (SubCategoryVID integer, ItemID integer, "Order" integer);
insert into Release values (4, '4.1'), (5, '4.2');
insert into TableVersion values (10, 'C_07.00.a', 'Old', 3, 5), (11, 'C_07.00.a', 'Credit risk SA', 5, null);
insert into Header values (1, 'Y', 0), (2, 'X', 0), (3, 'Z', 1), (4, 'Y', 0);
insert into HeaderVersion values (101, 1, '0010', 'TOTAL   EXPOSURES', null, null),
  (102, 2, '0220', 'RWEA', null, null),
  (103, 3, '0010', 'Exposure class', 77, 500), (104, 4, '0009', 'Breakdown', null, null);
insert into TableVersionHeader values (11, 4, 104, 1, 0), (11, 1, 101, 0, 1), (11, 2, 102, 0, 2), (11, 3, 103, 0, 3);
insert into TableVersionCell values (11, '{C_07.00.a, r0010, c0220, s*}', 900, 0, 0, 'positive'),
  (11, '{C_07.00.a, r0010, c0010, s*}', 901, 1, 0, null);
insert into VariableVersion values (900, 3294415, null), (901, 1, null), (500, 0, 42);
insert into ItemCategory values (42, 'qEBB', 'eba_qEBB:qEBB', null), (7, 'qx16', 'eba_qEC:qx16', null);
insert into Item values (7, 'Exposures to central governments or central banks');
insert into SubCategoryItem values (77, 7, 1);
"""


def test_a_dpm_table_becomes_layout_key_signs_and_datapoints(tmp_path: Path) -> None:
    path = tmp_path / "dpm.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    release = _release_id(db)
    assert release == 5
    table = _table(db, "C_07.00.a", release)
    assert table["name"] == "Credit risk SA"
    assert table["rows"] == [
        {"code": "0009", "label": "Breakdown", "abstract": True},
        {"code": "0010", "label": "TOTAL EXPOSURES", "abstract": False},
    ]
    assert table["columns"] == [{"code": "0220", "label": "RWEA", "abstract": False}]
    assert table["key"] == {
        "column": "qEBB",
        "label": "Exposure class",
        "members": [{"code": "eba_qEC:qx16", "label": "Exposures to central governments or central banks"}],
    }
    assert table["cells"] == {"r0010,c0220": "dp3294415"}  # the void cell is left out
    assert table["signs"] == {"r0010,c0220": "positive"}
    with pytest.raises(SystemExit, match="no version live"):
        _table(db, "C_99.00", release)


def test_the_eba_xbridge_side_of_the_check() -> None:
    shipped = _module_datapoints("corep_of")
    assert shipped["c_07.00.a.csv"]["dp3294415"] == ("monetary", [])
    assert shipped["c_00.01.csv"]["dp31870"] == ("enumeration", ["eba_qAS:qx2004", "eba_qAS:qx2005"])
    assert "C_07.00" in _module_templates("corep_of") and "C_47.00" in _module_templates("corep_lr")
