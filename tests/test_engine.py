"""The engine end to end: config -> units -> Dask -> data map -> lookup/export."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.config import load
import pii_scan.datamap as datamap_module
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
    return _config(tmp, share=True)


def _config(tmp: Path, share: bool = False) -> Path:
    """A config of the SQLite CRM ``crm.sqlite`` (and, with ``share``, the folder ``share``) under ``tmp``."""
    cfg = tmp / "pii-scan.toml"
    text = textwrap.dedent(
        """
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "crm"
        type = "sql"
        url = "sqlite:///crm.sqlite"
        """
    )
    if share:
        text += '[[sources]]\nname = "share"\ntype = "files"\npath = "share"\n'
    cfg.write_text(text)
    return cfg


def _crm(tmp: Path, script: str, rows: dict[str, list[tuple[object, ...]]]) -> None:
    con = sqlite3.connect(tmp / "crm.sqlite")
    con.executescript(script)
    for table, values in rows.items():
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
    con.commit()
    con.close()


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


# -- subject linking on every data-map dialect -----------------------------------------------

from random import Random  # noqa: E402

from pii_scan.datamap import FoundValue, RecordResult, UnitResult, split_conflicts, subjects_t  # noqa: E402
import pickle  # noqa: E402


def _reference_subjects(records: list[tuple[str, bool, list[tuple[str, str, bool]]]], hub_limit: int,
                        person_limit: int = DataMap.PERSON_LIMIT) -> dict[str, str]:
    """The linking rule, written plainly (the algorithm link_subjects had before it moved into SQL).

    ``records``: (rkey, structured, [(value_hash, kind, linkable)]). Pairs of
    distinct linkable values in one structured record co-occur; a value with
    more than ``hub_limit`` distinct partners of one kind, or more than
    ``person_limit`` distinct personnummer partners, is a hub and links
    nothing; two personnummer never link to each other (two people); the
    rest are grouped into connected components named by their smallest hash.
    Every value (linkable or not) gets a subject.
    """
    partners: dict[str, dict[str, set[str]]] = {}
    values: set[str] = set()
    pnr: set[str] = set()
    for _rk, structured, fs in records:
        values.update(h for h, _k, _l in fs)
        if not structured:
            continue
        link = {(h, k) for h, k, lk in fs if lk}  # linkable if any of its fields holds it as data
        pnr.update(h for h, k in link if k == "personnummer")
        for a, _ka in link:
            for b, kb in link:
                if a != b:
                    partners.setdefault(a, {}).setdefault(kb, set()).add(b)
    hubs = {a for a, by in partners.items()
            if any(len(bs) > (person_limit if kb == "personnummer" else hub_limit) for kb, bs in by.items())}
    parent = {v: v for v in values}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, by in partners.items():
        if a in hubs:
            continue
        for bs in by.values():
            for b in bs:
                if b not in hubs and not (a in pnr and b in pnr):
                    ra, rb = find(a), find(b)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
    subjects = {v: find(v) for v in values}
    # a subject holding two personnummer was chained together by records without one: split it
    by_subject: dict[str, set[str]] = {}
    for v in pnr - hubs:
        by_subject.setdefault(subjects[v], set()).add(v)
    conflicted = {s for s, ps in by_subject.items() if len(ps) > 1}
    members = [v for v in values if subjects[v] in conflicted]
    pairs = [(a, b) for a, by in partners.items() if a not in hubs for bs in by.values() for b in bs if b not in hubs]
    subjects.update(split_conflicts(members, pairs, pnr.__contains__))
    return subjects


def _link_case(seed: int) -> list[tuple[str, bool, list[tuple[str, str, bool]]]]:
    """Hand-made traps plus random records over a small pool of values (so values recur)."""
    rng = Random(seed)
    kinds = ("personnummer", "email", "phone")
    h = lambda kind, i: f"{kinds.index(kind)}{i:063x}"  # noqa: E731 - fake value hashes, kind-specific
    recs: list[tuple[str, bool, list[tuple[str, str, bool]]]] = [
        # a chain over three records: one subject
        ("r-chain1", True, [(h("personnummer", 1), "personnummer", True), (h("email", 1), "email", True)]),
        ("r-chain2", True, [(h("email", 1), "email", True), (h("phone", 1), "phone", True)]),
        ("r-chain3", True, [(h("phone", 1), "phone", True), (h("personnummer", 2), "personnummer", True)]),
        # free text naming two people: not structured, or structured but not linkable
        ("r-free1", False, [(h("email", 2), "email", True), (h("email", 3), "email", True)]),
        ("r-free2", True, [(h("email", 2), "email", False), (h("email", 3), "email", False)]),
        # exactly HUB_LIMIT (3) partners of one kind: still links
        *[(f"r-three{i}", True, [(h("phone", 9), "phone", True), (h("email", 10 + i), "email", True)]) for i in range(3)],
        # HUB_LIMIT + 1 partners of one kind: a hub, links nothing (its partners stay apart)
        *[(f"r-hub{i}", True, [(h("phone", 8), "phone", True), (h("personnummer", 20 + i), "personnummer", True)])
          for i in range(4)],
        # one record with five e-mail columns: every value in it has 4 partners of kind email
        ("r-wide", True, [(h("email", 30 + i), "email", True) for i in range(5)]),
        # four values of three kinds in one record: no hub (at most 2 partners per kind)
        ("r-mixed", True, [(h("personnummer", 40), "personnummer", True), (h("email", 40), "email", True),
                           (h("email", 41), "email", True), (h("phone", 40), "phone", True)]),
    ]
    for i in range(400):
        fs = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(kinds)
            fs.append((h(kind, 100 + rng.randrange(250)), kind, rng.random() < 0.9))
        recs.append((f"r-rand{i:04d}", rng.random() < 0.85, fs))
    return recs


def _write_case(dm: DataMap, recs: list[tuple[str, bool, list[tuple[str, str, bool]]]], per_unit: int = 50,
                tag: str = "") -> None:
    """``recs`` as units of ``per_unit`` records; ``tag`` tells the units of a second call apart."""
    scan_id = dm.start_scan({"test": "link"})
    for u in range(0, len(recs), per_unit):
        rrs = []
        for rk, structured, fs in recs[u : u + per_unit]:
            rr = RecordResult(rk, "sql", "crm", "t", rk, structured, None)
            for i, (vh, kind, linkable) in enumerate(fs):  # a value may recur in another field of the record
                rr.findings.append(FoundValue(f"f{i}", kind, kind, vh, "****", 0.9, False, None, None, linkable))
            rrs.append(rr)
        res = UnitResult("crm", f"unit{tag}{u}", "sql", "fp", rrs, len(rrs), unit_id=f"u{tag}{u:0{31 - len(tag)}d}")
        dm.write_unit(scan_id, res)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def datamap_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dm.sqlite'}"
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "mariadb_url")


@pytest.mark.parametrize("seed", [1, 2])
def test_link_subjects_matches_the_rule(datamap_url: str, seed: int) -> None:
    recs = _link_case(seed)
    dm = DataMap(datamap_url)
    try:
        _write_case(dm, recs)
        expect = _reference_subjects(recs, DataMap.HUB_LIMIT)
        n = dm.link_subjects()
        with dm.engine.connect() as c:
            got = dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all())
        assert got == expect
        assert n == len(set(expect.values()))
        # the traps, spelled out
        h = lambda kind, i: f"{('personnummer', 'email', 'phone').index(kind)}{i:063x}"  # noqa: E731
        # two personnummer chained by a record without one stay two people, each with their own value
        assert got[h("personnummer", 1)] == got[h("email", 1)] != got[h("personnummer", 2)] == got[h("phone", 1)]
        assert got[h("email", 2)] != got[h("email", 3)]
        assert got[h("phone", 9)] == got[h("email", 10)] == got[h("email", 12)]
        assert got[h("phone", 8)] == h("phone", 8) and len({got[h("personnummer", 20 + i)] for i in range(4)}) == 4
        assert len({got[h("email", 30 + i)] for i in range(5)}) == 5
        assert got[h("personnummer", 40)] == got[h("email", 41)] == got[h("phone", 40)]
        # linking twice gives the same map (scratch tables are dropped and rebuilt)
        assert dm.link_subjects() == n
        with dm.engine.connect() as c:
            assert dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all()) == expect
    finally:
        dm.close()


def test_scan_into_a_postgresql_datamap(estate: Path, pg_url: str) -> None:
    text = estate.read_text().replace('url = "sqlite:///datamap.sqlite"', f'url = "{pg_url}"')
    estate.write_text(text)
    cfg = load(estate)
    s1 = scan(cfg, scheduler="sync", progress=False)
    assert s1.exit_code == EXIT_COMPLETE, s1.failures
    locs = _locations(estate, "personnummer", PNR_A)
    assert any(l.kind == "email" and l.reached == "linked" for l in locs)
    assert any(l.reached == "related" and l.container.endswith("invoices") and l.item == "id=10" for l in locs)
    assert not any(l.kind == "phone" for l in _locations(estate, "personnummer", PNR_B))
    dm = DataMap(pg_url)
    try:  # the first scan deferred the hash indexes and built them at the end
        assert {"ix_findings_value_hash", "ix_findings_rkey"} <= {i["name"] for i in sa.inspect(dm.engine).get_indexes("findings")}
    finally:
        dm.close()
    # a rewritten unit replaces its rows (no duplicates after a full rescan)
    before = len(locs)
    s2 = scan(cfg, scheduler="sync", progress=False, full=True)
    assert s2.units_scanned == s1.units_scanned
    assert len(_locations(estate, "personnummer", PNR_A)) == before


def test_incremental_link_matches_a_full_link(datamap_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Units rewritten and removed after a link: the incremental link gives what a full link gives."""
    recs = _link_case(3)
    dm = DataMap(datamap_url)
    try:
        _write_case(dm, recs)
        dm.link_subjects()
        h = lambda kind, i: f"{('personnummer', 'email', 'phone').index(kind)}{i:063x}"  # noqa: E731
        kinds = ("personnummer", "email", "phone")
        # rewrite unit 0 (records 0..49): drop the chain's middle record, make phone 9 a hub, add new links
        changed = [r for r in recs[:50] if r[0] != "r-chain2"]
        changed.append(("r-three3", True, [(h("phone", 9), "phone", True), (h("email", 13), "email", True)]))
        changed.append(("r-new1", True, [(h("personnummer", 500), "personnummer", True), (h("email", 120), "email", True)]))
        changed.append(("r-new2", True, [(h("phone", 501), "phone", True), (h("email", 120), "email", True)]))
        # rewrite unit 200 with some records moved around; remove unit 300 altogether
        rng = Random(7)
        u200 = [(rk, st, [(h(rng.choice(kinds), 100 + rng.randrange(250)) if rng.random() < 0.3 else vh, k, lk)
                          for vh, k, lk in fs]) for rk, st, fs in recs[200:250]]
        u200 = [(rk, st, [(vh, kinds[int(vh[0])], lk) for vh, _k, lk in fs]) for rk, st, fs in u200]  # kind follows the hash
        final = changed + recs[50:200] + u200 + recs[250:300] + recs[350:]
        scan_id = dm.start_scan({"test": "relink"})
        for u, unit_recs in ((0, changed), (200, u200)):
            rrs = []
            for rk, structured, fs in unit_recs:
                rr = RecordResult(rk, "sql", "crm", "t", rk, structured, None)
                for i, (vh, kind, linkable) in enumerate(fs):
                    rr.findings.append(FoundValue(f"f{i}", kind, kind, vh, "****", 0.9, False, None, None, linkable))
                rrs.append(rr)
            dm.write_unit(scan_id, UnitResult("crm", f"unit{u}", "sql", "fp", rrs, len(rrs), unit_id=f"u{u:031d}"))
        dm.forget_units([f"u{300:031d}"])
        assert dm.subjects_stale()
        full_calls: list[int] = []
        orig = DataMap._link_full
        monkeypatch.setattr(DataMap, "_link_full", lambda self, c: full_calls.append(1) or orig(self, c))
        monkeypatch.setattr(DataMap, "INCREMENTAL_SHARE", 0.9)  # this small map changed a lot: stay incremental
        n = dm.link_subjects()
        assert full_calls == []
        with dm.engine.connect() as c:
            got = dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all())
        expect = _reference_subjects(final, DataMap.HUB_LIMIT)
        assert got == expect
        assert n == len(set(expect.values()))
        assert got[h("phone", 9)] == h("phone", 9)  # now a hub
        assert got[h("personnummer", 2)] != got[h("personnummer", 1)]  # the chain is broken
        assert got[h("personnummer", 500)] == got[h("phone", 501)]
        # and a forced full link agrees
        assert dm.link_subjects(full=True) == n
        with dm.engine.connect() as c:
            assert dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all()) == expect
    finally:
        dm.close()


def test_identifiers_in_row_keys_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row keys that are identifiers are masked in the map (the batched check must not miss them)."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    con = sqlite3.connect(tmp_path / "club.sqlite")
    con.execute("CREATE TABLE members (pnr TEXT PRIMARY KEY, email TEXT)")
    con.execute("CREATE TABLE logins (email TEXT PRIMARY KEY, phone TEXT)")
    con.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, email TEXT)")
    con.execute("INSERT INTO members VALUES (?, ?)", (PNR_A, MAIL_A))
    con.execute("INSERT INTO logins VALUES (?, ?)", (MAIL_B, PHONE_A))
    con.executemany("INSERT INTO plain VALUES (?, ?)", [(1_000_000 + i, f"kund{i}@example.se") for i in range(300)])
    con.commit()
    con.close()
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text('[datamap]\nurl = "sqlite:///dm.sqlite"\n[[sources]]\nname = "club"\ntype = "sql"\n'
                        'url = "sqlite:///club.sqlite"\n')
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    keys = load_keys(cfg.key_file)
    dm = DataMap(cfg.datamap_url)
    try:
        with dm.engine.connect() as c:
            rows = c.execute(sa.text("SELECT container, item, location_enc FROM records")).all()
    finally:
        dm.close()
    by_table = {}
    for container, item, enc in rows:
        by_table.setdefault(container.rsplit(".", 1)[-1], []).append((item, enc))
    (m_item, m_enc), = by_table["members"]
    assert "3234" not in m_item and "19640823" in m_item and keys.decrypt(m_enc).endswith("\x1fpnr=" + PNR_A)
    (l_item, l_enc), = by_table["logins"]
    assert "anna.andersson" not in l_item and keys.decrypt(l_enc).endswith("\x1femail=" + MAIL_B)
    assert len(by_table["plain"]) == 300 and all(enc is None and item.startswith("id=100") for item, enc in by_table["plain"])


def test_first_scan_defers_the_hash_indexes_and_they_come_back(estate: Path) -> None:
    cfg = load(estate)
    calls: list[bool] = []
    orig = DataMap.defer_indexes

    def spy(self: DataMap) -> bool:
        calls.append(orig(self))
        return calls[-1]

    DataMap.defer_indexes = spy  # type: ignore[method-assign]
    try:
        scan(cfg, scheduler="sync", progress=False)
        notes = estate.parent / "share" / "notes.txt"
        notes.write_text("Ring 070-174 06 05\n", "utf-8")
        os.utime(notes, ns=(1, 1))
        scan(cfg, scheduler="sync", progress=False)
    finally:
        DataMap.defer_indexes = orig  # type: ignore[method-assign]
    assert calls == [True, False]  # only the scan into the empty map defers
    wanted = {"ix_findings_value_hash", "ix_findings_rkey", "ix_findings_unit_id"}

    def indexes(dm: DataMap) -> tuple[set[str], set[str]]:
        insp = sa.inspect(dm.engine)
        return {i["name"] for i in insp.get_indexes("findings")}, {i["name"] for i in insp.get_indexes("records")}

    dm = DataMap(cfg.datamap_url)
    try:
        found, recs = indexes(dm)
        assert wanted <= found and "ix_records_unit_id" in recs
        with dm.engine.begin() as c:  # as if a first scan was killed while the indexes were down
            c.exec_driver_sql("DROP INDEX ix_findings_value_hash")
            c.exec_driver_sql("DROP INDEX ix_records_unit_id")
    finally:
        dm.close()
    dm = DataMap(cfg.datamap_url)  # opening the map builds them again
    try:
        found, recs = indexes(dm)
        assert wanted <= found and "ix_records_unit_id" in recs
    finally:
        dm.close()
    assert any(l.reached == "linked" for l in _locations(estate, "personnummer", PNR_A))


def test_unit_results_pickle_whole() -> None:
    """Results travel to the driver pickled in a compact form: nothing may be lost on the way."""
    from datetime import datetime

    rr = RecordResult("k" * 32, "sql", "crm", "public.customers", "id=7", True, datetime(2024, 5, 17, 12, 30), b"\x01enc",
                      [FoundValue("email", "email", "email", "h" * 64, "t***@example.se", 0.95, False, None, b"\x02", True),
                       FoundValue("notes", "phone", "mobile", "p" * 64, "070-*** ** 05", 0.8, True, "iban", None, False)],
                      [("r" * 32, "customer_id -> customers.id")])
    res = UnitResult("crm", "public.customers[1:100]", "sql", "fp1", [rr, RecordResult("x" * 32, "files", "share", "a.txt",
                     "3", False, None)], 100, "a reason", 1.5, "u" * 32)
    back = pickle.loads(pickle.dumps(res, protocol=5))
    assert back == res and type(back.records[0].findings[1]) is FoundValue


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_bulk_insert_keeps_every_value(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """insert_rows (executemany / COPY text format) stores awkward values exactly."""
    from datetime import datetime

    from pii_scan.datamap import findings_t, insert_rows, records_t

    url = f"sqlite:///{tmp_path / 'dm.sqlite'}" if dialect == "sqlite" else request.getfixturevalue("pg_url")
    dm = DataMap(url)
    try:
        recs = [("a" * 32, "u1", "files", "share", "dir\twith\ttabs/x\\y.csv", "line\n2\r", True, datetime(2024, 2, 29, 23, 59, 58, 5),
                 b"\x00\\x\t\n\xff"),
                ("b" * 32, "u1", "sql", "crm", "public.kunder_åäö", "\\N", False, None, None)]
        finds = [("a" * 32, "u1", "Sheet1!B2", "email", "email", "h" * 64, "a***@exempel.se", 0.875, False, None, b"\x01" * 40, True, 2),
                 ("b" * 32, "u1", "notes \\ \"quoted\"", "phone", "mobile", "g" * 64, "\\N", 1.0, True, "iban", None, False, None)]
        with dm.engine.begin() as c:
            insert_rows(c, records_t, DataMap._REC_COLS, recs)
            insert_rows(c, findings_t, DataMap._FIND_COLS, finds)
        with dm.engine.connect() as c:
            got_r = [tuple(r) for r in c.execute(sa.select(*[records_t.c[n] for n in DataMap._REC_COLS]).order_by(records_t.c.rkey))]
            got_f = [tuple(r) for r in c.execute(sa.select(*[findings_t.c[n] for n in DataMap._FIND_COLS]).order_by(findings_t.c.rkey))]
        assert got_r == recs
        assert got_f == finds
    finally:
        dm.close()


# --- scans left 'running' by a process that died ------------------------------------------------------------


def _running_row(dm: DataMap, host: str | None, pid: int | None, started: float | None) -> int:
    from pii_scan.datamap import ScanProcess

    return dm.start_scan({"test": "left running"}, ScanProcess(host, pid, started))


def _status(dm: DataMap, scan_id: int) -> tuple[str, object]:
    from pii_scan.datamap import scans_t

    with dm.engine.connect() as c:
        row = c.execute(sa.select(scans_t.c.status, scans_t.c.finished_at).where(scans_t.c.id == scan_id)).one()
    return row.status, row.finished_at


def test_running_scans_of_dead_processes_are_marked_interrupted(estate: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Dead (gone, or pid reused) on this host: interrupted. Alive, another host, or no process recorded: left, with a warning."""
    import logging
    import socket
    import subprocess
    import sys

    from pii_scan.datamap import _process_started

    cfg = load(estate)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs
    me, parent = os.getpid(), os.getppid()
    host = socket.gethostname()
    dm = DataMap(cfg.datamap_url)
    try:
        dead = _running_row(dm, host, gone.pid, 1.0e9)
        reused = _running_row(dm, host, parent, (_process_started(parent) or 0.0) - 3600)  # the pid, another process
        alive = _running_row(dm, host, parent, _process_started(parent))
        itself = _running_row(dm, host, me, _process_started(me))
        elsewhere = _running_row(dm, "another-host.example", gone.pid, 1.0e9)
        legacy = _running_row(dm, None, None, None)
    finally:
        dm.close()
    with caplog.at_level(logging.WARNING, logger="pii_scan"):
        summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_COMPLETE
    assert summary.interrupted_scans == [dead, reused]
    dm = DataMap(cfg.datamap_url)
    try:
        for i in (dead, reused):
            status, found = _status(dm, i)
            assert status == "interrupted" and found is not None
        for i in (alive, itself, elsewhere, legacy):
            assert _status(dm, i) == ("running", None)
        assert _status(dm, summary.scan_id)[0] == "complete"
    finally:
        dm.close()
    messages = [r.getMessage() for r in caplog.records]
    for i in (dead, reused):
        assert any(m.startswith(f"scan {i} ") and "marked 'interrupted'" in m for m in messages), messages
    assert any(m.startswith(f"scan {elsewhere} ") and "another-host.example" in m for m in messages), messages
    assert any(m.startswith(f"scan {alive} ") and "still running" in m for m in messages), messages
    assert any(m.startswith(f"scan {legacy} ") and "left as it is" in m for m in messages), messages


def test_cli_scan_says_which_scans_were_interrupted(estate: Path) -> None:
    import socket
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dm = DataMap(load(estate).datamap_url)
    try:
        dead = _running_row(dm, socket.gethostname(), gone.pid, 1.0e9)
    finally:
        dm.close()
    res = CliRunner().invoke(main, ["scan", "--config", str(estate), "--scheduler", "sync", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert f"earlier scan {dead} was interrupted" in res.output


def test_schema_1_map_gains_the_scan_process_columns(datamap_url: str) -> None:
    """A map of schema 1 is upgraded in place: its scans keep their rows, new scans record their process."""
    from datetime import datetime

    old = sa.MetaData()
    meta = sa.Table("pii_meta", old, sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text, nullable=False))
    scans = sa.Table(  # the scans table of schema 1
        "scans", old, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False), sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("settings", sa.Text, nullable=False),
        sa.Column("summary", sa.Text),
    )
    eng = sa.create_engine(datamap_url)
    try:
        old.create_all(eng)
        with eng.begin() as c:
            c.execute(meta.insert().values(key="schema_version", value="1"))
            c.execute(scans.insert().values(started_at=datetime(2026, 1, 2, 3, 4, 5), status="running", settings="{}"))
    finally:
        eng.dispose()
    dm = DataMap(datamap_url)
    try:
        assert dm.schema_version() == datamap_module.SCHEMA_VERSION
        [legacy] = dm.running_scans()
        assert legacy.process is None and legacy.started_at == datetime(2026, 1, 2, 3, 4, 5)
        new = dm.start_scan({})
        [_, mine] = dm.running_scans()
        assert mine.id == new and mine.process is not None and mine.process.pid == os.getpid()
        assert mine.process.alive() is True
        assert mine.process.started is not None and abs(mine.process.started - __import__("psutil").Process().create_time()) < 1
    finally:
        dm.close()
    DataMap(datamap_url).close()  # opening it again changes nothing
