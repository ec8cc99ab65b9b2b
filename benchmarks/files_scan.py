"""File-share scan throughput (MB/s) and peak memory at two input sizes.

Builds a mixed tree per size under ``benchmarks/out/files-<N>MB/`` (cached;
``--regenerate`` rebuilds it): the fictional estate of
:func:`pii_scan.estate.build_estate` (cp1252 and BOM CSVs, JSON Lines, XLSX,
DOCX, PDF, HTML, logs, gzip, zip, notes, a file named by a personnummer)
plus large generated files that make up the bulk of the bytes, in the same
proportions at every size:

* 40 % ``exports/kunder.csv``: a ``;`` customer export (personnummer in mixed
  forms, e-mail, phone, address, a free-text note), the rows of
  ``benchmarks/sql_scan.py``;
* 30 % ``orders/orders.jsonl``: nested order documents (customer contact,
  items with EAN-13 codes and amounts, delivery address, a note);
* 25 % ``logs/app.log``: application log lines (ISO timestamps, request ids,
  UUIDs, durations, paths with order numbers; an e-mail, phone number or
  personnummer on about one line in ten);
* 5 % ``mail/anteckningar.txt``: prose paragraphs, some naming a contact.

Each size is scanned with the engine (``pii_scan.engine.scan``, the default
local Dask cluster: one worker process per core) into a fresh SQLite data
map, while a sampler thread records the resident set size of the driver and
of every worker process (psutil, every 0.1 s). Files larger than the files
connector's ``split_bytes`` (8 MiB by default; ``--split-bytes``) are read as
several byte-range units.

Prints per size: MB (10^6 bytes of input), seconds, MB/s, records, findings,
the driver-side split, and peak RSS of the driver and of the largest worker,
with PASS/MISS against 1 GiB for each process; then the ratio of the peaks
between the sizes (flat means about 1).

Each scan runs in a child process (the driver) started by this script,
which samples the RSS of that driver and of its Dask workers. A memory guard
protects a shared machine: when they together pass ``--rss-guard-gib``
(10 GiB), the whole process tree is killed and the size is reported as
ABORTED with the peaks reached so far.

Usage::

    .venv/bin/python benchmarks/files_scan.py                    # 200 MB and 1000 MB
    .venv/bin/python benchmarks/files_scan.py --sizes 50,200     # quicker
    .venv/bin/python benchmarks/files_scan.py --sizes 1000 --split-bytes 33554432
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
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages before benchmarks/detectors.py
from _common import (  # noqa: E402
    MB,
    OUT,
    RssSampler,
    Tee,
    fresh_datamap,
    human_bytes,
    instrument_engine,
    load_line,
    machine_line,
    make_config,
    verdict,
)
from sql_scan import _FIRST, _LAST, _STREETS, rows_tsv  # noqa: E402

from detectors.checksums import ean13_is_valid  # noqa: E402

GENERATOR_VERSION = 1
RSS_LIMIT = 1 << 30
SHARES = (("exports/kunder.csv", 0.40), ("orders/orders.jsonl", 0.30), ("logs/app.log", 0.25),
          ("mail/anteckningar.txt", 0.05))


# --------------------------------------------------------------------------- generators


def _write_until(path: Path, target: int, lines: Any, header: str = "") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        if header:
            fh.write(header)
            n += len(header.encode())
        buf: list[str] = []
        size = 0
        for line in lines:
            buf.append(line)
            size += len(line.encode()) if not line.isascii() else len(line)
            if size >= min(1 << 20, max(4096, target - n)):
                fh.write("".join(buf))
                n += size
                buf, size = [], 0
                if n >= target:
                    break
        if buf:
            fh.write("".join(buf))
            n += size
    return n


def csv_lines(seed: int) -> Any:
    start = 1
    while True:
        for chunk in rows_tsv(start, start + 10_000, seed):
            for row in chunk.decode().splitlines():
                cells = ["" if c == "\\N" else c for c in row.split("\t")]
                yield ";".join(cells) + "\n"
        start += 10_000


def _ean13(rng: Random) -> str:
    while True:
        body = f"73{rng.randrange(10**10):010d}"
        for d in "0123456789":
            if ean13_is_valid(body + d):
                return body + d


def jsonl_lines(seed: int) -> Any:
    from sql_scan import mobile, personnummer, phone_form, pnr_form

    rng = Random(seed)
    eans = [_ean13(rng) for _ in range(500)]
    t = datetime(2023, 1, 1)
    i = 0
    while True:
        i += 1
        t += timedelta(seconds=rng.randrange(1, 90))
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        cust: dict[str, Any] = {"name": f"{first} {last}", "email": f"kund{i}@example.se"}
        if rng.random() < 0.8:
            cust["phone"] = phone_form(mobile(i + 5_000_000), rng.randrange(6))
        if rng.random() < 0.3:
            cust["personnummer"] = pnr_form(*personnummer(i + 5_000_000), rng.randrange(20))
        doc = {
            "order_id": 10_000_000 + i, "created": t.isoformat(timespec="seconds"), "customer": cust,
            "items": [{"sku": rng.choice(eans), "qty": rng.randrange(1, 4), "price": round(rng.uniform(19, 2999), 2)}
                      for _ in range(rng.randrange(1, 4))],
            "delivery": {"street": f"{rng.choice(_STREETS)} {rng.randrange(1, 120)}",
                         "postal_code": f"{rng.randrange(100, 999)} {rng.randrange(10, 99)}", "country": "SE"},
            "status": rng.choice(("paid", "shipped", "delivered", "returned")),
        }
        if rng.random() < 0.2:
            doc["note"] = rng.choice(("Lämna vid dörren.", "Ring innan leverans.", "Portkod 1234.", "Ombud: ICA Nära."))
        yield json.dumps(doc, ensure_ascii=False) + "\n"


def log_lines(seed: int) -> Any:
    from sql_scan import mobile, personnummer, phone_form, pnr_form

    rng = Random(seed)
    t = datetime(2024, 3, 1)
    i = 0
    paths = ("/api/orders/{n}", "/api/customers/{n}/invoices", "/static/img/{n}.png", "/health", "/api/cart/{u}")
    while True:
        i += 1
        t += timedelta(milliseconds=rng.randrange(1, 400))
        req = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
        p = rng.choice(paths).format(n=rng.randrange(10**6, 10**8), u=uuid.UUID(int=rng.getrandbits(128)))
        level = "INFO" if rng.random() < 0.9 else rng.choice(("WARN", "ERROR"))
        line = (f"{t.isoformat(timespec='milliseconds')}Z {level} [req={req}] GET {p} "
                f"{rng.choice((200, 200, 200, 304, 404, 500))} {rng.randrange(1, 900)}ms {rng.randrange(200, 90000)}B")
        u = rng.random()
        if u < 0.04:
            line += f" user={rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower()}{i}@example.com".translate(
                str.maketrans("åäöé", "aaoe"))
        elif u < 0.07:
            line += f" callback={phone_form(mobile(i + 9_000_000), rng.randrange(6))}"
        elif u < 0.09:
            line += f" lookup pnr={pnr_form(*personnummer(i + 9_000_000), rng.randrange(20))}"
        yield line + "\n"


_PROSE = (
    "Mötet flyttades till torsdag efter lunch.", "Leverantören har bekräftat ordern men leveransen dröjer.",
    "Vi behöver se över rutinerna för returer innan sommaren.", "Budgeten för kvartalet är i stort sett oförändrad.",
    "Kunden var nöjd med lösningen och vill gärna fortsätta samarbetet.", "Glöm inte att uppdatera prislistan.",
)


def text_lines(seed: int) -> Any:
    from sql_scan import mobile, phone_form

    rng = Random(seed)
    i = 0
    while True:
        i += 1
        para = " ".join(rng.choice(_PROSE) for _ in range(rng.randrange(2, 6)))
        if rng.random() < 0.15:
            para += (f" Kontakt: {rng.choice(_FIRST)} {rng.choice(_LAST)}, {phone_form(mobile(i + 12_000_000), rng.randrange(6))}"
                     f" eller {rng.choice(_FIRST).lower()}{i}@exempel.se.").translate(str.maketrans("åäöé", "aaoe"))
        yield para + "\n\n"


def build_tree(root: Path, total_mb: int, customers: int, log: Tee, regenerate: bool = False) -> int:
    """Write the tree for ``total_mb`` MB; returns its size in bytes. Cached by a manifest."""
    manifest = root / "manifest.json"
    want = {"version": GENERATOR_VERSION, "mb": total_mb, "customers": customers}
    if manifest.exists() and not regenerate:
        got = json.loads(manifest.read_text())
        if got.get("spec") == want:
            return int(got["bytes"])
    if root.exists():
        shutil.rmtree(root)
    t = time.perf_counter()
    from pii_scan.estate import build_estate

    build_estate(root / "estate", customers=customers)
    (root / "estate" / "crm.sqlite").unlink()  # the SQL part is benchmarked elsewhere
    share = root / "share"
    shutil.move(str(root / "estate" / "share"), share)
    shutil.rmtree(root / "estate")
    budget = total_mb * MB - _tree_bytes(share)
    gens = {"exports/kunder.csv": (csv_lines, "kundnr;namn;personnummer;e-post;telefon;adress;postnr;ort;registrerad;anteckning\n"),
            "orders/orders.jsonl": (jsonl_lines, ""), "logs/app.log": (log_lines, ""),
            "mail/anteckningar.txt": (text_lines, "")}
    for rel, share_ in SHARES:
        fn, header = gens[rel]
        _write_until(share / "big" / rel, int(budget * share_), fn(7), header)
    size = _tree_bytes(share)
    manifest.write_text(json.dumps({"spec": want, "bytes": size}))
    log(f"built {root.name}: {size / MB:,.0f} MB in {time.perf_counter() - t:.0f} s")
    return size


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _tree_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- measurement


def run_size(total_mb: int, args: argparse.Namespace, log: Tee) -> dict[str, Any]:
    """Build the tree, then scan it in a child process whose memory (and its workers') is sampled here."""
    root = OUT / f"files-{total_mb}MB"
    nbytes = build_tree(root, total_mb, args.customers, log, args.regenerate)
    limit = int(args.rss_guard_gib * (1 << 30)) if args.rss_guard_gib else None
    fd, out = tempfile.mkstemp(prefix="piibench-files-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, "-u", str(Path(__file__).resolve()), "--child", str(total_mb), "--child-out", out,
           "--split-bytes", str(args.split_bytes)]
    if args.scheduler:
        cmd += ["--scheduler", args.scheduler]
    if args.tmp:
        cmd += ["--tmp", args.tmp]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    with RssSampler(root=proc.pid, limit=limit) as rss:
        assert proc.stdout is not None
        for line in proc.stdout:
            log(line.rstrip("\n"))
        proc.wait()
    wall = time.perf_counter() - t
    try:
        res = json.loads(Path(out).read_text() or "{}")
    finally:
        os.unlink(out)
    if rss.tripped or not res:
        why = (f"driver + workers RSS passed the --rss-guard-gib limit of {args.rss_guard_gib:g} GiB and were killed"
               if rss.tripped else f"the scan process ended with code {proc.returncode}")
        log(f"[{total_mb} MB tree] {nbytes / MB:,.1f} MB: ABORTED after {wall:.0f} s: {why}")
        log(f"  {load_line()} (at the abort)")
        for line in rss.peaks.lines():
            log("  " + line)
        return {"mb": nbytes / MB, "seconds": wall, "rate": 0.0, "rss": rss.peaks, "aborted": True}
    for line in rss.peaks.lines():
        log("  " + line)
    return {"mb": nbytes / MB, "seconds": res["seconds"], "rate": res["rate"], "rss": rss.peaks, "aborted": False}


def child(total_mb: int, args: argparse.Namespace) -> int:
    """The scan of one tree (run as a child process by :func:`run_size`); figures on stdout and in --child-out."""
    from pii_scan.engine import scan

    root = OUT / f"files-{total_mb}MB"
    nbytes = _tree_bytes(root / "share")
    base = Path(tempfile.mkdtemp(prefix="piibench-files-", dir=args.tmp))
    src: dict[str, Any] = {"name": "share", "type": "files", "path": str(root / "share")}
    if args.split_bytes:
        src["split_bytes"] = args.split_bytes
    cfg = make_config(base, [src])
    fresh_datamap(cfg)
    try:
        with instrument_engine() as split:
            t = time.perf_counter()
            summary = scan(cfg, scheduler=args.scheduler, progress=False)
            wall = time.perf_counter() - t
        dm_size = Path(cfg.datamap_url[len("sqlite:///"):]).stat().st_size
    finally:
        shutil.rmtree(base, ignore_errors=True)
    workers = 1 if args.scheduler == "sync" else (os.cpu_count() or 1)
    rate = nbytes / MB / wall
    print(f"[{total_mb} MB tree] {nbytes / MB:,.1f} MB in {_tree_files(root / 'share')} files, "
          f"{summary.units_scanned} units (split_bytes {args.split_bytes or 256 << 20:,}): {wall:.1f} s, "
          f"{rate:.2f} MB/s, records {summary.records:,}, findings {summary.findings:,}, subjects {summary.subjects:,}, "
          f"failed units {summary.units_failed}, data map {human_bytes(dm_size)}")
    for line in split.lines(wall, workers):
        print(line)
    print(f"  {load_line()} (after the run)")
    for f in summary.failures[:5]:
        print(f"  failed: {f['unit']}: {f['reason']}")
    Path(args.child_out).write_text(json.dumps({"seconds": wall, "rate": rate}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="200,1000", help="tree sizes in MB, comma-separated (default 200,1000)")
    ap.add_argument("--customers", type=int, default=2000, help="customers of the estate part (default 2000)")
    ap.add_argument("--split-bytes", type=int, default=0, help="files connector split_bytes (default: its own, 8 MiB)")
    ap.add_argument("--scheduler", default=None, help="default: local Dask cluster; 'sync' or tcp://...")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--rss-guard-gib", type=float, default=10.0,
                    help="abort a size when driver + workers pass this many GiB (default 10; 0: never)")
    ap.add_argument("--tmp", default=None, help="folder for the data maps (default: the system temp folder)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child, args)
    log = Tee()
    log(machine_line())
    results = [run_size(int(s), args, log) for s in args.sizes.split(",")]
    for r in results:
        cut = " when aborted at the memory guard" if r["aborted"] else ""
        log(f"{verdict(r['rss'].driver < RSS_LIMIT and not r['aborted'])}  peak RSS driver at {r['mb']:,.0f} MB: "
            f"{human_bytes(r['rss'].driver)}{cut} (target < 1 GiB)")
        log(f"{verdict(r['rss'].child_max < RSS_LIMIT and not r['aborted'])}  peak RSS largest worker at {r['mb']:,.0f} MB: "
            f"{human_bytes(r['rss'].child_max)}{cut} (target < 1 GiB)")
        if r["aborted"]:
            log(f"info  throughput at {r['mb']:,.0f} MB: not measured (aborted at the memory guard)")
        else:
            log(f"info  throughput at {r['mb']:,.0f} MB: {r['rate']:.2f} MB/s")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        log(f"info  input x{b['mb'] / a['mb']:.1f}: driver peak x{b['rss'].driver / max(1, a['rss'].driver):.2f}, "
            f"largest worker peak x{b['rss'].child_max / max(1, a['rss'].child_max):.2f} (flat = about 1)")
    suffix = f"-split{args.split_bytes}" if args.split_bytes else ""
    suffix += "-" + args.sizes.replace(",", "_")
    p = log.save(f"files_scan{suffix}.txt")
    print(f"(saved to {p})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
