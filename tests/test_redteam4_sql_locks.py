"""Red team 4: a table locked by another session while the scan runs.

A migration (``ALTER TABLE``), ``VACUUM FULL`` or ``LOCK TABLES ... WRITE`` holds a
lock that a plain SELECT waits for: the scan waited as long as the lock was held
(forever on a stuck session), never reporting. With ``lock_timeout`` (seconds) the
unit fails with its reason, the rest of the database is scanned and the scan ends
partial (exit 3).
"""

from __future__ import annotations

import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from pii_scan.config import load
from pii_scan.engine import EXIT_PARTIAL, scan

HOLD_SECONDS = 25


def _hold(url: str, lock_sql: str, ready: threading.Event, release: threading.Event) -> None:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        if eng.dialect.name == "postgresql":
            c.exec_driver_sql("BEGIN")
        c.exec_driver_sql(lock_sql)
        ready.set()
        release.wait(HOLD_SECONDS)
        c.rollback()
        if eng.dialect.name != "postgresql":
            c.exec_driver_sql("UNLOCK TABLES")
    eng.dispose()


@pytest.mark.parametrize("which", ["pg", "mariadb"])
def test_a_locked_table_fails_its_unit_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       request: pytest.FixtureRequest, which: str) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    url = request.getfixturevalue("pg_url" if which == "pg" else "mariadb_url")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr VARCHAR(20))")
        c.exec_driver_sql("CREATE TABLE faktura (id INTEGER PRIMARY KEY, epost VARCHAR(80))")
        c.exec_driver_sql("INSERT INTO kund VALUES (1, '19550504-8388')")
        c.exec_driver_sql("INSERT INTO faktura VALUES (1, 'anna@example.se')")
    eng.dispose()
    (tmp_path / "pii-scan.toml").write_text(textwrap.dedent(f"""
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [scan]
        retries = 1
        retry_backoff = 0.1
        [[sources]]
        name = "crm"
        type = "sql"
        url = "{url}"
        lock_timeout = 1
        """))
    lock = "LOCK TABLE faktura IN ACCESS EXCLUSIVE MODE" if which == "pg" else "LOCK TABLES faktura WRITE"
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(url, lock, ready, release), daemon=True)
    holder.start()
    try:
        assert ready.wait(10)
        t0 = time.monotonic()
        s = scan(load(tmp_path / "pii-scan.toml"), scheduler="sync", progress=False)
        took = time.monotonic() - t0
    finally:
        release.set()
        holder.join(30)
    assert took < HOLD_SECONDS - 5, took  # did not wait for the lock to go
    assert s.exit_code == EXIT_PARTIAL, s
    assert [f["unit"].split(".")[-1] for f in s.failures] == ["faktura"], s.failures
    assert "lock" in s.failures[0]["reason"], s.failures
    assert s.units_total - s.units_failed == 1  # kund was read
