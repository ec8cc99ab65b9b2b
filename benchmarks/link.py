"""Subject linking (``DataMap.link_subjects``) step by step, and whether two versions link alike.

Takes a data map (``--map``: a SQLite file, copied to a scratch folder first,
the original is never written) or builds a synthetic one (``--build ROWS``:
customer rows of a personnummer, an e-mail address and a phone number, all
linkable; ``--shared`` of the rows reuse an earlier row's e-mail address, so
subjects span records, and every ``--hub-every``-th row carries one switchboard
number, a hub), then runs a full link and prints the wall time and the process
CPU time of each step: every method of ``_Scratch`` that the link calls is
timed, and what is left (``rest``) is the link's own SQL outside them. On
SQLite the database engine runs in this process, so process CPU time is the
whole cost; on PostgreSQL and MariaDB (``--url``, with ``--build`` only) the
server's CPU time is not in it: the CPU time of the local server processes
(``postgres``, ``mariadbd``) over the link is printed beside it (any other
client of the server adds to that).

``--first`` makes the copy look like a map whose first scan just ended (no
subjects yet, never linked), which is what the engine links after a first
scan; without it the map's subjects are relinked (``full=True``).

``--ref REV`` also links a second copy with ``pii_scan/datamap.py`` as it is
at git revision REV (loaded from ``git show``, beside the working one) and
compares the two ``subjects`` tables row by row (a SHA-256 over ``value_hash,
subject`` in ``value_hash`` order, and the row counts): ``subjects identical``
or ``subjects DIFFER``. On a server database the same database is linked
twice, REV first.

Usage::

    .venv/bin/python benchmarks/link.py --map /tmp/sqlmap/datamap.sqlite --first --ref HEAD
    .venv/bin/python benchmarks/link.py --build 200000 --shared 0.2 --ref HEAD
    .venv/bin/python benchmarks/link.py --build 50000 --url postgresql+psycopg2://postgres@127.0.0.1:5432/test --ref HEAD
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages before benchmarks/detectors.py
from _common import Tee, load_line, machine_line  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def module_at(rev: str) -> types.ModuleType:
    """``pii_scan/datamap.py`` at git revision ``rev``, as a module of its own."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:pii_scan/datamap.py"], check=True,
                         capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory(prefix="piibench-link-ref-") as folder:
        path = Path(folder) / "datamap_ref.py"
        path.write_text(src)
        spec = importlib.util.spec_from_file_location(f"datamap_at_{rev.replace('~', '_').replace('^', '_')}", path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    return mod


@contextmanager
def timed_steps(mod: types.ModuleType) -> Iterator[list[tuple[str, float, float]]]:
    """Wrap the public methods of ``mod._Scratch``; yields the (name, wall, CPU) list they append to."""
    steps: list[tuple[str, float, float]] = []
    cls = mod._Scratch
    saved = {}
    for name, fn in list(vars(cls).items()):
        if name.startswith("_") or not callable(fn):  # public steps only: helpers run inside them
            continue
        saved[name] = fn

        def wrap(*a: Any, _f: Any = fn, _n: str = name, **k: Any) -> Any:
            w, t = time.perf_counter(), time.process_time()
            try:
                return _f(*a, **k)
            finally:
                steps.append((_n, time.perf_counter() - w, time.process_time() - t))

        setattr(cls, name, wrap)
    try:
        yield steps
    finally:
        for name, fn in saved.items():
            setattr(cls, name, fn)


def link(mod: types.ModuleType, url: str, first: bool, log: Tee, label: str) -> tuple[float, float]:
    dm = mod.DataMap(url)
    try:
        with timed_steps(mod) as steps:
            w, t, srv = time.perf_counter(), time.process_time(), server_cpu()
            n = dm.link_subjects(full=not first)
            wall, cpu, srv = time.perf_counter() - w, time.process_time() - t, server_cpu() - srv
    finally:
        dm.close()
    log(f"[{label}] link_subjects: {wall:.2f} s wall, {cpu:.2f} s process CPU, {n:,} subjects"
        + (f"; database server processes {srv:.2f} s CPU" if not url.startswith("sqlite") else ""))
    merged: dict[str, list[float]] = {}
    for name, sw, sc in steps:  # a step called more than once (helpers) is summed
        acc = merged.setdefault(name, [0.0, 0.0, 0])
        acc[0] += sw
        acc[1] += sc
        acc[2] += 1
    sw_sum = sum(v[0] for v in merged.values())
    sc_sum = sum(v[1] for v in merged.values())
    for name, (sw, sc, k) in merged.items():
        log(f"    {name:22s} {sw:7.2f} s wall {sc:7.2f} s CPU" + (f"  ({k} calls)" if k > 1 else ""))
    log(f"    {'rest':22s} {wall - sw_sum:7.2f} s wall {cpu - sc_sum:7.2f} s CPU")
    return wall, cpu


def digest(url: str) -> tuple[int, str]:
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    h = hashlib.sha256()
    n = 0
    try:
        with eng.connect() as c:
            res = c.execution_options(stream_results=True, yield_per=50_000).exec_driver_sql(
                "SELECT value_hash, subject FROM subjects ORDER BY value_hash")
            for vh, s in res:
                h.update(f"{vh}\t{s}\n".encode())
                n += 1
    finally:
        eng.dispose()
    return n, h.hexdigest()


def make_first(path: Path) -> None:
    """The map as a first scan leaves it before its link: no subjects, never linked."""
    con = sqlite3.connect(path)
    con.executescript("DELETE FROM subjects; DELETE FROM link_dirty; "
                      "DELETE FROM pii_meta WHERE key IN ('subjects_linked', 'subject_count'); "
                      "UPDATE pii_meta SET value = '1' WHERE key = 'subjects_stale';")
    con.commit()
    con.execute("VACUUM")
    con.close()


def reset(url: str) -> None:
    """Drop the data map's tables (and any scratch tables a failed link left) from a server database."""
    import sqlalchemy as sa

    from pii_scan.datamap import metadata

    eng = sa.create_engine(url)
    try:
        metadata.drop_all(eng)
        with eng.begin() as c:
            for name in sa.inspect(c).get_table_names():
                if name.startswith("pii_link_"):
                    c.exec_driver_sql(f"DROP TABLE {name}")
    finally:
        eng.dispose()


def server_cpu() -> float:
    """CPU seconds of the local database server processes so far (PostgreSQL, MariaDB/MySQL), 0 if unseen."""
    import psutil

    total = 0.0
    for p in psutil.process_iter(["name", "cpu_times"]):
        if p.info["name"] in ("postgres", "mariadbd", "mysqld") and p.info["cpu_times"]:
            total += p.info["cpu_times"].user + p.info["cpu_times"].system
    return total


def build(url: str, rows: int, shared: float, hub_every: int, unit_rows: int = 20_000) -> None:
    """A synthetic map written through ``write_unit`` as a first scan writes it (indexes deferred)."""
    from random import Random

    from pii_scan.datamap import DataMap, FoundValue, RecordResult, UnitResult

    def h(kind: str, v: str) -> str:
        return hashlib.sha256(f"{kind}\x1f{v}".encode()).hexdigest()

    rng = Random(1)
    dm = DataMap(url)
    try:
        scan_id = dm.start_scan({"benchmark": "link"})
        deferred = dm.defer_indexes()
        for u in range(0, rows, unit_rows):
            recs = []
            for i in range(u, min(rows, u + unit_rows)):
                mail = i if i == 0 or rng.random() >= shared else rng.randrange(i)
                vals = [("personnummer", f"p{i}"), ("email", f"kund{mail}@example.se"), ("phone", f"07{i:08d}")]
                if hub_every and i % hub_every == 0:
                    vals.append(("phone", "08-1234500"))
                rr = RecordResult(hashlib.md5(f"r{i}".encode()).hexdigest(), "sql", "crm", "public.customers",
                                  f"id={i}", True, None)
                for kind, v in vals:
                    rr.findings.append(FoundValue(kind, kind, kind, h(kind, v), "****", 0.95, False, None, None, True))
                recs.append(rr)
            res = UnitResult("crm", f"customers[{u}]", "sql", "fp", recs, len(recs))
            res.unit_id = hashlib.md5(res.key.encode()).hexdigest()
            dm.write_unit(scan_id, res)
        if deferred:
            dm.restore_indexes()
    finally:
        dm.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--map", type=Path, help="a SQLite data map (copied; the original is not written)")
    src.add_argument("--build", type=int, metavar="ROWS", help="build a synthetic map of ROWS customer rows")
    ap.add_argument("--shared", type=float, default=0.2, help="--build: share of rows reusing an earlier e-mail")
    ap.add_argument("--hub-every", type=int, default=1000, help="--build: every Nth row has the switchboard number")
    ap.add_argument("--url", help="--build into this (empty) server database instead of a SQLite file")
    ap.add_argument("--first", action="store_true", help="link as after a first scan (no subjects yet)")
    ap.add_argument("--ref", help="also link with datamap.py at this git revision and compare the subjects")
    ap.add_argument("--repeat", type=int, default=1, help="link this many times (fresh copies)")
    args = ap.parse_args(argv)
    if args.url and not args.build:
        raise SystemExit("--url needs --build")
    log = Tee()
    log(machine_line())
    log(load_line())
    import pii_scan.datamap as cur

    ref = module_at(args.ref) if args.ref else None
    folder = Path(tempfile.mkdtemp(prefix="piibench-link-"))
    try:
        if args.build:
            t = time.perf_counter()
            url = args.url or f"sqlite:///{folder / 'built.sqlite'}"
            build(url, args.build, args.shared, args.hub_every)
            log(f"built a map of {args.build:,} rows (shared {args.shared}, hub every {args.hub_every}) "
                f"in {time.perf_counter() - t:.0f} s")
            original = None if args.url else folder / "built.sqlite"
            if args.url:  # each version links a map of its own, built alike (a first scan's link)
                results = []
                for k, (label, mod) in enumerate(([(f"ref {args.ref}", ref)] if ref else []) + [("working tree", cur)]):
                    if k:
                        reset(url)
                        build(url, args.build, args.shared, args.hub_every)
                    link(mod, url, True, log, label)
                    results.append((label, digest(url)))
                _compare(results, log)
                reset(url)
                return 0
        else:
            original = args.map
        assert original is not None
        for k in range(args.repeat):
            results = []
            for label, mod in ([(f"ref {args.ref}", ref)] if ref else []) + [("working tree", cur)]:
                p = folder / f"copy-{k}-{'ref' if mod is ref else 'cur'}.sqlite"
                shutil.copyfile(original, p)
                if args.first:
                    make_first(p)
                link(mod, f"sqlite:///{p}", args.first, log, label)
                results.append((label, digest(f"sqlite:///{p}")))
                for suffix in ("", "-wal", "-shm"):
                    Path(str(p) + suffix).unlink(missing_ok=True)
            _compare(results, log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _compare(results: list[tuple[str, tuple[int, str]]], log: Tee) -> None:
    for label, (n, d) in results:
        log(f"  subjects [{label}]: {n:,} rows, sha256 {d[:16]}")
    if len(results) == 2:
        same = results[0][1] == results[1][1]
        log("  subjects identical" if same else "  subjects DIFFER")


if __name__ == "__main__":
    raise SystemExit(main())
