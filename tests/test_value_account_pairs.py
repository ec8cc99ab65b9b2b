"""Clearing and account numbers in two columns whose names say nothing (c3, c4; a headerless sheet) are paired.

Neither value alone is an account; by the columns' names the worker pairs
``clearingnr`` with ``kontonr``, but a headerless export or an SQL table with
columns c1..c8 gave nothing (0 of 40 accounts found, against 40 of 40 under
names). Now two fields of no hinted kind pair when most records' values make a
valid account together. Fictional accounts with valid check digits.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from connectors.sql import SqlConnector
from detectors.checksums import mod11_is_valid
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, scan_unit, value_account_pairs


def seb(rng: random.Random) -> tuple[str, str]:
    """A SEB clearing (5xxx, type 1, comment 1: mod 11 over the clearing's last three digits and the account)."""
    while True:
        clr = str(rng.randint(5000, 5999))
        body = f"{rng.randint(0, 999999):06d}"
        for c in "0123456789":
            if mod11_is_valid(clr[1:] + body + c):
                return clr, body + c


def _table(tmp_path: Path, rows: list[tuple]) -> list:
    db = tmp_path / "export.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, c1 TEXT, c2 TEXT, c3 TEXT)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    conn = SqlConnector("x", {"url": f"sqlite:///{db}"})
    settings = ScanSettings(None, 0.5, False, b"k" * 32)
    try:
        return [f for u in conn.units() for r in scan_unit(conn, u, settings).records for f in r.findings]
    finally:
        conn.close()


def test_unnamed_clearing_and_account_columns_pair(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = []
    for i in range(1, 41):
        clr, acct = seb(rng)
        rows.append((i, f"Kund {i}", clr, acct))
    found = _table(tmp_path, rows)
    accounts = [f for f in found if f.kind == "bank_account"]
    assert len(accounts) == 40 and {f.field for f in accounts} == {"c3"}


def test_other_numbers_in_two_columns_do_not_pair(tmp_path: Path) -> None:
    rng = random.Random(2)
    # a year and a seven-digit order number; a clearing-like code and random digits
    rows = [(i, f"Kund {i}", str(rng.randint(1990, 2026)), str(rng.randint(1_000_000, 9_999_999))) for i in range(1, 41)]
    assert [f for f in _table(tmp_path, rows) if f.kind == "bank_account"] == []
    other = tmp_path / "b"
    other.mkdir()
    rows = [(i, f"Kund {i}", str(rng.randint(5000, 5999)), str(rng.randint(1_000_000, 9_999_999))) for i in range(1, 41)]
    assert [f for f in _table(other, rows) if f.kind == "bank_account"] == []


def test_a_column_hinted_for_another_kind_is_never_paired() -> None:
    by_field = {"c1": ([0, 1, 2], ["5839", "8327-9", "6114"]), "telefon": ([0, 1, 2], ["8257466", "014 725 892-5", "517182351"])}
    assert value_account_pairs(by_field, {}) == []  # "telefon" names the phone kind
    renamed = {"c2" if k == "telefon" else k: v for k, v in by_field.items()}
    assert value_account_pairs(renamed, {}) == [("c1", "c2")]


def test_fewer_than_three_records_decide_nothing() -> None:
    assert value_account_pairs({"a": ([0, 1], ["5839", "6114"]), "b": ([0, 1], ["8257466", "517182351"])}, {}) == []
