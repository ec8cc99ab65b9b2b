"""The same scan on every Dask mode: speedup per worker and the task overhead per unit.

Issue 7 asks for the scan on the local scheduler and on a real ``dask
scheduler`` with 1 and 2 ``dask worker`` processes on loopback, the speedup
per worker, and the task overhead per unit. This script:

1. builds (once, cached under ``benchmarks/out/``) a file tree of fictional
   business files (the generator of ``files_scan.py``: CSV, JSON Lines, logs,
   text with personnummer, phones, e-mails, accounts, cards and their decoys)
   of ``--mb`` MB, and a second tree of ``--tiny`` files of a few bytes each
   with no personal data (the overhead workload);
2. scans each tree into a fresh data map with ``scheduler="sync"`` (one
   process, no Dask), the default local cluster (one worker process per core),
   and a ``dask scheduler`` on 127.0.0.1 with 1 and then 2 ``dask worker``
   processes (``--nthreads 1`` each, started by this script, stopped after);
3. prints per mode: wall time, MB/s, speedup against ``sync`` and against one
   ``dask worker``; for the tiny tree, the time per unit and the overhead per
   unit against ``sync`` (the cost that Dask adds per task: graph, scheduling,
   transfer of the unit and its result).

Usage::

    .venv/bin/python benchmarks/dask_modes.py                 # 200 MB, 2000 tiny files
    .venv/bin/python benchmarks/dask_modes.py --mb 50 --tiny 500
    .venv/bin/python benchmarks/dask_modes.py --mb 50 --split-bytes 4194304   # big files as several units
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import MB, OUT, Tee, fresh_datamap, load_line, machine_line, make_config  # noqa: E402
from files_scan import _tree_bytes, build_tree  # noqa: E402

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {timeout:.0f} s")


@contextmanager
def dask_cluster(workers: int, tmp: Path) -> Any:
    """A real ``dask scheduler`` + ``workers`` ``dask worker`` processes on loopback."""
    from distributed import Client

    port = _free_port()
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0", "--no-show"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)]
    addr = f"tcp://127.0.0.1:{port}"
    try:
        _wait_port(port)
        for _ in range(workers):
            procs.append(subprocess.Popen([str(BIN / "dask"), "worker", addr, "--nthreads", "1", "--nworkers", "1",
                                           "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(tmp)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp))
        with Client(addr, timeout=60) as c:
            c.wait_for_workers(workers, timeout=120)
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def build_tiny(root: Path, n: int) -> Path:
    share = root / "share"
    if share.is_dir() and sum(1 for _ in share.iterdir()) == n:
        return share
    shutil.rmtree(root, ignore_errors=True)
    share.mkdir(parents=True)
    for i in range(n):
        (share / f"note-{i:05d}.txt").write_text(f"note {i}: nothing personal here\n", "utf-8")
    return share


SPLIT_BYTES: int | None = None  # --split-bytes: line-based files above this are read as byte ranges


def one_scan(share: Path, scheduler: str | None, tmp: Path) -> tuple[float, Any]:
    from pii_scan.engine import scan

    base = Path(tempfile.mkdtemp(prefix="piibench-dask-", dir=tmp))
    src: dict[str, Any] = {"name": "share", "type": "files", "path": str(share)}
    if SPLIT_BYTES:
        src["split_bytes"] = SPLIT_BYTES
    cfg = make_config(base, [src])
    fresh_datamap(cfg)
    t = time.perf_counter()
    summary = scan(cfg, scheduler=scheduler, progress=False)
    wall = time.perf_counter() - t
    shutil.rmtree(base, ignore_errors=True)
    if summary.units_failed:
        raise RuntimeError(f"{summary.units_failed} units failed in mode {scheduler!r}")
    return wall, summary


def run_modes(share: Path, label: str, nbytes: int, log: Tee, tmp: Path, modes: list[str]) -> dict[str, float]:
    walls: dict[str, float] = {}
    for mode in modes:
        if mode == "sync":
            wall, s = one_scan(share, "sync", tmp)
        elif mode == "local":
            wall, s = one_scan(share, None, tmp)
        else:
            n = int(mode.split("-")[1])
            with dask_cluster(n, tmp) as addr:
                wall, s = one_scan(share, addr, tmp)
        walls[mode] = wall
        rate = f", {nbytes / MB / wall:.2f} MB/s" if nbytes > 10 * MB else ""
        log(f"[{label}] {mode:<9} {wall:8.2f} s{rate}; {s.units_scanned} units, {s.records:,} records, "
            f"{s.findings:,} findings; {load_line()}")
    return walls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="size of the data tree in MB (default 200)")
    ap.add_argument("--tiny", type=int, default=2000, help="files in the overhead tree (default 2000)")
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--modes", default="sync,local,workers-1,workers-2",
                    help="comma-separated: sync, local, workers-1, workers-2 (default all)")
    ap.add_argument("--tmp", default=None, help="folder for data maps and worker space")
    ap.add_argument("--split-bytes", type=int, default=None,
                    help="files source split_bytes: line-based files above this become several units "
                         "(default: the connector's own, 8 MiB)")
    args = ap.parse_args(argv)
    global SPLIT_BYTES
    SPLIT_BYTES = args.split_bytes
    log = Tee()
    log(machine_line())
    tmp = Path(tempfile.mkdtemp(prefix="piibench-dask-", dir=args.tmp))
    modes = args.modes.split(",")
    try:
        data_root = OUT / f"files-{args.mb}MB"
        build_tree(data_root, args.mb, args.customers, log)
        nbytes = _tree_bytes(data_root / "share")
        data = run_modes(data_root / "share", f"{nbytes / MB:,.0f} MB tree", nbytes, log, tmp, modes)
        tiny = build_tiny(OUT / f"tiny-{args.tiny}", args.tiny)
        small = run_modes(tiny, f"{args.tiny} tiny files", 0, log, tmp, modes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base = data.get("sync")
    one = data.get("workers-1")
    for mode, wall in data.items():
        parts = []
        if base:
            parts.append(f"x{base / wall:.2f} vs sync")
        if one:
            parts.append(f"x{one / wall:.2f} vs 1 dask worker")
        log(f"speedup  {mode:<9} {', '.join(parts)}")
    if one and "workers-2" in data:
        log(f"info  second worker: x{one / data['workers-2']:.2f} (ideal x2.00 on {os.cpu_count()} cores)")
    sync_unit = small.get("sync", 0.0) / args.tiny
    for mode, wall in small.items():
        per = wall / args.tiny
        log(f"per unit {mode:<9} {per * 1000:7.2f} ms per unit; overhead vs sync {(per - sync_unit) * 1000:+7.2f} ms")
    split = f"-split{args.split_bytes}" if args.split_bytes else ""
    p = log.save(f"dask_modes-{args.mb}MB-{args.tiny}{split}.txt")
    print(f"(saved to {p})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
