"""Columns that hold only children's personnummer, under names that say nothing (checked, nothing broke).

The profiler (pii_scan/profiling.py) gives no personnummer hint to a column
whose birth dates are mostly within ``RECENT_YEARS`` of the record's date:
member and invoice numbers made of a recent date, a serial and a Luhn digit
look exactly so (tests/test_h5_column_profiling.py ``member_numbers``). A
column of children only is therefore read as its values show alone. Measured
(40 children born 2019-2026, record date 2026-11-24): written with a dash
(10 or 12 digits) or compact with 10 digits, 40/40 found as under a column
named ``personnummer``; compact with 12 digits 32/40 (those whose last four
digits read as a time of day are taken for timestamps), against 40/40 under
the name: the price of that guard, left as it is. Children born 2000-2009
(older than ``RECENT_YEARS``) are profiled as anyone else.

All values are fictional, generated here with valid check digits.
"""

from __future__ import annotations

import os
import random
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from connectors.files import FilesConnector
from connectors.sql import SqlConnector
from detectors.checksums import luhn_check_digit
from pii_scan.keys import Keys
from pii_scan.profiling import ColumnProfiles
from pii_scan.worker import ScanSettings, scan_unit

SECRET = b"h" * 32
KEYS = Keys(SECRET)
MTIME = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc).timestamp()
R = date(2026, 11, 24)


def _children(n: int, seed: int, first: date, last: date) -> list[str]:
    """12-digit personnummer of children born ``first``..``last``."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        born = first + timedelta(days=rnd.randint(0, (last - first).days))
        body = born.strftime("%y%m%d") + f"{rnd.randint(1, 999):03d}"
        out.append(born.strftime("%Y")[:2] + body + luhn_check_digit(body))
    return out


def _hashes(pnrs: list[str]) -> set[str]:
    return {KEYS.hash("personnummer", p) for p in pnrs}


def _found(conn: FilesConnector | SqlConnector) -> set[str]:
    got = set()
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None, res.error
        got |= {f.value_hash for rec in res.records for f in rec.findings if f.kind == "personnummer"}
    return got


def test_young_children_are_left_unhinted() -> None:
    kids = _children(40, 1, date(2019, 1, 1), date(2026, 11, 1))
    values = [p[:8] + "-" + p[8:] for p in kids]
    assert ColumnProfiles().hints({"c2": (list(range(40)), values)}, {}, [R] * 40)["c2"] == "c2"


def test_a_headerless_csv_of_children_with_dashes_is_found(tmp_path: Path) -> None:
    kids = _children(40, 2, date(2016, 1, 1), date(2026, 11, 1))
    root = tmp_path / "share"
    root.mkdir()
    path = root / "barn.csv"
    path.write_text("".join(f"Barn {k};{p[2:8]}-{p[8:]};{p[:8]}-{p[8:]}\n" for k, p in enumerate(kids)), encoding="utf-8")
    os.utime(path, (MTIME, MTIME))
    assert _hashes(kids) <= _found(FilesConnector("share", {"type": "files", "path": str(root)}))


def _school(path: Path, names: tuple[str, str, str], kids: list[str], older: list[str]) -> SqlConnector:
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE elever (id INTEGER PRIMARY KEY, {names[0]} TEXT, {names[1]} TEXT, {names[2]} INTEGER)")
    # ten digits compact; an older pupil's number stored as an integer ("0501011233" -> 501011233)
    con.executemany(f"INSERT INTO elever ({', '.join(names)}) VALUES (?, ?, ?)",
                    [(f"Elev {k}", p[2:], int(q[2:])) for k, (p, q) in enumerate(zip(kids, older))])
    con.commit()
    con.close()
    return SqlConnector("skola", {"url": f"sqlite:///{path}"})


def test_an_sql_table_of_children_under_col1_col3_is_found_as_under_names(tmp_path: Path) -> None:
    kids = _children(40, 3, date(2016, 1, 1), date(2026, 11, 1))
    older = _children(40, 4, date(2000, 1, 1), date(2009, 12, 31))
    got = _found(_school(tmp_path / "a.sqlite", ("col1", "col2", "col3"), kids, older))
    named = _found(_school(tmp_path / "b.sqlite", ("namn", "personnummer", "pnr"), kids, older))
    assert _hashes(kids) <= got
    assert got == named  # (born in 2000: "00..." stored as an integer lost two zeros, under either name)
