"""PostgreSQL scan throughput: rows/s end to end on a large customer table.

Creates a database ``piibench`` on the local PostgreSQL server (default
``postgresql://postgres@127.0.0.1:5432``, trust auth), loads a fictional
customer table with ``COPY`` from a generated stream, and scans it through the
engine (``pii_scan.engine.scan``: list units with fingerprints, read, detect,
hash, write the data map, link subjects) into a fresh SQLite data map.

The table has the shape of a real CRM table::

    customers(id bigint primary key, name, personnummer, email, phone,
              address, postal_code, city, created_at timestamp, notes)

Personnummer in mixed written forms (``19640823-3234``, ``196408233234``,
``640823-3234``, ``6408233234``); e-mail addresses in mixed case; mobile
numbers in six written forms; 85 % of rows hold all three identifiers, the
rest miss one; ``notes`` is empty on 60 % of rows, prose without identifiers
on 25 %, prose with order numbers, amounts and dates on 10 % and prose with a
phone number or e-mail on 5 %. Every value is fictional (random dates and
serials with a Luhn digit, ``example.se`` addresses, random 07x numbers) and
unique per row, so every row is its own data subject.

Steps (``--rows`` defaults to 5 000 000):

1. load ``--probe`` rows (200 000) and scan them with the default local Dask
   cluster (one worker process per core), then with ``--scheduler sync`` as a
   reference, then measure the split on one core: read only (iterate
   ``SqlConnector.read`` over every unit), read + detect + hash
   (``worker.scan_unit`` in process) and the pickled size of the results;
2. estimate the time of a ``--rows`` scan from the probe (linear); when it is
   under ``--budget`` minutes (20), grow the table to ``--rows`` and scan it,
   otherwise grow it to the largest round size that fits ``--fit`` minutes (15)
   and say so;
3. print rows, seconds, rows/s, findings, subjects, the driver-side split
   (plan, data-map writes, subject linking, worker busy time; when the last
   unit was written and how long the scan ran after it; when the deferred
   indexes were built; the driver's CPU time per phase: write_unit, unpickling
   results, restore_indexes, link_subjects, and in all), peak RSS, and
   PASS/MISS against the target of 100 000 rows/s end to end.

The data map and key are left in ``--dir`` when it is given (a fresh map each
run): with the same key file there, two runs' maps compare value for value.

Usage::

    .venv/bin/python benchmarks/sql_scan.py                  # probe, then 5M rows or what fits
    .venv/bin/python benchmarks/sql_scan.py --rows 1000000 --no-probe
    .venv/bin/python benchmarks/sql_scan.py --probe 50000 --rows 50000   # smoke run
    .venv/bin/python benchmarks/sql_scan.py --drop           # drop the piibench database and exit

The database is dropped at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages before benchmarks/detectors.py
from _common import (  # noqa: E402
    RssSampler,
    Tee,
    fresh_datamap,
    instrument_engine,
    load_line,
    machine_line,
    make_config,
    rusage_lines,
    target_line,
)

from detectors.checksums import luhn_check_digit  # noqa: E402

TARGET_ROWS_S = 100_000
DB = "piibench"
SERVER = "postgresql://postgres@127.0.0.1:5432"

# --------------------------------------------------------------------------- the table

_FIRST = ("Anna", "Eva", "Maria", "Karin", "Sara", "Kristina", "Lena", "Emma", "Ingrid", "Malin", "Elin", "Ida",
          "Linnéa", "Sofia", "Johanna", "Maja", "Åsa", "Märta", "Ebba", "Hanna", "Erik", "Lars", "Karl", "Anders",
          "Johan", "Per", "Nils", "Mikael", "Jan", "Hans", "Peter", "Olof", "Gustav", "Oskar", "Björn", "Göran",
          "Måns", "Axel", "Viktor", "Emil")
_LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
         "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson", "Lindberg",
         "Jakobsson", "Magnusson", "Lindström", "Olofsson", "Lindqvist", "Lindgren", "Berg", "Axelsson",
         "Bergström", "Lundberg", "Lind", "Lundgren", "Sjöberg", "Wallin", "Engström", "Åberg", "Öberg")
_STREETS = ("Storgatan", "Drottninggatan", "Kungsgatan", "Skolvägen", "Björkvägen", "Parkvägen", "Kyrkogatan",
            "Ringvägen", "Industrigatan", "Stationsvägen", "Östra Långgatan", "Sveavägen", "Åsgatan")
_CITIES = (("Stockholm", "11"), ("Göteborg", "41"), ("Malmö", "21"), ("Uppsala", "75"), ("Västerås", "72"),
           ("Örebro", "70"), ("Linköping", "58"), ("Umeå", "90"), ("Luleå", "97"), ("Växjö", "35"))
_DOMAINS = ("example.se", "example.com", "exempel.se")
_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "Å": "A", "Ä": "A", "Ö": "O"})
_PLAIN_NOTES = (
    "Kunden ringde om leveransen, allt löst.",
    "Vill ha faktura via e-post framöver.",
    "Har frågat om medlemsrabatt, återkom i vår.",
    "Flyttat, ny adress registrerad.",
    "Reklamation av trasig vara, ersatt.",
    "Önskar inga utskick per post.",
    "Betalningspåminnelse skickad, betalt nu.",
    "Kontakta helst efter kl 17.",
)
_DECOY_NOTES = (
    "Order {o} levererad {d}, belopp {a} kr.",
    "Faktura {o} krediterad {d} ({a} kr), ärende {o2}.",
    "Retur av artikel {o2}, återbetalt {a} kr den {d}.",
)
_ID_NOTES = (
    "Nås enklast på {p}.",
    "Skicka kopia till {e}, gäller order {o}.",
    "Anhörig: {n}, tel {p}.",
)

_BIRTH0 = date(1935, 1, 1)
_NDAYS = (date(2006, 12, 31) - _BIRTH0).days + 1
_PNR_SPACE = _NDAYS * 999  # serials 001..999: about 26 million distinct personnummer
_PHONE_SPACE = 40_000_000  # 07[0236] + 7 digits
_CREATED0 = datetime(2012, 1, 1)
_CREATED_SPAN = int((datetime(2025, 6, 1) - _CREATED0).total_seconds())


def personnummer(i: int) -> tuple[str, str, str]:
    """A unique fictional personnummer for row ``i``: (YYYYMMDD, NNN, check digit)."""
    k = (i * 7_919 + 104_729) % _PNR_SPACE  # a bijection on the space (7919 is prime, coprime with it)
    d = _BIRTH0 + timedelta(days=k % _NDAYS)
    serial = f"{k // _NDAYS + 1:03d}"
    ymd = d.strftime("%Y%m%d")
    return ymd, serial, luhn_check_digit(ymd[2:] + serial)


def mobile(i: int) -> str:
    k = (i * 15_485_863 + 7) % _PHONE_SPACE
    return "07" + "0236"[k // 10_000_000] + f"{k % 10_000_000:07d}"


def phone_form(n: str, form: int) -> str:
    a, b, c, d = n[:3], n[3:6], n[6:8], n[8:]
    return (f"{a}-{b} {c} {d}", n, f"+46 {a[1:]} {b} {c} {d}", "+46" + n[1:], f"{a}-{b}{c}{d}", f"{a} {b} {c} {d}")[form]


def pnr_form(ymd: str, serial: str, check: str, form: int) -> str:
    if form < 8:
        return f"{ymd}-{serial}{check}"
    if form < 12:
        return f"{ymd}{serial}{check}"
    if form < 16:
        return f"{ymd[2:]}-{serial}{check}"
    return f"{ymd[2:]}{serial}{check}"


def _esc(v: str | None) -> str:
    return "\\N" if v is None else v  # no tab, newline or backslash in any generated value


def rows_tsv(start: int, stop: int, seed: int = 1) -> Any:
    """COPY text-format lines for ids ``start`` .. ``stop - 1`` (deterministic per id)."""
    for chunk in range(start, stop, 10_000):
        rng = Random(seed * 1_000_003 + chunk)
        r, ch = rng.random, rng.choice
        lines = []
        for i in range(chunk, min(stop, chunk + 10_000)):
            first, last = ch(_FIRST), ch(_LAST)
            ymd, serial, check = personnummer(i)
            u = r()
            pnr = None if u < 0.02 else pnr_form(ymd, serial, check, int(r() * 20))
            local = f"{first}.{last}{i}".translate(_ASCII)
            email = None if 0.02 <= u < 0.07 else (f"{local}@{ch(_DOMAINS)}" if r() < 0.9 else f"{local.upper()}@EXAMPLE.SE")
            mob = mobile(i)
            phone = None if 0.07 <= u < 0.15 else phone_form(mob, int(r() * 6))
            city, zip2 = ch(_CITIES)
            created = _CREATED0 + timedelta(seconds=int(r() * _CREATED_SPAN))
            v = r()
            if v < 0.60:
                notes = None
            elif v < 0.85:
                notes = ch(_PLAIN_NOTES)
            elif v < 0.95:
                notes = ch(_DECOY_NOTES).format(
                    o=int(r() * 9e6) + 1_000_000, o2=int(r() * 9e8) + 100_000_000,
                    d=(created + timedelta(days=int(r() * 90))).strftime("%Y-%m-%d"),
                    a=f"{int(r() * 20000)},{int(r() * 100):02d}")
            else:
                notes = ch(_ID_NOTES).format(p=phone_form(mobile(i + 1_000_003), int(r() * 6)),
                                            e=f"{ch(_FIRST)}.{ch(_LAST)}{i}@exempel.se".lower().translate(_ASCII),
                                            o=int(r() * 9e6) + 1_000_000, n=f"{ch(_FIRST)} {last}")
            lines.append("\t".join((
                str(i), f"{first} {last}", _esc(pnr), _esc(email), _esc(phone),
                f"{ch(_STREETS)} {int(r() * 120) + 1}", f"{zip2}{int(r() * 1000):03d}", city,
                created.isoformat(sep=" "), _esc(notes),
            )))
        yield ("\n".join(lines) + "\n").encode("utf-8")


class _Stream(io.RawIOBase):
    """A file-like view of a generator of byte chunks, for ``copy_expert``."""

    def __init__(self, chunks: Any) -> None:
        self._it = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        while size < 0 or len(self._buf) < size:
            try:
                self._buf += next(self._it)
            except StopIteration:
                break
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out


# --------------------------------------------------------------------------- database


def _connect(db: str) -> Any:
    import psycopg2

    conn = psycopg2.connect(f"{SERVER}/{db}")
    return conn


def create_db(db: str | None = None, reuse: bool = False) -> None:
    """A fresh database ``db`` with an empty ``customers`` table (its primary key is added after the load).

    With ``reuse``, a database that already has the table is kept as it is (rows and all)."""
    db = db or DB
    if reuse and _has_table():
        return
    conn = _connect("postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {db}")
        cur.execute(f"CREATE DATABASE {db}")
    conn.close()
    conn = _connect(db)
    with conn, conn.cursor() as cur:
        cur.execute(
            """CREATE TABLE customers (
                 id bigint NOT NULL, name text, personnummer text, email text, phone text,
                 address text, postal_code text, city text, created_at timestamp, notes text)"""
        )
    conn.close()


def drop_db() -> None:
    conn = _connect("postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    conn.close()


def _has_table() -> bool:
    import psycopg2

    try:
        table_rows()
    except psycopg2.Error:  # no such database or table
        return False
    return True


def table_rows() -> int:
    conn = _connect(DB)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers")
        n = cur.fetchone()[0]
    conn.close()
    return int(n)


def grow_table(upto: int, log: Tee) -> None:
    """Append rows so that the table holds ids 1..upto (primary key rebuilt after the COPY)."""
    have = table_rows()
    if have >= upto:
        return
    t = time.perf_counter()
    conn = _connect(DB)
    with conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE customers DROP CONSTRAINT IF EXISTS customers_pkey")
        cur.copy_expert("COPY customers FROM STDIN", _Stream(rows_tsv(have + 1, upto + 1)), size=1 << 20)
        cur.execute("ALTER TABLE customers ADD PRIMARY KEY (id)")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE customers")
        cur.execute("SELECT pg_total_relation_size('customers')")
        size = cur.fetchone()[0]
    conn.close()
    dt = time.perf_counter() - t
    log(f"loaded rows {have + 1:,}..{upto:,} with COPY in {dt:.1f} s ({(upto - have) / dt:,.0f} rows/s); "
        f"table + index {size / 2**20:,.0f} MiB")


# --------------------------------------------------------------------------- measurements


def sql_config(base: Path) -> Any:
    return make_config(base, [{
        "name": "crm", "type": "sql", "url": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}",
        "include": ["customers"],
    }])


def end_to_end(cfg: Any, scheduler: str | None, log: Tee, label: str) -> dict[str, Any]:
    from pii_scan.engine import scan

    fresh_datamap(cfg)
    with RssSampler() as rss, instrument_engine() as split:
        t = time.perf_counter()
        summary = scan(cfg, scheduler=scheduler, progress=False)
        wall = time.perf_counter() - t
    workers = 1 if scheduler == "sync" else (os.cpu_count() or 1)
    rate = summary.records / wall if wall else 0.0
    log(f"[{label}] scheduler={scheduler or 'local Dask cluster'}: rows {summary.records:,}, "
        f"{wall:.1f} s, {rate:,.0f} rows/s, findings {summary.findings:,}, subjects {summary.subjects:,}, "
        f"units {summary.units_scanned} ({summary.units_failed} failed), status {summary.status}")
    for line in split.lines(wall, workers):
        log(line)
    log(f"  {load_line()} (after the run)")
    for line in rss.peaks.lines():
        log("  " + line)
    return {"rows": summary.records, "seconds": wall, "rate": rate, "findings": summary.findings,
            "subjects": summary.subjects, "split": split, "rss": rss.peaks}


def one_core_split(cfg: Any, log: Tee) -> None:
    """Read only / read + detect + hash / result size, on one core, in this process."""
    from connectors.registry import build
    from pii_scan.keys import load_keys
    from pii_scan.worker import ScanSettings, scan_unit

    src = cfg.sources[0]
    conn = build(src.name, src.options)
    t = time.perf_counter()
    units = list(conn.units())
    t_units = time.perf_counter() - t
    conn.close()
    rows = 0
    t = time.perf_counter()
    for u in units:
        for _ in conn.read(u):
            rows += 1
        conn.close()
    t_read = time.perf_counter() - t
    keys = load_keys(cfg.key_file)
    settings = ScanSettings(cfg.kinds, cfg.min_confidence, cfg.store_values, keys.secret)
    t_scan = 0.0
    t_pickle = 0.0
    nbytes = 0
    findings = 0
    for u in units:
        t = time.perf_counter()
        res = scan_unit(conn, u, settings)
        t_scan += time.perf_counter() - t
        findings += sum(len(r.findings) for r in res.records)
        t = time.perf_counter()
        blob = pickle.dumps(res, protocol=5)
        pickle.loads(blob)
        t_pickle += time.perf_counter() - t
        nbytes += len(blob)
    t_detect = t_scan - t_read
    log(f"[one core] {len(units)} units, {rows:,} rows, {findings:,} findings")
    log(f"  list units + fingerprints: {t_units:6.2f} s ({rows / t_units:,.0f} rows/s)")
    log(f"  read only (SqlConnector.read): {t_read:6.2f} s ({rows / t_read:,.0f} rows/s)")
    log(f"  read + detect + hash (scan_unit): {t_scan:6.2f} s ({rows / t_scan:,.0f} rows/s)")
    log(f"  => detect + hash alone: {t_detect:6.2f} s ({rows / t_detect:,.0f} rows/s, "
        f"{1e6 * t_detect / rows:.1f} us/row)")
    log(f"  results pickled: {nbytes / 2**20:,.1f} MiB ({nbytes / max(1, findings):.0f} B/finding), "
        f"dumps+loads {t_pickle:.2f} s")


def nice_floor(n: int) -> int:
    """The largest 1/2/2.5/5 x 10^k round number not above n."""
    p = 10 ** (len(str(max(1, n))) - 1)
    for m in (10, 5, 4, 2.5, 2, 1.5, 1):
        if m * p <= n:
            return int(m * p)
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5_000_000, help="table size to scan (default 5 000 000)")
    ap.add_argument("--probe", type=int, default=200_000, help="probe size for the time estimate (default 200 000)")
    ap.add_argument("--no-probe", action="store_true", help="scan --rows directly")
    ap.add_argument("--budget", type=float, default=20.0, help="minutes: scan --rows only if the estimate is under this")
    ap.add_argument("--fit", type=float, default=15.0, help="minutes: otherwise scan the largest round size that fits")
    ap.add_argument("--no-sync", action="store_true", help="skip the --scheduler sync reference at the probe size")
    ap.add_argument("--scheduler", default=None, help="for the main run: default local cluster; 'sync' or tcp://...")
    ap.add_argument("--dir", type=Path, help="data map and key folder (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the piibench database")
    ap.add_argument("--drop", action="store_true", help="drop the piibench database and exit")
    ap.add_argument("--db", default="piibench", help="database name (default piibench); created and dropped like it")
    ap.add_argument("--reuse", action="store_true", help="keep the table of an earlier --keep run instead of reloading it")
    args = ap.parse_args(argv)
    global DB  # noqa: PLW0603 (one database per run, named once)
    DB = args.db
    if args.drop:
        drop_db()
        return 0
    log = Tee()
    log(machine_line())
    base = args.dir or Path(tempfile.mkdtemp(prefix="piibench-sql-"))
    cfg = sql_config(base)
    t_all = time.perf_counter()
    try:
        create_db(reuse=args.reuse)
        size = args.rows
        if not args.no_probe and args.probe < args.rows:
            log(f"== probe: {args.probe:,} rows")
            grow_table(args.probe, log)
            probe = end_to_end(cfg, None, log, f"probe {args.probe:,}")
            if not args.no_sync:
                end_to_end(cfg, "sync", log, f"reference {args.probe:,}")
            one_core_split(cfg, log)
            est = probe["seconds"] * args.rows / max(1, probe["rows"])
            log(f"estimate for {args.rows:,} rows: {est / 60:.1f} min (linear in rows from the probe)")
            if est > args.budget * 60:
                size = nice_floor(int(probe["rows"] * args.fit * 60 / probe["seconds"]))
                size = max(size, args.probe)
                log(f"over the {args.budget:.0f} min budget: scanning {size:,} rows instead "
                    f"(largest round size estimated to fit {args.fit:.0f} min)")
        log(f"== main run: {size:,} rows")
        grow_table(size, log)
        main_run = end_to_end(cfg, args.scheduler, log, f"main {size:,}")
        if args.no_probe and not args.no_sync:
            one_core_split(cfg, log)
        for line in rusage_lines():
            log(line)
        log(target_line(f"PostgreSQL end to end ({main_run['rows']:,} rows)", main_run["rate"], TARGET_ROWS_S, "rows/s"))
        log(f"total benchmark time {time.perf_counter() - t_all:.0f} s")
    finally:
        if not args.keep:
            drop_db()
    p = log.save("sql_scan.txt")
    print(f"(saved to {p})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
