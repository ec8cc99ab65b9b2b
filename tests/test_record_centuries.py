"""A 10-digit personnummer takes the century its record writes out for the same number (reference §1.3, §6.12).

A Nordea personkonto holds ten digits with no '+': a 102-year-old customer's
account read on a row dated after the tenth birthday's day-of-year became a
child's number, so the row held two personnummer (two people) and its e-mail
and phone linked to nobody. Fictional data (a generated personnummer).
"""

from __future__ import annotations

import sqlite3
import textwrap
from datetime import date
from pathlib import Path

import pytest

from connectors.base import Location, Record
from detectors import Scanner
from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, _BatchDetector
from tests.test_engine import _locations

PNR12 = "19231202-7804"  # Luhn-valid, born 1923-12-02 (fictional)


def _values(rec: Record) -> list[tuple[str, str, str]]:
    det = _BatchDetector(Scanner(), Keys(b"k" * 32), ScanSettings(None, 0.5, False, b"k" * 32), {})
    (res,) = det([rec])
    return sorted((f.field, f.kind, f.inside or "") for f in res.findings if f.kind == "personnummer"), {
        f.value_hash for f in res.findings if f.kind == "personnummer"}


def _row(fields: list[tuple[str, str]], structured: bool = True) -> Record:
    return Record(Location("sql", "crm", "main.kunder", "id=1"), fields, structured, date(2024, 3, 1))


@pytest.mark.parametrize("account", ["3300 231202-7804", "3300-2312027804"])
def test_a_personkonto_takes_the_century_of_the_rows_personnummer(account: str) -> None:
    fields, hashes = _values(_row([("personnummer", PNR12), ("kontonummer", account)]))
    assert ("kontonummer", "personnummer", "personkonto") in fields
    assert len(hashes) == 1  # one person: the same canonical value in both fields


def test_a_compact_ten_digit_column_takes_it_too() -> None:
    _, hashes = _values(_row([("pnr12", PNR12), ("pnr10", "2312027804")]))
    assert len(hashes) == 1


def test_without_a_twelve_digit_form_the_date_decides() -> None:
    _, hashes = _values(_row([("kontonummer", "3300 231202-7804"), ("epost", "a@example.se")]))
    assert len(hashes) == 1  # read as 2023 (born before the record's date), as before


def test_a_plus_sign_is_the_numbers_own_century() -> None:
    # "231202+7804" says 1923 itself; a 12-digit 2023 form elsewhere does not change it
    _, hashes = _values(_row([("personnummer", "20231202-7804"), ("annan", "231202+7804")]))
    assert len(hashes) == 2


def test_free_text_is_not_one_person() -> None:
    _, hashes = _values(_row([("text", f"{PNR12} och 231202-7804")], structured=False))
    assert len(hashes) == 2


def test_the_row_links_to_its_subject_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    con = sqlite3.connect(tmp_path / "crm.sqlite")
    con.execute("CREATE TABLE kunder (id INTEGER PRIMARY KEY, personnummer TEXT, kontonummer TEXT, epost TEXT, skapad TEXT)")
    con.execute("INSERT INTO kunder VALUES (1, ?, '3300 231202-7804', 'gammal.kund@example.se', '2024-03-01')", (PNR12,))
    con.commit()
    con.close()
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(textwrap.dedent("""
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "crm"
        type = "sql"
        url = "sqlite:///crm.sqlite"
        """))
    res = scan(load(cfg), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    got = {(l.field, l.kind, l.reached) for l in _locations(cfg, "personnummer", PNR12)}
    assert ("epost", "email", "linked") in got and ("kontonummer", "personnummer", "direct") in got, got
    # what the map stores (and an access report shows): the 1923 number, not a child's
    dm = DataMap(load(cfg).datamap_url)
    try:
        stored = {(f["field"], f["masked"]) for f in dm.iter_findings() if f["kind"] == "personnummer"}
    finally:
        dm.close()
    assert stored == {("personnummer", "19231202-****"), ("kontonummer", "19231202-****")}, stored
