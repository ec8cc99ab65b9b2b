"""Fault soak: repeated real faults during longer scans; the final map must equal an undisturbed one.

The CI tests in ``tests/faults/`` inject one fault into a small estate. This
script runs the longer variants by hand, on the default local Dask cluster
(``--workers`` worker processes, each with its nanny), and keeps injecting
faults for the whole scan:

* ``pg``: a PostgreSQL table of ``--pg-rows`` fictional customers (database
  ``piibench_faults`` on 127.0.0.1:5432, dropped at the end) in key-range units
  of ``--chunk-rows``; every ``--every`` seconds all of the scan's backends
  (found by their ``application_name``, never anyone else's) are terminated
  with ``pg_terminate_backend``.
* ``workers``: a file share of ``--files`` CSV exports; every ``--every``
  seconds one of the local cluster's worker processes (a descendant of this
  process) is killed with SIGKILL; its nanny starts a new one and the
  scheduler runs the lost units again.

For each scenario: an undisturbed scan into one data map, the disturbed scan
into another (same key), then the same command again if the disturbed scan
ended partial (it resumes); the script prints the number of faults injected,
the units read again, the failed units with their reasons, the times, and
PASS when the final map equals the undisturbed one (records, findings,
references, subject partition: ``tests/faults/conftest.py:map_dump``).

Usage::

    .venv/bin/python benchmarks/faults_soak.py                       # both, defaults
    .venv/bin/python benchmarks/faults_soak.py --scenario pg --pg-rows 500000 --every 1.5
    .venv/bin/python benchmarks/faults_soak.py --scenario workers --files 400 --workers 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from random import Random

HERE = Path(__file__).resolve().parent
if sys.path[0] != str(HERE.parent):
    sys.path.insert(0, str(HERE.parent))  # before benchmarks/, whose detectors.py would shadow the package

from benchmarks._common import load_line, machine_line, verdict  # noqa: E402

PG_ADMIN = os.environ.get("PII_SCAN_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


class Chaos:
    """Calls ``fault()`` every ``every`` seconds in a thread, from the first unit written until stopped.

    Armed by the scan's first written unit (pass :meth:`arm` as ``on_unit``), so the
    faults hit the scan, not the start of the local cluster.
    """

    def __init__(self, every: float, fault: Callable[[], int]) -> None:
        self.every = every
        self.fault = fault
        self.count = 0
        self._armed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def arm(self, _result: object = None) -> None:
        self._armed.set()

    def _loop(self) -> None:
        while not self._armed.wait(0.1):
            if self._stop.is_set():
                return
        while not self._stop.wait(self.every):
            try:
                self.count += self.fault()
            except Exception as exc:  # noqa: BLE001 - a fault that could not be injected is reported, not fatal
                print(f"  (fault not injected: {type(exc).__name__})", file=sys.stderr)

    def __enter__(self) -> Chaos:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def compare(estate, cfg_name: str, want: dict, chaos_run: Callable[[], object], workers: int) -> bool:  # noqa: ANN001
    from tests.faults.conftest import assert_same_map, map_dump, run

    cfg = estate.config(cfg_name)
    t0 = time.perf_counter()
    summary = chaos_run()
    t1 = time.perf_counter() - t0
    print(f"  disturbed scan: {summary.status}, {summary.units_total} units, {summary.units_retried} read again "
          f"after connection errors, {summary.units_failed} failed, {t1:.1f} s")
    for f in summary.failures[:10]:
        print(f"    failed: {f['unit']}: {f['reason']}")
    runs = 1
    while summary.exit_code != 0 and runs < 4:  # the same command again resumes
        summary = run(cfg, scheduler=None, workers=workers)
        runs += 1
        print(f"  run {runs}: {summary.status}, {summary.units_scanned} read, {summary.units_skipped} skipped")
    try:
        assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
        same = True
    except AssertionError as exc:
        print("  " + str(exc).replace("\n", "\n  "))
        same = False
    print(f"  final map equals the undisturbed scan's: {verdict(same)}")
    return same


def scenario_pg(root: Path, args: argparse.Namespace) -> bool:
    import sqlalchemy as sa

    from tests.faults.conftest import Estate, create_customers, map_dump, run

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    db = "piibench_faults"
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}"'))
        c.execute(sa.text(f'CREATE DATABASE "{db}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + db
    try:
        t = time.perf_counter()
        create_customers(url, args.pg_rows)
        print(f"  {args.pg_rows:,} rows written in {time.perf_counter() - t:.1f} s")
        app = "pii-scan-soak-" + uuid.uuid4().hex[:8]
        estate = Estate(root / "pg")
        estate.root.mkdir(parents=True)
        estate.sources = [{"name": "crm", "type": "sql", "url": f"{url}?application_name={app}", "chunk_rows": args.chunk_rows}]
        t = time.perf_counter()
        ref = run(estate.config("reference"), scheduler=None, workers=args.workers)
        print(f"  undisturbed scan: {ref.status}, {ref.units_total} units, {time.perf_counter() - t:.1f} s")
        want = map_dump(estate.map_url("reference"), estate.key_file)

        def terminate() -> int:
            with admin.connect() as c:
                return sum(1 for (ok,) in c.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"), {"a": app}) if ok)

        chaos = Chaos(args.every, terminate)

        def disturbed() -> object:
            with chaos:
                return run(estate.config("faulted", retries=5, retry_backoff=0.5), scheduler=None, workers=args.workers,
                           on_unit=chaos.arm)

        ok = compare(estate, "faulted", want, disturbed, args.workers)
        print(f"  backends terminated: {chaos.count}")
        return ok and chaos.count > 0
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"))
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}"'))
        admin.dispose()


def scenario_workers(root: Path, args: argparse.Namespace) -> bool:
    import psutil

    from tests.faults.conftest import Estate, map_dump, run, write_share

    estate = Estate(root / "workers")
    write_share(estate.root / "share", args.files, args.rows)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")}]
    t = time.perf_counter()
    ref = run(estate.config("reference"), scheduler=None, workers=args.workers)
    print(f"  undisturbed scan: {ref.status}, {ref.units_total} units, {time.perf_counter() - t:.1f} s")
    want = map_dump(estate.map_url("reference"), estate.key_file)
    rng = Random(1)
    me = psutil.Process()

    def kill_worker() -> int:
        # the local cluster's worker processes: children of this process started by multiprocessing's spawn
        workers = []
        for p in me.children(recursive=True):
            try:
                if "spawn_main" in " ".join(p.cmdline()):
                    workers.append(p)
            except psutil.Error:
                continue
        if not workers:
            return 0
        victim = rng.choice(workers)
        os.kill(victim.pid, signal.SIGKILL)
        return 1

    chaos = Chaos(args.every, kill_worker)

    def disturbed() -> object:
        with chaos:
            return run(estate.config("faulted"), scheduler=None, workers=args.workers, on_unit=chaos.arm)

    ok = compare(estate, "faulted", want, disturbed, args.workers)
    print(f"  worker processes killed: {chaos.count}")
    return ok and chaos.count > 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", choices=["pg", "workers", "all"], default="all")
    ap.add_argument("--workers", type=int, default=2, help="local cluster worker processes")
    ap.add_argument("--every", type=float, default=4.0,
                    help="seconds between faults (retries win only when a unit reads in less; else the rerun does)")
    ap.add_argument("--pg-rows", type=int, default=100_000)
    ap.add_argument("--chunk-rows", type=int, default=2_000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--rows", type=int, default=200, help="rows per CSV file")
    args = ap.parse_args()
    os.environ.pop("PII_SCAN_KEY", None)
    print(machine_line())
    print(load_line())
    root = Path(tempfile.mkdtemp(prefix="pii-faults-soak-"))
    results = {}
    try:
        for name, fn in (("pg", scenario_pg), ("workers", scenario_workers)):
            if args.scenario in (name, "all"):
                print(f"\n== {name}: a fault every {args.every:g} s")
                results[name] = fn(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("\n" + load_line())
    for name, ok in results.items():
        print(f"{name}: {verdict(ok)}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
