"""``pii-scan report retention``: record dates from every store, policies, golden outputs.

A small purpose-built estate (a SQLite CRM with recognised and configured date
columns, a file share with set mtimes, an mbox with Date headers, a source with
no retention) is scanned for real, then reported on at a fixed ``--now``.
The golden files are rewritten with ``PII_SCAN_UPDATE_GOLDEN=1`` (see ``_golden.py``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from connectors.base import ConfigError as ConnectorConfigError
from connectors.sql import SqlConnector
from pii_scan.cli import main
from pii_scan.config import ConfigError, load
from pii_scan.datamap import DataMap, records_t
from pii_scan.engine import scan
from pii_scan.policy import parse_duration
from reports import retention
from tests.reports import _golden as golden

KEY = "5eed" * 16
NOW = "2026-11-26T00:00:00"

# fictional data only: Skatteverket test numbers, PTS fiction numbers, example domains, a test card
PNR_A = "19640823-3234"
PNR_B = "19811228-9874"
PNR_C = "680164-2395"
PHONE = "070-174 06 05"
CARD = "4242 4242 4242 4242"
EMAILS = ["anna.test@example.se", "bo.test@example.se", "cilla.test@example.se", "dan.test@example.se",
          "eva.test@example.se", "fia.test@example.se", "gun.test@example.se", "hans.test@example.se",
          "ida.test@example.se", "jan.test@example.se", "kim.test@example.se", "lo.test@example.se"]
PLAINTEXT = [PNR_A, PNR_B, PNR_C, "196408233234", "6408233234", "198112289874", "0701740605", "4242424242424242",
             CARD, *EMAILS]

CRM = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, personnummer TEXT, email TEXT,
                        created_at TEXT, updated_at TEXT);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, email TEXT, fakturadatum DATE, due_date DATE);
CREATE TABLE staff (id INTEGER PRIMARY KEY, personnummer TEXT, email TEXT, anstalld TEXT, slutat TEXT,
                    note_date TEXT);
CREATE TABLE leads (id INTEGER PRIMARY KEY, email TEXT, phone TEXT);
"""
CUSTOMERS = [
    # the most recent recognised date counts: 1 over, 2 within (updated lately), 3 over (no update),
    # 4 within (an update that is not a date is ignored)
    (1, "Anna Test", PNR_A, EMAILS[0], "2018-01-05 09:00:00", "2019-03-01 12:00:00"),
    (2, "Bo Test", PNR_B, EMAILS[1], "2018-02-01 10:00:00", "2025-10-01 08:30:00"),
    (3, "Cilla Test", PNR_C, EMAILS[2], "2020-06-15 10:30:00", None),
    (4, "Dan Test", None, EMAILS[3], "2024-01-01 00:00:00", "okänt"),
]
INVOICES = [(1, EMAILS[0], "2017-05-01", "2030-01-01"), (2, EMAILS[1], "2021-03-01", "2031-01-01")]
STAFF = [  # date_columns = ["slutat", "anstalld"] for this table: note_date is not a row date here
    (1, PNR_B, EMAILS[4], "2010-01-01", "2020-12-31", "2026-01-01"),
    (2, PNR_C, EMAILS[5], "2025-08-01", None, "2016-01-01"),
]
LEADS = [(1, EMAILS[6], PHONE), (2, EMAILS[7], None)]

CONFIG = """
[datamap]
url = "sqlite:///datamap.sqlite"

[[sources]]
name = "crm"
type = "sql"
url = "sqlite:///crm.sqlite"
purpose = "Kundregister"
legal_basis = "contract"
retention = "3y"
retention_basis = "avtalet + 3 år"

[sources.containers."main.invoices"]
legal_basis = "legal obligation"
retention = "7y"
retention_basis = "bokföringslagen (1999:1078) 7 kap. 2 §"

[sources.containers."main.staff"]
date_columns = ["slutat", "anstalld"]
retention = "2y"
retention_basis = "anställningen + 2 år"

[[sources]]
name = "share"
type = "files"
path = "share"
retention = "2y"

[sources.containers."skannat/*-3234*"]
retention = "6m"
retention_basis = "intyg: 6 månader"

[[sources]]
name = "archive"
type = "mail"
path = "mail"
retention = "1y"
retention_basis = "supportärenden: 1 år"

[[sources]]
name = "scratch"
type = "files"
path = "scratch"

[[retention]]
kind = "payment_card"
keep = "13m"
basis = "PCI DSS"
"""

MBOX = """From anna.test@example.se Mon Mar  5 09:00:00 2018
From: Anna Test <anna.test@example.se>
To: support@example.com
Subject: Adress
Date: Mon, 5 Mar 2018 10:00:00 +0100
Message-ID: <r1@example.com>

Ring mig på 070-174 06 05.

From bo.test@example.se Tue Nov 10 08:00:00 2026
From: Bo Test <bo.test@example.se>
To: support@example.com
Subject: Faktura
Date: Tue, 10 Nov 2026 09:00:00 +0100
Message-ID: <r2@example.com>

Hej, gäller min faktura.

"""


def _stamp(path: Path, when: str) -> None:
    t = datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp()
    os.utime(path, (t, t))


def build_estate(root: Path) -> Path:
    """Write the CRM, the share, the mailbox and the config under ``root``; returns the config path."""
    con = sqlite3.connect(root / "crm.sqlite")
    con.executescript(CRM)
    con.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?)", CUSTOMERS)
    con.executemany("INSERT INTO invoices VALUES (?,?,?,?)", INVOICES)
    con.executemany("INSERT INTO staff VALUES (?,?,?,?,?,?)", STAFF)
    con.executemany("INSERT INTO leads VALUES (?,?,?)", LEADS)
    con.commit()
    con.close()
    share = root / "share"
    (share / "skannat").mkdir(parents=True)
    files = {
        "kunder_2019.csv": (f"personnummer;epost\n{PNR_A};{EMAILS[0]}\n{PNR_B};{EMAILS[1]}\n", "2019-05-01T12:00:00"),
        "aktuell.txt": (f"Kontakt: {EMAILS[8]}\n", "2026-10-01T12:00:00"),
        # a card (13 months) next to an e-mail (2 years): the card decides
        "betalningar.jsonl": (json.dumps({"email": EMAILS[9], "card": CARD}) + "\n", "2025-09-01T12:00:00"),
        # the name holds a personnummer: only the true name matches the 6-month pattern
        f"skannat/{PNR_A} intyg.txt": ("Intyg om anställning.\n", "2026-01-15T12:00:00"),
    }
    for rel, (text, when) in files.items():
        (share / rel).write_text(text, "utf-8")
        _stamp(share / rel, when)
    (root / "mail").mkdir()
    (root / "mail" / "support.mbox").write_text(MBOX, "utf-8")
    (root / "scratch").mkdir()
    (root / "scratch" / "notes.txt").write_text(f"{EMAILS[10]}, {EMAILS[11]}\n", "utf-8")
    _stamp(root / "scratch" / "notes.txt", "2015-01-01T12:00:00")
    cfg = root / "pii-scan.toml"
    cfg.write_text(CONFIG, "utf-8")
    return cfg


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PII_SCAN_KEY", KEY)
    return KEY


@pytest.fixture
def estate(tmp_path: Path, key: str) -> Path:
    cfg_path = build_estate(tmp_path)
    summary = scan(load(cfg_path), scheduler="sync", full=True, progress=False)
    assert summary.exit_code == 0, summary
    return cfg_path


def _dates(url: str) -> dict[tuple[str, str, str], datetime | None]:
    dm = DataMap(url)
    try:
        with dm.engine.connect() as c:
            q = sa.select(records_t.c.source, records_t.c.container, records_t.c.item, records_t.c.record_date)
            return {(s, c_, i): d for s, c_, i, d in c.execute(q)}
    finally:
        dm.close()


def _cli(*args: str) -> str:
    res = CliRunner().invoke(main, ["report", "retention", *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def _no_plaintext(text: str) -> None:
    for value in PLAINTEXT:
        assert value not in text, "a plaintext identifier in the report"


# --------------------------------------------------------------------------- record dates per store


def test_record_dates_in_the_map(estate: Path) -> None:
    d = _dates(load(estate).datamap_url)
    crm = {(c, i): v for (s, c, i), v in d.items() if s == "crm"}
    # recognised TEXT columns on SQLite, the most recent non-null date
    assert crm[("main.customers", "id=1")] == datetime(2019, 3, 1, 12, 0)
    assert crm[("main.customers", "id=2")] == datetime(2025, 10, 1, 8, 30)
    assert crm[("main.customers", "id=3")] == datetime(2020, 6, 15, 10, 30)
    assert crm[("main.customers", "id=4")] == datetime(2024, 1, 1)  # "okänt" is not a date
    # fakturadatum is recognised, due_date is not a row date
    assert crm[("main.invoices", "id=1")] == datetime(2017, 5, 1)
    # configured per container: slutat/anstalld, not the recognised note_date
    assert crm[("main.staff", "id=1")] == datetime(2020, 12, 31)
    assert crm[("main.staff", "id=2")] == datetime(2025, 8, 1)
    assert crm[("main.leads", "id=1")] is None
    # files: the mtime; mail: the Date header in UTC
    share = {c: v for (s, c, _i), v in d.items() if s == "share"}
    assert share["kunder_2019.csv"] == datetime(2019, 5, 1, 12, 0)
    assert share["betalningar.jsonl"] == datetime(2025, 9, 1, 12, 0)
    mail = {i: v for (s, _c, i), v in d.items() if s == "archive"}
    assert mail["r1@example.com"] == datetime(2018, 3, 5, 9, 0)
    assert mail["r2@example.com"] == datetime(2026, 11, 10, 8, 0)


def test_sql_ref_date_is_when_written_record_date_the_latest(tmp_path: Path) -> None:
    """ref_date (the century of 10-digit personnummer) stays the creation date; record_date is the latest."""
    db = tmp_path / "crm.sqlite"
    con = sqlite3.connect(db)
    con.executescript(CRM)
    con.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?)", CUSTOMERS)
    con.commit()
    con.close()
    conn = SqlConnector("crm", {"url": f"sqlite:///{db}", "include": ["customers"]})
    try:
        (unit,) = list(conn.units())
        assert unit.param("date_columns") == ("created_at", "updated_at")
        recs = {r.location.item: r for r in conn.read(unit)}
    finally:
        conn.close()
    assert recs["id=2"].record_date == datetime(2025, 10, 1, 8, 30)
    assert recs["id=2"].ref_date == datetime(2018, 2, 1).date()
    # a source-wide date_column (one name) is accepted too, and changes the fingerprint
    conn2 = SqlConnector("crm", {"url": f"sqlite:///{db}", "include": ["customers"], "date_column": "created_at"})
    try:
        (unit2,) = list(conn2.units())
        assert unit2.param("date_columns") == ("created_at",)
        assert unit2.fingerprint != unit.fingerprint
        assert {r.location.item: r.record_date for r in conn2.read(unit2)}["id=2"] == datetime(2018, 2, 1, 10, 0)
    finally:
        conn2.close()
    # a per-table date_columns that is not a name or a list of names is a clear error
    bad = SqlConnector("crm", {"url": f"sqlite:///{db}", "containers": {"main.*": {"date_columns": 7}}})
    try:
        with pytest.raises(ConnectorConfigError, match="date_columns must be a column name or a list of names"):
            list(bad.units())
    finally:
        bad.close()


# --------------------------------------------------------------------------- golden reports


@pytest.mark.parametrize("fmt,ext", [("text", "txt"), ("json", "json"), ("csv", "csv")])
def test_golden(estate: Path, fmt: str, ext: str) -> None:
    out = _cli("--config", str(estate), "--format", fmt, "--now", NOW, "--limit-per-group", "2")
    _no_plaintext(out)
    golden.check(f"retention/estate.{ext}", out)


def test_report_content(estate: Path, tmp_path: Path) -> None:
    """What the golden files hold, asserted by meaning."""
    path = tmp_path / "r.json"
    _cli("--config", str(estate), "--format", "json", "--now", NOW, "--output", str(path))
    rep = json.loads(path.read_text("utf-8"))
    assert rep["summary"] == {
        "records": 18, "over_retention": 9, "within_retention": 6, "no_retention_set": 1, "no_date_known": 2,
        "containers_over_retention": 7,
    }
    groups = {(g["source"], g["container"]): g for g in rep["groups"]}
    cust = groups[("crm", "main.customers")]
    assert [loc["item"] for loc in cust["locations"]] == ["id=1", "id=3"]  # oldest first
    assert cust["over_retention"] == 2 and cust["records"] == 4
    assert cust["oldest"] == "2019-03-01T12:00:00" and cust["newest"] == "2020-06-15T10:30:00"
    assert cust["retention"] == [{"retention": "3y", "days": 1095.75, "basis": "avtalet + 3 år",
                                  "legal_basis": "contract", "records": 2}]
    assert cust["kinds"] == ["email", "personnummer"]
    loc = cust["locations"][0]
    assert {k: loc[k] for k in ("store", "container", "item", "field")} == {
        "store": "sql", "container": "main.customers", "item": "id=1", "field": "email,personnummer"}
    assert loc["due"] == "2022-03-01" and loc["overdue_days"] > 1000
    inv = groups[("crm", "main.invoices")]
    assert inv["retention"][0]["retention"] == "7y" and inv["retention"][0]["legal_basis"] == "legal obligation"
    assert [x["item"] for x in inv["locations"]] == ["id=1"]
    assert [x["item"] for x in groups[("crm", "main.staff")]["locations"]] == ["id=1"]
    # the card's 13 months decide for the JSON line, not the e-mail's 2 years
    pay = groups[("share", "betalningar.jsonl")]
    assert pay["retention"][0]["basis"] == "PCI DSS" and pay["kinds"] == ["email", "payment_card"]
    # a masked file name: the true name matched the 6-month pattern; the report shows the masked one
    (scanned,) = [g for (s, c), g in groups.items() if s == "share" and c.startswith("skannat/")]
    assert scanned["container"] == "skannat/19640823-**** intyg.txt"
    assert scanned["retention"][0]["retention"] == "6m"
    mail = groups[("archive", "support.mbox")]
    assert [x["item"] for x in mail["locations"]] == ["r1@example.com"]
    assert mail["oldest"] == "2018-03-05T09:00:00"
    gaps = {(g["reason"], g["source"], g["container"]): g["records"] for g in rep["gaps"]}
    assert gaps == {("no date known", "crm", "main.leads"): 2, ("no retention set", "scratch", "notes.txt"): 1}
    assert rep["notes"] == []
    counts = {s["source"]: s for s in rep["sources"]}
    assert counts["crm"]["over_retention"] == 4 and counts["crm"]["no_date_known"] == 2
    assert counts["scratch"]["no_retention_set"] == 1


def test_csv_lists_every_overdue_record(estate: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_cli("--config", str(estate), "--format", "csv", "--now", NOW))))
    assert len(rows) == 9
    assert tuple(rows[0]) == retention.CSV_COLUMNS
    first = rows[0]
    assert (first["source"], first["container"], first["item"]) == ("archive", "support.mbox", "r1@example.com")
    assert first["retention"] == "1y" and first["due"] == "2019-03-05"


def test_limit_per_group_and_reference_time(estate: Path) -> None:
    text = _cli("--config", str(estate), "--now", NOW, "--limit-per-group", "1")
    assert "... and 1 more (--limit-per-group" in text
    assert "  over retention                  9   in 7 container(s)" in text
    # ten years earlier nothing is over retention yet (records younger than "now" count as within)
    early = json.loads(_cli("--config", str(estate), "--format", "json", "--now", "2016-01-01"))
    assert early["summary"]["over_retention"] == 0 and early["groups"] == []
    # an aware reference time is converted to UTC
    assert retention.parse_now("2026-11-26T01:00:00+01:00") == datetime(2026, 11, 26)


def test_without_the_key_patterns_see_masked_names(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY")
    rep = json.loads(_cli("--config", str(estate), "--format", "json", "--now", NOW))
    assert not any(g["container"].startswith("skannat/") for g in rep["groups"])  # 2y from the source: within
    assert rep["notes"] and "masked names" in rep["notes"][0]
    assert not (estate.parent / "pii-scan.key").exists()  # the report never creates a key


def test_no_retention_anywhere(estate: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.toml"
    bare.write_text(
        f'[datamap]\nurl = "sqlite:///{estate.parent}/datamap.sqlite"\n\n'
        + "".join(f'[[sources]]\nname = "{n}"\ntype = "{t}"\npath = "/nonexistent"\n\n'
                  for n, t in (("share", "files"), ("archive", "mail"), ("scratch", "files")))
        + '[[sources]]\nname = "crm"\ntype = "sql"\nurl = "sqlite:///x.sqlite"\n',
        "utf-8",
    )
    rep = json.loads(_cli("--config", str(bare), "--format", "json", "--now", NOW))
    assert rep["summary"]["no_retention_set"] == 18 and rep["summary"]["over_retention"] == 0
    assert rep["groups"] == []
    assert _cli("--config", str(bare), "--format", "csv", "--now", NOW).splitlines() == [",".join(retention.CSV_COLUMNS)]


def test_errors_are_clean(estate: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["report", "retention", "--config", str(estate), "--now", "next tuesday"])
    assert res.exit_code != 0 and "--now: not an ISO date" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "c.toml").write_text('[datamap]\nurl = "sqlite:///nomap.sqlite"\n', "utf-8")
    res = CliRunner().invoke(main, ["report", "retention", "--config", str(empty / "c.toml")])
    assert res.exit_code != 0 and "no data map" in res.output and not (empty / "nomap.sqlite").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace('retention = "3y"', 'retention = "three years"'), "utf-8")
    with pytest.raises(ConfigError, match="cannot read the duration"):
        retention.run(load(bad), fmt="text", output=None)


def test_gap_containers_past_the_cap_are_counted_not_listed(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "GAP_CONTAINERS_MAX", 0)
    rep = json.loads(_cli("--config", str(estate), "--format", "json", "--now", NOW))
    assert rep["gaps"] == [
        {"reason": "no date known", "source": "crm", "store": "sql", "container": None, "records": 2},
        {"reason": "no retention set", "source": "scratch", "store": "files", "container": None, "records": 1},
    ]
    text = _cli("--config", str(estate), "--now", NOW)
    assert "  crm (sql): 2 records in 0 containers and more\n" in text
    assert "... and 2 records in containers past the first 0 (counted, not listed)" in text


def test_unwritable_output_is_a_clean_error(estate: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["report", "retention", "--config", str(estate), "-o", str(tmp_path / "no" / "r.txt")])
    assert res.exit_code == 1 and "cannot write" in res.output and "Traceback" not in res.output


def test_help_names_the_options() -> None:
    res = CliRunner().invoke(main, ["report", "retention", "--help"])
    assert res.exit_code == 0
    for opt in ("--now", "--limit-per-group", "--format", "--output"):
        assert opt in res.output


@pytest.mark.parametrize("server", ["pg_url", "mariadb_url"])
def test_same_report_with_the_map_on_a_server(server: str, tmp_path: Path, key: str,
                                              request: pytest.FixtureRequest) -> None:
    """The golden estate scanned into a PostgreSQL or MariaDB data map gives the golden report
    (byte order of names, kinds aggregated by each server's own function)."""
    url = request.getfixturevalue(server)
    cfg_path = build_estate(tmp_path)
    cfg_path.write_text(CONFIG.replace('url = "sqlite:///datamap.sqlite"', f'url = "{url}"'), "utf-8")
    assert scan(load(cfg_path), scheduler="sync", full=True, progress=False).exit_code == 0
    for fmt, ext in (("json", "json"), ("text", "txt")):
        out = _cli("--config", str(cfg_path), "--format", fmt, "--now", NOW, "--limit-per-group", "2")
        golden.check(f"retention/estate.{ext}", out)


# --------------------------------------------------------------------------- PostgreSQL


PG_TABLES = """
CREATE TABLE kunder (id integer PRIMARY KEY, personnummer text, epost text,
                     registrerad timestamptz NOT NULL, andrad timestamp, fodelsedatum date, kommentar_datum text);
CREATE TABLE avtal (nr integer PRIMARY KEY, epost text, tecknat date, avslutat date, senast_kontakt timestamp);
"""


def test_postgresql_dates_and_report_with_the_map_in_postgresql(pg_url: str, tmp_path: Path, key: str) -> None:
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        for stmt in PG_TABLES.strip().split(";"):
            if stmt.strip():
                c.execute(sa.text(stmt))
        c.execute(sa.text(
            "INSERT INTO kunder VALUES "
            f"(1, '{PNR_A}', '{EMAILS[0]}', '2019-01-01 10:00:00+01', '2020-02-02 12:00:00', '1964-08-23', '2026-01-01'),"
            f"(2, '{PNR_B}', '{EMAILS[1]}', '2019-01-01 10:00:00+01', '2026-05-05 12:00:00', '1981-12-28', NULL),"
            f"(3, NULL, '{EMAILS[2]}', '2018-06-01 00:00:00+00', NULL, NULL, NULL)"
        ))
        c.execute(sa.text(
            "INSERT INTO avtal VALUES "
            f"(10, '{EMAILS[3]}', '2015-01-01', '2017-01-01', '2024-12-01 00:00:00'),"
            f"(11, '{EMAILS[4]}', '2015-01-01', NULL, NULL)"
        ))
    eng.dispose()
    cfg_path = tmp_path / "pg.toml"
    cfg_path.write_text(
        f'[datamap]\nurl = "{pg_url}"\n\n'
        f'[[sources]]\nname = "erp"\ntype = "sql"\nurl = "{pg_url}"\ninclude = ["kunder", "avtal"]\n'
        'retention = "3y"\nretention_basis = "avtal + 3 år"\n\n'
        '[sources.containers."public.avtal"]\ndate_columns = ["avslutat", "tecknat"]\n',
        "utf-8",
    )
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", full=True, progress=False).exit_code == 0
    d = {(c, i): v for (_s, c, i), v in _dates(pg_url).items()}
    # recognised: registrerad (timestamptz, to naive UTC) and andrad; not fodelsedatum, not a text column
    assert d[("public.kunder", "id=1")] == datetime(2020, 2, 2, 12, 0)
    assert d[("public.kunder", "id=2")] == datetime(2026, 5, 5, 12, 0)
    assert d[("public.kunder", "id=3")] == datetime(2018, 6, 1, 0, 0)
    # configured for this table: avslutat/tecknat, not the recognised senast_kontakt
    assert d[("public.avtal", "nr=10")] == datetime(2017, 1, 1)
    assert d[("public.avtal", "nr=11")] == datetime(2015, 1, 1)
    rep = json.loads(_cli("--config", str(cfg_path), "--format", "json", "--now", NOW))
    groups = {g["container"]: [x["item"] for x in g["locations"]] for g in rep["groups"]}
    assert groups == {"public.avtal": ["nr=11", "nr=10"], "public.kunder": ["id=3", "id=1"]}
    assert rep["summary"]["over_retention"] == 4 and rep["summary"]["within_retention"] == 1
    assert [g["container"] for g in rep["groups"]] == ["public.avtal", "public.kunder"]
    _no_plaintext(json.dumps(rep))


# --------------------------------------------------------------------------- S3


def test_s3_last_modified_flows_into_the_report(moto_s3: str, tmp_path: Path, key: str) -> None:
    import boto3

    region = os.environ["AWS_DEFAULT_REGION"]
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name=region)
    s3.create_bucket(Bucket="exporter", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket="exporter", Key="crm/kunder.csv", Body=f"epost\n{EMAILS[0]}\n{EMAILS[1]}\n".encode())
    modified = s3.head_object(Bucket="exporter", Key="crm/kunder.csv")["LastModified"].astimezone(UTC).replace(tzinfo=None)
    cfg_path = tmp_path / "s3.toml"
    cfg_path.write_text(
        '[datamap]\nurl = "sqlite:///map.sqlite"\n\n'
        f'[[sources]]\nname = "lake"\ntype = "s3"\nendpoint_url = "{moto_s3}"\n'
        f'region = "{region}"\nbuckets = ["exporter"]\nretention = "30d"\n'
        'retention_basis = "exporter: 30 dagar"\n',
        "utf-8",
    )
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", full=True, progress=False).exit_code == 0
    dates = {(c, i): v for (_s, c, i), v in _dates(cfg.datamap_url).items()}
    assert dates == {("exporter/crm/kunder.csv", "2"): modified, ("exporter/crm/kunder.csv", "3"): modified}
    later = (modified + timedelta(days=31)).isoformat()
    rep = json.loads(_cli("--config", str(cfg_path), "--format", "json", "--now", later))
    (g,) = rep["groups"]
    assert (g["store"], g["container"], g["over_retention"]) == ("s3", "exporter/crm/kunder.csv", 2)
    assert g["oldest"] == modified.isoformat() and g["retention"][0]["basis"] == "exporter: 30 dagar"
    sooner = (modified + timedelta(days=29)).isoformat()
    assert json.loads(_cli("--config", str(cfg_path), "--format", "json", "--now", sooner))["groups"] == []


# --------------------------------------------------------------------------- the demo estate


def test_demo_estate_end_to_end(tmp_path: Path, key: str) -> None:
    """On the generated estate the report agrees with a direct count over the map."""
    from pii_scan import estate as est

    est.build_estate(tmp_path, customers=12, employees=5, suppliers=2)
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(cfg_path.read_text("utf-8") + 'retention = "1y"\n', "utf-8")  # the share: 1 year
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", full=True, progress=False).exit_code == 0
    rep = json.loads(_cli("--config", str(cfg_path), "--format", "json", "--now", NOW))
    dates = _dates(cfg.datamap_url)
    now = datetime.fromisoformat(NOW)
    one_year = parse_duration("1y")
    assert one_year is not None
    expected_over = sum(1 for (s, _c, _i), d in dates.items() if s == "share" and d and now - d > one_year)
    share = {s["source"]: s for s in rep["sources"]}["share"]
    assert share["over_retention"] == expected_over > 0
    crm = {s["source"]: s for s in rep["sources"]}["crm"]
    assert crm["no_retention_set"] == crm["records"] > 0  # the CRM has no retention in this config
    # the CRM's customers table has dates now (created_at TEXT on SQLite)
    assert all(d is not None for (s, c, _i), d in dates.items() if c == "main.customers")
    _no_plaintext(json.dumps(rep))
