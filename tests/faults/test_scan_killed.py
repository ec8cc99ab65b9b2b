"""The scan process itself killed with SIGKILL, then the same command run again: it resumes.

``pii-scan scan`` runs as a subprocess with its default scheduler (a local
cluster of worker processes; one here). The test polls the data map's
``units`` table and kills the scan once some units are written, so the kill
lands mid-scan; the cluster's worker processes must go with it (no orphans
left computing). Running the same command again skips the units that were
written and reads the rest; the final map equals an undisturbed scan's.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.faults.conftest import Estate, assert_accounted, assert_same_map, map_dump, run, write_share

FILES = 16
ROWS = 60
KILL_AT = 3  # units written before the kill


def pii_scan() -> str:
    exe = shutil.which("pii-scan", path=os.path.dirname(sys.executable))
    assert exe, "the pii-scan console script is not installed in this environment"
    return exe


def done_units(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM units WHERE status = 'done'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0


def test_scan_killed_and_resumed(estate: Estate) -> None:
    write_share(estate.root / "share", FILES, ROWS)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")}]
    reference = run(estate.config("reference"))
    assert reference.exit_code == 0 and reference.units_total == FILES
    want = map_dump(estate.map_url("reference"), estate.key_file)

    cfg = estate.config("faulted")
    db = Path(cfg.datamap_url.removeprefix("sqlite:///"))
    cmd = [pii_scan(), "scan", "--config", str(cfg.path), "--workers", "1", "--no-progress", "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k != "PII_SCAN_KEY"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    children: list[psutil.Process] = []
    try:
        deadline = time.time() + 120
        while done_units(db) < KILL_AT:
            assert proc.poll() is None, f"the scan ended before it was killed: {proc.communicate()}"
            assert time.time() < deadline, "no units written in time"
            time.sleep(0.02)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        written = done_units(db)
        assert KILL_AT <= written < FILES, "the kill did not land mid-scan"
        # the local cluster's worker processes notice their parent is gone and exit
        _, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"worker processes outlived the killed scan: {[p.pid for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in children:  # only the scan's own children, by pid
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.wait()

    # the killed scan is still "running" in the map; its written units are complete and will be skipped
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT status FROM scans").fetchall() == [("running",)]
    finally:
        con.close()
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)
    assert summary["units_skipped"] == written and summary["units_scanned"] == FILES - written
    assert summary["status"] == "complete" and not summary["failures"]

    class _Summary:  # the JSON summary in the shape assert_accounted reads
        units_total, units_skipped, units_failed = summary["units_total"], summary["units_skipped"], summary["units_failed"]
        failures, exit_code = summary["failures"], again.returncode

    assert_accounted(cfg, _Summary, listed=FILES)  # type: ignore[arg-type]
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
