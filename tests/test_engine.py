"""The engine end to end: config -> units -> Dask -> data map -> lookup/export."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, EXIT_PARTIAL, scan
from pii_scan.keys import load_keys
from pii_scan.lookup import lookup

# Skatteverket test numbers and PTS fiction numbers: fictional by construction.
PNR_A, PNR_B = "19640823-3234", "199006022397"
MAIL_A, MAIL_B = "Test.Testsson@Example.se", "anna.andersson@example.com"
PHONE_A = "070-174 06 05"


def _estate(tmp: Path) -> Path:
    db = tmp / "crm.sqlite"
    con = sqlite3.connect(db)
    con.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, personnummer TEXT, email TEXT, phone TEXT);
        CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), amount TEXT);
        CREATE TABLE tickets (id INTEGER PRIMARY KEY, body TEXT);
        """
    )
    con.execute("INSERT INTO customers VALUES (1, 'Test Testsson', ?, ?, ?)", (PNR_A, MAIL_A, PHONE_A))
    con.execute("INSERT INTO customers VALUES (2, 'Anna Andersson', ?, ?, NULL)", (PNR_B, MAIL_B))
    con.execute("INSERT INTO invoices VALUES (10, 1, '1 234,00 kr')")
    con.execute("INSERT INTO invoices VALUES (11, 2, '99,00 kr')")
    # free text naming two people must not merge them
    con.execute("INSERT INTO tickets VALUES (5, ?)", (f"Kunden {MAIL_A} klagar; kopia till {MAIL_B}.",))
    con.commit()
    con.close()
    share = tmp / "share"
    (share / "exports").mkdir(parents=True)
    with open(share / "exports" / "kunder.csv", "w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Namn", "Personnummer", "E-post"])
        w.writerow(["Åsa Test", PNR_A.replace("-", ""), MAIL_A.lower()])
    (share / "notes.txt").write_text("Ring Test på 070-174 06 05 eller mejla test.testsson@example.se\n", "utf-8")
    cfg = tmp / "pii-scan.toml"
    cfg.write_text(
        textwrap.dedent(
            """
            [datamap]
            url = "sqlite:///datamap.sqlite"
            [[sources]]
            name = "crm"
            type = "sql"
            url = "sqlite:///crm.sqlite"
            [[sources]]
            name = "share"
            type = "files"
            path = "share"
            """
        )
    )
    return cfg


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    return _estate(tmp_path)


def _locations(cfg_path: Path, kind: str, value: str) -> list:
    cfg = load(cfg_path)
    dm = DataMap(cfg.datamap_url)
    try:
        return lookup(dm, load_keys(cfg.key_file), kind, value)
    finally:
        dm.close()


def test_scan_lookup_and_resume(estate: Path) -> None:
    cfg = load(estate)
    s1 = scan(cfg, scheduler="sync", progress=False)
    assert s1.exit_code == EXIT_COMPLETE, s1.failures
    assert s1.units_scanned >= 5 and s1.findings >= 8
    key_file = estate.parent / "pii-scan.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600

    locs = _locations(estate, "personnummer", PNR_A)
    where = {(l.store, l.container, l.item, l.field, l.reached) for l in locs}
    assert ("sql", "customers", "id=1", "personnummer", "direct") in {w[:5] for w in where} or any(
        l.store == "sql" and l.container.endswith("customers") and l.item == "id=1" and l.reached == "direct" for l in locs
    )
    # linked: the email and phone of the same row, and the CSV line holding the pnr
    assert any(l.kind == "email" and l.reached == "linked" for l in locs)
    assert any(l.store == "files" and "kunder.csv" in l.container and l.reached == "direct" for l in locs)
    # related: the invoice that only references the customer row
    assert any(l.reached == "related" and l.container.endswith("invoices") and l.item == "id=10" for l in locs)
    # the free-text ticket is found for both people but does not merge them
    b = _locations(estate, "personnummer", PNR_B)
    assert not any(l.kind == "phone" for l in b)
    assert not any(l.container.endswith("invoices") and l.item == "id=10" for l in b)
    # lookup by e-mail in another written form reaches the same subject
    by_mail = _locations(estate, "email", MAIL_A.upper())
    assert any(l.kind == "personnummer" for l in by_mail)

    # unchanged estate: everything skipped
    s2 = scan(cfg, scheduler="sync", progress=False)
    assert s2.units_scanned == 0 and s2.units_skipped == s1.units_total
    # a changed file is rescanned, the rest skipped
    notes = estate.parent / "share" / "notes.txt"
    notes.write_text("Inget här längre.\n", "utf-8")
    os.utime(notes, ns=(1, 1))
    s3 = scan(cfg, scheduler="sync", progress=False)
    assert s3.units_scanned == 1
    assert not any(l.container == "notes.txt" for l in _locations(estate, "phone", PHONE_A))


def test_datamap_has_no_plaintext(estate: Path) -> None:
    scan(load(estate), scheduler="sync", progress=False)
    blob = (estate.parent / "datamap.sqlite").read_bytes()
    for wal in estate.parent.glob("datamap.sqlite-wal"):
        blob += wal.read_bytes()
    for v in ("196408233234", "6408233234", "640823-3234", "test.testsson@example.se", "+46701740605", "0701740605", "199006022397"):
        assert v.encode() not in blob, v


def test_failed_unit_is_recorded_and_scan_is_partial(estate: Path) -> None:
    bad = estate.parent / "share" / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    summary = scan(load(estate), scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_PARTIAL
    assert [f["unit"] for f in summary.failures] == ["broken.pdf"]
    # the rest of the scan went on
    assert any(l.store == "files" for l in _locations(estate, "personnummer", PNR_A))


def test_missing_source_is_a_failed_unit(estate: Path) -> None:
    text = estate.read_text() + '\n[[sources]]\nname = "gone"\ntype = "files"\npath = "/nonexistent/dir"\n'
    estate.write_text(text)
    summary = scan(load(estate), scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_PARTIAL
    assert any(f["source"] == "gone" for f in summary.failures)


def test_cli_scan_lookup_batch_export(estate: Path, tmp_path: Path) -> None:
    r = CliRunner()
    res = r.invoke(main, ["scan", "--config", str(estate), "--scheduler", "sync", "--no-progress"])
    assert res.exit_code == 0, res.output
    res = r.invoke(main, ["lookup", "--config", str(estate), "--personnummer", PNR_A])
    assert res.exit_code == 0 and "direct" in res.output and "19640823-****" in res.output
    assert "196408233234" not in res.output
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        json.dumps({"kind": "personnummer", "value": PNR_A}) + "\n"
        + json.dumps({"kind": "email", "value": MAIL_B}) + "\n"
        + json.dumps({"kind": "phone", "value": "not a phone"}) + "\n"
    )
    res = r.invoke(main, ["lookup", "--config", str(estate), "--batch", str(batch), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.output.splitlines()]
    assert len(out) == 3 and all("query" in o and "locations" in o for o in out)
    for loc in out[0]["locations"]:
        assert {"store", "container", "item", "field", "kind", "reached"} <= set(loc)
    assert out[2]["locations"] == [] and "error" in out[2]

    res = r.invoke(main, ["export", "--config", str(estate), "--format", "jsonl"])
    rows = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert rows and {"store", "source", "container", "item", "field", "kind", "subkind", "value", "confidence", "subject"} <= set(rows[0])
    assert {r["store"] for r in rows} == {"sql", "files"}
    assert not any(r["value"] == "196408233234" for r in rows)
    res = r.invoke(main, ["export", "--config", str(estate), "--format", "jsonl", "--reveal"])
    assert any(json.loads(l)["value"] == "196408233234" for l in res.output.splitlines() if l.startswith("{"))
    out_csv = tmp_path / "map.csv"
    res = r.invoke(main, ["export", "--config", str(estate), "--format", "csv", "--output", str(out_csv)])
    assert res.exit_code == 0 and out_csv.read_text().startswith("store,source,container")
    out_pq = tmp_path / "map.parquet"
    res = r.invoke(main, ["export", "--config", str(estate), "--format", "parquet", "--output", str(out_pq)])
    import pyarrow.parquet as pq

    assert res.exit_code == 0 and pq.read_table(out_pq).num_rows == len(rows)


def test_scan_on_a_real_dask_cluster(estate: Path, dask_cluster: str) -> None:
    summary = scan(load(estate), scheduler=dask_cluster, progress=False)
    assert summary.exit_code == EXIT_COMPLETE, summary.failures
    assert any(l.reached == "related" for l in _locations(estate, "personnummer", PNR_A))


def test_scan_on_the_default_local_cluster(estate: Path) -> None:
    summary = scan(load(estate), workers=2, progress=False)
    assert summary.exit_code == EXIT_COMPLETE, summary.failures
    assert summary.findings >= 8


def test_unchanged_rescan_does_not_relink_but_an_interrupted_one_does(estate: Path) -> None:
    cfg = load(estate)
    scan(cfg, scheduler="sync", progress=False)
    dm = DataMap(cfg.datamap_url)
    try:
        assert not dm.subjects_stale()
        with dm.engine.begin() as c:  # as if a scan was killed after writing a unit
            dm._set_stale(c, "1")
    finally:
        dm.close()
    s2 = scan(cfg, scheduler="sync", progress=False)
    assert s2.units_scanned == 0 and s2.subjects > 0
    dm = DataMap(cfg.datamap_url)
    try:
        assert not dm.subjects_stale()
    finally:
        dm.close()
