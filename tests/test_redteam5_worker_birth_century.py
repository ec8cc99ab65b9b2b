"""A 10-digit personnummer takes its century from a birth-date field of the same row.

Ten digits without ``+`` carry no century: read in 2023, ``2112251018`` is a child born
2021-12-25. Many registers keep the person's birth date beside it (``fodd``,
``fodelsedatum``, ``birth_date``); when that date is the number's own date written with
four-digit year (``1921-12-25``), it is the person's century. Before, the number was
stored as 20211225-1018, a lookup by the person's 19211225-1018 found nothing, and the
row held a child's number. A birth date that is another date, or one of the same
century, changes nothing. Fictional, generated numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.test_engine import _config, _crm
from tests.test_engine import _locations as _found

OLD = "192112251018"  # born 1921-12-25
OTHER = "195005050512"  # 1950-05-05, its birth date written as another date
CHILD = "201212121212"  # 2012-12-12, beside a birth date of another day a century before: kept


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, "CREATE TABLE kunder (id INTEGER PRIMARY KEY, pnr TEXT, fodd TEXT, skapad TEXT);"
         "CREATE TABLE members (id INTEGER PRIMARY KEY, ssn TEXT, birth_date TEXT);"
         "CREATE TABLE intyg (id INTEGER PRIMARY KEY, personnummer TEXT);",
         {"kunder": [(1, OLD[2:], "1921-12-25", "2023-01-15 10:00:00"), (2, OTHER[2:], "1950-05-06", "2023-01-15 10:00:00"),
                    (3, CHILD[2:], "1912-12-13", "2023-01-15 10:00:00")],
          "members": [(1, OLD[2:8] + "-" + OLD[8:], "19211225")],
          "intyg": [(1, OLD[:8] + "-" + OLD[8:])]})
    return _config(tmp_path)


def test_birth_date_field_gives_the_century(cfg: Path) -> None:
    res = scan(load(cfg), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    direct = [l for l in _found(cfg, "personnummer", OLD) if l.reached == "direct"]
    got = {(l.container, l.item, l.field) for l in direct}
    assert got == {("main.kunder", "id=1", "pnr"), ("main.members", "id=1", "ssn"), ("main.intyg", "id=1", "personnummer")}
    # one person: the rows that write ten digits have the value (and subject) of the one that writes twelve
    assert len({l.subject for l in direct}) == 1, direct
    assert {l.masked for l in direct} == {OLD[:8] + "-****"}, direct
    # a birth date that is not the number's own date says nothing about its century
    assert _found(cfg, "personnummer", OTHER)
    assert {l.masked for l in _found(cfg, "personnummer", CHILD) if l.item == "id=3"} == {CHILD[:8] + "-****"}
