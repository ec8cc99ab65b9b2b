"""Scale: one fictional estate over every kind of store, scanned whole, then a nightly rescan after 1 % changed.

The estate (all fictional, from the generators the other benchmarks use):

* **pg**: ``customers`` in a PostgreSQL database ``piiscale`` (the shape of
  ``sql_scan.py``: id, name, personnummer, email, phone, address, postal code,
  city, created_at, notes), loaded with ``COPY``;
* **mariadb**: the same table in a MariaDB database ``piiscale`` (other people:
  ids continue after PostgreSQL's), loaded with ``LOAD DATA LOCAL INFILE``;
* **s3**: the mixed files of ``s3_vs_disk.py`` (CSV, JSON Lines, logs, gzip'd
  logs, Parquet, XLSX, DOCX, PDF, zip, notes) uploaded to a bucket of a
  ``moto_server`` on loopback (boto3 over HTTP; moto keeps objects in memory,
  so the S3 share is bounded by RAM, not disk);
* **mbox**: one large mbox of ``mbox.py``'s mail (text, HTML, attachments);
* **maildir**: a Maildir of the same mail, one file per message.

``--rows`` (SQL rows in all, 60 % PostgreSQL / 40 % MariaDB), ``--s3-mb``,
``--mbox-mb`` and ``--maildir`` set the sizes; the defaults are the issue's
(10 million rows, 20 GB S3, 5 GB mbox, 200 000 messages); ``--scale F``
multiplies all of them. Generated files and tables are cached in ``--dir``
and reused when their size matches.

Steps:

1. **full scan**: one ``pii_scan.engine.scan(full=True)`` of every store into
   one SQLite data map (subjects linked across stores once, at the end), on
   the local Dask cluster (default) or ``--scheduler``. Per store, from each
   unit's result: units, records, findings, worker time (read + detect + hash,
   summed over its units), records/s and MB/s per worker, and when its first
   and last results came in; for the scan: wall time, how busy the workers
   were, and the peak RSS of the driver and of every worker process (psutil,
   every 0.2 s; the moto server and the database servers are not counted).
2. **1 % change**: ``--change`` (0.01) of every store: SQL tables get that
   share of rows appended (new customers) and as many recent rows updated;
   S3 gets that share of objects added; the mbox gets that share of messages
   appended; the Maildir that share of new messages.
3. **nightly scan**: ``scan()`` of all stores, incremental (unchanged units
   are skipped by fingerprint): its time as a share of the full scan.
4. optionally ``--dask-store NAME``: that store alone, full, on the local
   cluster and then on a real ``dask scheduler`` with 1 and with 2 ``dask
   worker`` processes (speedup per worker), each into a fresh data map;
   ``--dask-only`` runs just this step.

Usage::

    .venv/bin/python benchmarks/scale.py --scale 0.01            # a smoke run (minutes)
    .venv/bin/python benchmarks/scale.py --rows 1000000 --s3-mb 500 --mbox-mb 5000 --maildir 200000
    .venv/bin/python benchmarks/scale.py --drop                  # drop the databases and exit

Results are printed and saved to ``benchmarks/out/scale.txt`` (and ``.json``).
No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from random import Random
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import mbox as mailgen  # noqa: E402
import s3_vs_disk  # noqa: E402
import sql_scan  # noqa: E402
from _common import RssSampler, Tee, human_bytes, load_line, machine_line, make_config  # noqa: E402

MB = 1_000_000
DB = "piiscale"
PG_SHARE = 0.6
MARIADB_SERVER = "mysql+pymysql://root@127.0.0.1:3306"
BUCKET = "pii-scale"


# --------------------------------------------------------------------------- generation


def _pg_rows() -> int:
    try:
        return sql_scan.table_rows()
    except Exception:  # noqa: BLE001 - no database yet
        return -1


def gen_pg(rows: int, log: Tee) -> None:
    sql_scan.DB = DB
    have = _pg_rows()
    if have == rows:
        log(f"pg: reusing {DB}.customers ({rows:,} rows)")
        return
    if have < 0 or have > rows:
        sql_scan.create_db()
    sql_scan.grow_table(rows, log)


def _my(db: str | None = None) -> Any:
    import pymysql

    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=db,
                           local_infile=True, autocommit=True)


def mariadb_rows() -> int:
    try:
        con = _my(DB)
    except Exception:  # noqa: BLE001
        return -1
    try:
        with con.cursor() as cur:
            cur.execute("SELECT count(*) FROM customers")
            return int(cur.fetchone()[0])
    except Exception:  # noqa: BLE001
        return -1
    finally:
        con.close()


def _load_mariadb(start: int, stop: int, seed: int) -> None:
    """Rows with ids ``start .. stop - 1`` from ``sql_scan.rows_tsv``, through a temporary TSV file."""
    with tempfile.NamedTemporaryFile("wb", suffix=".tsv", delete=False) as fh:
        for chunk in sql_scan.rows_tsv(start, stop, seed=seed):
            fh.write(chunk)
        path = fh.name
    try:
        con = _my(DB)
        with con.cursor() as cur:
            cur.execute(f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE customers "
                        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'")
        con.close()
    finally:
        os.unlink(path)


def gen_mariadb(rows: int, first_id: int, log: Tee) -> None:
    have = mariadb_rows()
    if have == rows:
        log(f"mariadb: reusing {DB}.customers ({rows:,} rows)")
        return
    con = _my()
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
        cur.execute(f"CREATE DATABASE {DB} CHARACTER SET utf8mb4")
        cur.execute(f"""CREATE TABLE {DB}.customers (
            id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(200), personnummer VARCHAR(40), email VARCHAR(200),
            phone VARCHAR(40), address VARCHAR(200), postal_code VARCHAR(10), city VARCHAR(100),
            created_at DATETIME, notes TEXT)""")
    con.close()
    t = time.perf_counter()
    for lo in range(first_id, first_id + rows, 500_000):
        _load_mariadb(lo, min(first_id + rows, lo + 500_000), seed=2)
    dt = time.perf_counter() - t
    log(f"mariadb: loaded {rows:,} rows with LOAD DATA in {dt:.1f} s ({rows / dt:,.0f} rows/s)")


def gen_files_for_s3(root: Path, nbytes: int, log: Tee) -> tuple[int, int]:
    meta = root.with_suffix(".json")
    if root.is_dir() and meta.exists():
        m = json.loads(meta.read_text())
        if m.get("target") == nbytes:
            log(f"s3: reusing {m['files']} generated files ({m['bytes'] / MB:,.0f} MB)")
            return m["files"], m["bytes"]
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    files, size = s3_vs_disk.generate(root, nbytes, seed=3)
    meta.write_text(json.dumps({"target": nbytes, "files": files, "bytes": size}))
    log(f"s3: generated {files} files ({size / MB:,.0f} MB) in {time.perf_counter() - t:.0f} s")
    return files, size


def _maildir_name(n: int) -> str:
    return f"{1_600_000_000 + n:010d}.M{n:09d}P1.scale.example.se:2,S"  # sorts by n: new mail sorts last


def gen_maildir(root: Path, messages: int, log: Tee, start: int = 0, seed: int = 4) -> int:
    meta = root.parent / (root.name + ".json")
    if start == 0 and root.is_dir() and meta.exists():
        m = json.loads(meta.read_text())
        if m.get("messages") == messages:
            log(f"maildir: reusing {messages:,} messages ({m['bytes'] / MB:,.0f} MB)")
            return int(m["bytes"])
    if start == 0:
        shutil.rmtree(root, ignore_errors=True)
    for d in ("cur", "new", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    gen = mailgen.MailGen(seed + start)
    t = time.perf_counter()
    size = 0
    for n in range(start, start + messages):
        raw = gen.message(n + 1)
        (root / "cur" / _maildir_name(n)).write_bytes(raw)
        size += len(raw)
    if start == 0:
        meta.write_text(json.dumps({"messages": messages, "bytes": size}))
        log(f"maildir: generated {messages:,} messages ({size / MB:,.0f} MB) in {time.perf_counter() - t:.0f} s")
    return size


def start_moto(log: Tee) -> tuple[subprocess.Popen[bytes], str]:
    proc, endpoint = s3_vs_disk.start_moto()
    log(f"s3: moto_server pid {proc.pid} at {endpoint}")
    return proc, endpoint


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=s3_vs_disk.REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


# --------------------------------------------------------------------------- measuring


@dataclass
class PerStore:
    """What the units of one store cost within a scan (from each unit's result, on the driver)."""

    store: str
    nbytes: int = 0
    units: int = 0
    failed: int = 0
    records: int = 0
    findings: int = 0
    worker_seconds: float = 0.0  # read + detect + hash, summed over its units
    first: float = 0.0  # seconds after the scan started: first and last result of this store
    last: float = 0.0

    def line(self, workers: int) -> str:
        per_core = self.records / self.worker_seconds if self.worker_seconds else 0.0
        mb = f"{self.nbytes / MB:>8,.0f} MB, {self.nbytes / MB / self.worker_seconds:5.2f} MB/s per worker" \
            if self.nbytes and self.worker_seconds else f"{'':>8s}   {'':>21s}"
        return (f"  {self.store:8s} {self.units:5d} units ({self.failed} failed) {self.records:>11,} records "
                f"{self.findings:>10,} findings  worker time {self.worker_seconds:8.1f} s = "
                f"{self.worker_seconds / max(1, workers):7.1f} s per worker; {per_core:8,.0f} records/s per worker "
                f"(x{workers} = {per_core * workers:,.0f}/s); {mb}; results from {self.first:6.0f} s to {self.last:6.0f} s")


@dataclass
class ScanRun:
    label: str
    seconds: float
    summary: dict[str, Any]
    stores: dict[str, PerStore]
    driver_rss: int
    workers_rss: dict[str, int] = field(default_factory=dict)


def _proc_label(cmd: str, pid: int) -> str:
    if "multiprocessing" in cmd:
        return f"worker {pid}"  # a worker process (spawned by a nanny: the local cluster's or a dask worker's)
    if "scheduler" in cmd:
        return f"scheduler {pid}"
    if "dask" in cmd and "worker" in cmd:
        return f"nanny {pid}"  # the `dask worker` command: it runs the worker in a child process
    return f"child {pid}"


def run_scan(cfg: Any, label: str, sizes: dict[str, int], scheduler: str | None, exclude: set[int], full: bool,
             log: Tee, only: set[str] | None = None, n_workers: int | None = None) -> ScanRun:
    """One scan of every source (or ``only``), with per-store figures collected from the unit results."""
    from pii_scan.engine import scan

    stores = {name: PerStore(name, sizes.get(name, 0)) for name in (only or sizes)}
    t0 = time.perf_counter()

    def on_unit(res: Any) -> None:
        st = stores.setdefault(res.source, PerStore(res.source))
        now = time.perf_counter() - t0
        st.first = st.first or now
        st.last = now
        st.units += 1
        st.failed += bool(res.error)
        st.records += res.rows
        st.findings += sum(len(r.findings) for r in res.records)
        st.worker_seconds += res.seconds

    with RssSampler(interval=0.2, exclude=exclude) as rss:
        s = scan(cfg, scheduler=scheduler, only_sources=only, full=full, progress=False, on_unit=on_unit)
        wall = time.perf_counter() - t0
    workers = {_proc_label(rss.names.get(pid, ""), pid): v for pid, v in rss.peaks.per_child.items() if v > 50 << 20}
    if n_workers is None:  # the engine's local cluster: a worker per core, at most one per unit
        n_workers = 1 if scheduler == "sync" else max(1, min(os.cpu_count() or 1, s.units_scanned))
    log(f"[{label}] {wall:,.1f} s ({wall / 60:.1f} min), status {s.status}: units {s.units_total} "
        f"(scanned {s.units_scanned}, skipped {s.units_skipped}, failed {s.units_failed}, retried {s.units_retried}), "
        f"records {s.records:,}, findings {s.findings:,}, subjects {s.subjects:,}")
    for st in stores.values():
        if st.units:
            log(st.line(n_workers))
    busy = sum(st.worker_seconds for st in stores.values())
    log(f"  worker time in all {busy:,.1f} s over {n_workers} worker(s): the workers were busy "
        f"{100 * busy / max(1e-9, wall * n_workers):.0f} % of the wall time; the rest is the driver's "
        f"(plan, data-map writes, subject linking) and Dask's")
    log(f"  peak RSS: driver {human_bytes(rss.peaks.driver)}; "
        + ", ".join(f"{k} {human_bytes(v)}" for k, v in sorted(workers.items())))
    for f in s.failures[:5]:
        log(f"    failed unit: {f}")
    return ScanRun(label, wall, s.as_dict(), stores, rss.peaks.driver, workers)


# --------------------------------------------------------------------------- the 1 % change


def change_sql_pg(rows: int, share: float, log: Tee) -> None:
    import psycopg2

    k = max(1, int(rows * share / 2))
    conn = psycopg2.connect(f"{sql_scan.SERVER}/{DB}")
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(id) FROM customers")
        top = int(cur.fetchone()[0])
        cur.copy_expert("COPY customers FROM STDIN", sql_scan._Stream(sql_scan.rows_tsv(top + 1, top + 1 + k, seed=5)),
                        size=1 << 20)
        cur.execute("UPDATE customers SET notes = coalesce(notes, '') || ' (uppdaterad)' WHERE id > %s AND id <= %s",
                    (top - k, top))
    conn.close()
    log(f"  pg: appended {k:,} rows, updated {k:,} recent rows")


def change_sql_mariadb(first_id: int, rows: int, share: float, log: Tee) -> None:
    k = max(1, int(rows * share / 2))
    con = _my(DB)
    with con.cursor() as cur:
        cur.execute("SELECT max(id) FROM customers")
        top = int(cur.fetchone()[0])
    con.close()
    _load_mariadb(top + 1, top + 1 + k, seed=6)
    con = _my(DB)
    with con.cursor() as cur:
        cur.execute("UPDATE customers SET notes = concat(coalesce(notes, ''), ' (uppdaterad)') WHERE id > %s AND id <= %s",
                    (top - k, top))
    con.close()
    log(f"  mariadb: appended {k:,} rows, updated {k:,} recent rows")


def change_s3(client: Any, src: Path, share: float, log: Tee) -> None:
    files = sorted(p for p in src.rglob("*") if p.is_file())
    k = max(1, int(len(files) * share))
    n = 0
    for p in Random(7).sample(files, k):
        client.put_object(Bucket=BUCKET, Key="nightly/" + p.relative_to(src).as_posix(), Body=p.read_bytes())
        n += p.stat().st_size
    log(f"  s3: added {k} objects ({n / MB:,.1f} MB)")


def change_mbox(path: Path, messages: int, share: float, log: Tee) -> None:
    k = max(1, int(messages * share))
    gen = mailgen.MailGen(8)
    n = 0
    with open(path, "ab") as fh:
        for i in range(k):
            entry = mailgen.mbox_entry(gen.message(messages + i + 1), messages + i + 1)
            fh.write(entry)
            n += len(entry)
    log(f"  mbox: appended {k:,} messages ({n / MB:,.1f} MB)")


def change_maildir(root: Path, messages: int, share: float, log: Tee) -> None:
    k = max(1, int(messages * share))
    n = gen_maildir(root, k, log, start=messages, seed=9)
    log(f"  maildir: {k:,} new messages ({n / MB:,.1f} MB)")


# --------------------------------------------------------------------------- main


def drop_all() -> None:
    sql_scan.DB = DB
    sql_scan.drop_db()
    con = _my()
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="SQL rows in all, 60 %% PostgreSQL / 40 %% MariaDB")
    ap.add_argument("--s3-mb", type=float, default=20_000, help="MB of objects in the S3 bucket (moto: held in RAM)")
    ap.add_argument("--mbox-mb", type=float, default=5_000, help="MB of the mbox")
    ap.add_argument("--maildir", type=int, default=200_000, help="messages in the Maildir")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    ap.add_argument("--stores", default="pg,mariadb,s3,mbox,maildir", help="which stores (comma-separated)")
    ap.add_argument("--change", type=float, default=0.01, help="share of each store changed before the nightly scan")
    ap.add_argument("--scheduler", default=None, help="default: the local Dask cluster; 'sync' or tcp://...")
    ap.add_argument("--dask-store", default=None, help="also scan this store on a real scheduler with 1 and 2 workers")
    ap.add_argument("--dask-only", action="store_true", help="only step 4 (with --dask-store): skip the full and nightly scans")
    ap.add_argument("--chunk-rows", type=int, default=50_000, help="SQL rows per unit")
    ap.add_argument("--dir", type=Path, default=HERE / "out" / "scale", help="cache of generated files + data map")
    ap.add_argument("--keep", action="store_true", help="keep the databases (default: dropped at the end)")
    ap.add_argument("--drop", action="store_true", help="drop the databases and exit")
    args = ap.parse_args(argv)
    if args.drop:
        drop_all()
        return 0

    log = Tee()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    rows = int(args.rows * args.scale)
    pg_rows, my_rows = int(rows * PG_SHARE), rows - int(rows * PG_SHARE)
    s3_bytes = int(args.s3_mb * args.scale * MB)
    mbox_bytes = int(args.mbox_mb * args.scale * MB)
    maildir_n = int(args.maildir * args.scale)
    work: Path = args.dir
    work.mkdir(parents=True, exist_ok=True)
    log(f"== scale.py {time.strftime('%Y-%m-%d %H:%M:%S')}; {machine_line()}; {load_line()}")
    log(f"sizes: pg {pg_rows:,} rows, mariadb {my_rows:,} rows, s3 {s3_bytes / MB:,.0f} MB, "
        f"mbox {mbox_bytes / MB:,.0f} MB, maildir {maildir_n:,} messages; stores {stores}")

    # ---- generate
    t_gen = time.perf_counter()
    sources: list[dict[str, Any]] = []
    sizes: dict[str, int] = {}
    moto: subprocess.Popen[bytes] | None = None
    exclude: set[int] = set()
    client = None
    mbox_meta: dict[str, int] = {}
    if "pg" in stores:
        gen_pg(pg_rows, log)
        sources.append({"name": "pg", "type": "sql", "url": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}",
                        "chunk_rows": args.chunk_rows})
        sizes["pg"] = 0
    if "mariadb" in stores:
        gen_mariadb(my_rows, pg_rows + 1, log)
        sources.append({"name": "mariadb", "type": "sql", "url": f"{MARIADB_SERVER}/{DB}?charset=utf8mb4",
                        "chunk_rows": args.chunk_rows})
        sizes["mariadb"] = 0
    if "s3" in stores:
        src = work / "s3src"
        _, sizes["s3"] = gen_files_for_s3(src, s3_bytes, log)
        moto, endpoint = start_moto(log)
        exclude.add(moto.pid)
        client = s3_client(endpoint)
        t = time.perf_counter()
        s3_vs_disk.upload(client, BUCKET, src)
        log(f"s3: uploaded in {time.perf_counter() - t:.0f} s")
        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        sources.append({"name": "s3", "type": "s3", "endpoint_url": endpoint, "region": s3_vs_disk.REGION,
                        "buckets": [BUCKET]})
    if "mbox" in stores:
        mpath = work / "archive.mbox"
        mbox_meta = mailgen.generate(mpath, mbox_bytes, seed=1)
        sizes["mbox"] = mpath.stat().st_size
        sources.append({"name": "mbox", "type": "mail", "path": str(mpath)})
    if "maildir" in stores:
        mroot = work / "Maildir"
        sizes["maildir"] = gen_maildir(mroot, maildir_n, log)
        sources.append({"name": "maildir", "type": "mail", "path": str(mroot)})
    log(f"generation/caching took {time.perf_counter() - t_gen:.0f} s")

    base = work / "map"
    shutil.rmtree(base, ignore_errors=True)
    cfg = make_config(base, sources)
    results: list[ScanRun] = []
    try:
        # ---- 1. full scan of every store at once
        full = 0.0
        if not args.dask_only:
            log(f"-- full scan of every store ({args.scheduler or 'local Dask cluster'})")
            full_run = run_scan(cfg, "full", sizes, args.scheduler, exclude, True, log)
            results.append(full_run)
            full = full_run.seconds

        if not args.dask_only:
            # ---- 2. change 1 %
            log(f"-- change {args.change:.0%} of every store")
            for s in [x["name"] for x in sources]:
                if s == "pg":
                    change_sql_pg(pg_rows, args.change, log)
                elif s == "mariadb":
                    change_sql_mariadb(pg_rows + 1, my_rows, args.change, log)
                elif s == "s3":
                    change_s3(client, work / "s3src", args.change, log)
                elif s == "mbox":
                    change_mbox(work / "archive.mbox", mbox_meta.get("messages", 0), args.change, log)
                elif s == "maildir":
                    change_maildir(work / "Maildir", maildir_n, args.change, log)

            # ---- 3. nightly
            log("-- nightly incremental scan of every store")
            night = run_scan(cfg, "nightly", dict.fromkeys(sizes, 0), args.scheduler, exclude, False, log)
            results.append(night)
            log(f"nightly scan after a {args.change:.0%} change: {night.seconds:,.1f} s = "
                f"{100 * night.seconds / full:.1f} % of the full scan ({full:,.1f} s)")

        # ---- 4. Dask modes on one store
        if args.dask_store:
            from dask_modes import dask_cluster

            one = {args.dask_store}
            src = [x for x in sources if x["name"] == args.dask_store]

            def fresh_cfg(mode: str) -> Any:  # a first scan of that store alone into its own map, as in step 1
                d = work / f"map-{mode}"
                shutil.rmtree(d, ignore_errors=True)
                return make_config(d, src)

            log(f"-- {args.dask_store} alone, each into a fresh map: local cluster, then a real dask scheduler "
                "with 1 and 2 workers")
            local = run_scan(fresh_cfg("local"), f"{args.dask_store} local", sizes, None, exclude, True, log, only=one)
            results.append(local)
            for n in (1, 2):
                tmp = Path(tempfile.mkdtemp(prefix="piiscale-dask-"))
                with dask_cluster(n, tmp) as addr:
                    r = run_scan(fresh_cfg(f"{n}w"), f"{args.dask_store} {n} worker(s)", sizes, addr, exclude, True,
                                 log, only=one, n_workers=n)
                shutil.rmtree(tmp, ignore_errors=True)
                results.append(r)
                log(f"  {n} dask worker(s): {r.seconds:.1f} s, x{local.seconds / r.seconds:.2f} vs the local cluster")
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(15)
        if not args.keep:
            drop_all()
    out = log.save("scale.txt")
    (out.with_suffix(".json")).write_text(json.dumps([asdict(r) for r in results], indent=1, default=str))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
