"""Incremental rescan: an unchanged estate, and one with 1 % of its units changed.

Builds an estate of many units:

* the fictional estate of :func:`pii_scan.estate.build_estate` (``--customers``,
  default 5 000): its SQLite CRM (``crm``, ``chunk_rows`` = ``--chunk-rows``) and
  its file share (``share``);
* ``--files`` extra files (default 300, about 150 KB each) under
  ``share/bulk/``: CSV exports, JSON Lines orders, logs and notes, generated
  as in ``benchmarks/files_scan.py``;
* with PostgreSQL reachable on 127.0.0.1:5432 (and unless ``--no-pg``): a
  database ``piibench_rescan`` with a ``customers`` table of ``--pg-rows`` rows
  (default 200 000; the rows of ``benchmarks/sql_scan.py``), source ``pg``,
  split into units of ``--chunk-rows`` rows. Dropped at the end.

Then, each into the same data map, timed separately:

1. a full scan (fresh data map);
2. a rescan with nothing changed: every unit's fingerprint matches, nothing
   is read; the time is listing + fingerprints + the end-of-scan steps;
3. a rescan after touching 1 % of the units: rewriting (same bytes, new
   mtime) 1 % of the files and updating one row in 1 % of the SQL key-range
   units (PostgreSQL and SQLite);

and prints the times, the ratios to the full scan with PASS/MISS against
5 %, and the driver-side split of each (plan, data-map writes, subject
linking) so that the cost of an unchanged rescan can be attributed.

Usage::

    .venv/bin/python benchmarks/rescan.py
    .venv/bin/python benchmarks/rescan.py --customers 20000 --files 1000 --pg-rows 1000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages before benchmarks/detectors.py
from _common import RssSampler, Tee, instrument_engine, load_line, machine_line, make_config, target_line  # noqa: E402

TARGET_RATIO = 0.05


def build(root: Path, args: argparse.Namespace, log: Tee) -> list[dict[str, Any]]:
    from files_scan import _write_until, csv_lines, jsonl_lines, log_lines, text_lines

    from pii_scan.estate import build_estate

    t = time.perf_counter()
    build_estate(root, customers=args.customers)
    bulk = root / "share" / "bulk"
    gens = [(csv_lines, "csv", "kundnr;namn;personnummer;e-post;telefon;adress;postnr;ort;registrerad;anteckning\n"),
            (jsonl_lines, "jsonl", ""), (log_lines, "log", ""), (text_lines, "txt", "")]
    for k in range(args.files):
        fn, ext, header = gens[k % len(gens)]
        _write_until(bulk / f"{ext}/part-{k:05d}.{ext}", args.file_kb * 1000, fn(k), header)
    sources: list[dict[str, Any]] = [
        {"name": "crm", "type": "sql", "url": f"sqlite:///{root / 'crm.sqlite'}", "chunk_rows": args.chunk_rows},
        {"name": "share", "type": "files", "path": str(root / "share")},
    ]
    log(f"estate: {args.customers:,} customers, {args.files} extra files of {args.file_kb} KB, built in "
        f"{time.perf_counter() - t:.0f} s")
    if args.pg_rows and not args.no_pg:
        import sql_scan

        sql_scan.DB = "piibench_rescan"
        sql_scan.create_db()
        sql_scan.grow_table(args.pg_rows, log)
        sources.append({"name": "pg", "type": "sql", "url": "postgresql+psycopg2://postgres@127.0.0.1:5432/piibench_rescan",
                        "chunk_rows": args.chunk_rows})
    return sources


def touch(cfg: Any, share: float, rng: Random, log: Tee) -> None:
    """Change ``share`` of the units of every source: files rewritten, one row updated per SQL range."""
    from connectors.registry import build

    for src in cfg.sources:
        conn = build(src.name, src.options)
        units = list(conn.units())
        conn.close()
        k = max(1, round(len(units) * share))
        chosen = rng.sample(units, k)
        if src.type == "files":
            for u in chosen:
                p = Path(src.options["path"]) / u.param("path", u.key)
                data = p.read_bytes()
                p.write_bytes(data)
                st = p.stat()
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        else:
            for u in chosen:
                prm = dict(u.params)
                key = prm["key"][0] if prm["key"] else None
                table = prm["table"]
                lo = prm.get("lower")
                where = f"{key} >= {lo[0]}" if lo else "1=1"
                url = src.options["url"]
                if url.startswith("sqlite"):
                    con = sqlite3.connect(url[len("sqlite:///"):])
                    # a value change the checksum sees: append a space to the first text column
                    col = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[2].upper() == "TEXT"][0]
                    con.execute(f"UPDATE {table} SET {col} = coalesce({col}, '') || ' ' "
                                f"WHERE {key} = (SELECT min({key}) FROM {table} WHERE {where})")
                    con.commit()
                    con.close()
                else:
                    import psycopg2

                    con = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
                    with con, con.cursor() as cur:
                        cur.execute(f"UPDATE {table} SET notes = coalesce(notes, '') || ' ' "
                                    f"WHERE {key} = (SELECT min({key}) FROM {table} WHERE {where})")
                    con.close()
        log(f"  touched {k} of {len(units)} units of {src.name} ({src.type})")


def run(cfg: Any, label: str, log: Tee) -> tuple[Any, float]:
    from pii_scan.engine import scan

    with RssSampler() as rss, instrument_engine() as split:
        t = time.perf_counter()
        s = scan(cfg, progress=False)
        wall = time.perf_counter() - t
    log(f"[{label}] {wall:.1f} s: units {s.units_total} listed, {s.units_scanned} scanned, {s.units_skipped} skipped, "
        f"{s.units_failed} failed; records {s.records:,}, findings {s.findings:,}, subjects {s.subjects:,}")
    for line in split.lines(wall, os.cpu_count() or 1):
        log(line)
    log(f"  {load_line()} (after the run)")
    log(f"  peak RSS driver {rss.peaks.driver / 2**20:,.0f} MiB, largest worker {rss.peaks.child_max / 2**20:,.0f} MiB")
    return s, wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--file-kb", type=int, default=150)
    ap.add_argument("--pg-rows", type=int, default=200_000)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--chunk-rows", type=int, default=5000, help="SQL rows per unit (default 5000)")
    ap.add_argument("--touch", type=float, default=0.01, help="share of units to change (default 0.01)")
    ap.add_argument("--dir", type=Path, help="build here (default: a temporary folder, removed after)")
    args = ap.parse_args(argv)
    log = Tee()
    log(machine_line())
    root = args.dir or Path(tempfile.mkdtemp(prefix="piibench-rescan-"))
    pg = bool(args.pg_rows and not args.no_pg)
    try:
        sources = build(root, args, log)
        cfg = make_config(root / "scan", sources)
        full_s, full = run(cfg, "full scan", log)
        _, same = run(cfg, "rescan, unchanged", log)
        touch(cfg, args.touch, Random(1), log)
        touched_s, touched = run(cfg, f"rescan, {args.touch:.0%} of units changed", log)
        log(f"full {full:.1f} s; unchanged rescan {same:.1f} s = {same / full:.1%} of full; "
            f"after changing {args.touch:.0%} of units {touched:.1f} s = {touched / full:.1%} of full")
        log(target_line("unchanged rescan / full scan", 100 * same / full, 100 * TARGET_RATIO, "%",
                        higher_is_better=False, fmt=".1f"))
        log(f"info  rescan after changing {touched_s.units_scanned} of {touched_s.units_total} units: "
            f"{100 * touched / full:.1f} % of the full scan")
    finally:
        if pg:
            import sql_scan

            sql_scan.DB = "piibench_rescan"
            sql_scan.drop_db()
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    log.save("rescan.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
