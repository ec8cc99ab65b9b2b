"""The local Dask cluster cannot start: one line says why and what to try, exit code 1, no traceback.

The real failure: every worker process imports a preload module that does
not exist (Dask's own ``distributed.worker.preload`` setting, from the
environment), so each nanny reports "Nanny failed to start". Dask would
print a traceback from every process; ``pii-scan scan`` prints one line
naming the cause and suggesting ``--scheduler sync`` or fewer ``--workers``,
and the scan's row in the data map says ``failed`` with that reason, not
``running``. ``--verbose`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan import engine
from pii_scan.cli import main
from tests.faults.conftest import Estate, write_share
from tests.faults.test_scan_killed import pii_scan

MISSING = "pii_scan_fault_no_such_preload"


def scan_rows(db: Path) -> list[tuple[str, str | None]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT status, summary FROM scans ORDER BY id").fetchall()
    finally:
        con.close()


def test_workers_that_cannot_start(estate: Estate) -> None:
    write_share(estate.root / "share", 3, 5)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")}]
    cfg = estate.config("map")
    env = {k: v for k, v in os.environ.items() if k != "PII_SCAN_KEY"}
    env["DASK_DISTRIBUTED__WORKER__PRELOAD"] = json.dumps([MISSING])
    cmd = [pii_scan(), "scan", "--config", str(cfg.path), "--no-progress", "--workers", "2"]

    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1, res
    assert res.stdout == ""
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Error: cannot start the local Dask cluster (2 worker processes): Nanny failed to start")
    assert f"ModuleNotFoundError: No module named '{MISSING}'" in lines[0]
    assert "try --scheduler sync" in lines[0] and "fewer --workers" in lines[0]
    db = Path(cfg.datamap_url.removeprefix("sqlite:///"))
    [(status, summary)] = scan_rows(db)
    assert status == "failed" and "cannot start the local Dask cluster" in json.loads(summary or "{}")["error"]

    # --verbose: the traceback is there for whoever debugs it
    res = subprocess.run([*cmd, "--verbose"], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1 and "Traceback" in res.stderr and MISSING in res.stderr
    assert res.stderr.rstrip().splitlines()[-1].startswith("Error: cannot start the local Dask cluster")

    # what the message suggests works
    res = subprocess.run([*cmd, "--scheduler", "sync"], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert [s for s, _ in scan_rows(db)] == ["failed", "failed", "complete"]


def test_cluster_factory_failure_in_process(estate: Estate, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's own cluster factory failing (as with an impossible memory limit): same one line, one worker."""
    write_share(estate.root / "share", 1, 5)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")}]
    cfg = estate.config("map")
    calls: list[int] = []

    def cannot_start(n: int, verbose: bool) -> None:
        calls.append(n)
        try:
            raise MemoryError("worker memory limit 1 byte is below what a worker needs")
        except MemoryError as exc:
            raise RuntimeError("Nanny failed to start.") from exc

    monkeypatch.setattr(engine, "_local_cluster", cannot_start)
    runner = CliRunner()
    res = runner.invoke(main, ["scan", "--config", str(cfg.path), "--no-progress", "--workers", "1"])
    assert calls == [1] and res.exit_code == 1
    assert "Traceback" not in res.output
    assert res.output.strip() == (
        "Error: cannot start the local Dask cluster (1 worker process): Nanny failed to start "
        "(MemoryError: worker memory limit 1 byte is below what a worker needs); "
        "try --scheduler sync (no cluster: the scan runs in this process)"
    )
    res = runner.invoke(main, ["scan", "--config", str(cfg.path), "--no-progress", "--workers", "1", "--verbose"])
    assert res.exit_code == 1 and "Traceback" in res.output and "MemoryError" in res.output
