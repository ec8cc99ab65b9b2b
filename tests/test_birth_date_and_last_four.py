"""A personnummer kept as a birth date and its last four digits in two fields of one record is found.

Systems that "do not store the personnummer" keep födelsedatum and "de fyra
sista": together they are the whole number (reference §1.1), and a subject's
access or erasure request must find the row. Reported on the last-four field
with the 12-digit value, linked to the row's other values. Fictional data.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.test_engine import _locations

PNR = "19811228-9874"  # the reference's example (a valid check digit)


@pytest.fixture
def crm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    con = sqlite3.connect(tmp_path / "crm.sqlite")
    con.executescript("""
        CREATE TABLE kunder (id INTEGER PRIMARY KEY, namn TEXT, fodelsedatum TEXT, pnr_sista4 TEXT, epost TEXT);
        CREATE TABLE bokningar (id INTEGER PRIMARY KEY, datum TEXT, sista4 TEXT);
    """)
    con.executemany("INSERT INTO kunder VALUES (?, ?, ?, ?, ?)", [
        (1, "Test Testsson", "1981-12-28", "9874", "test.testsson@example.se"),
        (2, "Fel Felsson", "1981-12-28", "9875", "fel.felsson@example.se"),  # the check digit fails
        (3, "Utan Datum", None, "9874", "utan.datum@example.se"),
    ])
    con.execute("INSERT INTO bokningar VALUES (1, '1981-12-28', '9874')")  # a booking date is no birth date
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
    return cfg


def test_the_pair_is_a_personnummer_linked_to_its_row(crm: Path) -> None:
    res = scan(load(crm), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    dm = DataMap(load(crm).datamap_url)
    try:
        got = {(f["container"], f["item"], f["field"], f["masked"]) for f in dm.iter_findings() if f["kind"] == "personnummer"}
    finally:
        dm.close()
    assert got == {("main.kunder", "id=1", "pnr_sista4", "19811228-****")}
    locs = {(l.item, l.field, l.kind, l.reached) for l in _locations(crm, "personnummer", PNR)}
    assert ("id=1", "pnr_sista4", "personnummer", "direct") in locs
    assert ("id=1", "epost", "email", "linked") in locs


def test_field_names() -> None:
    from detectors.personnummer import is_birth_date_field, is_last_four_field

    assert all(is_birth_date_field(n) for n in ("födelsedatum", "fodelsedatum", "Född", "birth_date", "dob"))
    assert not any(is_birth_date_field(n) for n in ("födelseort", "birth_place", "datum", "fordon", "pnr_sista4"))
    assert all(is_last_four_field(n) for n in ("pnr_sista4", "sista_fyra", "fyra sista", "last4", "ssn_last4"))
    assert not any(is_last_four_field(n) for n in ("personnummer", "postnummer", "kundnr"))
