"""No plaintext identifier (nor an unsalted hash of one) in anything pii-scan writes.

Known fictional identifiers are planted in every store (SQLite and PostgreSQL
tables, including a table and a column named after one and a primary key that
is one; files, including file and folder names; S3 objects and keys; an
mbox with an attachment named after one) and in every written form. A full
scan runs into a SQLite data map and into a PostgreSQL data map, with every
library logging at DEBUG; then export (without ``--reveal``), lookup and the
reports other than the access report run against both maps. The SQLite file,
a ``pg_dump`` of the PostgreSQL map, every output, log line and HTML page are
searched for every planted value in every form and for their unsalted
MD5/SHA-1/SHA-256 digests. Credentials (passwords in URLs) must not appear
either.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.conftest import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY
from tests.hostile.runner import KEY_HEX, Run, run_cli
from tests.security import plant

PG_PASSWORD = "Hemligt-PW-4711"  # trust authentication on the test server ignores it
MAP_PASSWORD = "Kartan-PW-0815"
MARIADB_PASSWORD = "Fel-Losen-9931"  # wrong on purpose: the source fails, its reason must not show it
SECRETS = (PG_PASSWORD, MAP_PASSWORD, MARIADB_PASSWORD, MOTO_SECRET_KEY, KEY_HEX)


@dataclass
class World:
    root: Path
    configs: dict[str, Path]  # "sqlite" / "pg" -> config path
    pg_admin: str  # URL of the test database (for pg_dump and setup)
    pg_db: str
    scans: dict[str, Run] = field(default_factory=dict)
    map_file: Path | None = None


def _with_password(url: str, password: str) -> str:
    u = sa.engine.make_url(url).set(password=password)
    return u.render_as_string(hide_password=False)


def _config(w: Path, map_url: str, pg_source: str, mariadb_source: str, s3_endpoint: str) -> str:
    import json

    def q(v: str) -> str:
        return json.dumps(v)

    return f"""
[datamap]
url = {q(map_url)}

[[sources]]
name = "crm_sqlite"
type = "sql"
url = {q("sqlite:///" + str(w / "crm.sqlite"))}

[[sources]]
name = "crm_pg"
type = "sql"
url = {q(pg_source)}
schemas = ["public"]

[[sources]]
name = "erp_mariadb"
type = "sql"
url = {q(mariadb_source)}

[[sources]]
name = "share"
type = "files"
path = {q(str(w / "share"))}

[[sources]]
name = "lake"
type = "s3"
endpoint_url = {q(s3_endpoint)}
region = {q(MOTO_REGION)}
buckets = ["hr-exports"]

[[sources]]
name = "mail"
type = "mail"
path = {q(str(w / "mail"))}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg_server_url: str, mariadb_server_url: str, moto_server: str) -> Iterator[World]:
    import boto3

    root = tmp_path_factory.mktemp("security")
    stores = root / "stores"
    stores.mkdir()
    plant.make_sqlite(stores / "crm.sqlite")
    plant.make_files(stores / "share")
    (stores / "mail").mkdir()
    (stores / "mail" / "inbox.mbox").write_bytes(plant.mbox_bytes())

    # PostgreSQL: one database holds the source tables (public) and the PostgreSQL data map (schema pii_map)
    db = "piisec_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{db}"')
    pg_db_url = pg_server_url.rsplit("/", 1)[0] + "/" + db
    eng = sa.create_engine(pg_db_url)
    with eng.begin() as c:
        for stmt in plant.sql_statements("postgresql"):
            c.exec_driver_sql(stmt)
        c.exec_driver_sql("CREATE SCHEMA pii_map")
    eng.dispose()

    # S3 (moto server)
    saved = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    env = {
        "AWS_ACCESS_KEY_ID": MOTO_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": MOTO_SECRET_KEY, "AWS_DEFAULT_REGION": MOTO_REGION,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
    }
    for k in saved:
        del os.environ[k]
    os.environ.update(env)
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name=MOTO_REGION)
    s3.create_bucket(Bucket="hr-exports", CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    for key, body in plant.s3_objects().items():
        s3.put_object(Bucket="hr-exports", Key=key, Body=body)

    pg_source = _with_password(pg_db_url, PG_PASSWORD)
    mariadb_source = _with_password(mariadb_server_url, MARIADB_PASSWORD)
    map_pg = _with_password(pg_db_url, MAP_PASSWORD) + "?options=-csearch_path%3Dpii_map"
    configs = {}
    for name, map_url in (("sqlite", "sqlite:///" + str(root / "map.sqlite")), ("pg", map_pg)):
        cfg = root / f"pii-scan-{name}.toml"
        cfg.write_text(_config(stores, map_url, pg_source, mariadb_source, moto_server), "utf-8")
        configs[name] = cfg
    w = World(root, configs, pg_db_url, db, map_file=root / "map.sqlite")
    for name, cfg in configs.items():
        w.scans[name] = run_cli(
            ["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"],
            cwd=root / f"cwd-{name}", tmpdir=root / f"tmp-{name}", env=env, debug=True, timeout=180,
        )
    try:
        yield w
    finally:
        for k in env:
            os.environ.pop(k, None)
        os.environ.update(saved)
        with admin.connect() as c:
            c.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()")
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}"')
        admin.dispose()


def _assert_clean(data: bytes | str, where: str, binary: bool = False) -> None:
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    found = plant.leaks(raw, where, binary=binary)
    found += [f"{where}: a credential or the key" for s in SECRETS if s.encode().lower() in raw.lower()]
    assert found == [], "\n".join(found[:40])


@pytest.mark.parametrize("mapname", ["sqlite", "pg"])
def test_scan_finds_everything_and_logs_nothing(world: World, mapname: str) -> None:
    run = world.scans[mapname]
    assert run.exit_code == 3, run.stdout + run.stderr[-3000:]  # the MariaDB source fails (wrong password)
    assert "erp_mariadb" in run.stdout and "failed" in run.stdout
    assert "DEBUG" in run.stderr  # the libraries did log at DEBUG
    _assert_clean(run.stdout, f"scan stdout ({mapname} map)")
    _assert_clean(run.stderr, f"scan stderr/logs ({mapname} map)")
    for d in (world.root / f"tmp-{mapname}", world.root / f"cwd-{mapname}"):
        assert list(d.iterdir()) == []


def test_every_planted_value_was_found(world: World) -> None:
    """The scan found each identifier in each store: a clean map is clean because of masking, not blindness."""
    from pii_scan.keys import Keys

    keys = Keys(bytes.fromhex(KEY_HEX))
    eng = sa.create_engine(f"sqlite:///{world.map_file}")
    with eng.connect() as c:
        rows = set(c.exec_driver_sql("SELECT r.source, f.kind, f.value_hash FROM findings f JOIN records r ON r.rkey = f.rkey").all())
    eng.dispose()
    for source in ("crm_sqlite", "crm_pg", "share", "lake", "mail"):
        have = {(k, h) for s, k, h in rows if s == source}
        for ident in (plant.PNR, plant.SAMORD, plant.EMAIL, plant.PHONE, plant.IBAN, plant.CARD_ID):
            assert (ident.kind, keys.hash(ident.kind, ident.canonical)) in have, (source, ident.kind, ident.canonical)


def test_sqlite_data_map_file_holds_no_identifier(world: World) -> None:
    files = [p for p in world.root.iterdir() if p.name.startswith("map.sqlite")]
    assert files
    for p in files:  # the database, and its WAL / shared-memory files if any are left
        _assert_clean(p.read_bytes(), p.name, binary=True)


def test_postgresql_data_map_holds_no_identifier(world: World) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    u = sa.engine.make_url(world.pg_admin)
    dump = subprocess.run(
        ["pg_dump", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres",
         "-n", "pii_map", "--data-only", "--inserts", u.database],
        capture_output=True, timeout=60, check=True,
    ).stdout
    assert b"INSERT INTO pii_map.findings" in dump  # the map is there and not empty
    _assert_clean(dump, "pg_dump of the PostgreSQL data map")


# --- commands on the finished maps -------------------------------------------------------------------

COMMANDS = [
    ("export-jsonl", ["export", "--format", "jsonl"], "out.jsonl"),
    ("export-csv", ["export", "--format", "csv"], "out.csv"),
    ("export-parquet", ["export", "--format", "parquet"], "out.parquet"),
    ("lookup-pnr", ["lookup", "--personnummer", plant.PNR.forms[0]], None),
    ("lookup-pnr10-jsonl", ["lookup", "--personnummer", plant.PNR.forms[3], "--format", "jsonl"], None),
    ("lookup-email-json", ["lookup", "--email", plant.EMAIL.forms[0], "--format", "json"], None),
    ("lookup-phone", ["lookup", "--phone", plant.PHONE.forms[0]], None),
    ("report-datamap-html", ["report", "datamap", "--format", "html"], "map.html"),
    ("report-datamap-json", ["report", "datamap", "--format", "json"], "map.json"),
    ("report-datamap-csv", ["report", "datamap", "--format", "csv"], "map.csv"),
    ("report-datamap-parquet", ["report", "datamap", "--format", "parquet"], "map.parquet"),
    ("report-register-csv", ["report", "register", "--format", "csv"], "register.csv"),
    ("report-register-json", ["report", "register", "--format", "json"], "register.json"),
    ("report-register-xlsx", ["report", "register", "--format", "xlsx"], "register.xlsx"),
    ("report-retention-text", ["report", "retention", "--format", "text"], None),
    ("report-retention-json", ["report", "retention", "--format", "json"], "retention.json"),
    ("report-retention-csv", ["report", "retention", "--format", "csv"], "retention.csv"),
    ("erasure-plan-json", ["erasure-plan", "--personnummer", plant.PNR.forms[0], "--format", "json"], "plan.json"),
    ("erasure-plan-text", ["erasure-plan", "--email", plant.EMAIL.forms[0], "--format", "text"], None),
]


def _unpacked(path: Path) -> bytes:
    """A file's bytes, and for zip-based (xlsx) and Parquet files also their decoded content."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            data += b"".join(zf.read(n) for n in zf.namelist())
    elif data[:4] == b"PAR1":
        import pyarrow.parquet as pq

        data += str(pq.read_table(path).to_pylist()).encode()
    return data


@pytest.mark.parametrize("mapname", ["sqlite", "pg"])
@pytest.mark.parametrize(("name", "args", "outfile"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_command_output_holds_no_identifier(
    world: World, mapname: str, name: str, args: list[str], outfile: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", KEY_HEX)
    out = tmp_path / outfile if outfile else None
    argv = [*args, "--config", str(world.configs[mapname])] + (["--output", str(out)] if out else [])
    log = _LogCapture()
    root = logging.getLogger()
    old = root.level
    root.addHandler(log)
    root.setLevel(logging.DEBUG)
    try:
        res = CliRunner().invoke(__import__("pii_scan.cli", fromlist=["main"]).main, argv, catch_exceptions=True)
    finally:
        root.removeHandler(log)
        root.setLevel(old)
    text = res.stdout + res.stderr if hasattr(res, "stderr") else res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code in (0, 3), text[-2000:]
    _assert_clean(text, f"{name} output")
    _assert_clean("\n".join(log.lines), f"{name} logs")
    if out is not None:
        assert out.exists() and out.stat().st_size > 0, f"{name} wrote nothing"
        _assert_clean(_unpacked(out), f"{name} file", binary=True)
    if name.startswith("lookup"):
        assert "crm_pg" in text and "share" in text  # the lookup found the subject (masked)


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name} {record.getMessage()}")
        except Exception:  # noqa: BLE001
            self.lines.append(f"{record.name} {record.msg!r} {record.args!r}")


def test_the_search_sees_a_leak_when_there_is_one(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Positive control: ``export --reveal`` prints the values, and the search finds every kind in it."""
    from pii_scan.cli import main

    monkeypatch.setenv("PII_SCAN_KEY", KEY_HEX)
    res = CliRunner().invoke(main, ["export", "--format", "jsonl", "--reveal", "--config", str(world.configs["sqlite"])])
    assert res.exit_code == 0, res.output
    found = plant.leaks(res.output.encode(), "export --reveal")
    for ident in plant.IDENTIFIERS:
        assert any(repr(ident.canonical) in f for f in found), ident.canonical
