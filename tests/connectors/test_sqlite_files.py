"""SQLite database files among files, objects and archive entries are read table by table.

Before, a ``.db`` left in a share was sniffed as binary and skipped: a whole
customer register passed through a scan that said "complete" with nothing
found. Now its tables are read through the SQL connector (containers
``<file>!main.<table>``, items the row keys, fields the columns). All data
is fictional (Skatteverket test numbers, PTS fiction numbers, example.se).
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from connectors.base import Location, Record
from connectors.formats import read_stream
from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2, NonSeekable
from tests.connectors.test_files import conn as files_conn
from tests.connectors.test_files import read_all as files_read_all


def make_db(path: Path) -> None:
    c = sqlite3.connect(path)
    c.executescript(
        """
        CREATE TABLE kund (id INTEGER PRIMARY KEY, namn TEXT, personnummer INTEGER, epost TEXT, extra TEXT, bild BLOB);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, kund_id INTEGER REFERENCES kund(id), belopp REAL);
        CREATE TABLE logg (rad TEXT);
        """
    )
    c.execute("INSERT INTO kund VALUES (1, 'Anna Andersson', ?, ?, ?, ?)",
              (int(PNR.replace("-", "")), EMAIL, json.dumps({"kontakt": {"mobil": PHONE}}), "Sms till " .encode("utf-16") + PHONE.encode("utf-16-le")))
    c.execute("INSERT INTO kund VALUES (2, 'Bo Berg', NULL, 'bo.berg@example.se', NULL, NULL)")
    c.execute("INSERT INTO orders VALUES (10, 1, 99.5)")
    c.execute("INSERT INTO logg VALUES (?)", (f"ringde {PNR2} om fakturan",))
    c.commit()
    c.close()


def _found(records: list[Record]) -> set[tuple[str, str, str]]:
    return {(r.location.container, r.location.item, f) for r in records for f, t in r.fields if f != "path"}


def test_a_database_file_in_a_share_is_read_table_by_table(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    make_db(share / "kunder_backup.db")
    records, errors = files_read_all(files_conn(share))
    assert errors == {}
    by_loc = {(r.location.container, r.location.item): r for r in records}
    row = by_loc[("kunder_backup.db!main.kund", "id=1")]
    values = dict(row.fields)
    assert row.structured
    assert values["personnummer"] == PNR.replace("-", "")  # an INTEGER column, as digits
    assert values["epost"] == EMAIL
    assert values["extra$.kontakt.mobil"] == PHONE  # JSON in a TEXT column, by path
    assert PHONE in values["bild"]  # a BLOB holding UTF-16 text, sniffed
    assert ("kunder_backup.db!main.logg", "rowid=1") in by_loc  # a table without a key, located by rowid
    order = by_loc[("kunder_backup.db!main.orders", "id=10")]
    assert [(r.container, r.item) for r in order.references] == [("kunder_backup.db!main.kund", "id=1")]


def test_a_database_object_stream_and_an_archive_entry_read_the_same(tmp_path: Path) -> None:
    make_db(tmp_path / "k.db")
    data = (tmp_path / "k.db").read_bytes()

    def loc(container: str, item: str) -> Location:
        return Location("s3", "lake", container, item)

    streamed = list(read_stream(NonSeekable(data), "exports/k.db", container="b/exports/k.db", loc_factory=loc))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner/k.db", data)
    zipped = list(read_stream(io.BytesIO(buf.getvalue()), "a.zip", container="b/a.zip", loc_factory=loc))
    assert _found(streamed) and {(c.replace("b/exports/k.db", "X"), i, f) for c, i, f in _found(streamed)} == \
        {(c.replace("b/a.zip!inner/k.db", "X"), i, f) for c, i, f in _found(zipped)}
    assert ("b/a.zip!inner/k.db!main.kund", "id=1", "epost") in _found(zipped)


def test_a_damaged_database_fails_its_unit_with_the_reason(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    make_db(tmp_path / "k.db")
    data = (tmp_path / "k.db").read_bytes()
    (share / "trasig.db").write_bytes(data[:100] + b"\x00\xff" * 300)  # the header, then garbage
    records, errors = files_read_all(files_conn(share))
    assert list(errors) == ["trasig.db"]
    assert "not a readable SQLite database" in errors["trasig.db"] and "corrupt" in errors["trasig.db"]
    assert PNR not in errors["trasig.db"] and EMAIL not in errors["trasig.db"]


def test_a_write_ahead_log_beside_it_is_reported_not_ignored(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    db = share / "app.db"
    live = sqlite3.connect(db)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("CREATE TABLE kund (id INTEGER PRIMARY KEY, epost TEXT)")
    live.execute("INSERT INTO kund VALUES (1, ?)", (EMAIL,))
    live.commit()  # in the -wal file only, while this connection stays open
    try:
        assert (share / "app.db-wal").stat().st_size > 0
        records, errors = files_read_all(files_conn(share))
    finally:
        live.close()
    assert "app.db" in errors and "write-ahead log" in errors["app.db"]
    assert EMAIL not in errors["app.db"]


def test_scan_finds_and_relates_the_rows_of_a_database_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pii_scan.cli import main

    share = tmp_path / "share"
    share.mkdir()
    make_db(share / "kunder.sqlite")
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "sqlite:///{tmp_path / "map.sqlite"}"\n'
                   f'[[sources]]\nname = "share"\ntype = "files"\npath = "{share}"\n', "utf-8")
    run = CliRunner().invoke(main, ["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(main, ["lookup", "--config", str(cfg), "--personnummer", PNR, "--format", "jsonl"])
    assert run.exit_code == 0, run.output
    locs = json.loads(run.output.strip().splitlines()[-1])["locations"]
    got = {(x["container"], x["item"], x["field"], x.get("reached", x.get("how"))) for x in locs}
    containers = {(c, i) for c, i, _, _ in got}
    assert ("kunder.sqlite!main.kund", "id=1") in containers
    assert ("kunder.sqlite!main.orders", "id=10") in containers  # related through the foreign key
    assert not any(c == "kunder.sqlite!main.kund" and i == "id=2" for c, i in containers)  # another customer
    # the erasure plan says what the rows are: table rows in a database file, to delete with sqlite3 (not an archive)
    run = CliRunner().invoke(main, ["erasure-plan", "--config", str(cfg), "--personnummer", PNR, "--format", "text"])
    assert run.exit_code == 0, run.output
    assert "in a SQLite database file (kunder.sqlite)" in run.output and "inside an archive" not in run.output, run.output


@pytest.mark.parametrize("suffix", [".db", ".bin", ""])
def test_the_database_is_found_by_its_content_whatever_its_name(tmp_path: Path, suffix: str) -> None:
    share = tmp_path / "share"
    share.mkdir()
    make_db(share / f"dump{suffix}")
    records, errors = files_read_all(files_conn(share))
    assert errors == {}
    assert any(r.location.container == f"dump{suffix}!main.kund" for r in records)


def _access_head(sig: bytes) -> bytes:
    # the first page of an Access file: 4 bytes, the format name, then binary (the rest is not read)
    return b"\x00\x01\x00\x00" + sig + b"\x00" + bytes(range(256)) * 16


@pytest.mark.parametrize("sig,name", [(b"Standard Jet DB", "kunder.mdb"), (b"Standard ACE DB", "kunder.accdb")])
def test_an_access_database_is_reported_as_not_read(tmp_path: Path, sig: bytes, name: str) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / name).write_bytes(_access_head(sig))
    _, errors = files_read_all(files_conn(share))
    assert list(errors) == [name] and "Microsoft Access database" in errors[name] and "not read" in errors[name]


def test_an_excel_binary_workbook_is_reported_as_not_read(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    with zipfile.ZipFile(share / "kunder.xlsb", "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.bin", b"\x83\x01\x00" + bytes(64))
        z.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00" + bytes(64))
    _, errors = files_read_all(files_conn(share))
    assert list(errors) == ["kunder.xlsb"] and ".xlsb" in errors["kunder.xlsb"] and "not read" in errors["kunder.xlsb"]


def test_a_large_database_file_is_split_into_units_as_a_sql_source(tmp_path: Path) -> None:
    """Over split_bytes, a database file is listed as the SQL connector lists a database (a unit per table, big
    tables by key ranges): read in parallel, no unit's results outgrowing a worker; the same records either way."""
    share = tmp_path / "share"
    share.mkdir()
    make_db(share / "stor.db")
    c = sqlite3.connect(share / "stor.db")
    c.executemany("INSERT INTO kund (id, namn, epost) VALUES (?, 'Kund', ?)",
                  [(i, f"kund{i}@example.se") for i in range(3, 45_003)])
    c.commit()
    c.close()
    split = files_conn(share, split_bytes=1 << 16)
    units = list(split.units())
    keys = [u.key for u in units]
    assert len(units) >= 4 and all(k.startswith("stor.db#main.") for k in keys), keys
    assert sum(k.startswith("stor.db#main.kund") for k in keys) >= 2  # 45,002 rows: key ranges of 20,000
    parts, errors = files_read_all(split)
    whole, errors_whole = files_read_all(files_conn(share, split_bytes=0))
    assert errors == errors_whole == {}

    def rows(records: list[Record]) -> list[tuple[str, str, tuple[tuple[str, str], ...], tuple]]:
        return sorted((r.location.container, r.location.item, tuple(r.fields), tuple(r.references)) for r in records)

    assert rows(parts) == rows(whole)
    assert len(parts) == 45_002 + 1 + 1 + 1  # customers, the order, the log row, the file's name


def test_a_large_database_with_a_write_ahead_log_reports_it_once(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    db = share / "live.db"
    live = sqlite3.connect(db)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, t TEXT)")
    live.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, t TEXT)")
    live.executemany("INSERT INTO a VALUES (?, ?)", [(i, "x" * 50) for i in range(5000)])
    live.commit()
    live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    live.execute("INSERT INTO b VALUES (1, ?)", (EMAIL,))
    live.commit()  # only in the -wal file
    try:
        _, errors = files_read_all(files_conn(share, split_bytes=4096))
    finally:
        live.close()
    assert [k for k in errors if "write-ahead log" in errors[k]] == ["live.db#main.a"], errors
