"""MariaDB: the server killed (SIGKILL) in the middle of a table and started again.

The shared MariaDB on :3306 is never touched: the test starts its own
``mariadbd`` on a free loopback port with a fresh data directory
(``--skip-grant-tables``: no accounts to install, the scanner connects as
root), kills that one process mid-scan and restarts it on the same port and
data directory (InnoDB recovers the tables).
"""

from __future__ import annotations

import gc
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import sql
from connectors.sql import SqlConnector
from tests.conftest import free_port, need_service, port_open
from tests.faults.conftest import Estate, Fault, assert_accounted, assert_same_map, create_customers, fault_after, map_dump, run

ROWS = 800
CHUNK = 500  # customers in two key-range units, each read in several server-side cursor batches
BATCH = 200  # rows per cursor batch (FETCH_ROWS): a fault after AFTER rows leaves batches unread
AFTER = 150
PAD = 20000  # characters of filler per row: several MB per unit, more than the socket buffers hold


class OwnMariaDB:
    """A private ``mariadbd`` (one process, its own data directory and port), killable and restartable."""

    def __init__(self, root: Path) -> None:
        self.exe = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
        self.root = root
        self.datadir = root / "data"
        self.datadir.mkdir(parents=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/crm?charset=utf8mb4"

    def start(self) -> None:
        assert self.exe
        log = open(self.root / f"mariadbd-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.exe, "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.root / 'mysqld.sock'}",
             f"--pid-file={self.root / 'mysqld.pid'}", f"--port={self.port}", "--bind-address=127.0.0.1",
             "--user=root", "--skip-grant-tables", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M",
             "--skip-log-bin", "--character-set-server=utf8mb4"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.starts += 1
        deadline = time.time() + 30
        while not port_open("127.0.0.1", self.port, timeout=0.2):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError((self.root / f"mariadbd-{self.starts - 1}.log").read_text(errors="replace")[-1000:])
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def quiet_pymysql_finalizers() -> Iterator[None]:
    """Drop the "exception ignored" of PyMySQL results that outlive a killed connection.

    An unbuffered PyMySQL result left over from a connection that died tries to
    drain it in ``__del__`` and fails (``AttributeError`` on the closed socket).
    pytest keeps such exceptions with their tracebacks and reports them later,
    possibly while it compiles a module, which breaks the run (CPython 3.11:
    "AST constructor recursion depth mismatch"). During this test those, and only
    those, are dropped; everything else goes to the previous hook. The garbage is
    collected before the hook is restored.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        obj = getattr(unraisable, "object", None)
        if getattr(obj, "__qualname__", "") == "MySQLResult.__del__" and isinstance(unraisable.exc_value, AttributeError):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        gc.collect()
        sys.unraisablehook = previous


@pytest.fixture
def own_mariadb(tmp_path: Path) -> Iterator[OwnMariaDB]:
    server = OwnMariaDB(tmp_path / "mariadb")
    if server.exe is None:
        need_service("mariadbd", "the MariaDB server binary is not installed")
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        need_service("mariadbd", f"did not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.usefixtures("quiet_pymysql_finalizers")
def test_server_restarted_mid_table(estate: Estate, own_mariadb: OwnMariaDB, monkeypatch: pytest.MonkeyPatch) -> None:
    server = own_mariadb
    eng = sa.create_engine(server.url.replace("/crm?", "/?"))
    with eng.begin() as c:
        c.exec_driver_sql("CREATE DATABASE crm CHARACTER SET utf8mb4")
    eng.dispose()
    monkeypatch.setattr(sql, "FETCH_ROWS", BATCH)
    create_customers(server.url, ROWS, pad=PAD)
    estate.sources = [{"name": "crm", "type": "sql", "url": server.url, "chunk_rows": CHUNK}]
    reference = run(estate.config("reference"))
    assert reference.exit_code == 0 and reference.units_total == 3
    want = map_dump(estate.map_url("reference"), estate.key_file)
    assert len(want["findings"]) > 2 * ROWS

    restarts: list[threading.Thread] = []

    def kill_and_restart() -> None:
        """SIGKILL the server now; start it again (same data, same port) a second later, in the background."""
        server.kill()

        def later() -> None:
            time.sleep(1.0)
            server.start()

        t = threading.Thread(target=later)
        t.start()
        restarts.append(t)

    # 1. no retries: the unit being read fails ("connection lost"), so do those that find the server down
    cfg = estate.config("faulted", retries=0)
    fault = fault_after(monkeypatch, SqlConnector, Fault(kill_and_restart, after=AFTER, unit=1))
    summary = run(cfg)
    restarts[-1].join(60)
    assert fault.fired and server.starts == 2 and summary.exit_code == 3
    failed = assert_accounted(cfg, summary, listed=3)
    by_key = {f["key"]: f["reason"] for f in failed}
    first, second = sorted(u[1] for u in want["units"] if u[1].startswith("crm.customers["))  # [id<..), [id>=..)
    assert first not in by_key  # read before the fault
    assert "connection lost during query (OperationalError, errno 2013)" in by_key[second], by_key
    # ... and the same command, run again once the server is back, completes the map
    again = run(cfg)
    assert again.exit_code == 0 and again.units_scanned == len(failed)
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)

    # 2. with retries: the unit is read again once the server is back, the scan completes
    cfg = estate.config("retried", retries=5, retry_backoff=0.3)
    fault = fault_after(monkeypatch, SqlConnector, Fault(kill_and_restart, after=AFTER, unit=0))
    summary = run(cfg)
    restarts[-1].join(60)
    assert fault.fired and server.starts == 3
    assert_accounted(cfg, summary, listed=3)
    assert summary.exit_code == 0 and summary.units_retried >= 1
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
