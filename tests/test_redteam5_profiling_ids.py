"""A column of random ten- or twelve-digit ids is no column of personnummer.

A random ten-digit number passes as a personnummer about one time in 130 (a date, a
Luhn check digit), so a column of transaction ids, external references or codes named
for nothing (``kod``, ``value``, ``extern_ref``) gave dozens of false personnummer per
5,000 rows (measured: 37 at confidence 0.7). When most of a column's values are bare
numbers of a personnummer's length and three quarters of them are no valid personnummer,
organisationsnummer or phone number, the column is a series of ids: it gets a hint that
says so, and its numbers are not read as personal data. Columns of people's numbers (even
organisationsnummer or phone numbers), and columns that mix ids with text, keep theirs.
Fictional, generated values.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from detectors.checksums import luhn_check_digit
from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.profiling import ColumnProfiles
from tests.test_engine import _config, _crm

REF = date(2026, 11, 24)


def _pnr10(rnd: random.Random) -> str:
    y, m, d, s = rnd.randrange(40, 99), rnd.randrange(1, 13), rnd.randrange(1, 29), rnd.randrange(1, 980)
    nine = f"{y:02d}{m:02d}{d:02d}{s:03d}"
    return nine + str(luhn_check_digit(nine))


def _hint(values: list[str], name: str = "kod") -> str:
    p = ColumnProfiles()
    return p.hints({name: (list(range(len(values))), values)}, {}, [REF] * len(values))[name]


def test_random_ids_get_a_hint_of_ids() -> None:
    rnd = random.Random(4)
    assert _hint([str(rnd.randrange(10**9, 10**10)) for _ in range(300)]) == "kod (serienummer)"
    assert _hint([str(rnd.choice([19, 20])) + f"{rnd.randrange(10**10):010d}" for _ in range(300)], "value") == \
        "value (serienummer)"


@pytest.mark.parametrize("kind", ["pnr", "orgnr", "phone", "few", "mixed"])
def test_columns_of_peoples_numbers_keep_their_hint(kind: str) -> None:
    rnd = random.Random(5)
    if kind == "pnr":
        values = [_pnr10(rnd) for _ in range(300)]
    elif kind == "orgnr":
        values = []
        while len(values) < 300:
            nine = f"55{rnd.randrange(6000000, 10**7):07d}"
            values.append(nine + str(luhn_check_digit(nine)))
    elif kind == "phone":
        values = [f"07{rnd.choice('0236')}{rnd.randrange(10**7):07d}" for _ in range(300)]
    elif kind == "few":  # too few values to tell
        values = [str(rnd.randrange(10**9, 10**10)) for _ in range(20)]
    else:  # ids among words and short numbers: not a column of ids
        values = [str(rnd.randrange(10**9, 10**10)) if i % 2 else f"rad {i}" for i in range(300)]
    assert "serienummer" not in _hint(values)


def test_a_table_of_random_ids_gives_no_personnummer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    rnd = random.Random(6)
    rows = [(i, str(rnd.randrange(10**9, 10**10)), _pnr10(rnd)) for i in range(1, 1501)]
    _crm(tmp_path, "CREATE TABLE tx (id INTEGER PRIMARY KEY, kod TEXT, c1 TEXT);", {"tx": rows})
    cfg = _config(tmp_path)
    res = scan(load(cfg), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    from pii_scan.datamap import DataMap, findings_t
    import sqlalchemy as sa

    dm = DataMap(load(cfg).datamap_url)
    try:
        with dm.engine.connect() as c:
            got = {(f, k): n for f, k, n in c.execute(
                sa.select(findings_t.c.field, findings_t.c.kind, sa.func.count()).group_by(findings_t.c.field, findings_t.c.kind))}
    finally:
        dm.close()
    assert ("kod", "personnummer") not in got, got
    assert got.get(("c1", "personnummer")) == 1500  # the column of people's numbers, named for nothing, is read
