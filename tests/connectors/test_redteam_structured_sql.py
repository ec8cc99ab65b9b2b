"""Red-team findings on SQL sources: SQLite column comments in the table's DDL.

SQLite has no COMMENT ON COLUMN; a schema documents its columns with SQL comments in
the CREATE TABLE statement, which SQLite keeps verbatim (sqlite_master.sql). They are
hints like PostgreSQL's and MariaDB's column comments. Fictional values only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from connectors.sql import SqlConnector, sqlite_column_comments
from pii_scan.worker import ScanSettings, scan_unit

DDL = """CREATE TABLE anstallda (
  id INTEGER PRIMARY KEY,   -- surrogate key
  c1 INTEGER,               -- Personnummer (utan inledande nolla)
  c2 INTEGER /* Mobilnummer */,
  "c 3" TEXT,  -- Kontonummer: clearing + konto
  -- the next column holds the e-mail address
  c4 TEXT,
  c5 TEXT,
  PRIMARY KEY_PLACEHOLDER
)"""


def test_sqlite_column_comments_are_read_from_the_ddl() -> None:
    ddl = DDL.replace("  PRIMARY KEY_PLACEHOLDER\n", "  CHECK (c1 > 0) -- not a column\n")
    got = sqlite_column_comments(ddl, ["id", "c1", "c2", "c 3", "c4", "c5"])
    assert got == {"id": "surrogate key", "c1": "Personnummer (utan inledande nolla)", "c2": "Mobilnummer",
                   "c 3": "Kontonummer: clearing + konto", "c4": "the next column holds the e-mail address"}


@pytest.mark.parametrize("ddl", [
    "CREATE TABLE t (a TEXT, b TEXT)",
    "CREATE TABLE t (a TEXT DEFAULT '-- not a comment', b TEXT)",
    "CREATE TABLE t (a TEXT CHECK (a <> '/* no */'), b TEXT)",
])
def test_no_comment_no_hint(ddl: str) -> None:
    assert sqlite_column_comments(ddl, ["a", "b"]) == {}


def test_a_commented_sqlite_column_is_scanned_with_its_hint(tmp_path: Path) -> None:
    path = tmp_path / "hr.sqlite"
    con = sqlite3.connect(path)
    con.execute(DDL.replace(",\n  PRIMARY KEY_PLACEHOLDER", ""))
    # leading zeros lost: 0309182640 (a personnummer) and 0701234577 (a mobile number)
    con.execute("INSERT INTO anstallda VALUES (1, 309182640, 701234577, '5839 8257466', NULL, NULL)")
    con.commit()
    con.close()
    conn = SqlConnector("hr", {"url": f"sqlite:///{path}"})
    assert conn.column_hints()[("main.anstallda", "c1")] == "Personnummer (utan inledande nolla)"
    (unit,) = list(conn.units())
    res = scan_unit(conn, unit, ScanSettings(None, 0.5, True, b"k" * 32))
    assert res.error is None
    found = {(f.kind, rr.item, f.field) for rr in res.records for f in rr.findings}
    assert {("personnummer", "id=1", "c1"), ("phone", "id=1", "c2"), ("bank_account", "id=1", "c 3")} <= found


def test_columns_of_types_sqlalchemy_does_not_know_are_read_without_a_warning(pg_url: str) -> None:
    # xml, point: SQLAlchemy's reflection warned "Did not recognize type 'xml' of column 'x'"
    # on the scan's stderr once per such column and scan (noise, and it names columns)
    import warnings

    import sqlalchemy as sa

    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (id int PRIMARY KEY, x xml, pt point, pnr text)")
        c.exec_driver_sql("INSERT INTO t VALUES (1, '<p>pnr 811228-9874</p>', '(1,2)', '811228-9874')")
    eng.dispose()
    conn = SqlConnector("pg", {"url": pg_url})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (unit,) = [u for u in conn.units() if u.param("container") == "public.t"]
        recs = list(conn.read(unit))
    assert dict(recs[0].fields)["x"] == "<p>pnr 811228-9874</p>"
    conn.close()


def test_a_column_comment_reaches_the_array_elements_and_json_leaves_of_its_column(pg_url: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (id int PRIMARY KEY, x2 text[], x3 jsonb, x4 text)")
        c.exec_driver_sql("COMMENT ON COLUMN t.x2 IS 'Mobilnummer'")
        c.exec_driver_sql("COMMENT ON COLUMN t.x3 IS 'Personnummer'")
        # leading zeros lost: only the column's comment says what they are
        c.exec_driver_sql("""INSERT INTO t VALUES (1, ARRAY['701234567'], '{"id": "501011233"}', '701234568')""")
    eng.dispose()
    conn = SqlConnector("pg", {"url": pg_url})
    (unit,) = [u for u in conn.units() if u.param("container") == "public.t"]
    hints = conn.field_hints(unit)
    assert hints.get("x2[0]") == "x2[0] Mobilnummer" and hints.get("x3$.id") == "x3$.id Personnummer"
    assert hints.get("x4") is None and hints.get("x4", "x4") == "x4" and hints.get("x22[0]") is None
    res = scan_unit(conn, unit, ScanSettings(None, 0.5, True, b"k" * 32))
    assert res.error is None
    found = {(f.kind, f.field) for rr in res.records for f in rr.findings}
    assert found == {("phone", "x2[0]"), ("personnummer", "x3$.id")}
    conn.close()
