"""A scan killed with SIGKILL is found dead by the next scan and marked 'interrupted'; a live one is not.

The killed scan cannot finish its row in ``scans``; the next scan checks the
process recorded in that row (host, pid, start time), finds it gone, marks the
row ``interrupted`` with the time it found it, lists it in its summary and
logs it. A scan that is running at the same time on the same data map is
alive and stays ``running`` until it finishes by itself.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.faults.conftest import Estate, run, write_share
from tests.faults.test_scan_killed import done_units, pii_scan


def scan_rows(db: Path) -> list[tuple[int, str, str | None, str | None]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, status, finished_at, summary FROM scans ORDER BY id").fetchall()
    finally:
        con.close()


def start_scan(cfg_path: Path | None, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [pii_scan(), "scan", "--config", str(cfg_path), "--workers", "1", "--no-progress", "--format", "json", *extra]
    env = {k: v for k, v in os.environ.items() if k != "PII_SCAN_KEY"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)


def wait_written(proc: subprocess.Popen[bytes], db: Path, units: int) -> None:
    deadline = time.time() + 120
    while done_units(db) < units:
        assert proc.poll() is None, f"the scan ended too early: {proc.communicate()}"
        assert time.time() < deadline, "no units written in time"
        time.sleep(0.02)


def kill_scan(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the scan process; its cluster's worker processes follow it (only its own children, by pid)."""
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    _, alive = psutil.wait_procs(children, timeout=30)
    for p in alive:
        p.kill()


def test_killed_scan_marked_interrupted(estate: Estate, caplog: pytest.LogCaptureFixture) -> None:
    write_share(estate.root / "share", 16, 60)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")}]
    cfg = estate.config("map")
    db = Path(cfg.datamap_url.removeprefix("sqlite:///"))
    proc = start_scan(cfg.path)
    try:
        wait_written(proc, db, 3)
        kill_scan(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    [(killed_id, status, finished, _)] = scan_rows(db)
    assert status == "running" and finished is None  # nothing else could have written it

    before = time.time()
    with caplog.at_level(logging.WARNING, logger="pii_scan"):
        summary = run(cfg)
    assert summary.exit_code == 0 and summary.units_skipped >= 3
    assert summary.interrupted_scans == [killed_id]
    assert any(f"scan {killed_id} " in r.getMessage() and "marked 'interrupted'" in r.getMessage() for r in caplog.records)
    rows = scan_rows(db)
    assert [(i, s) for i, s, _, _ in rows] == [(killed_id, "interrupted"), (summary.scan_id, "complete")]
    found = rows[0][2]
    assert found is not None and found >= time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(before - 1))
    note = json.loads(rows[0][3] or "{}")
    assert note["found_by_scan"] == summary.scan_id and str(proc.pid) in note["reason"]
    # recorded in the new scan's own summary too
    assert json.loads(rows[1][3] or "{}")["interrupted_scans"] == [killed_id]

    # a later scan has nothing left to mark
    again = run(cfg)
    assert again.interrupted_scans == [] and [s for _, s, _, _ in scan_rows(db)][:2] == ["interrupted", "complete"]


def pause_between_writes(proc: subprocess.Popen[bytes], db: Path) -> None:
    """SIGSTOP the scan process at a moment it holds no write lock on the map (it stays alive, just frozen)."""
    for _ in range(200):
        os.kill(proc.pid, signal.SIGSTOP)
        con = sqlite3.connect(db, timeout=0.1, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:  # stopped inside a write: let it finish that first
            os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.05)
        finally:
            con.close()
    raise AssertionError("the scan held the map's write lock every time it was stopped")


def test_concurrent_scans_do_not_mark_each_other(estate: Estate, caplog: pytest.LogCaptureFixture) -> None:
    """A scan that is running while another starts on the same map is alive: neither marks the other.

    The first scan (a subprocess) is frozen with SIGSTOP between two writes
    while the second one (in this process, another source) runs from start to
    end, so that the second scan's run is deterministic (two live scans on
    one SQLite map take turns at its write lock: tests/test_datamap_concurrency.py).
    A stopped process is alive, as a slow scan is.
    """
    write_share(estate.root / "share", 40, 150)
    write_share(estate.root / "notes", 2, 5, seed=9)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")},
                      {"name": "notes", "type": "files", "path": str(estate.root / "notes")}]
    cfg = estate.config("map")
    db = Path(cfg.datamap_url.removeprefix("sqlite:///"))
    first = start_scan(cfg.path, "--source", "share")
    try:
        wait_written(first, db, 1)
        pause_between_writes(first, db)
        try:
            with caplog.at_level(logging.WARNING, logger="pii_scan"):
                second = run(cfg, only_sources={"notes"})
            rows = scan_rows(db)
        finally:
            os.kill(first.pid, signal.SIGCONT)
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
        first.wait()
    assert second.exit_code == 0 and second.interrupted_scans == []
    assert [s for _, s, _, _ in rows] == ["running", "complete"], rows  # the second scan saw the first one alive
    assert any("is still running on this data map" in r.getMessage() for r in caplog.records)
    assert first.returncode == 0, err.decode()[-2000:]
    assert json.loads(out)["interrupted_scans"] == []
    assert [s for _, s, _, _ in scan_rows(db)] == ["complete", "complete"]
