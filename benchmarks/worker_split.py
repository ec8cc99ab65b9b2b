"""The worker's CPU cost per row for a SQL source, split: read / detection / the rest.

Runs in this process on one core (no Dask) against the fictional ``customers``
table of :mod:`sql_scan` (same generator), loaded into its own PostgreSQL
database (default ``piibench_worker``, so it never collides with a running
``sql_scan.py``). All figures are CPU time (``time.process_time``), the machine's
cores being shared.

* read only: iterate ``SqlConnector.read(unit)`` over every unit;
* ``scan_unit``: read + detect + hash + mask + encrypt + redact + pack;
  detection is ``Scanner.find_many`` (timed by a wrapper, on field values and on
  item names separately), the non-detection part is the rest;
* pickling: ``pickle.dumps(UnitResult)`` as ``engine.scan_unit_pickled`` does;
* the cyclic collector: wall time in its runs (``gc.callbacks``) and full
  collections. ``--worker-heap`` imports ``distributed`` first, for a Dask
  worker's heap (each full collection walks it); ``--pickle-paused`` pickles and
  drops each result with the collector paused, as ``engine.scan_unit_pickled``
  could.

``--dump FILE`` writes every unit's result in a canonical form (encrypted values
and locations decrypted, timing left out) and ``--compare A B`` says whether two
dumps are identical: the equality check for a change of the worker's hot path.
The HMAC/encryption key is fixed, so dumps of two code versions compare.

Usage::

    .venv/bin/python benchmarks/worker_split.py --load 200000     # create + load the table (once)
    .venv/bin/python benchmarks/worker_split.py --repeat 3         # measure (best of 3)
    .venv/bin/python benchmarks/worker_split.py --repeat 3 --worker-heap --only scan
    .venv/bin/python benchmarks/worker_split.py --dump /tmp/a.pkl  # canonical results
    .venv/bin/python benchmarks/worker_split.py --compare /tmp/a.pkl /tmp/b.pkl
    .venv/bin/python benchmarks/worker_split.py --drop
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent))  # the packages before benchmarks/detectors.py
sys.path.append(str(_HERE))  # sql_scan, _common
SERVER = "postgresql://postgres@127.0.0.1:5432"
SECRET = bytes(range(32))  # fixed, fictional: dumps of two code versions must compare


def _connect(db: str) -> Any:
    import psycopg2

    return psycopg2.connect(f"{SERVER}/{db}")


def load(db: str, rows: int) -> None:
    from sql_scan import _Stream, create_db, rows_tsv

    create_db(db)
    conn = _connect(db)
    with conn, conn.cursor() as cur:
        cur.copy_expert("COPY customers FROM STDIN", _Stream(rows_tsv(1, rows + 1)), size=1 << 20)
        cur.execute("ALTER TABLE customers ADD PRIMARY KEY (id)")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE customers")
    conn.close()


def drop(db: str) -> None:
    conn = _connect("postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {db}")
    conn.close()


def connector(db: str) -> Any:
    from connectors.sql import SqlConnector

    return SqlConnector("crm", {"url": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}", "include": ["customers"]})


def settings(store_values: bool = True) -> Any:
    from pii_scan.worker import ScanSettings

    return ScanSettings(None, 0.0, store_values, SECRET)


class _Timed:
    """Wraps ``Scanner.find_many`` to sum its CPU time (field values vs names: no hint given)."""

    def __init__(self) -> None:
        from detectors import Scanner

        self.cls = Scanner
        self.orig = Scanner.find_many
        self.fields = self.names = 0.0
        timed = self

        def find_many(scanner: Any, texts: Any, hint: Any = None, ref_dates: Any = None) -> Any:
            t = time.process_time()
            out = timed.orig(scanner, texts, hint, ref_dates)
            dt = time.process_time() - t
            if hint is None:
                timed.names += dt
            else:
                timed.fields += dt
            return out

        Scanner.find_many = find_many  # type: ignore[method-assign]

    def restore(self) -> None:
        self.cls.find_many = self.orig  # type: ignore[method-assign]


class _GcTime:
    """Wall time spent in the cyclic collector (gc.callbacks), and full collections counted."""

    def __init__(self) -> None:
        import gc

        self.gc = gc
        self.seconds = 0.0
        self.full = 0
        self._t = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t
            self.full += info["generation"] == 2

    def restore(self) -> None:
        self.gc.callbacks.remove(self._cb)


def measure(db: str, repeat: int, only: str, pickle_paused: bool = False) -> None:
    from pii_scan import gcpolicy
    from pii_scan.worker import scan_unit

    conn = connector(db)
    units = list(conn.units())
    conn.close()
    st = settings()
    best: dict[str, float] = {}

    def keep(name: str, value: float) -> None:
        best[name] = min(best.get(name, float("inf")), value)

    rows = 0
    for _ in range(repeat):
        if only in ("all", "read"):
            rows = 0
            t = time.process_time()
            for u in units:
                for _rec in conn.read(u):
                    rows += 1
                conn.close()
            keep("read", time.process_time() - t)
        if only in ("all", "scan"):
            timed = _Timed()
            gct = _GcTime()
            t_scan = t_pickle = 0.0
            rows = findings = 0
            try:
                for u in units:
                    t = time.process_time()
                    res = scan_unit(conn, u, st)
                    t_scan += time.process_time() - t
                    rows += res.rows
                    findings += res.finding_count()  # without building the records of a packed result
                    assert res.error is None, res.error
                    t = time.process_time()
                    if pickle_paused:  # and the result dropped before the collector is back
                        with gcpolicy.paused():
                            pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL)
                            del res
                    else:
                        pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL)
                        del res  # as engine.scan_unit_pickled: only the bytes live on
                    t_pickle += time.process_time() - t
            finally:
                timed.restore()
                gct.restore()
            keep("gc (wall)", gct.seconds)
            best["full collections"] = gct.full
            keep("scan", t_scan)
            keep("detect fields", timed.fields)
            keep("detect names", timed.names)
            keep("rest", t_scan - timed.fields - timed.names)
            keep("pickle", t_pickle)
    us = {k: 1e6 * v / max(1, rows) for k, v in best.items()}
    print(f"{len(units)} units, {rows:,} rows; CPU time (process_time), best of {repeat}, us/row:")
    for k in ("read", "scan", "detect fields", "detect names", "rest", "pickle", "gc (wall)"):
        if k in us:
            print(f"  {k:14s} {us[k]:7.1f}")
    if "full collections" in best:
        print(f"  full collections (scan + pickle, last run): {best['full collections']:.0f}")
    if "rest" in us:
        print(f"  non-detection (scan - find_many on fields) + pickle: {us['scan'] - us['detect fields'] + us['pickle']:.1f}")


def canonical(res: Any, keys: Any) -> tuple[Any, ...]:
    """A UnitResult's content: encrypted parts decrypted, timing left out."""
    recs = []
    for r in res.records:
        loc = keys.decrypt(r.location_enc) if r.location_enc is not None else None
        fs = [(f.field, f.kind, f.subkind, f.value_hash, f.masked, f.confidence, f.test_data, f.inside,
               keys.decrypt(f.enc_value) if f.enc_value is not None else None, f.linkable) for f in r.findings]
        recs.append((r.rkey, r.store, r.source, r.container, r.item, r.structured, r.record_date, loc,
                     list(r.refs), fs))
    return (res.source, res.key, res.store, res.fingerprint, res.rows, res.error, res.unit_id, recs)


def dump(db: str, path: Path) -> None:
    from pii_scan.keys import Keys
    from pii_scan.worker import scan_unit

    conn = connector(db)
    units = list(conn.units())
    conn.close()
    keys = Keys(SECRET)
    out = []
    for u in units:
        res = scan_unit(conn, u, settings())
        # through pickle, as the result travels to the driver
        res = pickle.loads(pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes
        out.append(canonical(res, keys))
    path.write_bytes(pickle.dumps(out))
    n = sum(len(c[7]) for c in out)
    print(f"dumped {len(out)} units, {n:,} records to {path}")


def compare(a: Path, b: Path) -> int:
    x, y = pickle.loads(a.read_bytes()), pickle.loads(b.read_bytes())  # noqa: S301 - our own files
    if x == y:
        n = sum(len(c[7]) for c in x)
        f = sum(len(r[9]) for c in x for r in c[7])
        print(f"IDENTICAL: {len(x)} units, {n:,} records, {f:,} findings")
        return 0
    for i, (ux, uy) in enumerate(zip(x, y)):
        if ux != uy:
            for j, (p, q) in enumerate(zip(ux, uy)):
                if p != q:
                    print(f"unit {i}: part {j} differs")
                    if j == 7:
                        for k, (r, s) in enumerate(zip(p, q)):
                            if r != s:
                                print(f"  first differing record #{k}: parts "
                                      f"{[m for m in range(len(r)) if r[m] != s[m]]}")
                                break
                        print(f"  records {len(p)} vs {len(q)}")
            break
    print(f"DIFFERENT ({len(x)} vs {len(y)} units)")
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="piibench_worker")
    ap.add_argument("--load", type=int, metavar="ROWS", help="create the database and load ROWS rows, then exit")
    ap.add_argument("--drop", action="store_true", help="drop the database and exit")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", choices=("all", "read", "scan"), default="all")
    ap.add_argument("--worker-heap", action="store_true",
                    help="import distributed first: a Dask worker's heap, which every full collection walks")
    ap.add_argument("--pickle-paused", action="store_true",
                    help="pickle (and drop) each result with the collector paused, as engine.scan_unit_pickled could")
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--compare", type=Path, nargs=2)
    args = ap.parse_args(argv)
    if args.drop:
        drop(args.db)
        return 0
    if args.load:
        load(args.db, args.load)
        return 0
    if args.compare:
        return compare(*args.compare)
    if args.dump:
        dump(args.db, args.dump)
        return 0
    if args.worker_heap:
        import distributed  # noqa: F401
    measure(args.db, args.repeat, args.only, args.pickle_paused)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
