"""PostgreSQL dumps in a share or a bucket: each COPY row is a record with its column names.

A backup (``pg_dump -Fc`` or plain SQL) is a whole customer register; read as
text its rows had no column names (no hints) and no link between one
customer's values; the custom form was binary and skipped. Made here from a
real PostgreSQL with pg_dump. Fictional data (Skatteverket test numbers).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.base import Location
from connectors.formats import read_stream
from tests.conftest import need_service
from tests.connectors.fileutil import EMAIL, PNR, PNR2, NonSeekable
from tests.connectors.test_files import conn as files_conn
from tests.connectors.test_files import read_all as files_read_all


@pytest.fixture
def dumps(pg_url: str, tmp_path: Path) -> tuple[bytes, bytes]:
    if shutil.which("pg_dump") is None:
        need_service("pg_dump", "Debian: postgresql-client")
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text('CREATE TABLE kunder (id int PRIMARY KEY, namn text, personnummer text, epost text, "anteckning" text)'))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, 'Anna Andersson', :p, :e, 'ring\tgärna\nefter 17')"), {"p": PNR, "e": EMAIL})
        c.execute(sa.text("INSERT INTO kunder VALUES (2, 'Bo Berg', :p, NULL, NULL)"), {"p": PNR2})
        c.execute(sa.text('CREATE SCHEMA "ekonomi"; CREATE TABLE ekonomi."Fakturor" (nr int, kund int, belopp numeric)'))
        c.execute(sa.text('INSERT INTO ekonomi."Fakturor" VALUES (1001, 1, 99.50)'))
    eng.dispose()
    url = sa.engine.make_url(pg_url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres", url.database]
    custom = subprocess.run(["pg_dump", "-Fc", *args], capture_output=True, check=True, timeout=120).stdout
    plain = subprocess.run(["pg_dump", *args], capture_output=True, check=True, timeout=120).stdout
    return custom, plain


def _rows(data: bytes, name: str, seekable: bool = True) -> dict[tuple[str, str], dict[str, str]]:
    body = io.BytesIO(data) if seekable else NonSeekable(data)
    recs = read_stream(body, name, container=name, loc_factory=lambda c, i: Location("files", "share", c, i))
    return {(r.location.container, r.location.item): dict(r.fields) for r in recs if r.structured}


@pytest.mark.parametrize("form", ["custom", "plain"])
def test_a_dumps_rows_are_records_with_column_names(dumps: tuple[bytes, bytes], form: str) -> None:
    if form == "custom" and shutil.which("pg_restore") is None:
        need_service("pg_restore", "Debian: postgresql-client")
    data = dumps[0] if form == "custom" else dumps[1]
    rows = _rows(data, "backup/crm.dump", seekable=form == "plain")
    kunder = [v for (c, _), v in rows.items() if c == "backup/crm.dump!public.kunder"]
    assert {"id": "1", "namn": "Anna Andersson", "personnummer": PNR, "epost": EMAIL,
            "anteckning": "ring\tgärna\nefter 17"} in kunder
    assert {"id": "2", "namn": "Bo Berg", "personnummer": PNR2} in kunder  # NULLs are no values
    assert [v for (c, _), v in rows.items() if c == "backup/crm.dump!ekonomi.Fakturor"] == [
        {"nr": "1001", "kund": "1", "belopp": "99.50"}]


def test_a_share_scan_links_a_dumped_customer(dumps: tuple[bytes, bytes], tmp_path: Path) -> None:
    from detectors import Scanner

    share = tmp_path / "share"
    share.mkdir()
    (share / "crm.sql").write_bytes(dumps[1])
    recs, errors = files_read_all(files_conn(share))
    assert errors == {}
    row = next(r for r in recs if r.location.container == "crm.sql!public.kunder" and dict(r.fields).get("id") == "1")
    found = {(m.kind, f) for f, t in row.fields for m in Scanner().find(t, hint=f)}
    assert ("personnummer", "personnummer") in found and ("email", "epost") in found


def test_without_pg_restore_the_custom_dump_is_reported(dumps: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.formats.sqldump as sqldump
    from connectors.base import ConnectorError

    monkeypatch.setattr(sqldump.shutil, "which", lambda name: None)
    with pytest.raises(ConnectorError, match="custom-format dump, not read: pg_restore is not installed"):
        _rows(dumps[0], "crm.dump")


def test_the_erasure_plan_calls_it_a_dump(dumps: tuple[bytes, bytes], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pii_scan.cli import main

    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    share = tmp_path / "share"
    share.mkdir()
    (share / "crm.sql").write_bytes(dumps[1])
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "sqlite:///{tmp_path / "map.sqlite"}"\n'
                   f'[[sources]]\nname = "share"\ntype = "files"\npath = "{share}"\n', "utf-8")
    run = CliRunner().invoke(main, ["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(main, ["erasure-plan", "--config", str(cfg), "--personnummer", PNR, "--format", "text"])
    assert run.exit_code == 0, run.output
    assert "in a PostgreSQL dump (crm.sql), a backup" in run.output and "inside an archive" not in run.output, run.output
