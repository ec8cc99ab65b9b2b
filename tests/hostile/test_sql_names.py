"""Hostile table and column names on PostgreSQL and MariaDB: quotes, backticks, control
characters, HTML and path traversal are names, read like any other, never executed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pii_scan.config import from_dict
from pii_scan.engine import scan
from pii_scan.keys import Keys
from tests.hostile.estate import HOSTILE_COLUMNS, HOSTILE_TABLES, PNR_C
from tests.hostile.runner import KEY_HEX

PNR = "19640823-3234"
# backticks close MariaDB's quoting, double quotes PostgreSQL's; a name that ends in a backslash too
EXTRA_TABLES = ["back`tick`s", "semi;colon", "trail\\"]


@pytest.fixture(params=["postgresql", "mariadb"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "mariadb_url")


def test_hostile_names_are_read(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", KEY_HEX)
    eng = sa.create_engine(url)
    prep = eng.dialect.identifier_preparer
    tables = HOSTILE_TABLES + EXTRA_TABLES
    cols = HOSTILE_COLUMNS + ['x"y', "a`b", "s;c"]
    with eng.begin() as c:
        for table, col in zip(tables, cols):
            c.exec_driver_sql(f"CREATE TABLE {prep.quote(table)} (id INTEGER PRIMARY KEY, {prep.quote(col)} VARCHAR(100))")
            c.execute(sa.text(f"INSERT INTO {prep.quote(table)} VALUES (1, :v)"), {"v": PNR})
    with eng.connect() as c:
        made = set(sa.inspect(c).get_table_names())
    eng.dispose()
    assert made == set(tables)

    cfg = from_dict({"datamap": {"url": f"sqlite:///{tmp_path / 'map.sqlite'}"},
                     "sources": [{"name": "db", "type": "sql", "url": url}]}, base=tmp_path)
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == 0, summary.failures
    dm = sa.create_engine(cfg.datamap_url)
    with dm.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT r.container, f.field, f.value_hash FROM findings f JOIN records r ON r.rkey = f.rkey"
        ).all()
    dm.dispose()
    h = Keys(bytes.fromhex(KEY_HEX)).hash("personnummer", PNR_C)
    assert len(rows) == len(tables) and all(v == h for _, _, v in rows)
    # every table is named in its container (quoted where it must be) and every column as its field
    # (MariaDB's reflection warns about the name with a line break, and still reads the table)
    for table in tables:
        assert sum(table.replace('"', '""') in cont or table in cont for cont, _, _ in rows) >= 1, table
    assert {f for _, f, _ in rows} == set(cols)
    # the sources were only read
    eng = sa.create_engine(url)
    with eng.connect() as c:
        assert set(sa.inspect(c).get_table_names()) == set(tables)
    eng.dispose()
