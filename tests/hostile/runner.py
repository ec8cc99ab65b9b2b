"""Run ``pii-scan`` as a child process with a fresh working and temporary directory, and measure it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

KEY_HEX = "9f" * 32  # a fixed test key, so the tests can compute the map's keyed hashes


@dataclass
class Run:
    exit_code: int
    max_rss: int  # bytes, the child's peak resident set (sampled every 20 ms)
    seconds: float
    cpu_seconds: float  # the child's user + system CPU time
    stdout: str
    stderr: str


DEBUG_MAIN = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, "
    "format='%(levelname)s %(name)s %(message)s'); from pii_scan.cli import main; main()"
)
PLAIN_MAIN = "from pii_scan.cli import main; main()"


def run_cli(
    args: list[str], *, cwd: Path, tmpdir: Path, timeout: float = 120, env: dict[str, str] | None = None, debug: bool = False
) -> Run:
    """``pii-scan <args>`` in a child process: its own cwd and TMPDIR, output captured, peak RSS measured.

    ``debug`` turns the root logger to DEBUG (every library's log lines on stderr).
    """
    cwd.mkdir(parents=True, exist_ok=True)
    tmpdir.mkdir(parents=True, exist_ok=True)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PII_SCAN")}
    child_env.update({"PII_SCAN_KEY": KEY_HEX, "TMPDIR": str(tmpdir), "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    child_env.update(env or {})
    out_path, err_path = tmpdir.parent / f"{tmpdir.name}.stdout", tmpdir.parent / f"{tmpdir.name}.stderr"
    t0 = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", DEBUG_MAIN if debug else PLAIN_MAIN, *args],
            cwd=cwd, env=child_env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        # Peak RSS sampled with psutil, not wait4's ru_maxrss: that counts the pages the child
        # shared with this (large, late in a test session) pytest process between fork and exec.
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            import psutil

            try:
                ps = psutil.Process(proc.pid)
                while not done.is_set():
                    peak[0] = max(peak[0], ps.memory_info().rss)
                    done.wait(0.02)
            except psutil.Error:
                pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            done.set()
            timer.cancel()
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - t0
    if seconds >= timeout:
        raise AssertionError(f"pii-scan {' '.join(args)} did not finish within {timeout} s")
    return Run(
        proc.returncode, peak[0], seconds, usage.ru_utime + usage.ru_stime,
        out_path.read_text("utf-8", "replace"), err_path.read_text("utf-8", "replace"),
    )


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and mtime (to show that nothing was written or changed)."""
    out: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_size if not os.path.isdir(p) else 0, st.st_mtime_ns)
    return out
