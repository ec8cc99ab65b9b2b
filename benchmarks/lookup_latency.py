"""Subject lookup latency (p50/p99) on a large synthetic data map.

Builds a SQLite data map with ``--findings`` findings (default 10 million)
directly, without scanning: the schema comes from :class:`pii_scan.datamap.DataMap`,
the rows are bulk-inserted with ``sqlite3.executemany`` in large transactions
(``PRAGMA synchronous=OFF``, ``journal_mode=OFF``, the data map's own indexes
dropped during the load and recreated from their stored SQL afterwards), and
every value hash is a real HMAC from :class:`pii_scan.keys.Keys`, so
:func:`pii_scan.lookup.lookup` finds people by personnummer, e-mail or phone
exactly as after a scan.

The map looks like a scanned company of ``findings / 5.9`` people:

* ``crm/public.customers``: one structured row per person (personnummer, e-mail,
  and a mobile number for 85 %), in 50 000-row units;
* ``crm/public.invoices``: about two invoices per person, each a foreign-key
  reference to the customer row (``related`` locations), no findings;
* ``share/exports/kunder_*.csv``: 40 % of the people again (personnummer, e-mail);
* ``shop/orders/*.jsonl``: on average one order per person (e-mail, phone;
  some people have none, a few have many);
* ``share/logs/app-*.log``: an e-mail in free text (not linkable) for 60 %;
* ``hr/public.employees``: 2 000 employee rows that all hold the switchboard
  number (a hub: it links nobody).

Subjects are written as the engine's ``link_subjects`` would (each person's
linked values share the smallest of their hashes as subject id); ``--link``
runs ``DataMap.link_subjects`` on the map instead and times it.

Then ``--queries`` lookups (default 1000) go through ``pii_scan.lookup.lookup``
on one open :class:`DataMap`: 90 % existing people (by personnummer, e-mail or
phone, in written forms), 10 % valid values that are not in the map, after
``--warmup`` calls that are not counted. The file is in the page cache (it has
just been written): these are warm-cache figures. Prints p50/p90/p99/max and
PASS/MISS against p99 < 50 ms, plus the query plans of the lookup's queries.

Usage::

    .venv/bin/python benchmarks/lookup_latency.py                       # 10M findings
    .venv/bin/python benchmarks/lookup_latency.py --findings 1000000 --link
    .venv/bin/python benchmarks/lookup_latency.py --reuse               # skip the build if the map exists
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages before benchmarks/detectors.py
from _common import OUT, RssSampler, Tee, human_bytes, load_line, machine_line, target_line  # noqa: E402
from sql_scan import _FIRST, _LAST, mobile, personnummer  # noqa: E402

TARGET_P99_MS = 50.0
SECRET = bytes(range(32))  # a fixed benchmark key: the map is fictional
FINDINGS_PER_PERSON = 5.9  # the expected value of the mix above
UNIT_ROWS = 50_000
BATCH = 200_000
SWITCHBOARD = "+46846500400"  # PTS fiction number


class Person:
    """Fictional identifiers of person ``i`` (canonical and written forms, hashes, masks)."""

    __slots__ = ("i", "pnr", "pnr_written", "email", "phone", "h_pnr", "h_email", "h_phone", "subject")

    h_phone: str | None

    def __init__(self, i: int, h: Any) -> None:
        ymd, serial, check = personnummer(i)
        self.i = i
        self.pnr = ymd + serial + check
        self.pnr_written = f"{ymd}-{serial}{check}"
        self.email = f"{_FIRST[i % len(_FIRST)]}.{_LAST[(i // 7) % len(_LAST)]}{i}@example.se".lower().translate(
            str.maketrans("åäöé", "aaoe"))
        self.phone = "+46" + mobile(i)[1:] if i % 20 < 17 else None
        self.h_pnr = h("personnummer", self.pnr)
        self.h_email = h("email", self.email)
        self.h_phone = h("phone", self.phone) if self.phone else None
        self.subject = min(x for x in (self.h_pnr, self.h_email, self.h_phone) if x)


def _mask(kind: str, v: str) -> str:
    if kind == "personnummer":
        return v[:8] + "-****"
    if kind == "email":
        local, _, dom = v.partition("@")
        return local[0] + "***@" + dom
    return v[:5] + "*****" + v[-2:]


class Builder:
    def __init__(self, path: Path, persons: int, seed: int, log: Tee) -> None:
        from pii_scan.keys import Keys

        self.path = path
        self.n = persons
        self.rng = Random(seed)
        self.keys = Keys(SECRET)
        self.h = self.keys.hasher()
        self.log = log
        self.pool = os.urandom(1 << 16)
        self.findings = 0
        self.records = 0
        self.refs = 0

    def _blob(self, n: int) -> bytes:
        k = self.rng.randrange(0, len(self.pool) - n)
        return self.pool[k : k + n]

    def _rkey(self, *parts: str) -> str:
        return self.h("record", "\x1f".join(parts))[:32]

    def _uid(self, source: str, key: str) -> str:
        return self.h("unit", f"{source}\x1f{key}")[:32]

    def build(self) -> None:
        from pii_scan.datamap import DataMap

        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                p.unlink()
        dm = DataMap(f"sqlite:///{self.path}")
        dm.check_key(self.keys.fingerprint())
        scan_id = dm.start_scan({"benchmark": "lookup_latency", "synthetic": True})
        dm.close()
        con = sqlite3.connect(self.path, isolation_level=None)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-1000000")  # 1 GB page cache while building
        indexes = [(n, sql) for n, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")]
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        t0 = time.perf_counter()
        self.con = con
        self.scan_id = scan_id
        self._units: dict[str, tuple[str, str, str, int, int]] = {}
        self._load()
        t_load = time.perf_counter() - t0
        self.log(f"  bulk insert: {t_load:.0f} s ({self.findings / t_load:,.0f} findings/s)")
        t = time.perf_counter()
        for name, sql in indexes:
            con.execute(sql)
        t_idx = time.perf_counter() - t
        self.log(f"  indexes recreated ({', '.join(n for n, _ in indexes)}): {t_idx:.0f} s")
        con.execute("PRAGMA journal_mode=WAL")  # as the DataMap leaves it
        con.close()

    def _flush(self, table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.con.execute("BEGIN")
        self.con.executemany(sql, rows)
        self.con.execute("COMMIT")
        rows.clear()

    REC_COLS = ("rkey", "unit_id", "store", "source", "container", "item", "structured", "record_date", "location_enc")
    FIND_COLS = ("rkey", "unit_id", "field", "kind", "subkind", "value_hash", "masked", "confidence", "test_data",
                 "inside", "linkable", "enc_value")
    REF_COLS = ("unit_id", "rkey_from", "rkey_to", "store", "source", "container", "item", "via", "location_enc")

    def _load(self) -> None:
        recs: list[tuple[Any, ...]] = []
        finds: list[tuple[Any, ...]] = []
        refs: list[tuple[Any, ...]] = []
        subj: dict[str, str] = {}
        rng = self.rng
        t0 = datetime(2015, 1, 1)

        def unit(source: str, store: str, key: str, n_rows: int) -> str:
            uid = self._uid(source, key)
            prev = self._units.get(uid)
            self._units[uid] = (source, key, store, (prev[3] if prev else 0) + n_rows, 0)
            return uid

        def record(uid: str, store: str, source: str, container: str, item: str, structured: bool) -> str:
            rk = self._rkey(source, container, item)
            recs.append((rk, uid, store, source, container, item, structured,
                         (t0 + timedelta(days=rng.randrange(3650))).isoformat(sep=" "), None))
            self.records += 1
            return rk

        def finding(rk: str, uid: str, field: str, kind: str, value: str, h: str, linkable: bool) -> None:
            finds.append((rk, uid, field, kind, kind, h, _mask(kind, value), 0.95, False, None, linkable,
                          self._blob(12 + len(value) + 16)))
            self.findings += 1

        def flush(force: bool = False) -> None:
            if force or len(finds) >= BATCH:
                self._flush("records", self.REC_COLS, recs)
                self._flush("findings", self.FIND_COLS, finds)
                self._flush("refs", self.REF_COLS, refs)

        def persons(step: int = 1, start: int = 1) -> Any:
            for i in range(start, self.n + 1, step):
                yield Person(i, self.h)

        # crm customers + invoices referencing them
        for p in persons():
            key = f"public.customers[id>={(p.i // UNIT_ROWS) * UNIT_ROWS})"
            uid = unit("crm", "sql", key, 1)
            rk = record(uid, "sql", "crm", "public.customers", f"id={p.i}", True)
            finding(rk, uid, "personnummer", "personnummer", p.pnr, p.h_pnr, True)
            finding(rk, uid, "email", "email", p.email, p.h_email, True)
            subj[p.h_pnr] = subj[p.h_email] = p.subject
            if p.phone and p.h_phone:
                finding(rk, uid, "phone", "phone", p.phone, p.h_phone, True)
                subj[p.h_phone] = p.subject
            for k in range(rng.choice((0, 1, 2, 2, 3, 4))):
                inv = p.i * 4 + k
                iuid = unit("crm", "sql", f"public.invoices[id>={(inv // UNIT_ROWS) * UNIT_ROWS})", 1)
                irk = self._rkey("crm", "public.invoices", f"id={inv}")
                refs.append((iuid, irk, rk, "sql", "crm", "public.invoices", f"id={inv}", "customer_id", None))
                self.refs += 1
            flush()
        flush(True)
        self._insert_subjects(subj)
        subj.clear()
        self.log(f"  crm: {self.findings:,} findings so far")
        # csv exports: 40 % of the people, one file per 200 000 rows
        line = 1
        for p in persons():
            if rng.random() >= 0.4:
                continue
            line += 1
            f = f"exports/kunder_{line // 200_000:03d}.csv"
            uid = unit("share", "files", f, 1)
            rk = record(uid, "files", "share", f, str(line % 200_000 + 2), True)
            finding(rk, uid, "Personnummer", "personnummer", p.pnr, p.h_pnr, True)
            finding(rk, uid, "E-post", "email", p.email, p.h_email, True)
            flush()
        flush(True)
        self.log(f"  csv: {self.findings:,} findings so far")
        # orders: about one per person on average, skewed (many have none, a few have many)
        n_orders = 0
        budget = int(self.n * 1.0)
        while n_orders < budget:
            # 80 % of orders from anyone, 20 % from the 1 % of frequent buyers (about 20 orders each)
            i = rng.randrange(1, self.n + 1) if rng.random() < 0.8 else rng.randrange(1, self.n // 100 + 2)
            p = Person(i, self.h)
            n_orders += 1
            f = f"orders/orders_{n_orders // 100_000:04d}.jsonl"
            uid = unit("shop", "files", f, 1)
            rk = record(uid, "files", "shop", f, str(n_orders % 100_000 + 1), True)
            finding(rk, uid, "$.customer.email", "email", p.email, p.h_email, True)
            if p.phone and p.h_phone:
                finding(rk, uid, "$.customer.phone", "phone", p.phone, p.h_phone, True)
            flush()
        flush(True)
        self.log(f"  orders: {self.findings:,} findings so far")
        # logs: free-text e-mail mentions, not linkable
        n = 0
        for p in persons():
            if rng.random() >= 0.6:
                continue
            n += 1
            f = f"logs/app-{n // 500_000:03d}.log"
            uid = unit("share", "files", f, 1)
            rk = record(uid, "files", "share", f, str(n % 500_000 + 1), False)
            finding(rk, uid, "text", "email", p.email, p.h_email, False)
            flush()
        # employees with the switchboard number (a hub)
        hs = self.h("phone", SWITCHBOARD)
        for e in range(1, 2001):
            uid = unit("hr", "sql", "public.employees", 1)
            rk = record(uid, "sql", "hr", "public.employees", f"id={e}", True)
            finding(rk, uid, "switchboard", "phone", SWITCHBOARD, hs, True)
        flush(True)
        self._insert_subjects({hs: hs})
        self.log(f"  logs, employees: {self.findings:,} findings, {self.records:,} records, {self.refs:,} refs")
        now = datetime.now().isoformat(sep=" ")
        rows = [(uid, src, key, store, "fp", "done", None, nrows, 0, self.scan_id, now, 1.0)
                for uid, (src, key, store, nrows, _) in self._units.items()]
        self._flush("units", ("unit_id", "source", "key", "store", "fingerprint", "status", "reason", "records",
                              "findings", "scan_id", "scanned_at", "seconds"), rows)

    def _insert_subjects(self, subj: dict[str, str]) -> None:
        rows = list(subj.items())
        for k in range(0, len(rows), BATCH):
            self._flush("subjects", ("value_hash", "subject"), rows[k : k + BATCH])


def plans(dm: Any, keys: Any, p: Person, log: Tee) -> None:
    """EXPLAIN QUERY PLAN of the statements lookup() runs, for one subject."""
    import sqlalchemy as sa

    from pii_scan.datamap import findings_t, records_t, refs_t, subjects_t

    h = p.h_pnr
    with dm.engine.connect() as c:
        hashes = sorted(r[0] for r in c.execute(sa.select(subjects_t.c.value_hash).where(subjects_t.c.subject == p.subject)))
        qs = {
            "subject of hash": sa.select(subjects_t.c.subject).where(subjects_t.c.value_hash == h),
            "hashes of subject": sa.select(subjects_t.c.value_hash).where(subjects_t.c.subject == p.subject),
            "findings of hashes": sa.select(findings_t.c.rkey, records_t.c.item).join(records_t, records_t.c.rkey == findings_t.c.rkey)
            .where(findings_t.c.value_hash.in_(hashes)),
            "other findings of records": sa.select(findings_t.c.rkey).join(records_t, records_t.c.rkey == findings_t.c.rkey)
            .where(findings_t.c.rkey.in_(["a" * 32, "b" * 32]), findings_t.c.value_hash.not_in(hashes), findings_t.c.linkable.is_(True)),
            "refs to records": sa.select(refs_t.c.item).where(refs_t.c.rkey_to.in_(["a" * 32, "b" * 32])),
        }
        for name, q in qs.items():
            sql = str(q.compile(dialect=dm.engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = [r[-1] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            log(f"  plan {name}: {' | '.join(plan)}")


def evict(path: Path) -> None:
    """Drop the map's pages from the OS page cache (this file only; nothing else is touched)."""
    for suffix in ("", "-wal"):
        q = Path(str(path) + suffix)
        if q.exists():
            fd = os.open(q, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def table_sizes(dm: Any, log: Tee) -> None:
    with dm.engine.connect() as c:
        try:
            rows = c.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").all()
        except Exception as exc:  # noqa: BLE001 - dbstat is a compile-time option
            log(f"  (no dbstat: {type(exc).__name__})")
            return
        n = c.exec_driver_sql("SELECT count(*) FROM findings").scalar() or 1
    log("  bytes per table/index: " + ", ".join(f"{name} {human_bytes(b)} ({b / n:.0f} B/finding)" for name, b in rows[:12]))


def time_lookups(dm: Any, keys: Any, queries: list[tuple[str, str, bool]], args: argparse.Namespace, log: Tee,
                 label: str) -> list[float]:
    from pii_scan.lookup import lookup

    times: list[float] = []
    hit_t: list[float] = []
    miss_t: list[float] = []
    sizes: list[int] = []
    warm: list[float] = []
    empty_hits = 0
    for k, (kind, value, hit) in enumerate(queries):
        t = time.perf_counter()
        locs = lookup(dm, keys, kind, value)
        dt = (time.perf_counter() - t) * 1000
        if k < args.warmup:
            warm.append(dt)
            continue
        times.append(dt)
        (hit_t if hit else miss_t).append(dt)
        if hit:
            sizes.append(len(locs))
            empty_hits += not locs
    log(f"{label} cache: {args.queries} lookups ({len(hit_t)} existing people, {len(miss_t)} absent values) after "
        f"{args.warmup} warm-up calls (first call {warm[0] if warm else 0:.1f} ms):")
    for name, xs in (("all", times), ("existing", hit_t), ("absent", miss_t)):
        if xs:
            log(f"  {name:9} p50 {percentile(xs, 50):6.2f} ms  p90 {percentile(xs, 90):6.2f} ms  "
                f"p99 {percentile(xs, 99):6.2f} ms  max {max(xs):6.2f} ms  mean {statistics.fmean(xs):6.2f} ms")
    if sizes:
        log(f"  locations per existing person: median {statistics.median(sizes):.0f}, max {max(sizes)}; "
            f"{empty_hits} existing people returned nothing")
    return times


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(q / 100 * (len(s) - 1)))))
    return s[k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--findings", type=int, default=10_000_000, help="target number of findings (default 10 000 000)")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--misses", type=float, default=0.1, help="share of lookups for values not in the map")
    ap.add_argument("--path", type=Path, help="data map file (default benchmarks/out/lookup-<N>.sqlite)")
    ap.add_argument("--reuse", action="store_true", help="reuse the map if it exists")
    ap.add_argument("--link", action="store_true", help="run DataMap.link_subjects on the map and time it")
    ap.add_argument("--keep", action="store_true", help="keep the map file (default: removed at the end)")
    ap.add_argument("--cold", action="store_true",
                    help="also time the lookups after evicting the map file from the page cache (posix_fadvise)")
    ap.add_argument("--table-sizes", action="store_true", help="print bytes per table and index (SQLite dbstat)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    from pii_scan.datamap import DataMap
    from pii_scan.keys import Keys
    from pii_scan.lookup import lookup

    log = Tee()
    log(machine_line())
    persons = max(1000, int(args.findings / FINDINGS_PER_PERSON))
    OUT.mkdir(parents=True, exist_ok=True)
    path = args.path or OUT / f"lookup-{args.findings}.sqlite"
    if not (args.reuse and path.exists()):
        log(f"building a data map of about {args.findings:,} findings ({persons:,} people) in {path}")
        t = time.perf_counter()
        with RssSampler() as rss:
            Builder(path, persons, args.seed, log).build()
        log(f"  built in {time.perf_counter() - t:.0f} s; file {human_bytes(path.stat().st_size)}; "
            f"peak RSS {human_bytes(rss.peaks.driver)}")
    dm = DataMap(f"sqlite:///{path}")
    counts = dm.counts()
    with dm.engine.connect() as c:
        nrefs = c.exec_driver_sql("SELECT count(*) FROM refs").scalar()
    log(f"data map: {counts['findings']:,} findings, {counts['records']:,} records, {nrefs:,} refs, "
        f"{counts['subjects']:,} subjects, {counts['units']:,} units; file {human_bytes(path.stat().st_size)}")
    if args.link:
        t = time.perf_counter()
        with RssSampler() as rss:
            n = dm.link_subjects()
        dt = time.perf_counter() - t
        log(f"link_subjects: {dt:.1f} s ({counts['findings'] / dt:,.0f} findings/s), {n:,} subjects, "
            f"peak RSS {human_bytes(rss.peaks.driver)}")
    keys = Keys(SECRET)
    rng = Random(args.seed + 1)
    queries: list[tuple[str, str, bool]] = []
    for _ in range(args.warmup + args.queries):
        if rng.random() < args.misses:
            p = Person(persons + 1 + rng.randrange(10_000_000), keys.hasher())
            hit = False
        else:
            p = Person(rng.randrange(1, persons + 1), keys.hasher())
            hit = True
        kind = rng.choice(("personnummer", "email", "phone") if p.phone else ("personnummer", "email"))
        value = {"personnummer": p.pnr_written, "email": p.email.upper() if rng.random() < 0.2 else p.email,
                 "phone": "0" + p.phone[3:] if p.phone else ""}[kind]
        queries.append((kind, value, hit))
    if args.table_sizes:
        table_sizes(dm, log)
    runs = [("warm", False)] + ([("cold", True)] if args.cold else [])
    all_times: dict[str, list[float]] = {}
    for label, cold in runs:
        if cold:
            dm.engine.dispose()
            evict(path)
        all_times[label] = time_lookups(dm, keys, queries, args, log, label)
    times = all_times["warm"]
    t = time.perf_counter()
    hub = lookup(dm, keys, "phone", "08-465 004 00")
    hub_ms = (time.perf_counter() - t) * 1000
    log(f"  {load_line()}")
    log(f"  switchboard hub (2 000 rows): {hub_ms:.1f} ms, {len(hub)} locations")
    plans(dm, keys, Person(1, keys.hasher()), log)
    dm.close()
    for label, xs in all_times.items():
        log(target_line(f"lookup p99 on {counts['findings']:,} findings ({label} cache)", percentile(xs, 99),
                        TARGET_P99_MS, "ms", higher_is_better=False, fmt=".2f"))
    log.save(f"lookup_latency-{args.findings}.txt")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            q = Path(str(path) + suffix)
            if q.exists():
                q.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
