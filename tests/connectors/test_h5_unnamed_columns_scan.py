"""Sources whose column names say nothing, scanned end to end: the worker profiles their columns.

A headerless CSV (``column 3``), an XLSX sheet without a header row (cells
``Kunder!C5``), a Parquet file with columns ``f0``..., an SQLite table with
columns ``c1``/``col_3``/``value``: a column of personnummer or mobile numbers
that lost their leading zero in a spreadsheet (stored as integers) was not
found, as the detectors read such a bare number only in a column named for its
kind. pii_scan/profiling.py gives such a column its kind's hint from its
values (tests/test_h5_column_profiling.py: the rules and the traps).

The worker's ``_BatchDetector`` calls the profiler for every batch; without
that call the tests of unnamed columns fail.

All values are fictional, generated with valid check digits.
"""

from __future__ import annotations

import io
import os
import random
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from connectors.files import FilesConnector
from connectors.sql import SqlConnector
from detectors.checksums import luhn_check_digit
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, scan_unit
from tests.connectors.fileutil import xlsx_bytes

SECRET = b"h" * 32
KEYS = Keys(SECRET)
MTIME = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc).timestamp()

def _pnr10(born: date, serial: int) -> str:
    body = born.strftime("%y%m%d") + f"{serial:03d}"
    return body + luhn_check_digit(body)


def _rows(n: int = 12, seed: int = 1) -> list[tuple[str, int, int]]:
    """(name, personnummer as an integer, mobile number as an integer): the zeros of 05.. and 07.. lost."""
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        first = 2001 if k % 3 == 0 else 1950  # a third born 2001-2009: "0501011233" -> 501011233
        born = date(first + rnd.randint(0, 8 if first == 2001 else 45), rnd.randint(1, 12), rnd.randint(1, 28))
        mobile = f"7{rnd.choice('02369')}{rnd.randint(0, 9_999_999):07d}"
        out.append((f"Person {k}", int(_pnr10(born, rnd.randint(1, 999))), int(mobile)))
    return out


def _expected(rows: list[tuple[str, int, int]]) -> set[tuple[str, str]]:
    """(kind, value hash) of every personnummer and mobile number of the rows."""
    out = set()
    for _, pnr, mobile in rows:
        ten = f"{pnr:010d}"
        century = "20" if ten[:2] <= "26" else "19"
        out.add(("personnummer", KEYS.hash("personnummer", century + ten)))
        out.add(("phone", KEYS.hash("phone", f"+46{mobile}")))
    return out


def _scan_files(tmp_path: Path, name: str, data: bytes) -> set[tuple[str, str]]:
    root = tmp_path / "share"
    root.mkdir()
    path = root / name
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    got: set[tuple[str, str]] = set()
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None, res.error
        got |= {(f.kind, f.value_hash) for rec in res.records for f in rec.findings}
    return got


def test_the_rows_hold_what_only_a_named_column_reveals() -> None:
    rows = _rows()
    assert any(len(str(p)) == 9 for _, p, _ in rows) and all(len(str(m)) == 9 for _, _, m in rows)


def test_a_headerless_csv(tmp_path: Path) -> None:
    rows = _rows()
    text = "".join(f"{a};{b};{c}\n" for a, b, c in rows)
    assert _expected(rows) <= _scan_files(tmp_path, "kunder.csv", text.encode())


def test_a_csv_with_a_header_finds_them_today(tmp_path: Path) -> None:
    # the same rows under a header: what profiling gives the headerless file
    rows = _rows()
    text = "Namn;Personnummer;Mobil\n" + "".join(f"{a};{b};{c}\n" for a, b, c in rows)
    assert _expected(rows) <= _scan_files(tmp_path, "kunder.csv", text.encode())


def test_an_xlsx_sheet_without_a_header_row(tmp_path: Path) -> None:
    rows = _rows(seed=2)
    data = xlsx_bytes({"Kunder": [list(r) for r in rows]})
    assert _expected(rows) <= _scan_files(tmp_path, "kunder.xlsx", data)


def test_parquet_columns_named_f0_f1_f2(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _rows(seed=3)
    table = pa.table({"f0": [r[0] for r in rows], "f1": [r[1] for r in rows], "f2": [float(r[2]) for r in rows]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    # f2 holds floats: 701234567.0
    assert _expected(rows) <= _scan_files(tmp_path, "kunder.parquet", buf.getvalue())


def test_sqlite_columns_named_c1_col_3_value(tmp_path: Path) -> None:
    rows = _rows(seed=4)
    path = tmp_path / "crm.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE kunder (id INTEGER PRIMARY KEY, c1 TEXT, col_3 INTEGER, value INTEGER)")
    con.executemany("INSERT INTO kunder (c1, col_3, value) VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()
    conn = SqlConnector("crm", {"url": f"sqlite:///{path}"})
    got: set[tuple[str, str]] = set()
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None
        got |= {(f.kind, f.value_hash) for rec in res.records for f in rec.findings}
    assert _expected(rows) <= got


def test_a_headerless_csv_of_ids_stays_quiet(tmp_path: Path) -> None:
    # the traps of the profiler, in a file: order numbers, a 7xxxxxxxx series, amounts
    rnd = random.Random(5)
    text = "".join(f"{rnd.randint(10**9, 10**10 - 1)};{700000000 + k};{rnd.randint(1, 9999)}.{k % 100:02d}\n" for k in range(300))
    got = _scan_files(tmp_path, "ordrar.csv", text.encode())
    assert not {k for k, _ in got} & {"phone"}
