"""Data-map write and subject-linking cost, apart from scanning.

Feeds synthetic unit results (what a worker hands the driver for one SQL key
range: ``--unit-rows`` customer rows of three linkable findings each, real
HMACs) through :meth:`pii_scan.datamap.DataMap.write_unit` into a fresh
SQLite data map, unit after unit, and prints the rate per unit as the map
grows; then times :meth:`DataMap.link_subjects` on the result. Nothing is
detected or read, so the figures are the driver's own cost.

Variants (``--variant``, repeatable; default all):

* ``default``: the data map as the engine opens it;
* ``cache``: the same plus ``PRAGMA cache_size=-262144`` (256 MiB page cache
  instead of the 64 MiB the data map sets; SQLite's default is 2 MiB) on every connection;
* ``core``: ``cache`` plus the rows handed to ``sqlite3.executemany`` as
  tuples, bypassing SQLAlchemy's per-row dict processing (the same SQL; since
  ``write_unit`` does this itself through ``insert_rows``, ``core`` now
  measures the same path as ``default`` plus the larger cache);
* ``deferred``: ``default`` as the engine runs a first scan into an empty
  map: ``DataMap.defer_indexes`` drops the hash-keyed indexes of ``findings``
  and ``restore_indexes`` builds them after the last unit (timed);
* ``noindex``: ``core`` with the hash-keyed indexes of ``findings``
  (``value_hash``, ``rkey``) dropped during the writes and recreated at the
  end (timed), as a first scan into an empty map could do.

The steps of ``link_subjects`` are timed one by one by ``benchmarks/link.py``.

Replay of real results (the driver's side of ``sql_scan.py``, in one process,
CPU time per phase): ``--capture DIR --db NAME`` scans every unit of the
``customers`` table of database NAME (load it with ``worker_split.py --db NAME
--load ROWS``) as a Dask task would (``engine.scan_unit_pickled``, fixed key)
and saves each pickled result in DIR; ``--replay DIR`` then does what the
engine does with them: unpickle, ``write_unit`` (indexes deferred as on a
first scan), ``restore_indexes``, ``link_subjects``, and prints each phase's
CPU time (best of ``--repeat``) and a SHA-256 over the map's records,
findings (encrypted values decrypted) and subjects, so that two code versions'
maps compare. Run it from a checkout of each version (``git archive``).

Usage::

    .venv/bin/python benchmarks/datamap_write.py                    # 20 units of 50 000 rows
    .venv/bin/python benchmarks/datamap_write.py --units 20 --variant default --link
    .venv/bin/python benchmarks/datamap_write.py --units 60 --variant default --variant cache
    .venv/bin/python benchmarks/datamap_write.py --pg --units 3 --link   # a PostgreSQL map
    .venv/bin/python benchmarks/datamap_write.py --capture /tmp/units --db piibench_worker
    .venv/bin/python benchmarks/datamap_write.py --replay /tmp/units --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages before benchmarks/detectors.py
from _common import RssSampler, Tee, human_bytes, machine_line  # noqa: E402
from sql_scan import mobile, personnummer  # noqa: E402

SECRET = bytes(range(32))


def unit_result(u: int, rows: int, keys: Any) -> Any:
    from pii_scan.datamap import FoundValue, RecordResult, UnitResult

    h = keys.hasher()
    recs = []
    for i in range(u * rows + 1, (u + 1) * rows + 1):
        ymd, serial, check = personnummer(i)
        pnr, email, phone = ymd + serial + check, f"kund{i}@example.se", "+46" + mobile(i)[1:]
        rr = RecordResult(h("record", f"crm\x1fpublic.customers\x1fid={i}")[:32], "sql", "crm", "public.customers",
                          f"id={i}", True, None)
        for field, kind, v in (("personnummer", "personnummer", pnr), ("email", "email", email), ("phone", "phone", phone)):
            rr.findings.append(FoundValue(field, kind, kind, h(kind, v), v[:4] + "****", 0.95, False, None,
                                          b"\x00" * (12 + len(v) + 16), True))
        recs.append(rr)
    res = UnitResult("crm", f"public.customers[id>={u * rows})", "sql", "fp", recs, rows)
    res.unit_id = h("unit", res.key)[:32]
    return res


def _core_write(dm: Any, scan_id: int, res: Any) -> int:
    """write_unit's SQL with tuples through sqlite3 executemany (what a leaner write_unit could do)."""
    from pii_scan.datamap import _now, findings_t, records_t, refs_t, units_t

    uid = res.unit_id
    recs, finds = [], []
    for r in res.records:
        if r.findings:
            recs.append((r.rkey, uid, r.store, r.source, r.container, r.item, r.structured,
                         r.record_date.isoformat(sep=" ") if r.record_date else None, r.location_enc))
        for f in r.findings:
            finds.append((r.rkey, uid, f.field, f.kind, f.subkind, f.value_hash, f.masked, f.confidence, f.test_data,
                          f.inside, f.enc_value, f.linkable))
    with dm.engine.begin() as c:
        for t in (findings_t, refs_t, records_t):
            c.execute(t.delete().where(t.c.unit_id == uid))
        cur = c.connection.driver_connection.cursor()
        cur.executemany("INSERT INTO records (rkey, unit_id, store, source, container, item, structured, record_date, "
                        "location_enc) VALUES (?,?,?,?,?,?,?,?,?)", recs)
        cur.executemany("INSERT INTO findings (rkey, unit_id, field, kind, subkind, value_hash, masked, confidence, "
                        "test_data, inside, enc_value, linkable) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", finds)
        c.execute(units_t.delete().where(units_t.c.unit_id == uid))
        c.execute(units_t.insert().values(unit_id=uid, source=res.source, key=res.key, store=res.store,
                                          fingerprint=res.fingerprint, status="done", records=res.rows,
                                          findings=len(finds), scan_id=scan_id, scanned_at=_now(), seconds=0.0))
    return len(finds)


def run(variant: str, units: list[Any], folder: Path, log: Tee, link: bool,
        url: str | None = None) -> None:
    import sqlalchemy as sa

    from pii_scan.datamap import DataMap

    path = folder / f"dm-{variant}.sqlite"
    dm = DataMap(url or f"sqlite:///{path}")
    if variant in ("cache", "core", "noindex"):
        @sa.event.listens_for(dm.engine, "connect")
        def _cache(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.execute("PRAGMA cache_size=-262144")

        dm.engine.dispose()
    scan_id = dm.start_scan({"benchmark": "datamap_write"})
    dropped: list[str] = []
    deferred = variant == "deferred" and dm.defer_indexes()
    if variant == "noindex":
        with dm.engine.begin() as c:
            for name, sql in c.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND name IN "
                "('ix_findings_value_hash', 'ix_findings_rkey')"
            ).all():
                c.exec_driver_sql(f"DROP INDEX {name}")
                dropped.append(sql)
    total_f = 0
    total_t = 0.0
    cpu0 = time.process_time()
    per: list[str] = []
    for k, res in enumerate(units):
        t = time.perf_counter()
        n = _core_write(dm, scan_id, res) if variant in ("core", "noindex") else dm.write_unit(scan_id, res)
        dt = time.perf_counter() - t
        total_f += n
        total_t += dt
        if k in (0, len(units) // 2, len(units) - 1) or (k + 1) % 10 == 0:
            per.append(f"unit {k + 1}: {n / dt:,.0f}/s at {total_f:,}")
    if deferred:
        t = time.perf_counter()
        dm.restore_indexes()
        di = time.perf_counter() - t
        total_t += di
        per.append(f"indexes built in {di:.1f} s")
    if dropped:
        t = time.perf_counter()
        with dm.engine.begin() as c:
            for sql in dropped:
                c.exec_driver_sql(sql)
        di = time.perf_counter() - t
        total_t += di
        per.append(f"indexes recreated in {di:.1f} s")
    cpu = time.process_time() - cpu0  # index builds included
    log(f"[{variant}] write_unit x{len(units)}: {total_t:.1f} s (process CPU {cpu:.1f} s), "
        f"{total_f / total_t:,.0f} findings/s overall; " + "; ".join(per))
    if link:
        t = time.perf_counter()
        with RssSampler() as rss:
            n = dm.link_subjects()
        dt = time.perf_counter() - t
        log(f"[{variant}] link_subjects on {total_f:,} findings: {dt:.1f} s ({total_f / dt:,.0f} findings/s), "
            f"{n:,} subjects, driver peak RSS {human_bytes(rss.peaks.driver)}")
    dm.close()
    if path.exists():
        log(f"[{variant}] file {human_bytes(path.stat().st_size)}")


def _pg_db(drop: bool = False) -> str:
    """A fresh ``piibench_dmw`` database on the local PostgreSQL server (or drop it)."""
    import sqlalchemy as sa

    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql("DROP DATABASE IF EXISTS piibench_dmw WITH (FORCE)")
        if not drop:
            c.exec_driver_sql("CREATE DATABASE piibench_dmw")
    admin.dispose()
    return "postgresql+psycopg2://postgres@127.0.0.1:5432/piibench_dmw"


def capture(folder: Path, db: str) -> None:
    """Every unit of ``db``'s customers table scanned and pickled as a worker sends it, one file each."""
    from worker_split import connector, settings

    from pii_scan.engine import RetryPolicy, scan_unit_pickled

    conn = connector(db)
    units = list(conn.units())
    conn.close()
    folder.mkdir(parents=True, exist_ok=True)
    for i, u in enumerate(units):
        (folder / f"unit-{i:04d}.pkl").write_bytes(scan_unit_pickled(conn, u, settings(), RetryPolicy()))
    print(f"captured {len(units)} units in {folder}")


def map_digest(url: str, keys: Any) -> tuple[int, int, int, str]:
    """(records, findings, subjects, SHA-256) of a data map's contents, encrypted values decrypted."""
    import hashlib

    import sqlalchemy as sa

    h = hashlib.sha256()
    counts = []
    eng = sa.create_engine(url)
    with eng.connect() as c:
        for q in ("SELECT rkey, unit_id, store, source, container, item, structured, record_date, location_enc "
                  "FROM records ORDER BY rkey",
                  "SELECT rkey, unit_id, field, kind, subkind, value_hash, masked, confidence, test_data, inside, "
                  "enc_value, linkable, entry FROM findings ORDER BY rkey, field, kind, value_hash",
                  "SELECT value_hash, subject FROM subjects ORDER BY value_hash"):
            n = 0
            for row in c.exec_driver_sql(q):
                row = tuple(keys.decrypt(v) if isinstance(v, bytes) else v for v in row)
                h.update(repr(row).encode())
                n += 1
            counts.append(n)
    eng.dispose()
    return counts[0], counts[1], counts[2], h.hexdigest()[:16]


def replay(folder: Path, repeat: int, log: Tee) -> None:
    """The engine's driver work on captured results, CPU time per phase (best of ``repeat``)."""
    from detectors import Scanner
    from pii_scan import gcpolicy
    from pii_scan.datamap import DataMap
    from pii_scan.engine import unpickle_result
    from pii_scan.keys import Keys
    from pii_scan.redact import Redactor

    blobs = [p.read_bytes() for p in sorted(folder.glob("unit-*.pkl"))]
    keys = Keys(SECRET)
    red = Redactor(Scanner(None), keys)
    best: dict[str, float] = {}
    digest: Any = None
    for _ in range(repeat):
        tmp = Path(tempfile.mkdtemp(prefix="piibench-replay-"))
        url = f"sqlite:///{tmp / 'datamap.sqlite'}"
        dm = DataMap(url)
        scan_id = dm.start_scan({"benchmark": "replay"})
        dm.defer_indexes()
        cpu = dict.fromkeys(("unpickle", "write_unit", "restore_indexes", "link_subjects"), 0.0)
        for blob in blobs:
            t = time.process_time()
            res, _retried = unpickle_result(blob)
            cpu["unpickle"] += time.process_time() - t
            t = time.process_time()
            res.unit_id = red.unit_id(res.source, res.key)
            res.key = red.mask(res.key) or ""
            with gcpolicy.paused():
                dm.write_unit(scan_id, res)
            del res
            cpu["write_unit"] += time.process_time() - t
        t = time.process_time()
        dm.restore_indexes()
        cpu["restore_indexes"] += time.process_time() - t
        t = time.process_time()
        n = dm.link_subjects()
        cpu["link_subjects"] += time.process_time() - t
        dm.close()
        cpu["all"] = sum(cpu.values())
        for k, v in cpu.items():
            best[k] = min(best.get(k, float("inf")), v)
        log("  run: " + ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items()) + f"; {n:,} subjects")
        digest = map_digest(url, keys)
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"replay of {len(blobs)} units, CPU best of {repeat}: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()))
    log(f"map: {digest[0]:,} records, {digest[1]:,} findings, {digest[2]:,} subject rows, sha256 {digest[3]}")


def main(argv: list[str] | None = None) -> int:
    from pii_scan.keys import Keys

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=20)
    ap.add_argument("--unit-rows", type=int, default=50_000)
    ap.add_argument("--variant", action="append", choices=("default", "deferred", "cache", "core", "noindex"))
    ap.add_argument("--link", action="store_true", help="also time link_subjects (default variant only)")
    ap.add_argument("--pg", action="store_true",
                    help="write into a PostgreSQL data map instead (database piibench_dmw on 127.0.0.1:5432, "
                         "created and dropped; variants default and deferred only)")
    ap.add_argument("--capture", type=Path, metavar="DIR", help="scan --db's units and save the pickled results in DIR")
    ap.add_argument("--db", default="piibench_worker", help="--capture: the database (see worker_split.py --load)")
    ap.add_argument("--replay", type=Path, metavar="DIR", help="write and link the results captured in DIR")
    ap.add_argument("--repeat", type=int, default=1, help="--replay: runs (fresh maps), best CPU time kept")
    args = ap.parse_args(argv)
    if args.capture:
        capture(args.capture, args.db)
        return 0
    log = Tee()
    log(machine_line())
    if args.replay:
        replay(args.replay, args.repeat, log)
        return 0
    keys = Keys(SECRET)
    t = time.perf_counter()
    units = [unit_result(u, args.unit_rows, keys) for u in range(args.units)]
    log(f"{args.units} synthetic units of {args.unit_rows:,} rows ({3 * args.units * args.unit_rows:,} findings) "
        f"made in {time.perf_counter() - t:.0f} s")
    folder = Path(tempfile.mkdtemp(prefix="piibench-dmw-"))
    try:
        for v in args.variant or (["default", "deferred"] if args.pg else ["default", "cache", "core"]):
            if args.pg and v not in ("default", "deferred"):
                raise SystemExit(f"variant {v} is SQLite-only")
            url = _pg_db() if args.pg else None
            try:
                run(v, units, folder, log, args.link and v == "default", url)
            finally:
                if url:
                    _pg_db(drop=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    log.save("datamap_write.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
