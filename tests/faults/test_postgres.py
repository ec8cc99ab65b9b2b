"""PostgreSQL: the scanner's backend terminated (``pg_terminate_backend``) in the middle of a table.

The server is shared, so only this test's backends are terminated: the source
URL sets a distinctive ``application_name`` and only backends with that name
are killed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from connectors import sql
from connectors.sql import SqlConnector
from tests.faults.conftest import Estate, Fault, assert_accounted, assert_same_map, create_customers, fault_after, map_dump, run

ROWS = 800
CHUNK = 500  # customers in two key-range units, each read in several server-side cursor batches
BATCH = 200  # rows per cursor batch (FETCH_ROWS): a fault after AFTER rows leaves batches unread
AFTER = 150


def terminator(admin: sa.Engine, app: str, killed: list[int]) -> Callable[[], None]:
    """A fault: terminate every backend whose application_name is ``app`` (this test's only)."""

    def terminate() -> None:
        with admin.connect() as c:
            pids = [r[0] for r in c.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :a AND pid <> pg_backend_pid()"), {"a": app})]
            for pid in pids:
                if c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar():
                    killed.append(pid)
        assert killed, "no backend of the scan to terminate"

    return terminate


def test_backend_terminated_mid_table(estate: Estate, pg_url: str, monkeypatch: pytest.MonkeyPatch,
                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(sql, "FETCH_ROWS", BATCH)
    create_customers(pg_url, ROWS)
    app = "pii-scan-fault-" + uuid.uuid4().hex[:8]
    estate.sources = [{"name": "crm", "type": "sql", "url": f"{pg_url}?application_name={app}", "chunk_rows": CHUNK}]
    reference = run(estate.config("reference"))
    assert reference.exit_code == 0 and reference.units_total == 3  # customers in two key ranges, orders
    want = map_dump(estate.map_url("reference"), estate.key_file)
    assert len(want["findings"]) > 2 * ROWS and len(want["refs"]) == ROWS // 4
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    killed: list[int] = []
    try:
        # 1. no retries: the unit fails with its reason, the rest of the scan goes on, the exit code says partial
        cfg = estate.config("faulted", retries=0)
        fault = fault_after(monkeypatch, SqlConnector, Fault(terminator(admin, app, killed), after=AFTER, unit=0))
        summary = run(cfg)
        assert fault.fired and killed
        failed = assert_accounted(cfg, summary, listed=3)
        first = min(u[1] for u in want["units"] if u[1].startswith("public.customers["))  # [id<..), read first
        assert [f["key"] for f in failed] == [first]
        assert failed[0]["reason"].startswith("sql source crm, table public.customers: connection lost"), failed[0]["reason"]
        # the same command again reads the failed unit (only it) and completes the map
        again = run(cfg)
        assert again.exit_code == 0 and (again.units_scanned, again.units_skipped) == (1, 2)
        assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)

        # 2. with retries: the unit is read again on a new connection and the scan completes
        killed.clear()
        cfg = estate.config("retried", retries=3, retry_backoff=0.2)
        fault = fault_after(monkeypatch, SqlConnector, Fault(terminator(admin, app, killed), after=AFTER, unit=1))
        with caplog.at_level(logging.WARNING, logger="pii_scan"):
            summary = run(cfg)
        assert fault.fired and killed
        assert_accounted(cfg, summary, listed=3)
        assert summary.exit_code == 0 and summary.units_retried == 1
        assert any("read 2 times after connection errors" in r.getMessage() for r in caplog.records)
        assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
    finally:
        admin.dispose()
